"""Check and unique constraints on notes, techniques, messages, plans and histories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from clients.models import MedicalHistory
from sessions.models import NoteTechnique, OutboundMessage, SessionNote, TreatmentPlan
from sessions.tests.factories import AppointmentFactory
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

WHEN = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


@pytest.fixture
def visit():
    return AppointmentFactory(status="completed")


def _note(visit, **fields) -> SessionNote:
    with transaction.atomic():
        return SessionNote.objects.create(
            appointment=visit, therapist=visit.therapist, **fields
        )


def _constraint(excinfo) -> str:
    return excinfo.value.__cause__.diag.constraint_name


def test_a_visit_has_at_most_one_note(visit):
    _note(visit)
    with pytest.raises(IntegrityError):
        _note(visit)


@pytest.mark.parametrize("field", ["pain_before", "pain_after"])
def test_pain_is_between_0_and_10(visit, field):
    with pytest.raises(IntegrityError) as excinfo:
        _note(visit, **{field: 11})
    assert "0_to_10" in _constraint(excinfo)
    _note(visit, **{field: 10})


def test_technique_minutes_are_positive(visit):
    note = _note(visit)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        NoteTechnique.objects.create(note=note, modality=modality(), minutes=0)
    assert _constraint(excinfo) == "technique_minutes_positive"


def test_a_signature_needs_signer_and_hash(visit):
    with pytest.raises(IntegrityError) as excinfo:
        _note(visit, signed_at=WHEN)
    assert _constraint(excinfo) == "note_signature_complete"


def test_one_message_per_visit_and_kind(visit):
    OutboundMessage.objects.create(
        appointment=visit, client=visit.client, kind="reminder", send_at=WHEN
    )
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        OutboundMessage.objects.create(
            appointment=visit, client=visit.client, kind="reminder", send_at=WHEN
        )
    assert _constraint(excinfo) == "reminder_once_per_appointment_and_kind"
    OutboundMessage.objects.create(
        appointment=visit, client=visit.client, kind="cancellation", send_at=WHEN
    )


def test_a_visit_with_a_note_cannot_be_deleted(visit):
    _note(visit)
    with pytest.raises(ProtectedError):
        visit.delete()


def test_a_discontinued_plan_states_its_reason(visit):
    plan = TreatmentPlan(
        client=visit.client,
        therapist=visit.therapist,
        visits_planned=12,
        starts_on=WHEN.date(),
        review_on=WHEN.date() + timedelta(weeks=6),
        status="discontinued",
    )
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        plan.save()
    assert _constraint(excinfo) == "plan_discontinued_has_reason"


def test_history_versions_are_unique_per_client(visit):
    fields = dict(
        client=visit.client,
        submitted_at=WHEN,
        chief_complaint="Neck pain after a car accident",
        consent_name=visit.client.full_name,
        consent_signed_at=WHEN,
    )
    MedicalHistory.objects.create(version=1, **fields)
    with pytest.raises(IntegrityError) as excinfo, transaction.atomic():
        MedicalHistory.objects.create(version=1, **fields)
    assert _constraint(excinfo) == "history_version_unique"
