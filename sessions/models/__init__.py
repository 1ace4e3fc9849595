"""The models of the app, split by seam: scheduling, treatment, messaging."""

from __future__ import annotations

from sessions.models.messaging import LIVE_STATUSES, OutboundMessage
from sessions.models.scheduling import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    Place,
    TsTzRange,
    WaitlistEntry,
)
from sessions.models.screening import VisitScreening
from sessions.models.treatment import (
    Goal,
    NoteAddendum,
    NoteTechnique,
    ProgressReport,
    SessionNote,
    TreatmentPlan,
)
from sessions.models.waitlist import WaitlistOffer

__all__ = [
    "LIVE_STATUSES",
    "Appointment",
    "AppointmentEvent",
    "AppointmentSeries",
    "Goal",
    "NoteAddendum",
    "NoteTechnique",
    "Place",
    "ProgressReport",
    "OutboundMessage",
    "SessionNote",
    "TreatmentPlan",
    "TsTzRange",
    "VisitScreening",
    "WaitlistEntry",
    "WaitlistOffer",
]
