"""The next-opening search reads little: the schedule a few days at a time (a page
filled by the first days never loads the weeks after), and each candidate finds the
visits near it by bisection (`Timeline`) instead of scanning every visit."""

from __future__ import annotations

from datetime import UTC, datetime, time
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from massageclinic.lengths import LONGEST_TRAVEL, LONGEST_VISIT, STEP
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.scheduling import openings as search
from sessions.scheduling.openings import find_openings
from sessions.scheduling.schedule_sources import Timeline
from sessions.scheduling.tests.test_openings import NOW, _therapist
from therapists.tests.factories import modality

BASE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


class _Visit:
    """What a Timeline reads of a visit."""

    def __init__(self, busy_from: datetime, busy_until: datetime) -> None:
        self.therapist_busy_from = busy_from
        self.therapist_busy_until = busy_until


span = st.tuples(
    st.integers(min_value=0, max_value=4 * 24),  # start, in quarter hours
    st.integers(min_value=1, max_value=LONGEST_VISIT // STEP),
    st.integers(min_value=0, max_value=LONGEST_TRAVEL // STEP),
)


@settings(max_examples=200, deadline=None)
@given(
    spans=st.lists(span, max_size=30),
    window=st.tuples(
        st.integers(min_value=-40, max_value=5 * 24),
        st.integers(min_value=1, max_value=3 * 24),
    ),
)
def test_a_timeline_finds_exactly_the_visits_a_full_scan_finds(spans, window):
    timeline, visits = Timeline(), []
    for start_q, length_q, travel_q in spans:
        start = BASE + start_q * STEP
        visit = _Visit(start - travel_q * STEP, start + (length_q + travel_q) * STEP)
        visits.append(visit)
        timeline.add(visit)
    start = BASE + window[0] * STEP
    end = start + window[1] * STEP
    expected = [
        v
        for v in visits
        if v.therapist_busy_from < end and v.therapist_busy_until > start
    ]
    assert sorted(map(id, timeline.touching(start, end))) == sorted(map(id, expected))


def _appointment_reads(queries) -> int:
    return sum(
        'FROM "clinic_sessions_appointment"' in q["sql"]
        for q in queries.captured_queries
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("limit", "reads"),
    [(3, 1), (200, 2)],  # filled on the first day / needs the weeks after
)
def test_the_search_reads_the_later_weeks_only_when_the_page_is_not_full(limit, reads):
    location = LocationFactory(time_zone="America/New_York")
    RoomFactory(location=location)
    _therapist(location, "ann", hours=(time(9), time(12)))
    with CaptureQueriesContext(connection) as queries:
        openings = find_openings(
            modality=modality("swedish"),
            duration_minutes=60,
            location=location,
            now=NOW,
            limit=limit,
        )
    # 09:00-12:00 offers nine 60-minute starts a weekday, 15 weekdays in 21 days.
    assert len(openings) == min(limit, 9 * 15)
    assert _appointment_reads(queries) == reads


@pytest.mark.django_db
def test_a_page_filled_at_the_first_hour_asks_the_rules_about_few_starts():
    """Ten therapists free all day and a page of three: the search works out each
    therapist's first opening and the few after, not every quarter hour of the day."""
    location = LocationFactory(time_zone="America/New_York")
    RoomFactory(location=location)
    for n in range(10):
        _therapist(location, f"t{n}", hours=(time(9), time(17)))
    asked = mock.Mock(wraps=search._opening_at)
    with mock.patch.object(search, "_opening_at", asked):
        openings = find_openings(
            modality=modality("swedish"),
            duration_minutes=60,
            location=location,
            now=NOW,
            limit=3,
        )
    assert len(openings) == 3
    assert {o.starts_at for o in openings} == {openings[0].starts_at}
    # One first start per therapist, and a next one for the few already taken.
    assert asked.call_count <= 10 + 3
