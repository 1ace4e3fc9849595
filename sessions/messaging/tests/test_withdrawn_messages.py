"""A visit booked and cancelled inside the grace period says nothing: no intake form,
no desk notice. And the clinic organizes the visits it puts in calendars."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from icalendar import Calendar

from clients.models import Authorization, InsurancePolicy, Payer
from sessions.messaging.render import email_for
from sessions.messaging.tests import test_messaging as one_process
from sessions.messaging.tests.test_messaging import GRACE, NOW, VISIT, _book, _deliver
from sessions.models import OutboundMessage
from sessions.scheduling.booking import appointment_cancel

pytestmark = pytest.mark.django_db

# The clinic, its client and the desk of the one-process message tests.
clinic = one_process.clinic
patient = one_process.patient
desk = one_process.desk

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status


def _cancel(visit, desk, minutes: int = 1):
    return appointment_cancel(
        appointment=visit,
        by=desk,
        reason="booked by mistake",
        now=NOW + timedelta(minutes=minutes),
    )


def test_a_new_client_booked_and_cancelled_at_once_gets_no_intake_form(
    clinic, patient, desk, mailoutbox
):
    visit = _book(clinic, patient, desk)
    intake = OutboundMessage.objects.get(kind=Kind.INTAKE_REQUEST)
    # Tied to the visit, and held for the grace period like its confirmation.
    assert (intake.appointment, intake.send_at) == (visit, NOW + GRACE)

    _cancel(visit, desk)
    _deliver(NOW + timedelta(hours=1))

    intake.refresh_from_db()
    assert intake.status == Status.CANCELLED
    assert mailoutbox == []


def test_the_intake_form_follows_to_the_next_visit_when_one_is_cancelled(
    clinic, patient, desk, mailoutbox
):
    first = _book(clinic, patient, desk)
    second = _book(clinic, patient, desk, starts_at=VISIT + timedelta(days=7))
    _cancel(first, desk)

    intake = OutboundMessage.objects.get(kind=Kind.INTAKE_REQUEST)
    assert (intake.status, intake.appointment) == (Status.PENDING, second)
    _deliver(NOW + GRACE)
    assert [m.subject for m in mailoutbox if "intake" in m.subject] == [
        "Your intake form for Riverside Medical Massage"
    ]


def test_booking_again_after_a_withdrawn_intake_form_sends_a_fresh_one(
    clinic, patient, desk, mailoutbox
):
    _cancel(_book(clinic, patient, desk), desk)
    _book(clinic, patient, desk, starts_at=VISIT + timedelta(days=1))

    live = OutboundMessage.objects.filter(kind=Kind.INTAKE_REQUEST, status="pending")
    assert live.count() == 1
    _deliver(NOW + timedelta(minutes=5))
    assert sum("intake form" in m.subject for m in mailoutbox) == 1


def test_an_intake_form_that_went_out_anyway_is_not_sent_again(clinic, patient, desk):
    """Cancelled while it was being sent, the email went out all the same: the client
    has a working link, so booking again makes no second one."""
    _cancel(_book(clinic, patient, desk), desk)
    OutboundMessage.objects.filter(kind=Kind.INTAKE_REQUEST).update(sent_at=NOW + GRACE)
    _book(clinic, patient, desk, starts_at=VISIT + timedelta(days=1))
    assert OutboundMessage.objects.filter(kind=Kind.INTAKE_REQUEST).count() == 1


@pytest.fixture
def authorization(patient):
    payer = Payer.objects.create(name="Empire Health")
    policy = InsurancePolicy.objects.create(
        client=patient, payer=payer, member_id="X123"
    )
    return Authorization.objects.create(
        policy=policy,
        number="AUTH-77",
        visits_authorized=2,
        valid_from=date(2026, 10, 1),
        valid_to=date(2026, 12, 31),
    )


def test_the_authorization_notice_is_withdrawn_with_the_visit_that_brought_it(
    clinic, patient, desk, authorization, mailoutbox
):
    visit = _book(clinic, patient, desk)  # one of two left: it nears its end
    notice = OutboundMessage.objects.get(kind=Kind.AUTHORIZATION_NOTICE)
    assert notice.appointment == visit

    _cancel(visit, desk)
    _deliver(NOW + timedelta(hours=1))

    notice.refresh_from_db()
    assert notice.status == Status.CANCELLED
    assert mailoutbox == []

    # Booked again for real, the authorization nears its end again: the desk hears.
    again = _book(clinic, patient, desk, starts_at=VISIT + timedelta(days=2))
    notice.refresh_from_db()
    assert (notice.status, notice.appointment) == (Status.PENDING, again)
    _deliver(NOW + timedelta(hours=2))
    assert [m.to for m in mailoutbox if "AUTH-77" in m.subject] == [
        ["desk@clinic.test"]
    ]


def test_the_notice_stays_when_the_authorization_still_nears_its_end(
    clinic, patient, desk, authorization
):
    first = _book(clinic, patient, desk)
    second = _book(clinic, patient, desk, starts_at=VISIT + timedelta(days=7))
    notice = OutboundMessage.objects.get(kind=Kind.AUTHORIZATION_NOTICE)
    assert notice.appointment == first

    _cancel(first, desk)  # one still booked of two authorized: one left

    notice.refresh_from_db()
    assert (notice.status, notice.appointment) == (Status.PENDING, second)


def test_the_calendar_names_the_clinic_as_organizer(clinic, patient, desk):
    visit = _book(clinic, patient, desk)
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    (part,) = email_for(row, NOW + GRACE).attachments
    (event,) = Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")

    organizer = event["organizer"]
    assert str(organizer) == "mailto:no-reply@localhost"
    assert organizer.params["CN"] == clinic["location"].name

    OutboundMessage.objects.filter(pk=row.pk).update(status=Status.SENT, sent_at=NOW)
    _cancel(visit, desk, minutes=10)
    notice = OutboundMessage.objects.get(appointment=visit, kind=Kind.CANCELLATION)
    (part,) = email_for(notice, NOW + timedelta(minutes=20)).attachments
    calendar = Calendar.from_ical(part.get_payload(decode=True))
    assert calendar["method"] == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["organizer"]) == "mailto:no-reply@localhost"


def _confirmation_of_unknown_outcome(visit) -> OutboundMessage:
    """The mail server took the whole confirmation and never confirmed it."""
    row = OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)
    OutboundMessage.objects.filter(pk=row.pk).update(
        status=Status.FAILED,
        message_id="<clinic-unknown@example.org>",
        last_error="Outcome unknown: ...",
        sent_at=NOW + GRACE,
    )
    row.refresh_from_db()
    return row


def test_a_moved_visit_whose_confirmation_may_have_arrived_is_told_under_a_new_id(
    clinic, patient, desk
):
    from sessions.scheduling.booking import appointment_reschedule

    visit = _book(clinic, patient, desk)
    first = _confirmation_of_unknown_outcome(visit)
    appointment_reschedule(
        appointment=visit,
        by=desk,
        now=NOW + timedelta(minutes=10),
        starts_at=VISIT + timedelta(hours=2),
    )
    again = OutboundMessage.objects.get(pk=first.pk)
    assert again.status == Status.PENDING
    # The client may hold the first: the corrected one must not read as its copy.
    assert again.message_id != first.message_id


def test_a_cancelled_visit_whose_confirmation_may_have_arrived_gets_a_notice(
    clinic, patient, desk
):
    visit = _book(clinic, patient, desk)
    _confirmation_of_unknown_outcome(visit)
    _cancel(visit, desk, minutes=10)
    assert OutboundMessage.objects.filter(
        appointment=visit, kind=Kind.CANCELLATION
    ).exists()
