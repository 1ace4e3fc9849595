"""The admin has no back door around the booking and note services (issue 9, item 4).

Visits, notes and progress reports are viewed in the admin; they are booked, moved,
written and signed on their pages, where the services check them, keep the visit's
history and message the client.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clients.tests.factories import ClientFactory
from massageclinic.models import clinic_policy
from massageclinic.tests.factories import RoomFactory
from sessions.models import (
    Appointment,
    AppointmentEvent,
    Goal,
    NoteAddendum,
    NoteTechnique,
    OutboundMessage,
    ProgressReport,
    SessionNote,
    TreatmentPlan,
    WaitlistEntry,
)
from sessions.tests.factories import AppointmentFactory, make_plan
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

NINE_AM_NEW_YORK = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


@pytest.fixture(params=["manager", "admin_user"])
def staff(request, client):
    """The admin as the clinic manager, and as a superuser."""
    client.force_login(request.getfixturevalue(request.param))
    return client


def _url(model, view: str, *args: object) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _visit(**fields) -> Appointment:
    clinic_policy()
    fields.setdefault("starts_at", NINE_AM_NEW_YORK)
    fields.setdefault("ends_at", fields["starts_at"] + timedelta(hours=1))
    return AppointmentFactory(**fields)


def _signed_note(visit: Appointment) -> SessionNote:
    note = SessionNote.objects.create(
        appointment=visit,
        therapist=visit.therapist,
        findings="Hypertonic left quadratus lumborum",
        pain_before=7,
        pain_after=4,
    )
    NoteTechnique.objects.create(note=note, modality=modality("swedish"), minutes=40)
    note.signed_at = timezone.now()
    note.signed_by = visit.therapist.user
    note.content_sha256 = "a" * 64
    note.save()
    return note


def _visit_form(visit: Appointment, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "client": visit.client_id,
        "therapist": visit.therapist_id,
        "modality": visit.modality_id,
        "status": "booked",
        "starts_at_0": "2026-12-01",
        "starts_at_1": "11:00:00",
        "ends_at_0": "2026-12-01",
        "ends_at_1": "12:00:00",
        "location": visit.location_id,
        "place": "room",
        "room": visit.room_id,
    }
    data.update(changes)
    return data


# Visits ------------------------------------------------------------------------------


def test_a_visit_cannot_be_added_in_the_admin(staff):
    visit = _visit()
    data = _visit_form(
        visit, client=ClientFactory().pk, therapist=TherapistFactory().pk
    )

    assert staff.get(_url(Appointment, "add")).status_code == 403
    assert staff.post(_url(Appointment, "add"), data).status_code == 403
    changelist = staff.get(_url(Appointment, "changelist"))
    assert changelist.status_code == 200
    assert _url(Appointment, "add") not in changelist.content.decode()
    assert Appointment.objects.count() == 1


def test_changing_a_visits_start_in_the_admin_does_not_move_it(staff):
    visit = _visit()
    before = (visit.starts_at, visit.ends_at, visit.therapist_busy_from)

    response = staff.post(
        _url(Appointment, "change", visit.pk),
        _visit_form(visit, starts_at_1="11:00:00", ends_at_1="12:00:00"),
    )

    assert response.status_code == 403
    visit.refresh_from_db()
    assert (visit.starts_at, visit.ends_at, visit.therapist_busy_from) == before
    assert not AppointmentEvent.objects.filter(appointment=visit).exists()


@pytest.mark.parametrize(
    "change",
    [
        {"status": "cancelled"},
        {"therapist": "other"},
        {"client": "other"},
        {"room": "other"},
        {"place": "home", "room": "", "visit_address": "1 Elm St"},
    ],
    ids=["status", "therapist", "client", "room", "place"],
)
def test_no_scheduling_field_of_a_visit_changes_in_the_admin(staff, change):
    visit = _visit()
    others = {
        "therapist": TherapistFactory().pk,
        "client": ClientFactory().pk,
        "room": RoomFactory(location=visit.location).pk,
    }
    data = _visit_form(visit, starts_at_1="09:00:00", ends_at_1="10:00:00")
    data.update({k: others.get(k, v) if v == "other" else v for k, v in change.items()})
    before = Appointment.objects.values().get(pk=visit.pk)

    response = staff.post(_url(Appointment, "change", visit.pk), data)

    assert response.status_code == 403
    assert Appointment.objects.values().get(pk=visit.pk) == before


def test_the_visit_is_shown_in_local_time_with_a_link_to_its_page(staff):
    visit = _visit()

    page = staff.get(_url(Appointment, "change", visit.pk)).content.decode()

    assert "Tue 2026-12-01 09:00 EST" in page
    assert "America/New_York" in page
    assert reverse("sessions:visit", args=[visit.pk]) in page
    assert 'name="starts_at_0"' not in page
    assert 'name="_save"' not in page


def test_hostile_values_on_the_visit_admin_never_crash(staff):
    _visit()
    add = staff.post(
        _url(Appointment, "add"),
        {"therapist": "99999999999999999999", "location": "x", "starts_at_0": "\x00"},
    )

    assert add.status_code == 403
    for object_id in ["abc", "0", "-1", "99999999999999999999", "1%00", "%2F"]:
        url = f"/admin/clinic_sessions/appointment/{object_id}/change/"
        assert staff.get(url).status_code in {302, 404}
        assert staff.post(url, {"starts_at_0": "x"}).status_code in {302, 403, 404}


# Notes ---------------------------------------------------------------------------------


def test_a_signed_note_cannot_be_changed_through_any_admin_form(staff):
    visit = _visit(status=Appointment.Status.COMPLETED)
    note = _signed_note(visit)
    technique = note.techniques.get()
    visit_before = Appointment.objects.values().get(pk=visit.pk)

    note_post = staff.post(
        _url(SessionNote, "change", note.pk),
        {"findings": "changed", "techniques-0-minutes": "10"},
    )
    technique_post = staff.post(
        _url(NoteTechnique, "change", technique.pk),
        {"note": note.pk, "modality": technique.modality_id, "minutes": "10"},
    )
    # The signed record's visit (who, when) is part of what was signed.
    visit_post = staff.post(
        _url(Appointment, "change", visit.pk),
        _visit_form(
            visit,
            status="completed",
            therapist=TherapistFactory().pk,
            starts_at_1="15:00:00",
            ends_at_1="16:00:00",
        ),
    )

    assert (note_post.status_code, technique_post.status_code) == (403, 403)
    assert visit_post.status_code == 403
    note.refresh_from_db()
    technique.refresh_from_db()
    assert note.findings == "Hypertonic left quadratus lumborum"
    assert technique.minutes == 40
    assert Appointment.objects.values().get(pk=visit.pk) == visit_before


def test_a_draft_note_is_written_on_the_note_page_not_in_the_admin(staff):
    visit = _visit(status=Appointment.Status.COMPLETED)
    note = SessionNote.objects.create(appointment=visit, therapist=visit.therapist)

    response = staff.post(
        _url(SessionNote, "change", note.pk),
        {"appointment": visit.pk, "therapist": visit.therapist_id, "findings": "x"},
    )
    added = staff.post(
        _url(NoteTechnique, "add"),
        {"note": note.pk, "modality": modality("swedish").pk, "minutes": "45"},
    )

    assert (response.status_code, added.status_code) == (403, 403)
    note.refresh_from_db()
    assert note.findings == ""
    assert not note.techniques.exists()
    page = staff.get(_url(SessionNote, "change", note.pk)).content.decode()
    assert reverse("sessions:note", args=[visit.pk]) in page


def test_a_note_cannot_be_added_in_the_admin(staff):
    visit = _visit(status=Appointment.Status.COMPLETED)

    response = staff.post(
        _url(SessionNote, "add"),
        {"appointment": visit.pk, "therapist": visit.therapist_id, "findings": "x"},
    )

    assert response.status_code == 403
    assert not SessionNote.objects.exists()


def test_no_one_adds_an_addendum_in_the_admin(admin_client, other_therapist):
    """The note's therapist adds addenda on the note page; a superuser reads them here."""
    visit = _visit(status=Appointment.Status.COMPLETED)
    note = _signed_note(visit)
    add = _url(NoteAddendum, "add")
    entry = {"reason": "Late entry", "text": "Client called."}

    by_superuser = admin_client.post(add, {"note": note.pk, **entry})
    other_therapist.user.is_staff = True
    other_therapist.user.save()
    admin_client.force_login(other_therapist.user)
    by_someone_else = admin_client.post(add, {"note": note.pk, **entry})

    assert (by_superuser.status_code, by_someone_else.status_code) == (403, 403)
    assert not NoteAddendum.objects.exists()


