"""Property: the next-opening search and booking are one set of rules.

Hypothesis builds random schedules (zones and days the clocks change, weekly hours,
time off, licence expiry, training, travel buffers, rooms in and out of use, existing
visits at the clinic and at home, an archived client) and asserts that every opening
the search offers books without a problem, and that every quarter hour the search
skips is refused by booking with a sentence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.tests.factories import ClientFactory
from massageclinic.clock import local_datetime
from massageclinic.models import clinic_policy
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment, Place
from sessions.scheduling.booking import appointment_book
from sessions.scheduling.openings import find_openings, first_candidate
from sessions.scheduling.rules import (
    STEP,
    ProposedVisit,
    busy_span,
    scheduling_problems,
    visit_end,
)
from sessions.scheduling.schedule_sources import ScheduleSnapshot
from therapists.models import Therapist, TimeOff, Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

ZONES = ["America/New_York", "Europe/London"]
DAYS = [
    date(2026, 3, 8),  # spring forward in New York
    date(2026, 3, 29),  # spring forward in London
    date(2026, 10, 25),  # fall back in London
    date(2026, 11, 1),  # fall back in New York
    date(2026, 6, 10),  # an ordinary Wednesday
]
SEARCH_DAYS = 2

hours_block = st.tuples(
    st.integers(min_value=0, max_value=20), st.integers(min_value=1, max_value=8)
)
schedule = st.fixed_dictionaries(
    {
        "zone": st.sampled_from(ZONES),
        "day": st.sampled_from(DAYS),
        "now_back": st.integers(min_value=0, max_value=30 * 24),  # 5-minute steps
        "travel": st.sampled_from([0, 15, 30, 45]),
        "duration": st.sampled_from([15, 30, 45, 60, 90, 120]),
        "limit": st.integers(min_value=1, max_value=6),  # a short page of openings
        "rooms": st.lists(st.booleans(), min_size=1, max_size=2),  # in use?
        "archived": st.booleans() | st.just(False),
        "therapists": st.lists(
            st.fixed_dictionaries(
                {
                    "trained": st.booleans() | st.just(True),
                    "licence": st.sampled_from([-1, 0, 1, 400]),  # days after `day`
                    "hours": st.lists(
                        st.tuples(st.integers(0, SEARCH_DAYS), hours_block),
                        max_size=3,
                    ),
                    "off": st.lists(
                        st.tuples(
                            st.integers(0, 4 * 24 * SEARCH_DAYS),
                            st.integers(1, 4 * 8),
                        ),
                        max_size=2,
                    ),
                }
            ),
            min_size=1,
            max_size=2,
        ),
        "visits": st.lists(
            st.fixed_dictionaries(
                {
                    "therapist": st.integers(0, 1),
                    "room": st.integers(0, 1),
                    "home": st.booleans(),
                    "ours": st.booleans(),  # the searching client's own visit
                    "start": st.integers(0, 4 * 24 * SEARCH_DAYS),
                    "minutes": st.sampled_from([30, 60, 90]),
                    "cancelled": st.booleans(),
                }
            ),
            max_size=4,
        ),
    }
)


def now_for_archive(spec: dict):
    return datetime(2026, 1, 1, tzinfo=UTC) if spec["archived"] else None


def _build(spec: dict) -> dict:
    policy = clinic_policy()
    policy.travel_buffer = timedelta(minutes=spec["travel"])
    policy.save()
    location = LocationFactory(time_zone=spec["zone"])
    rooms = [
        RoomFactory(location=location, is_active=active) for active in spec["rooms"]
    ]
    client = ClientFactory(
        address_line1="1 Elm Street",
        archived_at=now_for_archive(spec),
    )
    first_day = spec["day"] - timedelta(days=1)
    day_start = local_datetime(first_day, time(0), location)
    therapists = []
    for n, t in enumerate(spec["therapists"]):
        therapist = TherapistFactory(
            user=UserFactory(first_name=f"T{n}"),
            license_expires_on=spec["day"] + timedelta(days=t["licence"]),
        )
        if t["trained"]:
            Training.objects.create(therapist=therapist, modality=modality("swedish"))
        for offset, (hour, length) in t["hours"]:
            weekday = (first_day + timedelta(days=offset)).weekday()
            try:
                with transaction.atomic():
                    WorkingHours.objects.get_or_create(
                        therapist=therapist,
                        weekday=weekday,
                        starts_at=time(hour),
                        defaults={
                            "location": location,
                            "ends_at": time(
                                min(hour + length, 23), 59 if hour + length > 23 else 0
                            ),
                        },
                    )
            except IntegrityError:
                pass  # the database refuses overlapping blocks: this one is not there
        for start, quarters in t["off"]:
            off_from = day_start + start * STEP
            TimeOff.objects.create(
                therapist=therapist,
                starts_at=off_from,
                ends_at=off_from + quarters * STEP,
            )
        therapists.append(therapist)
    desk = UserFactory()
    for v in spec["visits"]:
        therapist = therapists[v["therapist"] % len(therapists)]
        place = Place.HOME if v["home"] else Place.ROOM
        starts_at = day_start + v["start"] * STEP
        ends_at = visit_end(starts_at, v["minutes"])
        busy_from, busy_until = busy_span(starts_at, ends_at, place)
        try:
            with transaction.atomic():
                Appointment.objects.create(
                    client=client
                    if v["ours"]
                    else ClientFactory(address_line1="2 Oak Street"),
                    therapist=therapist,
                    modality=modality("swedish"),
                    location=location,
                    place=place,
                    room=None if v["home"] else rooms[v["room"] % len(rooms)],
                    starts_at=starts_at,
                    ends_at=ends_at,
                    therapist_busy_from=busy_from,
                    therapist_busy_until=busy_until,
                    booked_by=desk,
                    status=(
                        Appointment.Status.CANCELLED
                        if v["cancelled"]
                        else Appointment.Status.BOOKED
                    ),
                )
        except IntegrityError:
            pass  # the database refused an overlap: this visit is simply not there
    now = day_start - spec["now_back"] * timedelta(minutes=5)
    return {
        "location": location,
        "rooms": rooms,
        "client": client,
        "therapists": therapists,
        "desk": desk,
        "now": now,
    }


def _visit(world, therapist: Therapist, starts_at, minutes, room) -> ProposedVisit:
    return ProposedVisit.lasting(
        minutes,
        client=world["client"],
        therapist=therapist,
        modality=modality("swedish"),
        location=world["location"],
        starts_at=starts_at,
        room=room,
    )


def _check(spec: dict) -> None:
    world = _build(spec)
    location, now, minutes = world["location"], world["now"], spec["duration"]
    first_day = now.astimezone(location.zone).date()
    openings = find_openings(
        modality=modality("swedish"),
        duration_minutes=minutes,
        location=location,
        now=now,
        client=world["client"],
        days=SEARCH_DAYS,
        limit=100_000,
    )
    offered = {(o.therapist.pk, o.starts_at) for o in openings}
    # Earliest first, each therapist's start once (blocks of hours may overlap), and a
    # short page is the head of the long one: the search stops early, never differently.
    assert len(offered) == len(openings)
    assert openings == sorted(
        openings, key=lambda o: (o.starts_at, o.therapist.full_name)
    )
    short = find_openings(
        modality=modality("swedish"),
        duration_minutes=minutes,
        location=location,
        now=now,
        client=world["client"],
        days=SEARCH_DAYS,
        limit=spec["limit"],
    )
    assert short == openings[: spec["limit"]]
    end = local_datetime(first_day + timedelta(days=SEARCH_DAYS), time(0), location)
    source = ScheduleSnapshot(
        therapists=world["therapists"],
        rooms=world["rooms"],
        clients=[world["client"]],
        start=first_candidate(now),
        end=end,
    )
    for number, opening in enumerate(openings):  # every offer passes the rules
        visit = _visit(
            world, opening.therapist, opening.starts_at, minutes, opening.room
        )
        assert scheduling_problems(visit, now=now, source=source) == [], opening
        if number < 3:  # the first few read live from the database, as booking does
            assert scheduling_problems(visit, now=now) == [], opening
    # Every quarter hour the search skipped: booking refuses it in every room.
    start = first_candidate(now)
    while visit_end(start, minutes) <= end:
        for therapist in world["therapists"]:
            if (therapist.pk, start) in offered:
                continue
            for room in world["rooms"]:
                problems = scheduling_problems(
                    _visit(world, therapist, start, minutes, room),
                    now=now,
                    source=source,
                )
                assert problems, (therapist, start, room)
                assert all(p.endswith(".") for p in problems)
        start += STEP
    if openings:  # and the first offer really books, database constraints included
        first = openings[0]
        appointment_book(
            client=world["client"],
            therapist=first.therapist,
            modality=modality("swedish"),
            location=location,
            starts_at=first.starts_at,
            duration_minutes=minutes,
            booked_by=world["desk"],
            now=now,
            room=first.room,
        )
    transaction.set_rollback(True)


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=schedule)
def test_the_search_offers_exactly_what_booking_accepts(spec):
    with transaction.atomic():
        _check(spec)


def test_a_skipped_slot_is_refused_even_when_the_search_found_others():
    """One fixed schedule on the New York autumn change, with travel before a home
    visit: offered exactly when the rules find no problem."""
    spec = {
        "zone": "America/New_York",
        "day": date(2026, 11, 1),
        "now_back": 0,
        "travel": 30,
        "duration": 60,
        "rooms": [True],
        "archived": False,
        "therapists": [
            {"trained": True, "licence": 400, "hours": [(1, (0, 8))], "off": []}
        ],
        "visits": [
            {
                "therapist": 0,
                "room": 0,
                "home": True,
                "ours": False,
                "start": 4 * 24 + 12,
                "minutes": 60,
                "cancelled": False,
            }
        ],
    }
    world = _build(spec)
    now, location = world["now"], world["location"]
    openings = find_openings(
        modality=modality("swedish"),
        duration_minutes=60,
        location=location,
        now=now,
        client=world["client"],
        days=SEARCH_DAYS,
        limit=1000,
    )
    offered = {o.starts_at for o in openings}
    assert offered
    home_visit_start = Appointment.objects.get(place=Place.HOME).starts_at
    therapist = world["therapists"][0]
    start = local_datetime(date(2026, 11, 1), time(0), location)
    while start < local_datetime(date(2026, 11, 1), time(8), location):
        problems = scheduling_problems(
            _visit(world, therapist, start, 60, world["rooms"][0]), now=now
        )
        assert (start in offered) == (not problems), (start, problems)
        start += STEP
    # The 60-minute slot that would end where the travel before the home visit
    # starts is the last one offered before it; the one 15 minutes later is not.
    travel = timedelta(minutes=30)
    assert home_visit_start - travel - timedelta(minutes=60) in offered
    assert home_visit_start - travel - timedelta(minutes=45) not in offered
    assert home_visit_start.astimezone(location.zone).date() == date(2026, 11, 1)
