"""The visit page: detail, history, status buttons by role, cancel, move, waitlist."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.models import Appointment, WaitlistEntry
from sessions.scheduling.booking import appointment_book
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 New York
TUESDAY_10AM = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def visit(therapist, front_desk):
    location = LocationFactory(name="Riverside", time_zone="America/New_York")
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(8),
            ends_at=time(20),
        )
    return appointment_book(
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location, name="Maple Room"),
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        booked_by=front_desk,
        now=NOW,
    )


def _url(name, visit):
    return reverse(f"sessions:{name}", args=[visit.pk])


def test_the_page_shows_the_visit_in_local_time_with_its_history(
    client, front_desk, visit
):
    client.force_login(front_desk)
    page = client.get(_url("visit", visit)).content.decode()
    assert "Grace Okafor" in page
    assert "10:00 AM" in page and "Maple Room" in page
    assert "Booked Swedish with Tara Hands" in page
    assert "Cancel visit" in page and "Move this visit" in page


def test_a_therapist_may_confirm_their_own_visit_but_not_cancel_it(
    client, therapist, visit
):
    client.force_login(therapist.user)
    page = client.get(_url("visit", visit)).content.decode()
    assert "Confirm" in page and "Cancel visit" not in page
    response = client.post(_url("visit_status", visit), {"status": "confirmed"})
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CONFIRMED
    assert client.post(_url("visit_cancel", visit), {"reason": "x"}).status_code == 403


def test_another_therapist_cannot_change_the_status(client, other_therapist, visit):
    client.force_login(other_therapist.user)
    response = client.post(_url("visit_status", visit), {"status": "confirmed"})
    assert response.status_code == 403


def test_a_bad_status_is_a_message_not_an_error(client, front_desk, visit):
    client.force_login(front_desk)
    response = client.post(
        _url("visit_status", visit), {"status": "teleported"}, follow=True
    )
    assert "not one a visit can be given here" in response.content.decode()
    response = client.post(
        _url("visit_status", visit), {"status": "completed"}, follow=True
    )
    assert "cannot be marked completed" in response.content.decode()


def test_a_late_cancellation_then_the_waitlist_that_fits(client, front_desk, visit):
    WaitlistEntry.objects.create(
        client=ClientFactory(first_name="Wanda", last_name="Park"),
        location=visit.location,
        wanted_from=date(2026, 11, 30),
        wanted_until=date(2026, 12, 31),
        created_by=front_desk,
    )
    with time_machine.travel(TUESDAY_10AM - timedelta(hours=2), tick=False):
        client.force_login(front_desk)  # a session lasts a working day, not two
        response = client.post(
            _url("visit_cancel", visit), {"reason": "flu"}, follow=True
        )
    page = response.content.decode()
    assert "The visit is late cancelled." in page
    assert "Waitlist: clients who would take this slot" in page
    assert "Book Wanda" in page


def test_cancelling_without_a_reason_keeps_the_visit(client, front_desk, visit):
    client.force_login(front_desk)
    response = client.post(_url("visit_cancel", visit), {"reason": ""})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_moving_the_visit(client, front_desk, visit):
    client.force_login(front_desk)
    response = client.post(
        _url("visit_reschedule", visit),
        {
            "day": "2026-12-01",
            "start_time": "13:00",
            "duration_minutes": "60",
            "therapist": visit.therapist.pk,
            "place": "room",
            "room": visit.room.pk,
            "scope": "one",
        },
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert visit.starts_at == datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("start_time", "13:07", "quarter hour"),
        ("day", "1900-01-01", "between 2000 and 2100"),
        ("room", "99999", "Select a valid choice"),
        ("duration_minutes", "7", "Select a valid choice"),
    ],
)
def test_moving_with_bad_input_changes_nothing(
    client, front_desk, visit, field, value, message
):
    client.force_login(front_desk)
    data = {
        "day": "2026-12-01",
        "start_time": "13:00",
        "duration_minutes": "60",
        "therapist": visit.therapist.pk,
        "place": "room",
        "room": visit.room.pk,
        "scope": "one",
        field: value,
    }
    response = client.post(_url("visit_reschedule", visit), data)
    assert response.status_code == 400
    assert message in response.content.decode()
    visit.refresh_from_db()
    assert visit.starts_at == TUESDAY_10AM


def test_an_unknown_visit_is_a_404(client, front_desk):
    client.force_login(front_desk)
    assert client.get(reverse("sessions:visit", args=[424242])).status_code == 404


def test_the_visits_therapist_gets_a_link_to_write_the_note(
    client, therapist, front_desk, visit
):
    Appointment.objects.filter(pk=visit.pk).update(status=Appointment.Status.CHECKED_IN)
    client.force_login(therapist.user)
    assert "Write the note" in client.get(_url("visit", visit)).content.decode()
    client.force_login(front_desk)
    page = client.get(_url("visit", visit)).content.decode()
    assert "Write the note" not in page and "not written yet" in page


@pytest.mark.parametrize(
    ("before_start", "check_in", "no_show"),
    [
        (timedelta(hours=3), False, False),  # too early for either
        (timedelta(minutes=90), True, False),  # check-in open, not yet a no-show
        (timedelta(0), True, True),  # started: both
    ],
)
def test_the_buttons_follow_the_time_of_the_visit(
    client, front_desk, visit, before_start, check_in, no_show
):
    with time_machine.travel(visit.starts_at - before_start, tick=False):
        client.force_login(front_desk)
        page = client.get(_url("visit", visit)).content.decode()
    assert ("Check in…" in page) is check_in
    assert ('value="no_show"' in page) is no_show
    waits = "Check-in for this visit opens at 8:00 AM on Tue 1 Dec"
    assert (waits in page) is not check_in


def test_a_colleagues_visit_links_to_no_chart_that_would_not_open(
    client, therapist, other_therapist, front_desk, visit
):
    chart = reverse("clients:detail", args=[visit.client_id])
    client.force_login(other_therapist.user)
    page = client.get(_url("visit", visit)).content.decode()
    assert chart not in page and "a colleague's client" in page
    assert client.get(chart).status_code == 404  # what the link would have led to
    for reader in (therapist.user, front_desk):
        client.force_login(reader)
        page = client.get(_url("visit", visit)).content.decode()
        assert chart in page
        assert client.get(chart).status_code == 200