@pytest.mark.parametrize("note", ["abc", "99999999999999999999", "", "-5"])
def test_hostile_addendum_values_are_refused_without_a_crash(admin_client, note):
    response = admin_client.post(
        _url(NoteAddendum, "add"), {"note": note, "reason": "\x00", "text": "y" * 9999}
    )

    assert response.status_code == 403
    assert not NoteAddendum.objects.exists()


def test_a_written_progress_report_cannot_be_changed(staff, admin_user):
    visit = _visit()
    plan = make_plan(client=visit.client, therapist=visit.therapist)
    report = ProgressReport.objects.create(
        plan=plan,
        therapist=visit.therapist,
        period_start=plan.starts_on,
        period_end=plan.review_on,
        assessment="Pain down from 7 to 4.",
        recommendation="Six more visits.",
        created_by=admin_user,
    )

    response = staff.post(
        _url(ProgressReport, "change", report.pk),
        {
            "plan": plan.pk,
            "therapist": visit.therapist_id,
            "period_start": "2026-03-03",
            "period_end": "2026-04-14",
            "assessment": "Rewritten after sending.",
            "recommendation": "None.",
        },
    )

    assert response.status_code == 403
    report.refresh_from_db()
    assert report.assessment == "Pain down from 7 to 4."
    assert staff.get(_url(ProgressReport, "add")).status_code == 403


