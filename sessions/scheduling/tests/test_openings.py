"""Next opening search and the waitlist match for a freed slot."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from clients.models import Condition
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import WaitlistEntry
from sessions.scheduling.booking import appointment_book, appointment_cancel
from sessions.scheduling.openings import find_openings, waitlist_matches
from therapists.models import TimeOff, Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 New York


@pytest.fixture
def location():
    return LocationFactory(time_zone="America/New_York")


def _therapist(
    location, name: str, weekdays=(0, 1, 2, 3, 4), hours=(time(9), time(12))
):
    therapist = TherapistFactory(
        user=UserFactory(username=name, first_name=name.title())
    )
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in weekdays:
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=hours[0],
            ends_at=hours[1],
        )
    return therapist


def _local(opening, location):
    return opening.starts_at.astimezone(location.zone).strftime("%a %H:%M")


def test_it_lists_the_earliest_slots_across_therapists(location):
    RoomFactory(location=location)
    _therapist(location, "ann")
    _therapist(location, "bob", hours=(time(10), time(12)))
    openings = find_openings(
        modality=modality("swedish"),
        duration_minutes=60,
        location=location,
        now=NOW,
        limit=4,
    )
    assert [(_local(o, location), o.therapist.first_name) for o in openings] == [
        ("Mon 09:00", "Ann"),
        ("Mon 09:15", "Ann"),
        ("Mon 09:30", "Ann"),
        ("Mon 09:45", "Ann"),
    ]


def test_it_honours_visits_time_off_rooms_and_the_time_of_day(location):
    room = RoomFactory(location=location)
    ann = _therapist(location, "ann")
    desk = UserFactory()
    appointment_book(
        client=ClientFactory(),
        therapist=ann,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=datetime(2026, 11, 30, 14, 0, tzinfo=UTC),  # Mon 09:00-10:00
        duration_minutes=60,
        booked_by=desk,
        now=NOW,
    )
    TimeOff.objects.create(
        therapist=ann,
        starts_at=datetime(2026, 12, 1, 5, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 2, 5, 0, tzinfo=UTC),  # all Tuesday
    )
    openings = find_openings(
        modality=modality("swedish"),
        duration_minutes=60,
        location=location,
        now=NOW,
        earliest=time(10),
        latest=time(11),
        limit=6,
    )
    assert [_local(o, location) for o in openings] == [
        "Mon 10:00",
        "Mon 10:15",
        "Mon 10:30",
        "Mon 10:45",
        "Mon 11:00",
        "Wed 10:00",
    ]


def test_no_free_room_means_no_opening(location):
    room = RoomFactory(location=location)
    ann = _therapist(location, "ann", weekdays=(0,), hours=(time(9), time(10)))
    other = _therapist(location, "bob", weekdays=(0,), hours=(time(9), time(10)))
    appointment_book(
        client=ClientFactory(),
        therapist=other,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=datetime(2026, 11, 30, 14, 0, tzinfo=UTC),
        duration_minutes=60,
        booked_by=UserFactory(),
        now=NOW,
    )
    openings = find_openings(
        modality=modality("swedish"),
        duration_minutes=60,
        location=location,
        now=NOW,
        therapist=ann,
        days=1,
    )
    assert openings == []


def test_a_freed_slot_lists_the_waitlist_entries_that_fit(location):
    room = RoomFactory(location=location)
    ann = _therapist(location, "ann")
    desk = UserFactory()
    visit = appointment_book(
        client=ClientFactory(),
        therapist=ann,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),  # Tue 10:00
        duration_minutes=60,
        booked_by=desk,
        now=NOW,
    )
    fits = WaitlistEntry.objects.create(
        client=ClientFactory(first_name="Wanda"),
        location=location,
        modality=modality("swedish"),
        weekdays=[1, 3],
        earliest_time=time(9),
        latest_time=time(12),
        wanted_from=date(2026, 11, 30),
        wanted_until=date(2026, 12, 31),
        created_by=desk,
    )
    WaitlistEntry.objects.create(  # wrong day of the week
        client=ClientFactory(),
        location=location,
        weekdays=[4],
        wanted_from=date(2026, 11, 30),
        wanted_until=date(2026, 12, 31),
        created_by=desk,
    )
    WaitlistEntry.objects.create(  # afternoons only
        client=ClientFactory(),
        location=location,
        earliest_time=time(13),
        wanted_from=date(2026, 11, 30),
        wanted_until=date(2026, 12, 31),
        created_by=desk,
    )
    WaitlistEntry.objects.create(  # a modality Ann does not offer
        client=ClientFactory(),
        location=location,
        modality=modality("cupping"),
        wanted_from=date(2026, 11, 30),
        wanted_until=date(2026, 12, 31),
        created_by=desk,
    )
    appointment_cancel(
        appointment=visit, by=desk, reason="sick", now=NOW + timedelta(hours=1)
    )
    assert waitlist_matches(appointment=visit) == [fits]


def test_the_waitlist_match_asks_the_booking_rules(location):
    """A waitlisted client blocked for all massage, or busy at that time, is no match."""
    room = RoomFactory(location=location)
    ann = _therapist(location, "ann", hours=(time(9), time(17)))
    desk = UserFactory(username="desk")
    slot = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tue 10:00 in New York

    def book(client, starts_at, in_room):
        return appointment_book(
            client=client,
            therapist=ann,
            modality=modality("swedish"),
            location=location,
            room=in_room,
            starts_at=starts_at,
            duration_minutes=60,
            booked_by=desk,
            now=NOW,
        )

    visit = book(ClientFactory(), slot, room)

    def wait(client):
        return WaitlistEntry.objects.create(
            client=client,
            location=location,
            wanted_from=date(2026, 11, 30),
            wanted_until=date(2026, 12, 31),
            created_by=desk,
        )

    blocked, busy, fine = ClientFactory(), ClientFactory(), ClientFactory()
    contraindication_add(
        context=AuditContext.system("test"),
        client=blocked,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        by=desk,
    )
    other = _therapist(location, "bob", hours=(time(9), time(17)))
    appointment_book(  # `busy` is with Bob at that very hour
        client=busy,
        therapist=other,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location),
        starts_at=slot,
        duration_minutes=60,
        booked_by=desk,
        now=NOW,
    )
    wait(blocked), wait(busy)
    fits = wait(fine)
    appointment_cancel(appointment=visit, by=desk, reason="sick", now=NOW)
    assert waitlist_matches(appointment=visit, now=NOW) == [fits]


def test_no_openings_for_a_client_booking_would_refuse_for_safety(location):
    """The search asks the safety decision booking asks: an absolute flag (no massage
    until a physician clears it) leaves nothing to offer that client."""
    RoomFactory(location=location)
    _therapist(location, "ann")
    desk = UserFactory(username="desk")
    blocked, fine = ClientFactory(), ClientFactory()
    contraindication_add(
        context=AuditContext.system("test"),
        client=blocked,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        by=desk,
    )

    def search(client):
        return find_openings(
            modality=modality("swedish"),
            duration_minutes=60,
            location=location,
            now=NOW,
            client=client,
            days=3,
        )

    assert search(blocked) == []
    assert search(fine) != []
