"""The therapists' rules: licence, training, hours in real time, time off."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, UserFactory
from therapists.models import TimeOff, WorkingHours
from therapists.rules import (
    hours_problem,
    licence_problem,
    time_off_problem,
    training_problem,
)
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

AUTUMN_NY = date(2026, 11, 1)  # a Sunday: 01:00-02:00 happens twice
SPRING_NY = date(2026, 3, 8)  # a Sunday: 02:00-03:00 does not happen


@pytest.fixture
def location():
    return LocationFactory(time_zone="America/New_York", name="Riverside")


@pytest.fixture
def tess():
    return TherapistFactory(
        user=UserFactory(first_name="Tess", last_name="Hands"),
        license_expires_on=date(2026, 11, 30),
    )


def _block(therapist, location, start: time, end: time, weekday=6) -> WorkingHours:
    return WorkingHours(
        therapist=therapist,
        location=location,
        weekday=weekday,
        starts_at=start,
        ends_at=end,
    )


def test_the_licence_counts_up_to_and_including_its_last_day(tess):
    assert licence_problem(tess, date(2026, 11, 30)) is None
    assert licence_problem(tess, date(2026, 12, 1)) == (
        "Tess Hands's license expired on 30 Nov 2026; they cannot treat on 01 Dec 2026."
    )


def test_training_and_an_offered_technique_are_both_needed(tess):
    swedish = modality("swedish")
    assert training_problem(tess, swedish, trained=True) is None
    assert training_problem(tess, swedish, trained=False) == (
        f"Tess Hands does not offer {swedish.name}."
    )
    swedish.is_active = False
    assert "no longer offered" in training_problem(tess, swedish, trained=True)


def test_a_block_in_the_repeated_hour_is_two_real_hours_long(tess, location):
    # 00:00-02:00 on the autumn change lasts three real hours.
    block = _block(tess, location, time(0), time(2))
    start = local_datetime(AUTUMN_NY, time(0), location)
    assert (
        hours_problem(tess, location, (start, start + timedelta(hours=3)), [block])
        is None
    )
    too_long = (start, start + timedelta(hours=3, minutes=15))
    assert hours_problem(tess, location, too_long, [block]) is not None


def test_a_block_across_the_spring_gap_is_one_hour_shorter(tess, location):
    block = _block(tess, location, time(1), time(4))  # 01:00-04:00: two real hours
    start = local_datetime(SPRING_NY, time(1), location)
    assert (
        hours_problem(tess, location, (start, start + timedelta(hours=2)), [block])
        is None
    )
    message = hours_problem(
        tess, location, (start, start + timedelta(hours=2, minutes=15)), [block]
    )
    assert message == (
        "01:00-04:15 is outside Tess Hands's hours at Riverside on Sundays (01:00-04:00)."
    )


def test_no_hours_that_day_says_so(tess, location):
    start = datetime(2026, 11, 1, 15, tzinfo=UTC)
    assert hours_problem(tess, location, (start, start + timedelta(hours=1)), []) == (
        "Tess Hands does not work at Riverside on Sundays."
    )


def test_time_off_touching_the_busy_time_is_a_problem_and_back_to_back_is_not(
    tess, location
):
    off = TimeOff(
        therapist=tess,
        starts_at=datetime(2026, 12, 1, 17, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 19, tzinfo=UTC),
        reason="dentist",
    )
    before = (
        datetime(2026, 12, 1, 16, tzinfo=UTC),
        datetime(2026, 12, 1, 17, tzinfo=UTC),
    )
    assert time_off_problem(tess, location, before, [off]) is None
    overlapping = (before[0], before[1] + timedelta(minutes=15))
    assert time_off_problem(tess, location, overlapping, [off]) == (
        "Tess Hands is off from Tue 01 Dec 12:00 to Tue 01 Dec 14:00 (dentist)."
    )


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    zone=st.sampled_from(["America/New_York", "Europe/London", "Australia/Sydney"]),
    day=st.sampled_from(
        [
            date(2026, 3, 8),
            date(2026, 3, 29),
            date(2026, 4, 5),
            date(2026, 10, 4),
            date(2026, 10, 25),
            date(2026, 11, 1),
            date(2026, 7, 15),
        ]
    ),
    block_from=st.integers(0, 22),
    block_hours=st.integers(1, 6),
    start_quarter=st.integers(0, 4 * 24),
    minutes=st.sampled_from([15, 30, 45, 60, 90, 120, 240]),
)
def test_a_visit_fits_hours_exactly_when_its_real_time_lies_inside_the_block(
    tess, zone, day, block_from, block_hours, start_quarter, minutes
):
    location = LocationFactory.build(time_zone=zone, name="Anywhere")
    end_hour = min(block_from + block_hours, 23)
    block = _block(
        tess, location, time(block_from), time(end_hour, 59 if end_hour == 23 else 0)
    )
    midnight = local_datetime(day, time(0), location)
    start = midnight + start_quarter * timedelta(minutes=15)
    end = start + timedelta(minutes=minutes)
    opens = local_datetime(day, block.starts_at, location)
    closes = local_datetime(day, block.ends_at, location)
    same_day = start.astimezone(location.zone).date() == day
    fits = same_day and opens <= start and end <= closes
    weekday_blocks = (
        [block] if start.astimezone(location.zone).weekday() == day.weekday() else []
    )
    assert (hours_problem(tess, location, (start, end), weekday_blocks) is None) == fits
    if fits:  # and the real length never exceeds the block's real length
        assert end - start <= closes - opens
