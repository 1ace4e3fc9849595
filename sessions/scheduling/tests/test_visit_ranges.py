"""Property: the bounded range reads find exactly the visits the plain overlap finds.

`Appointment.objects.overlapping()` and `.busy_within()` add a lower bound on
`starts_at` (the longest visit plus the longest travel) so PostgreSQL reads an index
range instead of the whole table. Hypothesis builds random visits of every allowed
length and travel, and random windows, and asserts the bound loses none of them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massageclinic.lengths import LONGEST_TRAVEL, LONGEST_VISIT, STEP
from massageclinic.tests.factories import LocationFactory
from sessions.models import Appointment, Place
from sessions.tests.factories import AppointmentFactory
from therapists.tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db

BASE = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
QUARTERS = LONGEST_VISIT // STEP
TRAVEL_QUARTERS = LONGEST_TRAVEL // STEP

visit = st.tuples(
    st.integers(min_value=0, max_value=4 * 24),  # start, in quarter hours from BASE
    st.integers(min_value=1, max_value=QUARTERS),  # length
    st.integers(min_value=0, max_value=TRAVEL_QUARTERS),  # travel either side
)
window = st.tuples(
    st.integers(min_value=-24, max_value=5 * 24),
    st.integers(min_value=1, max_value=3 * 24),
)


def _visits(specs):
    location = LocationFactory()
    found = []
    for start_q, length_q, travel_q in specs:
        # One therapist per visit: the random visits may overlap each other.
        start = BASE + start_q * STEP
        end = start + length_q * STEP
        travel = travel_q * STEP
        found.append(
            AppointmentFactory(
                location=location,
                therapist=TherapistFactory(),
                place=Place.HOME if travel else Place.ROOM,
                **({"room": None} if travel else {}),
                starts_at=start,
                ends_at=end,
                therapist_busy_from=start - travel,
                therapist_busy_until=end + travel,
            )
        )
    return found


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    specs=st.lists(visit, min_size=1, max_size=6), windows=st.lists(window, max_size=4)
)
def test_the_bounded_reads_lose_no_visit(specs, windows):
    Appointment.objects.all().delete()
    visits = _visits(specs)
    for start_q, length_q in windows:
        start = BASE + start_q * STEP
        end = start + length_q * STEP
        overlapping = {v.pk for v in visits if v.starts_at < end and v.ends_at > start}
        busy = {
            v.pk
            for v in visits
            if v.therapist_busy_from < end and v.therapist_busy_until > start
        }
        assert (
            set(
                Appointment.objects.overlapping(start, end).values_list("pk", flat=True)
            )
            == overlapping
        )
        assert (
            set(
                Appointment.objects.busy_within(start, end).values_list("pk", flat=True)
            )
            == busy
        )


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET LOCAL enable_seqscan = on")
    return plan


@pytest.mark.parametrize("read", ["overlapping", "busy_within", "not_over_by"])
def test_each_bounded_read_can_use_an_index_range(read):
    """With sequential scans priced out, every read has an index plan: its bound is
    one an index on starts_at can use (a plain `ends_at > x` has none)."""
    start, end = BASE, BASE + timedelta(days=1)
    queryset = (
        Appointment.objects.not_over_by(start)
        if read == "not_over_by"
        else getattr(Appointment.objects, read)(start, end)
    )
    plan = _plan(queryset)
    assert "Seq Scan on clinic_sessions_appointment" not in plan, plan
    assert "starts_at >" in plan, plan
