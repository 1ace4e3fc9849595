"""Time is elapsed time: a 60-minute visit lasts 60 minutes on the days the clocks change.

The four 2026 changes in New York and London, all on Sundays: the length stored and
shown, the span that blocks the therapist, and the conflict with the next visit.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment
from sessions.scheduling.booking import appointment_book, appointment_reschedule
from sessions.scheduling.calendar import day_grid
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
SUNDAY = 6

AUTUMN = [
    ("America/New_York", date(2026, 11, 1)),
    ("Europe/London", date(2026, 10, 25)),
]
SPRING = [
    ("America/New_York", date(2026, 3, 8)),
    ("Europe/London", date(2026, 3, 29)),
]


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _clinic(zone: str) -> dict:
    location = LocationFactory(
        time_zone=zone, opens_at=time(0), closes_at=time(4), name=f"Night {zone}"
    )
    therapist = TherapistFactory(
        user=UserFactory(username=f"t-{zone}", first_name="Tess", last_name="Night")
    )
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    WorkingHours.objects.create(
        therapist=therapist,
        location=location,
        weekday=SUNDAY,
        starts_at=time(0),
        ends_at=time(6),
    )
    return {
        "location": location,
        "therapist": therapist,
        "rooms": [RoomFactory(location=location), RoomFactory(location=location)],
        "desk": UserFactory(username=f"desk-{zone}"),
    }


def _book(clinic, starts_at: datetime, minutes: int, room: int = 0) -> Appointment:
    return appointment_book(
        client=ClientFactory(),
        therapist=clinic["therapist"],
        modality=modality("swedish"),
        location=clinic["location"],
        starts_at=starts_at,
        duration_minutes=minutes,
        booked_by=clinic["desk"],
        now=NOW,
        room=clinic["rooms"][room],
    )


@pytest.mark.parametrize(("zone", "day"), AUTUMN)
def test_a_visit_in_the_repeated_autumn_hour_lasts_its_minutes(zone, day):
    clinic = _clinic(zone)
    start = local_datetime(day, time(1, 30), clinic["location"])  # first 01:30
    visit = _book(clinic, start, 60)
    visit.refresh_from_db()
    assert visit.ends_at - visit.starts_at == timedelta(minutes=60)
    assert visit.duration_minutes == 60
    assert visit.therapist_busy_until == visit.starts_at + timedelta(minutes=60)
    # Back to back with the next visit, an hour of real time later: allowed.
    _book(clinic, start + timedelta(minutes=60), 60, room=1)


@pytest.mark.parametrize(("zone", "day"), AUTUMN)
def test_the_next_visit_inside_the_autumn_hour_conflicts(zone, day):
    clinic = _clinic(zone)
    start = local_datetime(day, time(1, 30), clinic["location"])
    _book(clinic, start, 60)
    with pytest.raises(ValidationError, match="already booked"):
        _book(clinic, start + timedelta(minutes=45), 60, room=1)


@pytest.mark.parametrize(("zone", "day"), SPRING)
def test_a_visit_across_the_spring_gap_lasts_its_minutes(zone, day):
    clinic = _clinic(zone)
    start = local_datetime(day, time(0, 30), clinic["location"])
    visit = _book(clinic, start, 150)
    visit.refresh_from_db()
    assert visit.ends_at - visit.starts_at == timedelta(minutes=150)
    local_end = visit.ends_at.astimezone(clinic["location"].zone)
    # 00:30 + 2 h 30 of real time, one of the wall-clock hours skipped: 04:00.
    assert local_end.time() == time(4, 0)


@pytest.mark.parametrize(("zone", "day"), SPRING)
def test_no_double_booking_after_the_spring_gap(zone, day):
    clinic = _clinic(zone)
    _book(clinic, local_datetime(day, time(0, 30), clinic["location"]), 150)
    # 03:00 local, after the gap: the first visit is still going on.
    with pytest.raises(ValidationError, match="already booked"):
        _book(clinic, local_datetime(day, time(3), clinic["location"]), 60, room=1)


@pytest.mark.parametrize(("zone", "day"), AUTUMN + SPRING)
def test_moving_a_visit_onto_the_change_keeps_its_length(zone, day):
    clinic = _clinic(zone)
    visit = _book(clinic, local_datetime(day, time(4), clinic["location"]), 90)
    moved = appointment_reschedule(
        appointment=visit,
        by=clinic["desk"],
        now=NOW,
        starts_at=local_datetime(day, time(0, 45), clinic["location"]),
    )
    moved.refresh_from_db()  # compare instants from the database, not wall times
    assert moved.ends_at - moved.starts_at == timedelta(minutes=90)


@pytest.mark.parametrize(("zone", "day"), AUTUMN)
def test_the_visit_page_says_60_minutes_in_the_autumn_hour(client, manager, zone, day):
    clinic = _clinic(zone)
    visit = _book(clinic, local_datetime(day, time(1, 30), clinic["location"]), 60)
    client.force_login(manager)
    page = client.get(reverse("sessions:visit", args=[visit.pk])).content.decode()
    assert "(60 min," in page


@pytest.mark.parametrize(("zone", "day"), AUTUMN)
def test_the_day_view_shows_the_repeated_hour_as_its_own_rows(zone, day):
    clinic = _clinic(zone)
    grid = day_grid(location=clinic["location"], day=day, now=NOW)
    zone_info = clinic["location"].zone
    labels = [t.astimezone(zone_info).strftime("%H:%M %Z") for t in grid.times]
    assert len(grid.times) == 5 * 4  # 00:00-04:00 is five real hours that day
    one_am = [label for label in labels if label.startswith("01:00")]
    assert len(one_am) == 2 and one_am[0] != one_am[1]  # e.g. 01:00 EDT, 01:00 EST
    assert all(
        b - a == timedelta(minutes=15)
        for a, b in zip(grid.times, grid.times[1:], strict=False)
    )
    assert grid.zone_changes


@pytest.mark.parametrize(("zone", "day"), SPRING)
def test_the_day_view_skips_the_missing_spring_hour(zone, day):
    clinic = _clinic(zone)
    grid = day_grid(location=clinic["location"], day=day, now=NOW)
    zone_info = clinic["location"].zone
    hours = [t.astimezone(zone_info).hour for t in grid.times]
    skipped = 2 if zone == "America/New_York" else 1
    assert skipped not in hours
    assert len(grid.times) == 3 * 4  # 00:00-04:00 is three real hours that day


@pytest.mark.parametrize(("zone", "day"), AUTUMN)
def test_the_day_page_labels_the_two_autumn_hours(client, front_desk, zone, day):
    clinic = _clinic(zone)
    client.force_login(front_desk)
    url = reverse("sessions:day") + f"?location={clinic['location'].pk}&date={day}"
    page = client.get(url).content.decode()
    summer, winter = ("EDT", "EST") if zone == "America/New_York" else ("BST", "GMT")
    assert f"1:00 AM {summer}" in page
    assert f"1:00 AM {winter}" in page


@pytest.mark.parametrize(("zone", "day"), AUTUMN + SPRING)
def test_a_visit_on_the_day_view_spans_its_real_rows(zone, day):
    clinic = _clinic(zone)
    visit = _book(clinic, local_datetime(day, time(0, 30), clinic["location"]), 120)
    grid = day_grid(location=clinic["location"], day=day, now=NOW)
    block = next(c.block for c in grid.columns[0].cells if c.kind == "block")
    assert block.visit.pk == visit.pk
    assert block.rows == 8


# --- the repeated autumn hour, chosen on a page ----------------------------------------


def test_the_second_time_of_a_repeated_wall_time_is_its_own_instant():
    ny = LocationFactory.build(time_zone="America/New_York")
    first = local_datetime(date(2026, 11, 1), time(1, 30), ny)
    second = local_datetime(date(2026, 11, 1), time(1, 30), ny, fold=1)
    assert second - first == timedelta(hours=1)
    # Anywhere else `fold` changes nothing: the spring gap still moves forward.
    assert local_datetime(date(2026, 3, 8), time(2, 30), ny, fold=1) == local_datetime(
        date(2026, 3, 8), time(2, 30), ny
    )
    assert local_datetime(date(2026, 6, 1), time(10), ny, fold=1) == datetime(
        2026, 6, 1, 14, tzinfo=UTC
    )


def test_the_grid_links_the_second_0130_with_its_fold_and_books_it(client, front_desk):
    clinic = _clinic("America/New_York")
    grid_url = (
        reverse("sessions:day") + f"?location={clinic['location'].pk}&date=2026-11-01"
    )
    client.force_login(front_desk)
    page = client.get(grid_url).content.decode()
    assert "starts=2026-11-01T01:30&amp;fold=1" in page  # the second 01:30 (EST)
    assert "starts=2026-11-01T01:30&amp;location" not in page
    link = reverse("sessions:book") + (
        f"?location={clinic['location'].pk}&therapist={clinic['therapist'].pk}"
        f"&room={clinic['rooms'][0].pk}&starts=2026-11-01T01:30&fold=1"
    )
    form = client.get(link).content.decode()
    assert 'name="fold" value="1"' in form
    response = client.post(
        reverse("sessions:book"),
        {
            "action": "book",
            "client": ClientFactory().pk,
            "location": clinic["location"].pk,
            "modality": modality("swedish").pk,
            "duration": 60,
            "therapist": clinic["therapist"].pk,
            "place": "room",
            "room": clinic["rooms"][0].pk,
            "day": "2026-11-01",
            "start_time": "01:30",
            "fold": "1",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    visit = Appointment.objects.get()
    assert visit.starts_at == datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert visit.ends_at - visit.starts_at == timedelta(minutes=60)


def test_an_opening_in_the_second_0130_links_with_its_fold(client, front_desk):
    clinic = _clinic("America/New_York")
    with time_machine.travel(datetime(2026, 10, 31, 12, tzinfo=UTC), tick=False):
        client.force_login(front_desk)  # a session from February would have expired
        response = client.get(
            reverse("sessions:openings"),
            {
                "location": clinic["location"].pk,
                "modality": modality("swedish").pk,
                "duration": 60,
                "therapist": clinic["therapist"].pk,
            },
        )
    links = re.findall(
        r'href="([^"]*starts=2026-11-01T01%3A30[^"]*)"', response.content.decode()
    )
    # Both 01:30s are offered; only the second (EST) carries the fold.
    assert sorted("fold=1" in link for link in links) == [False, True]


def test_the_form_says_second_time_only_when_the_hour_repeats(client, front_desk):
    clinic = _clinic("America/New_York")
    client.force_login(front_desk)
    base = reverse("sessions:book") + (
        f"?location={clinic['location'].pk}&therapist={clinic['therapist'].pk}"
        f"&room={clinic['rooms'][0].pk}&fold=1&starts="
    )
    hint = "The second time this hour comes round"
    assert hint in client.get(base + "2026-11-01T01:30").content.decode()
    assert hint not in client.get(base + "2026-12-06T01:30").content.decode()
