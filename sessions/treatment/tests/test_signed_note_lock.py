"""The database refuses changes to signed notes, their techniques and addenda."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, ProgrammingError, connection, transaction

from sessions.models import NoteAddendum, NoteTechnique, SessionNote
from sessions.tests.factories import AppointmentFactory
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

SIGNED = datetime(2026, 12, 1, 17, 0, tzinfo=UTC)


@pytest.fixture
def signed_note():
    visit = AppointmentFactory(status="completed")
    note = SessionNote.objects.create(
        appointment=visit, therapist=visit.therapist, findings="Tight upper trapezius"
    )
    NoteTechnique.objects.create(note=note, modality=modality("swedish"), minutes=30)
    note.signed_at = SIGNED
    note.signed_by = visit.therapist.user
    note.content_sha256 = "a" * 64
    note.save()  # signing itself is the last allowed change
    return note


def _refused(sql: str, params: list) -> None:
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)


def test_a_raw_update_of_a_signed_note_fails(signed_note):
    _refused(
        "UPDATE clinic_sessions_sessionnote SET findings = %s WHERE id = %s",
        ["rewritten", signed_note.pk],
    )
    signed_note.refresh_from_db()
    assert signed_note.findings == "Tight upper trapezius"


def test_a_signed_note_cannot_be_deleted(signed_note):
    _refused("DELETE FROM clinic_sessions_sessionnote WHERE id = %s", [signed_note.pk])


def test_its_techniques_cannot_change_or_grow(signed_note):
    technique = signed_note.techniques.get()
    _refused(
        "UPDATE clinic_sessions_notetechnique SET minutes = 45 WHERE id = %s",
        [technique.pk],
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        NoteTechnique.objects.create(
            note=signed_note, modality=modality("myofascial-release"), minutes=10
        )


def test_a_draft_note_can_still_change(signed_note):
    visit = AppointmentFactory(status="completed")
    draft = SessionNote.objects.create(appointment=visit, therapist=visit.therapist)
    draft.findings = "Edited while a draft"
    draft.save()
    NoteTechnique.objects.create(note=draft, modality=modality("swedish"), minutes=20)


def test_addenda_are_append_only(signed_note, database_owner):
    addendum = NoteAddendum.objects.create(
        note=signed_note,
        author=signed_note.signed_by,
        reason="Typo",
        text="Left, not right.",
    )
    NoteAddendum.objects.create(
        note=signed_note,
        author=signed_note.signed_by,
        reason="More",
        text="Also the QL.",
    )
    change = "UPDATE clinic_sessions_noteaddendum SET text = 'changed' WHERE id = %s"
    # The app's role holds no UPDATE on addenda; the owner meets the trigger.
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(change, [addendum.pk])
    with database_owner():
        _refused(change, [addendum.pk])
    assert signed_note.addenda.count() == 2


def test_the_model_refuses_to_save_a_signed_note(signed_note):
    from django.core.exceptions import ValidationError

    signed_note.findings = "rewritten through the ORM"
    with pytest.raises(ValidationError, match="This note is signed"):
        signed_note.save()
