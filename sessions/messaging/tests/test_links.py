"""The client's confirm and cancel links: signed, one visit, no login, idempotent."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import signing
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.messaging.links import Action, visit_link_token
from sessions.models import (
    Appointment,
    AppointmentEvent,
    OutboundMessage,
    WaitlistEntry,
)
from sessions.scheduling.booking import (
    Confirmation,
    appointment_book,
    appointment_reschedule,
)
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 10, 12, 12, 0, tzinfo=UTC)
VISIT = datetime(2026, 10, 20, 14, 0, tzinfo=UTC)  # Tuesday 10:00 in New York


@pytest.fixture
def visit():
    location = LocationFactory(time_zone="America/New_York", phone="(518) 555-0142")
    therapist = TherapistFactory(user__first_name="Tara")
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(7),
            ends_at=time(21),
        )
    return appointment_book(
        client=ClientFactory(first_name="Grace"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location),
        starts_at=VISIT,
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
        confirmation=Confirmation(safety_acknowledged=True),
    )


def _url(visit: Appointment, action: Action) -> str:
    token = visit_link_token(appointment=visit, action=action)
    return reverse(f"sessions:link_{action}", args=[token])


def _status(visit: Appointment) -> str:
    visit.refresh_from_db()
    return visit.status


def test_opening_the_confirm_link_asks_and_changes_nothing(client, visit):
    url = _url(visit, Action.CONFIRM)
    with time_machine.travel(NOW + timedelta(days=1)):
        page = client.get(url)
    assert page.status_code == 200
    assert "Confirm my visit" in page.content.decode()
    assert "Tuesday, October 20, 2026 at 10:00 AM (EDT)" in page.content.decode()
    assert _status(visit) == "booked"


def test_the_confirm_link_confirms_without_login_and_twice_is_the_same(client, visit):
    url = _url(visit, Action.CONFIRM)
    with time_machine.travel(NOW + timedelta(days=1)):
        first = client.post(url)
        again = client.post(url)
        reopened = client.get(url)
    for response in (first, again, reopened):
        assert response.status_code == 200
        assert "Your visit is confirmed" in response.content.decode()
    assert _status(visit) == "confirmed"
    changes = visit.events.filter(kind=AppointmentEvent.Kind.STATUS)
    assert [(e.summary, e.by) for e in changes] == [("Booked → Confirmed", None)]


def test_cancelling_outside_the_window_cancels_and_the_desk_sees_it(
    client, visit, front_desk
):
    WaitlistEntry.objects.create(
        client=ClientFactory(first_name="Wanda"),
        location=visit.location,
        wanted_from=date(2026, 10, 1),
        wanted_until=date(2026, 10, 31),
        created_by=front_desk,
    )
    url = _url(visit, Action.CANCEL)
    with time_machine.travel(VISIT - timedelta(days=3)):
        asked = client.get(url)
        done = client.post(url)
        again = client.post(url)
    assert "Cancel my visit" in asked.content.decode()
    assert _status(visit) == "cancelled"
    for response in (done, again):
        assert response.status_code == 200
        assert "Your visit is cancelled" in response.content.decode()
    assert visit.events.filter(kind="status").count() == 1

    client.force_login(front_desk)
    with time_machine.travel(VISIT - timedelta(days=3)):  # the freed slot is ahead
        page = client.get(reverse("sessions:visit", args=[visit.pk])).content.decode()
    assert "Cancelled by the client through the link in their email" in page
    assert "Waitlist: clients who would take this slot" in page and "Wanda" in page
    assert not OutboundMessage.objects.filter(
        appointment=visit, kind="reminder", status="pending"
    ).exists()


def test_cancelling_inside_the_window_is_refused_with_the_phone(client, visit):
    url = _url(visit, Action.CANCEL)
    with time_machine.travel(VISIT - timedelta(hours=5)):
        shown = client.get(url)
        refused = client.post(url)
    assert refused.status_code == 409
    for response in (shown, refused):
        body = response.content.decode()
        assert "less than 24 hours away" in body and "(518) 555-0142" in body
        assert "Cancel my visit" not in body
    assert _status(visit) == "booked"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_tampered_link_says_so_and_changes_nothing(client, visit, method):
    token = visit_link_token(appointment=visit, action=Action.CANCEL)
    forged = signing.dumps({"a": visit.pk + 1, "do": "cancel"}, salt="other")
    for bad in (token[:-2] + "xx", forged, "nonsense", token.replace(":", "")):
        url = reverse("sessions:link_cancel", args=[bad])
        with time_machine.travel(NOW):
            response = getattr(client, method)(url)
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    assert _status(visit) == "booked"


def test_a_confirm_token_does_not_cancel(client, visit):
    token = visit_link_token(appointment=visit, action=Action.CONFIRM)
    with time_machine.travel(NOW):
        response = client.post(reverse("sessions:link_cancel", args=[token]))
    assert response.status_code == 400
    assert _status(visit) == "booked"


def test_a_link_expires_when_the_visit_starts(client, visit):
    for action in Action:
        with time_machine.travel(VISIT + timedelta(minutes=1)):
            response = client.post(_url(visit, action))
        assert response.status_code == 410
        assert "This link expired when the visit began" in response.content.decode()
    assert _status(visit) == "booked"


def test_an_old_confirm_link_does_not_confirm_a_moved_visit(client, visit):
    old = _url(visit, Action.CONFIRM)
    appointment_reschedule(
        appointment=visit,
        by=visit.booked_by,
        now=NOW,
        starts_at=VISIT + timedelta(days=1),
    )
    with time_machine.travel(NOW + timedelta(hours=1)):
        response = client.post(old)
        fresh = client.post(_url(Appointment.objects.get(pk=visit.pk), "confirm"))
    assert "this link no longer confirms it" in response.content.decode()
    assert "Your visit is confirmed" in fresh.content.decode()


def test_a_cancelled_visit_cannot_be_confirmed(client, visit):
    with time_machine.travel(VISIT - timedelta(days=3)):
        client.post(_url(visit, Action.CANCEL))
        response = client.post(_url(visit, Action.CONFIRM))
    assert "This visit is cancelled" in response.content.decode()
    assert _status(visit) == "cancelled"
