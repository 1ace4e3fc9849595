"""The SOAP-note services: drafts, safety, signing and its lock, addenda, copying."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, ProgrammingError, connection, transaction

from clients.models import ContraindicationRule
from massageclinic.audit import AuditContext
from sessions.models import Appointment, NoteAddendum, NoteTechnique, SessionNote
from sessions.tests.factories import AppointmentFactory
from sessions.treatment import notes as notes_services
from sessions.treatment.notes import (
    SIGNED_MESSAGE,
    note_add_addendum,
    note_copy_previous,
    note_open_or_create,
    note_save_draft,
    note_sign,
)
from sessions.treatment.signature import content_sha256, note_content, note_verify
from sessions.treatment.tests.test_note_helpers import (
    AFTER_VISIT,
    VISIT_START,
    complete_data,
    draft_fixture,  # noqa: F401
    flag,
    plan_with_goals,
    visit_fixture,  # noqa: F401
    write_and_sign,
)
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db


def _save(note: SessionNote, **data) -> SessionNote:
    return note_save_draft(
        note=note,
        data=data,
        by=note.appointment.therapist.user,
        now=AFTER_VISIT,
        context=AuditContext(user=note.appointment.therapist.user),
    )


# --- Opening ------------------------------------------------------------------------


def test_the_therapist_opens_one_draft_per_visit(visit):
    note, created = note_open_or_create(
        appointment=visit,
        by=visit.therapist.user,
        context=AuditContext(user=visit.therapist.user),
    )
    again, created_again = note_open_or_create(
        appointment=visit,
        by=visit.therapist.user,
        context=AuditContext(user=visit.therapist.user),
    )
    assert created and not created_again
    assert again.pk == note.pk
    assert note.therapist == visit.therapist
    assert not note.is_signed


def test_only_the_visits_therapist_starts_its_note(visit, other_therapist):
    with pytest.raises(ValidationError, match="Only the visit's therapist"):
        note_open_or_create(
            appointment=visit,
            by=other_therapist.user,
            context=AuditContext(user=other_therapist.user),
        )
    assert not SessionNote.objects.exists()


def test_a_note_waits_for_the_check_in(therapist):
    booked = AppointmentFactory(therapist=therapist, status=Appointment.Status.BOOKED)
    with pytest.raises(ValidationError, match="once the client has checked in"):
        note_open_or_create(
            appointment=booked,
            by=therapist.user,
            context=AuditContext(user=therapist.user),
        )


# --- Drafts -------------------------------------------------------------------------


def test_a_draft_saves_only_what_it_is_given(draft):
    _save(draft, complaint="  Neck pain  ", pain_before=6)
    _save(draft, findings="Tight trapezius")
    draft.refresh_from_db()
    assert (draft.complaint, draft.pain_before, draft.findings) == (
        "Neck pain",
        6,
        "Tight trapezius",
    )


def test_techniques_are_replaced_by_the_rows_given(draft):
    _save(draft, techniques=[(modality("swedish"), 30), (modality("cupping"), 10)])
    _save(draft, techniques=[(modality("swedish"), 45)])
    assert [(t.modality.slug, t.minutes) for t in draft.techniques.all()] == [
        ("swedish", 45)
    ]


def test_a_technique_listed_twice_is_refused(draft):
    with pytest.raises(ValidationError) as error:
        _save(draft, techniques=[(modality("swedish"), 30), (modality("swedish"), 5)])
    assert "listed twice" in error.value.message_dict["techniques"][0]


def test_bad_values_are_refused_with_their_field(draft):
    with pytest.raises(ValidationError) as error:
        _save(draft, pain_before=11, pressure="brutal", areas_treated=["wings"])
    assert set(error.value.message_dict) == {
        "pain_before",
        "pressure",
        "areas_treated",
    }


def test_areas_are_kept_in_body_chart_order(draft):
    _save(draft, areas_treated=["lower_back", "neck", "head"])
    draft.refresh_from_db()
    assert draft.areas_treated == ["head", "neck", "lower_back"]


def test_measures_are_merged_by_goal(visit, draft):
    _, pain, flexion = plan_with_goals(visit)
    _save(draft, measures={pain.pk: 5, flexion.pk: 135.5})
    _save(draft, measures={pain.pk: None})
    draft.refresh_from_db()
    assert draft.measures == {str(flexion.pk): 135.5}


def test_only_the_notes_therapist_saves_it(draft, other_therapist):
    with pytest.raises(ValidationError, match="Only the visit's therapist"):
        note_save_draft(
            note=draft,
            data={"complaint": "x"},
            by=other_therapist.user,
            now=AFTER_VISIT,
            context=AuditContext(user=other_therapist.user),
        )


# --- Safety -------------------------------------------------------------------------


def test_a_technique_that_needs_care_needs_a_reason(visit, draft):
    flag(visit.client, "anticoagulants")
    with pytest.raises(ValidationError) as error:
        _save(draft, techniques=[(modality("swedish"), 20)])
    assert "Swedish needs care" in error.value.message_dict["safety_reason"][0]
    assert not draft.techniques.exists()

    _save(
        draft,
        techniques=[(modality("swedish"), 20)],
        safety_reason="Kept to moderate pressure throughout.",
    )
    draft.refresh_from_db()
    assert draft.safety_acknowledgement == (
        "Swedish: no firm or deep pressure: anticoagulant\n"
        "Reason: Kept to moderate pressure throughout."
    )


def test_a_technique_the_rules_rule_out_is_refused_whatever_the_reason(visit, draft):
    flag(visit.client, "anticoagulants")
    with pytest.raises(ValidationError) as error:
        _save(
            draft,
            techniques=[(modality("deep-tissue"), 20)],
            safety_reason="Physician approved firm work.",
        )
    message = error.value.message_dict["techniques"][0]
    assert message.startswith("Deep tissue cannot be recorded in this note.")
    assert "Deep tissue is not for" in message and "modification plan" in message
    assert not draft.techniques.exists()


def test_a_reason_given_earlier_does_not_cover_a_new_flagged_technique(visit, draft):
    flag(visit.client, "anticoagulants")
    _save(
        draft,
        techniques=[(modality("swedish"), 20)],
        safety_reason="Kept to moderate pressure.",
    )
    lymph = modality("manual-lymphatic-drainage")
    with pytest.raises(ValidationError) as error:
        _save(draft, techniques=[(modality("swedish"), 20), (lymph, 15)])
    assert "Manual lymphatic drainage" in error.value.message_dict["safety_reason"][0]


def test_safe_techniques_need_no_acknowledgement(visit, draft):
    flag(visit.client, "oil-allergy")
    # Leave the condition one rule, about aromatherapy: Swedish is then plain safe.
    ContraindicationRule.objects.filter(
        condition__slug="oil-allergy", modality=None
    ).delete()
    _save(draft, techniques=[(modality("swedish"), 40)], safety_reason="")
    draft.refresh_from_db()
    assert draft.safety_acknowledgement == ""


def test_a_blocked_technique_is_refused(visit, draft):
    flag(visit.client, "dvt-history", severity="absolute")
    with pytest.raises(ValidationError) as error:
        _save(
            draft,
            techniques=[(modality("swedish"), 30)],
            safety_reason="Client insists",
        )
    assert "cannot be recorded" in error.value.message_dict["techniques"][0]
    assert not draft.techniques.exists()


def test_a_cleared_absolute_flag_no_longer_blocks(visit, draft):
    flag(
        visit.client,
        "dvt-history",
        severity="absolute",
        cleared_on=date(2026, 11, 20),
        cleared_by_physician="Dr. Ana Ruiz",
    )
    # No longer blocked, but a cleared condition still speaks: its terms are
    # acknowledged like any modification.
    with pytest.raises(ValidationError) as error:
        _save(draft, techniques=[(modality("swedish"), 30)])
    message = error.value.message_dict["safety_reason"][0]
    assert "follow the physician's clearance" in message
    _save(
        draft,
        techniques=[(modality("swedish"), 30)],
        safety_reason="Gentle on the legs, as cleared.",
    )
    assert draft.techniques.count() == 1


# --- Signing ------------------------------------------------------------------------


def test_signing_stores_who_when_and_the_hash_of_the_content(draft):
    signed = write_and_sign(draft)
    signed.refresh_from_db()
    assert signed.signed_at == AFTER_VISIT
    assert signed.signed_by == draft.appointment.therapist.user
    techniques = [(t.modality.slug, t.minutes) for t in signed.techniques.all()]
    assert signed.content_sha256 == content_sha256(note_content(signed, techniques))
    assert note_verify(signed)


def test_the_hash_covers_the_content(draft):
    signed = write_and_sign(draft)
    content = note_content(signed, [("swedish", 33), ("myofascial-release", 7)])
    assert content_sha256(content) == signed.content_sha256
    content["pain_after"] = 2
    assert content_sha256(content) != signed.content_sha256


def test_verify_fails_when_the_stored_hash_does_not_match(visit):
    note = SessionNote.objects.create(
        appointment=visit, therapist=visit.therapist, complaint="x"
    )
    note.signed_at = AFTER_VISIT
    note.signed_by = visit.therapist.user
    note.content_sha256 = "0" * 64
    note.save()
    assert not note_verify(note)


def test_a_draft_does_not_verify(draft):
    assert not note_verify(draft)


def test_signing_needs_the_essentials(draft):
    with pytest.raises(ValidationError) as error:
        note_sign(
            note=draft,
            by=draft.appointment.therapist.user,
            now=AFTER_VISIT,
            context=AuditContext(user=draft.appointment.therapist.user),
        )
    (message,) = error.value.messages
    assert message == (
        "Before signing, fill in the chief complaint, pain before (0-10), the areas "
        "treated (tick them on the body chart), at least one technique with its "
        "minutes and pain after (0-10)."
    )
    draft.refresh_from_db()
    assert not draft.is_signed


def test_only_the_notes_therapist_signs(draft, other_therapist, manager):
    _save(draft, **complete_data())
    for someone in (other_therapist.user, manager):
        with pytest.raises(ValidationError, match="Only the visit's therapist"):
            note_sign(
                note=draft,
                by=someone,
                now=AFTER_VISIT,
                context=AuditContext(user=someone),
            )


def test_signing_is_refused_while_a_flagged_technique_is_unacknowledged(visit, draft):
    _save(draft, **complete_data(techniques=[(modality("swedish"), 30)]))
    flag(visit.client, "anticoagulants")  # flagged after the technique was chosen
    with pytest.raises(ValidationError, match="Swedish needs care"):
        note_sign(
            note=draft,
            by=visit.therapist.user,
            now=AFTER_VISIT,
            context=AuditContext(user=visit.therapist.user),
        )


def test_signing_is_refused_for_a_blocked_technique(visit, draft):
    _save(draft, **complete_data())
    flag(visit.client, "fever", severity="absolute")
    with pytest.raises(ValidationError, match="cannot be recorded"):
        note_sign(
            note=draft,
            by=visit.therapist.user,
            now=AFTER_VISIT,
            context=AuditContext(user=visit.therapist.user),
        )


# --- After signing: the service refuses, and the database refuses anyway ----------


def test_the_service_refuses_any_change_to_a_signed_note(draft):
    signed = write_and_sign(draft)
    by = signed.appointment.therapist.user
    with pytest.raises(ValidationError) as error:
        note_save_draft(
            note=signed,
            data={"complaint": "changed"},
            by=by,
            now=AFTER_VISIT,
            context=AuditContext(user=by),
        )
    assert error.value.messages == [SIGNED_MESSAGE]
    with pytest.raises(ValidationError, match="This note is signed"):
        note_sign(note=signed, by=by, now=AFTER_VISIT, context=AuditContext(user=by))
    with pytest.raises(ValidationError, match="This note is signed"):
        note_copy_previous(note=signed, by=by, context=AuditContext(user=by))
    signed.refresh_from_db()
    assert signed.complaint == complete_data()["complaint"]


def test_a_stale_copy_is_refused_by_the_service(draft):
    """Two tabs: one signs, the other still holds the draft."""
    stale = SessionNote.objects.get(pk=draft.pk)
    write_and_sign(draft)
    with pytest.raises(ValidationError, match="This note is signed"):
        _save(stale, complaint="typed in the other tab")


def test_the_databases_refusal_becomes_the_same_message(draft, monkeypatch):
    signed = write_and_sign(draft)
    # Were the service's own check bypassed, the database trigger still refuses.
    monkeypatch.setattr(notes_services, "_locked", lambda note: note)
    with pytest.raises(ValidationError) as error:
        _save(signed, complaint="changed")
    assert error.value.messages == [SIGNED_MESSAGE]
    with pytest.raises(ValidationError, match="This note is signed"):
        _save(signed, techniques=[(modality("swedish"), 10)])


def test_the_database_refuses_a_raw_update_of_a_signed_note(draft):
    signed = write_and_sign(draft)
    with (
        pytest.raises(IntegrityError, match="final"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE clinic_sessions_sessionnote SET pain_after = 0 WHERE id = %s",
            [signed.pk],
        )
    with (
        pytest.raises(IntegrityError),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE clinic_sessions_notetechnique SET minutes = 60 WHERE note_id = %s",
            [signed.pk],
        )
    signed.refresh_from_db()
    assert signed.pain_after == 3
    assert note_verify(signed)


# --- Addenda ------------------------------------------------------------------------


def test_addenda_append_under_a_signed_note(draft):
    signed = write_and_sign(draft)
    therapist_user = signed.appointment.therapist.user
    first = note_add_addendum(
        note=signed,
        by=therapist_user,
        reason="Correction",
        text="Left, not right, shoulder.",
        now=AFTER_VISIT,
        context=AuditContext(user=therapist_user),
    )
    second = note_add_addendum(
        note=signed,
        by=therapist_user,
        reason="Late entry",
        text="Client called: no soreness the next day.",
        now=AFTER_VISIT + timedelta(hours=1),
        context=AuditContext(user=therapist_user),
    )
    assert list(signed.addenda.order_by("created_at", "pk")) == [first, second]
    assert (first.author, second.author) == (therapist_user, therapist_user)
    assert note_verify(signed)  # addenda never touch the signed content
    # The app's role holds no UPDATE on addenda (and the owner meets the trigger:
    # massageclinic/tests/test_least_privilege.py).
    with (
        pytest.raises(ProgrammingError, match="permission denied"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            "UPDATE clinic_sessions_noteaddendum SET text = 'changed' WHERE id = %s",
            [first.pk],
        )


def test_addenda_are_for_signed_notes(draft):
    with pytest.raises(ValidationError, match="still a draft"):
        note_add_addendum(
            note=draft,
            by=draft.appointment.therapist.user,
            reason="x",
            text="y",
            now=AFTER_VISIT,
            context=AuditContext(user=draft.appointment.therapist.user),
        )


def test_others_do_not_add_addenda(draft, other_therapist, front_desk, manager):
    signed = write_and_sign(draft)
    for someone in (other_therapist.user, front_desk, manager):
        with pytest.raises(ValidationError, match="Only the note's therapist adds"):
            note_add_addendum(
                note=signed,
                by=someone,
                reason="x",
                text="y",
                now=AFTER_VISIT,
                context=AuditContext(user=someone),
            )
    assert not NoteAddendum.objects.exists()


def test_an_addendum_needs_a_reason_and_a_text(draft):
    signed = write_and_sign(draft)
    with pytest.raises(ValidationError) as error:
        note_add_addendum(
            note=signed,
            by=signed.appointment.therapist.user,
            reason=" ",
            text="",
            now=AFTER_VISIT,
            context=AuditContext(user=signed.appointment.therapist.user),
        )
    assert set(error.value.message_dict) == {"reason", "text"}


# --- Starting from the previous visit --------------------------------------------------


def _earlier_signed_note(visit: Appointment, **overrides) -> SessionNote:
    earlier = AppointmentFactory(
        client=visit.client,
        therapist=visit.therapist,
        status=Appointment.Status.COMPLETED,
        starts_at=VISIT_START - timedelta(days=7),
        ends_at=VISIT_START - timedelta(days=7) + timedelta(hours=1),
    )
    note, _ = note_open_or_create(
        appointment=earlier,
        by=visit.therapist.user,
        context=AuditContext(user=visit.therapist.user),
    )
    return write_and_sign(note, **overrides)


def test_a_draft_starts_from_the_previous_signed_note(visit, draft):
    _, pain_goal, _ = plan_with_goals(visit)
    previous = _earlier_signed_note(
        visit, measures={pain_goal.pk: 6}, adverse_reactions="Mild soreness"
    )
    _save(draft, complaint="Today's own words")
    result = note_copy_previous(
        note=draft,
        by=visit.therapist.user,
        context=AuditContext(user=visit.therapist.user),
    )
    draft.refresh_from_db()
    assert result.previous == previous
    assert draft.complaint == "Today's own words"  # typed text is never overwritten
    assert draft.findings == previous.findings
    assert draft.next_focus == previous.next_focus
    assert draft.home_care_given == previous.home_care_given
    assert draft.areas_treated == previous.areas_treated
    assert draft.pressure == previous.pressure
    # This visit's own readings are not copied.
    assert draft.pain_before is None and draft.pain_after is None
    assert draft.measures == {}
    assert draft.adverse_reactions == ""
    assert sorted((t.modality.slug, t.minutes) for t in draft.techniques.all()) == [
        ("myofascial-release", 7),
        ("swedish", 33),
    ]
    assert not draft.is_signed


def test_copying_skips_a_technique_ruled_out_today(visit, draft):
    _earlier_signed_note(visit)
    flag(visit.client, "fever", severity="absolute")
    result = note_copy_previous(
        note=draft,
        by=visit.therapist.user,
        context=AuditContext(user=visit.therapist.user),
    )
    assert sorted(result.skipped) == ["Myofascial release", "Swedish"]
    assert not NoteTechnique.objects.filter(note=draft).exists()


def test_only_a_signed_earlier_note_of_the_same_client_is_a_starting_point(
    visit, draft
):
    other_clients = AppointmentFactory(
        therapist=visit.therapist,
        status=Appointment.Status.COMPLETED,
        starts_at=VISIT_START - timedelta(days=3),
        ends_at=VISIT_START - timedelta(days=3) + timedelta(hours=1),
    )
    write_and_sign(
        note_open_or_create(
            appointment=other_clients,
            by=visit.therapist.user,
            context=AuditContext(user=visit.therapist.user),
        )[0]
    )
    with pytest.raises(ValidationError, match="no earlier signed note"):
        note_copy_previous(
            note=draft,
            by=visit.therapist.user,
            context=AuditContext(user=visit.therapist.user),
        )
