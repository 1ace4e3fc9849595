"""What a client's signed link does to their visit: confirm it, or cancel it.

The link itself (token, URL, which visit it names) is `sessions.messaging.links`;
acting on the visit goes through the booking services, so its history, the waitlist
and the messages follow as they do at the desk. Both actions are idempotent: a second
use shows the same result and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.core.exceptions import ValidationError
from django.db import transaction

from sessions.messaging.links import Action, visit_link_visit
from sessions.models import Appointment
from sessions.scheduling.booking import (
    appointment_cancel,
    appointment_set_status,
    is_late_cancellation,
)
from sessions.scheduling.documented import documented_visit_problem

CLIENT_CANCEL_REASON = "Cancelled by the client through the link in their email"


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    ASK = "ask"  # the link is good: show the button that does it
    TOO_LATE = "too_late"  # inside the late-cancel window: call the clinic
    CLOSED = "closed"  # checked in, completed, no-show, documented: call the clinic


@dataclass
class LinkResult:
    outcome: Outcome
    appointment: Appointment


def visit_link_open(*, token: str, action: Action, now: datetime) -> LinkResult:
    """What using the link would do, without doing it (the page before the button)."""
    appointment = visit_link_visit(token, action, now)
    return LinkResult(_outcome(appointment, action, now), appointment)


def _outcome(appointment: Appointment, action: Action, now: datetime) -> Outcome:
    status = appointment.status
    if status in Appointment.NON_BLOCKING_STATUSES:
        return Outcome.CANCELLED
    if documented_visit_problem(appointment):
        return Outcome.CLOSED  # its note is signed: the visit took place
    if action == Action.CONFIRM:
        if status == Appointment.Status.BOOKED:
            return Outcome.ASK
        if status == Appointment.Status.CONFIRMED:
            return Outcome.CONFIRMED
        return Outcome.CLOSED
    if status not in Appointment.OPEN_STATUSES or status == "checked_in":
        return Outcome.CLOSED
    if is_late_cancellation(appointment, now):
        return Outcome.TOO_LATE
    return Outcome.ASK


@transaction.atomic
def visit_link_use(*, token: str, action: Action, now: datetime) -> LinkResult:
    """Confirm or cancel the visit the link names; a second use changes nothing.

    Cancelling inside the clinic's late-cancel window is refused: the client calls.
    Outside it, the visit is cancelled through the desk's own service (by nobody:
    the client), so its history, the waitlist and the messages follow as usual.
    """
    appointment = visit_link_visit(token, action, now, for_update=True)
    outcome = _outcome(appointment, action, now)
    if outcome != Outcome.ASK:
        return LinkResult(outcome, appointment)
    try:
        if action == Action.CONFIRM:
            appointment = appointment_set_status(
                appointment=appointment,
                status=Appointment.Status.CONFIRMED,
                by=None,
                now=now,
            )
            return LinkResult(Outcome.CONFIRMED, appointment)
        appointment = appointment_cancel(
            appointment=appointment, by=None, reason=CLIENT_CANCEL_REASON, now=now
        )
    except ValidationError:  # pragma: no cover - the row is locked and checked above
        appointment.refresh_from_db()
        return LinkResult(_outcome(appointment, action, now), appointment)
    return LinkResult(Outcome.CANCELLED, appointment)
