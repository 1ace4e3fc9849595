"""The SOAP-note pages: who may open them, saving as typed, units, signing (and the
409 after it), addenda, the list of notes to sign."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse

from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent, clinic_policy
from sessions.models import Appointment, NoteAddendum, SessionNote
from sessions.tests.factories import AppointmentFactory
from sessions.treatment.notes import SIGNED_MESSAGE, note_open_or_create
from sessions.treatment.signature import note_verify
from sessions.treatment.tests.test_note_helpers import (
    AFTER_VISIT,
    VISIT_END,
    VISIT_START,
    draft_fixture,  # noqa: F401
    flag,
    form_post,
    plan_with_goals,
    visit_fixture,  # noqa: F401
    write_and_sign,
)
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _after_the_visit():
    with time_machine.travel(AFTER_VISIT, tick=False):
        yield


def _url(name: str, visit: Appointment) -> str:
    return reverse(f"sessions:{name}", args=[visit.pk])


def _note(visit: Appointment) -> SessionNote:
    return SessionNote.objects.get(appointment=visit)


# --- Opening the note -----------------------------------------------------------------


def test_the_therapist_opens_the_note_of_a_checked_in_visit(client, therapist, visit):
    client.force_login(therapist.user)
    response = client.get(_url("note", visit))
    assert response.status_code == 200
    note = _note(visit)
    assert not note.is_signed
    page = response.content.decode()
    assert 'name="complaint"' in page
    assert "Areas treated" in page
    assert 'id="area-neck"' in page  # the body chart's checkboxes
    assert AuditEvent.objects.filter(
        action="create", object_id=note.pk, user=therapist.user
    ).exists()
    client.get(_url("note", visit))
    assert SessionNote.objects.count() == 1
    assert AuditEvent.objects.filter(action="view", object_id=note.pk).exists()


def test_a_visit_not_yet_checked_in_has_no_note(client, therapist):
    booked = AppointmentFactory(therapist=therapist, status=Appointment.Status.BOOKED)
    client.force_login(therapist.user)
    response = client.get(_url("note", booked), follow=True)
    assert response.redirect_chain[-1][0] == reverse("sessions:visit", args=[booked.pk])
    assert "once the client has checked in" in response.content.decode()
    assert not SessionNote.objects.exists()


def test_the_page_shows_the_clients_alerts(client, therapist, visit):
    flag(visit.client, "anticoagulants")
    client.force_login(therapist.user)
    page = client.get(_url("note", visit)).content.decode()
    assert "anticoagulant" in page
    assert "Your reason for these techniques today" in page


def test_the_page_asks_for_each_goals_measure(client, therapist, visit):
    _, pain, flexion = plan_with_goals(visit)
    client.force_login(therapist.user)
    page = client.get(_url("note", visit)).content.decode()
    assert "Right shoulder flexion (degrees)" in page
    assert "Baseline 120 · target 170" in page or "baseline 120 · target 170" in page
    assert f'name="measure_{pain.pk}"' in page
    assert f'name="measure_{flexion.pk}"' in page


# --- Access (DESIGN section 6) -----------------------------------------------------------


def test_the_front_desk_gets_no_note_page(client, front_desk, draft, visit):
    client.force_login(front_desk)
    for name in ("note", "note_autosave", "note_units", "note_sign", "note_addendum"):
        method = client.get if name == "note" else client.post
        assert method(_url(name, visit)).status_code == 403, name
    assert client.get(reverse("sessions:notes_to_sign")).status_code == 403


def test_the_front_desk_sees_only_whether_it_is_signed(
    client, front_desk, draft, visit
):
    client.force_login(front_desk)
    page = client.get(reverse("sessions:visit", args=[visit.pk])).content.decode()
    assert "unsigned" in page
    signed = write_and_sign(draft)
    page = client.get(reverse("sessions:visit", args=[visit.pk])).content.decode()
    assert "signed" in page
    assert signed.complaint not in page and signed.findings not in page


def test_a_therapist_who_does_not_treat_the_client_gets_404(
    client, other_therapist, draft, visit
):
    client.force_login(other_therapist.user)
    assert client.get(_url("note", visit)).status_code == 404
    assert client.post(_url("note_autosave", visit), form_post()).status_code == 404


def test_a_therapist_who_treats_the_client_reads_but_does_not_write(
    client, other_therapist, draft, visit
):
    AppointmentFactory(
        client=visit.client,
        therapist=other_therapist,
        starts_at=VISIT_START + timedelta(days=7),
        ends_at=VISIT_END + timedelta(days=7),
    )
    write_and_sign(draft)
    client.force_login(other_therapist.user)
    response = client.get(_url("note", visit))
    assert response.status_code == 200
    page = response.content.decode()
    assert draft.findings in page
    assert 'name="complaint"' not in page
    assert "Add an addendum" not in page  # not theirs
    for name in ("note", "note_autosave", "note_sign", "note_copy_previous"):
        assert client.post(_url(name, visit), form_post()).status_code == 403, name
    assert (
        client.post(
            _url("note_addendum", visit), {"reason": "x", "text": "y"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(
        action="view", user=other_therapist.user, object_id=draft.pk
    ).exists()


def test_the_manager_reads_every_note_and_writes_none(client, manager, draft, visit):
    client.force_login(manager)
    response = client.get(_url("note", visit))
    assert response.status_code == 200
    assert 'name="complaint"' not in response.content.decode()
    assert "has not signed it yet" in response.content.decode()
    response = client.post(_url("note_autosave", visit), form_post(), **HTMX)
    assert response.status_code == 403
    assert _note(visit).complaint == ""


def test_the_manager_opening_a_visit_without_note_creates_none(client, manager, visit):
    client.force_login(manager)
    response = client.get(_url("note", visit))
    assert response.status_code == 200
    assert "has not written a note" in response.content.decode()
    assert not SessionNote.objects.exists()


# --- Saving as typed ----------------------------------------------------------------------


def test_autosave_keeps_the_draft_across_a_reload(client, therapist, draft, visit):
    _, _, flexion = plan_with_goals(visit)
    client.force_login(therapist.user)
    response = client.post(
        _url("note_autosave", visit),
        form_post(**{f"measure_{flexion.pk}": "135"}),
        **HTMX,
    )
    assert response.status_code == 200
    assert "Saved" in response.content.decode()
    note = _note(visit)
    assert note.complaint == "Right neck and shoulder pain after desk work"
    assert note.areas_treated == ["neck", "shoulder_right"]
    assert note.measures == {str(flexion.pk): 135}
    assert sorted((t.modality.slug, t.minutes) for t in note.techniques.all()) == [
        ("myofascial-release", 7),
        ("swedish", 33),
    ]
    page = client.get(_url("note", visit)).content.decode()
    assert "Right neck and shoulder pain after desk work</textarea>" in page
    assert 'value="neck" id="area-neck" checked' in page
    assert 'value="33"' in page
    assert 'value="135"' in page


def test_autosave_keeps_what_is_valid_and_names_the_rest(
    client, therapist, draft, visit
):
    client.force_login(therapist.user)
    response = client.post(
        _url("note_autosave", visit), form_post(pain_before="11"), **HTMX
    )
    assert response.status_code == 200
    status = response.content.decode()
    assert "except" in status
    assert "Pain before (0-10)" in status
    note = _note(visit)
    assert note.pain_before is None
    assert note.findings == "Hypertonic right upper trapezius"


def test_saving_the_whole_form_redirects_back_to_it(client, therapist, draft, visit):
    client.force_login(therapist.user)
    response = client.post(_url("note", visit), form_post())
    assert response.status_code == 302
    assert _note(visit).next_focus == "Levator scapulae"


def test_a_bad_field_comes_back_with_its_message(client, therapist, draft, visit):
    client.force_login(therapist.user)
    response = client.post(_url("note", visit), form_post(pain_after="eleven"))
    assert response.status_code == 400
    page = response.content.decode()
    assert "Enter a whole number." in page
    assert "Tissue softened" in page  # nothing typed is lost
    assert _note(visit).response == "Tissue softened"  # and the rest is saved


def test_another_technique_row_on_demand(client, therapist, draft, visit):
    client.force_login(therapist.user)
    response = client.post(_url("note", visit), form_post(add_row="1"))
    assert response.status_code == 302
    assert response["Location"].endswith("?rows=4#techniques")
    page = client.get(response["Location"]).content.decode()
    assert 'name="techniques-3-modality"' in page
    assert 'name="techniques-4-modality"' not in page


def test_a_technique_twice_is_a_form_error(client, therapist, draft, visit):
    client.force_login(therapist.user)
    swedish = str(modality("swedish").pk)
    response = client.post(
        _url("note", visit),
        form_post(**{"techniques-1-modality": swedish}),
    )
    assert response.status_code == 400
    assert "Swedish is listed twice" in response.content.decode()


# --- Units as typed ------------------------------------------------------------------------


def test_units_are_shown_per_code_as_typed(client, therapist, draft, visit):
    client.force_login(therapist.user)
    response = client.post(_url("note_units", visit), form_post(), **HTMX)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="note-units"' in page
    rows = " ".join(page.split())
    assert '<th scope="row">97124</th> <td class="text-end">33</td>' in rows
    assert "<strong>2</strong>" in rows and "<strong>1</strong>" in rows
    assert "<strong>3</strong>" in rows  # in all
    assert not _note(visit).techniques.exists()  # only computed, not saved


def test_units_warn_about_a_flagged_technique_as_it_is_chosen(
    client, therapist, draft, visit
):
    flag(visit.client, "anticoagulants")
    client.force_login(therapist.user)
    cupping = str(modality("cupping").pk)
    response = client.post(
        _url("note_units", visit),
        form_post(**{"techniques-2-modality": cupping, "techniques-2-minutes": "5"}),
        **HTMX,
    )
    page = response.content.decode()
    assert 'id="technique-safety"' in page and 'hx-swap-oob="true"' in page
    assert "Cupping" in page and "needs care" in page


# --- Safety on the page --------------------------------------------------------------------


def test_a_flagged_technique_needs_the_reason_on_the_page(
    client, therapist, draft, visit
):
    flag(visit.client, "anticoagulants")
    client.force_login(therapist.user)
    lymph = str(modality("manual-lymphatic-drainage").pk)
    data = form_post(**{"techniques-2-modality": lymph, "techniques-2-minutes": "10"})
    response = client.post(_url("note", visit), data)
    assert response.status_code == 400
    assert "Manual lymphatic drainage needs care" in response.content.decode()
    assert not _note(visit).techniques.exists()
    response = client.post(
        _url("note", visit), {**data, "safety_reason": "Physician approved."}
    )
    assert response.status_code == 302
    note = _note(visit)
    assert note.techniques.count() == 3
    assert note.safety_acknowledgement.endswith("Reason: Physician approved.")


def test_a_blocked_technique_is_refused_on_the_page(client, therapist, draft, visit):
    flag(visit.client, "fever", severity="absolute")
    client.force_login(therapist.user)
    response = client.post(_url("note", visit), form_post(safety_reason="x"))
    assert response.status_code == 400
    assert "cannot be recorded" in response.content.decode()
    assert not _note(visit).techniques.exists()


# --- Signing -----------------------------------------------------------------------------


def test_signing_from_the_page(client, therapist, draft, visit):
    client.force_login(therapist.user)
    response = client.post(_url("note_sign", visit), form_post())
    assert response.status_code == 302
    note = _note(visit)
    assert note.is_signed
    assert note.signed_by == therapist.user
    assert note.signed_at == AFTER_VISIT
    assert note_verify(note)
    page = client.get(_url("note", visit)).content.decode()
    assert "Signed by" in page and note.content_sha256 in page
    assert "The content matches its signature." in page
    assert 'name="complaint"' not in page  # read-only
    assert "Add an addendum" in page
    assert AuditEvent.objects.filter(summary="Signed the note").exists()


def test_signing_says_what_is_missing(client, therapist, draft, visit):
    client.force_login(therapist.user)
    response = client.post(_url("note_sign", visit), form_post(pain_after=""))
    assert response.status_code == 400
    page = response.content.decode()
    assert "The note was not signed." in page
    assert "Before signing, fill in pain after (0-10)." in page
    assert not _note(visit).is_signed


@pytest.mark.parametrize(
    "name", ["note", "note_autosave", "note_sign", "note_copy_previous", "note_units"]
)
def test_any_edit_of_a_signed_note_is_a_409(client, therapist, draft, visit, name):
    write_and_sign(draft)
    client.force_login(therapist.user)
    response = client.post(_url(name, visit), form_post(complaint="rewritten"))
    assert response.status_code == 409
    assert SIGNED_MESSAGE in response.content.decode()
    assert _note(visit).complaint != "rewritten"


def test_htmx_is_told_to_reload_a_note_signed_meanwhile(
    client, therapist, draft, visit
):
    write_and_sign(draft)
    client.force_login(therapist.user)
    response = client.post(_url("note_autosave", visit), form_post(), **HTMX)
    assert response.status_code == 409
    assert response["HX-Refresh"] == "true"


# --- Addenda -----------------------------------------------------------------------------


def test_addenda_are_added_under_the_signed_note(client, therapist, draft, visit):
    write_and_sign(draft)
    client.force_login(therapist.user)
    response = client.post(
        _url("note_addendum", visit),
        {"reason": "Late entry", "text": "Client called: no soreness."},
    )
    assert response.status_code == 302
    response = client.post(
        _url("note_addendum", visit),
        {"reason": "Correction", "text": "Left shoulder, not right."},
    )
    assert response.status_code == 302
    page = client.get(_url("note", visit)).content.decode()
    assert page.index("Client called: no soreness.") < page.index("Left shoulder")
    assert "Reason: Late entry" in page
    assert NoteAddendum.objects.count() == 2
    assert (
        AuditEvent.objects.filter(
            action="create", object_type="clinic_sessions.NoteAddendum"
        ).count()
        == 2
    )


def test_the_manager_reads_the_addenda_and_adds_none(client, manager, draft, visit):
    """DESIGN.md section 6: the clinic manager reads notes and never writes them."""
    write_and_sign(draft)
    client.force_login(manager)

    page = client.get(_url("note", visit))
    refused = client.post(
        _url("note_addendum", visit),
        {"reason": "Billing review", "text": "Minutes checked."},
    )

    assert page.status_code == 200
    assert 'name="reason"' not in page.content.decode()
    assert refused.status_code == 403
    assert not NoteAddendum.objects.exists()


def test_an_addendum_without_reason_comes_back(client, therapist, draft, visit):
    write_and_sign(draft)
    client.force_login(therapist.user)
    response = client.post(_url("note_addendum", visit), {"reason": "", "text": "x"})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not NoteAddendum.objects.exists()


# --- Start from the previous visit ----------------------------------------------------------


def test_the_draft_starts_from_the_previous_visits_note(client, therapist, visit):
    earlier = AppointmentFactory(
        client=visit.client,
        therapist=therapist,
        status=Appointment.Status.COMPLETED,
        starts_at=VISIT_START - timedelta(days=7),
        ends_at=VISIT_END - timedelta(days=7),
    )
    previous = write_and_sign(
        note_open_or_create(
            appointment=earlier,
            by=therapist.user,
            context=AuditContext(user=therapist.user),
        )[0]
    )
    client.force_login(therapist.user)
    page = client.get(_url("note", visit)).content.decode()
    assert "Start from the previous visit's note" in page
    response = client.post(_url("note_copy_previous", visit), follow=True)
    assert "Copied from the note of" in response.content.decode()
    note = _note(visit)
    assert note.findings == previous.findings
    assert note.pain_before is None
    assert note.techniques.count() == 2


# --- Notes to sign --------------------------------------------------------------------------


def _to_sign_rows(client) -> str:
    response = client.get(reverse("sessions:notes_to_sign"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_list_shows_drafts_and_visits_without_a_note(
    client, therapist, other_therapist, visit
):
    completed = AppointmentFactory(
        therapist=therapist,
        status=Appointment.Status.COMPLETED,
        starts_at=VISIT_START - timedelta(days=1),
        ends_at=VISIT_END - timedelta(days=1),
    )
    signed = AppointmentFactory(
        therapist=therapist,
        status=Appointment.Status.COMPLETED,
        starts_at=VISIT_START - timedelta(days=2),
        ends_at=VISIT_END - timedelta(days=2),
    )
    write_and_sign(
        note_open_or_create(
            appointment=signed,
            by=therapist.user,
            context=AuditContext(user=therapist.user),
        )[0]
    )
    booked = AppointmentFactory(
        therapist=therapist,
        status=Appointment.Status.BOOKED,
        starts_at=VISIT_START + timedelta(days=1),
        ends_at=VISIT_END + timedelta(days=1),
    )
    theirs = AppointmentFactory(
        therapist=other_therapist, status=Appointment.Status.COMPLETED
    )
    note_open_or_create(
        appointment=visit, by=therapist.user, context=AuditContext(user=therapist.user)
    )
    client.force_login(therapist.user)
    page = _to_sign_rows(client)
    assert completed.client.full_name in page
    assert visit.client.full_name in page
    assert "Not written yet" in page and "Draft" in page
    assert signed.client.full_name not in page
    assert booked.client.full_name not in page
    assert theirs.client.full_name not in page


def test_a_note_unsigned_48_hours_after_the_visit_is_overdue(client, therapist, visit):
    note_open_or_create(
        appointment=visit, by=therapist.user, context=AuditContext(user=therapist.user)
    )
    with time_machine.travel(VISIT_END + timedelta(hours=47, minutes=59), tick=False):
        client.force_login(therapist.user)
        assert "Overdue" not in _to_sign_rows(client)
    with time_machine.travel(VISIT_END + timedelta(hours=48, minutes=1), tick=False):
        client.force_login(therapist.user)
        page = _to_sign_rows(client)
        assert "Overdue" in page and "1 overdue" in page


def test_the_deadline_is_the_clinics_policy(client, therapist, visit):
    policy = clinic_policy()
    policy.note_sign_deadline = timedelta(hours=24)
    policy.save()
    with time_machine.travel(VISIT_END + timedelta(hours=25), tick=False):
        client.force_login(therapist.user)
        assert "Overdue" in _to_sign_rows(client)


def test_the_manager_sees_every_therapists_unsigned_notes(
    client, manager, therapist, other_therapist, visit
):
    theirs = AppointmentFactory(
        therapist=other_therapist, status=Appointment.Status.CHECKED_IN
    )
    client.force_login(manager)
    page = _to_sign_rows(client)
    assert visit.client.full_name in page and theirs.client.full_name in page
    assert "Write the note" not in page  # the manager does not write them


def _visits_waiting(therapist, days: range) -> None:
    for day in days:
        visit = AppointmentFactory(
            therapist=therapist,
            status=Appointment.Status.COMPLETED,
            starts_at=VISIT_START - timedelta(days=day + 1),
            ends_at=VISIT_END - timedelta(days=day + 1),
        )
        if day % 2:
            note_open_or_create(
                appointment=visit,
                by=therapist.user,
                context=AuditContext(user=therapist.user),
            )


def test_the_list_runs_a_fixed_number_of_queries(
    client, therapist, django_assert_num_queries
):
    client.force_login(therapist.user)
    _visits_waiting(therapist, range(2))
    _to_sign_rows(client)  # warm up: the session, the policy row
    # The session, its user, their roles, the policy, the rows.
    with django_assert_num_queries(5) as few:
        _to_sign_rows(client)
    _visits_waiting(therapist, range(2, 14))  # 14 rows now
    with django_assert_num_queries(len(few.captured_queries)):
        page = _to_sign_rows(client)
    assert page.count("Write the note") + page.count("Finish and sign") == 14
