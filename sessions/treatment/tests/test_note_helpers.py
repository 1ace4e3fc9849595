"""Fixtures and helpers shared by the SOAP-note tests (no tests of its own).

Import the fixtures as `visit_fixture` and `draft_fixture`; tests ask for them as
`visit` and `draft`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from clients.models import Condition, Contraindication
from massageclinic.audit import AuditContext
from sessions.models import Appointment, Goal, SessionNote, TreatmentPlan
from sessions.tests.factories import AppointmentFactory
from sessions.treatment.notes import note_open_or_create, note_save_draft, note_sign
from therapists.tests.factories import modality

VISIT_START = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # 10:00 in New York
VISIT_END = VISIT_START + timedelta(hours=1)
AFTER_VISIT = VISIT_END + timedelta(minutes=20)


@pytest.fixture(name="visit")
def visit_fixture(therapist) -> Appointment:
    """A checked-in visit of the `therapist` persona."""
    return AppointmentFactory(
        therapist=therapist,
        status=Appointment.Status.CHECKED_IN,
        starts_at=VISIT_START,
        ends_at=VISIT_END,
    )


@pytest.fixture(name="draft")
def draft_fixture(visit) -> SessionNote:
    note, _ = note_open_or_create(
        appointment=visit,
        by=visit.therapist.user,
        context=AuditContext(user=visit.therapist.user),
    )
    return note


def complete_data(**overrides: Any) -> dict[str, Any]:
    """Everything a note needs before it can be signed, as note_save_draft takes it."""
    data: dict[str, Any] = {
        "complaint": "Right neck and shoulder pain after desk work",
        "pain_before": 6,
        "changes_since_last": "Sleeping better",
        "home_care_report": "Did the stretches most days",
        "findings": "Hypertonic right upper trapezius; trigger point in levator",
        "areas_treated": ["neck", "shoulder_right"],
        "pressure": "moderate",
        "techniques": [(modality("swedish"), 33), (modality("myofascial-release"), 7)],
        "response": "Tissue softened; range improved",
        "pain_after": 3,
        "adverse_reactions": "",
        "next_focus": "Levator scapulae",
        "home_care_given": "Chin tucks, doorway stretch",
    }
    data.update(overrides)
    return data


def write_and_sign(note: SessionNote, **overrides: Any) -> SessionNote:
    by = note.appointment.therapist.user
    note_save_draft(
        note=note,
        data=complete_data(**overrides),
        by=by,
        now=AFTER_VISIT,
        context=AuditContext(user=by),
    )
    return note_sign(note=note, by=by, now=AFTER_VISIT, context=AuditContext(user=by))


def flag(client, slug: str, **fields: Any) -> Contraindication:
    condition = Condition.objects.get(slug=slug)
    fields.setdefault("severity", condition.default_severity)
    return Contraindication.objects.create(client=client, condition=condition, **fields)


def plan_with_goals(visit: Appointment) -> tuple[TreatmentPlan, Goal, Goal]:
    plan = TreatmentPlan.objects.create(
        client=visit.client,
        therapist=visit.therapist,
        visits_planned=8,
        starts_on=date(2026, 11, 1),
        review_on=date(2026, 12, 31),
        status=TreatmentPlan.Status.ACTIVE,
    )
    pain = Goal.objects.create(
        plan=plan,
        description="Less neck pain",
        measure=Goal.Measure.PAIN,
        unit="/10",
        baseline=Decimal(7),
        target=Decimal(3),
    )
    flexion = Goal.objects.create(
        plan=plan,
        description="Raise the arm overhead",
        measure=Goal.Measure.RANGE_OF_MOTION,
        unit="degrees",
        movement="right shoulder flexion",
        baseline=Decimal(120),
        target=Decimal(170),
    )
    return plan, pain, flexion


def form_post(**overrides: Any) -> dict[str, Any]:
    """The note page's whole form, as the browser posts it."""
    data: dict[str, Any] = {
        "complaint": "Right neck and shoulder pain after desk work",
        "pain_before": "6",
        "changes_since_last": "",
        "home_care_report": "",
        "findings": "Hypertonic right upper trapezius",
        "areas_treated": ["neck", "shoulder_right"],
        "pressure": "moderate",
        "response": "Tissue softened",
        "pain_after": "3",
        "adverse_reactions": "",
        "next_focus": "Levator scapulae",
        "home_care_given": "Chin tucks",
        "techniques-TOTAL_FORMS": "3",
        "techniques-INITIAL_FORMS": "0",
        "techniques-MIN_NUM_FORMS": "0",
        "techniques-MAX_NUM_FORMS": "12",
        "techniques-0-modality": str(modality("swedish").pk),
        "techniques-0-minutes": "33",
        "techniques-1-modality": str(modality("myofascial-release").pk),
        "techniques-1-minutes": "7",
        "techniques-2-modality": "",
        "techniques-2-minutes": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}