# Messages ------------------------------------------------------------------------------


def _failed_message(visit: Appointment) -> OutboundMessage:
    return OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.REMINDER,
        appointment=visit,
        client=visit.client,
        to_email=visit.client.email,
        send_at=visit.starts_at - timedelta(days=2),
        status=OutboundMessage.Status.FAILED,
        attempts=3,
        last_error="SMTP timeout",
    )


def test_retrying_a_message_in_the_admin_uses_the_outbox_service(staff):
    message = _failed_message(_visit())

    response = staff.post(
        _url(OutboundMessage, "changelist"),
        {"action": "retry", "_selected_action": [message.pk]},
    )

    assert response.status_code == 302
    message.refresh_from_db()
    # The service gives a retried message a fresh set of attempts.
    assert (message.status, message.attempts, message.last_error) == (
        OutboundMessage.Status.PENDING,
        0,
        "",
    )


def test_the_message_form_retries_through_the_outbox_service(staff):
    message = _failed_message(_visit())
    change = _url(OutboundMessage, "change", message.pk)

    response = staff.post(change, {"status": "pending"})

    assert response.status_code == 302
    message.refresh_from_db()
    # The service's retry: a fresh set of attempts, the old error cleared.
    assert (message.status, message.attempts, message.last_error) == (
        OutboundMessage.Status.PENDING,
        0,
        "",
    )

    cancelled = _failed_message(
        _visit(status=Appointment.Status.CANCELLED, cancelled_at=timezone.now())
    )
    refused = staff.post(
        _url(OutboundMessage, "change", cancelled.pk), {"status": "pending"}
    )
    assert refused.status_code == 200
    assert "not sent again" in refused.content.decode()
    cancelled.refresh_from_db()
    assert cancelled.status == OutboundMessage.Status.FAILED


def test_a_plan_is_changed_on_its_page_not_in_the_admin(staff):
    visit = _visit()
    plan = make_plan(client=visit.client, therapist=visit.therapist)
    page = staff.get(_url(TreatmentPlan, "change", plan.pk)).content.decode()
    assert reverse("sessions:plan", args=[plan.pk]) in page
    assert staff.get(_url(TreatmentPlan, "add")).status_code == 403
    response = staff.post(
        _url(TreatmentPlan, "change", plan.pk),
        {"status": TreatmentPlan.Status.DISCONTINUED, "visits_planned": "99"},
    )
    assert response.status_code == 403
    plan.refresh_from_db()
    assert (plan.status, plan.visits_planned) == (TreatmentPlan.Status.ACTIVE, 12)
    goal = plan.goals.first()
    assert staff.post(_url(Goal, "change", goal.pk), {"target": "0"}).status_code == 403


def test_the_waitlist_is_kept_on_its_page_not_in_the_admin(staff):
    assert staff.get(_url(WaitlistEntry, "add")).status_code == 403
    assert staff.get(_url(WaitlistEntry, "changelist")).status_code == 200
