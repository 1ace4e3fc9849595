"""Weekly hours and time off: what the services refuse, store and audit."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory
from therapists.models import TimeOff, WorkingHours
from therapists.schedule_services import (
    local_instant,
    time_off_add,
    time_off_remove,
    working_hours_add,
    working_hours_change,
    working_hours_problem,
    working_hours_remove,
)
from therapists.tests.factories import TherapistFactory

NEW_YORK = ZoneInfo("America/New_York")
CONTEXT = AuditContext.system("test")


@pytest.fixture
def new_york(db):
    return LocationFactory(time_zone="America/New_York", name="Manhattan")


@pytest.fixture
def ny_therapist(new_york):
    therapist = TherapistFactory()
    WorkingHours.objects.create(
        therapist=therapist,
        location=new_york,
        weekday=6,
        starts_at=time(9),
        ends_at=time(10),
    )
    return therapist


def _add(therapist, location, weekday, start, end):
    return working_hours_add(
        therapist=therapist,
        location=location,
        weekday=weekday,
        starts_at=start,
        ends_at=end,
        context=CONTEXT,
    )


# --- weekly hours --------------------------------------------------------------------


@pytest.mark.django_db
def test_it_refuses_hours_that_overlap_at_another_location(new_york):
    therapist = TherapistFactory()
    _add(therapist, new_york, 0, time(9), time(13))
    other = LocationFactory(name="Brooklyn")

    with pytest.raises(ValidationError, match="overlaps .* 09:00-13:00 at Manhattan"):
        _add(therapist, other, 0, time(12), time(17))


@pytest.mark.django_db
def test_back_to_back_blocks_and_other_days_are_fine(new_york):
    therapist = TherapistFactory()
    _add(therapist, new_york, 0, time(9), time(12))
    _add(therapist, LocationFactory(), 0, time(12), time(17))
    _add(therapist, new_york, 1, time(10), time(11))
    _add(TherapistFactory(), new_york, 0, time(9), time(12))

    assert WorkingHours.objects.count() == 4


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end"), [(time(17), time(9)), (time(9), time(9)), (time(23), time(1))]
)
def test_hours_start_before_they_end_on_the_same_day(new_york, start, end):
    with pytest.raises(ValidationError, match="start before they end"):
        _add(TherapistFactory(), new_york, 2, start, end)


@pytest.mark.django_db
def test_changing_a_block_ignores_itself_but_not_the_others(new_york):
    therapist = TherapistFactory()
    morning = _add(therapist, new_york, 0, time(9), time(12))
    _add(therapist, new_york, 0, time(13), time(17))

    working_hours_change(
        block=morning,
        location=new_york,
        weekday=0,
        starts_at=time(8),
        ends_at=time(13),
        context=CONTEXT,
    )
    with pytest.raises(ValidationError, match="overlaps"):
        working_hours_change(
            block=morning,
            location=new_york,
            weekday=0,
            starts_at=time(8),
            ends_at=time(14),
            context=CONTEXT,
        )
    morning.refresh_from_db()
    assert (morning.starts_at, morning.ends_at) == (time(8), time(13))


@pytest.mark.django_db
def test_every_change_of_hours_is_audited(new_york):
    therapist = TherapistFactory()
    block = _add(therapist, new_york, 0, time(9), time(12))
    working_hours_change(
        block=block,
        location=new_york,
        weekday=1,
        starts_at=time(9),
        ends_at=time(12),
        context=CONTEXT,
    )
    working_hours_remove(block=block, context=CONTEXT)

    summaries = list(
        AuditEvent.objects.filter(object_type="therapists.WorkingHours")
        .order_by("pk")
        .values_list("summary", flat=True)
    )
    assert summaries == [
        f"Weekly hours of {therapist.full_name}: Monday 09:00-12:00 at Manhattan",
        f"Weekly hours of {therapist.full_name}: Monday 09:00-12:00 at Manhattan -> "
        "Tuesday 09:00-12:00 at Manhattan",
        f"Weekly hours of {therapist.full_name} removed: "
        "Tuesday 09:00-12:00 at Manhattan",
    ]


@pytest.mark.django_db
def test_the_database_refuses_overlapping_blocks_written_around_the_service(new_york):
    therapist = TherapistFactory()
    _add(therapist, new_york, 3, time(9), time(12))

    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(
            therapist=therapist,
            location=LocationFactory(),
            weekday=3,
            starts_at=time(11, 45),
            ends_at=time(18),
        )


_quarter = st.integers(min_value=0, max_value=95).map(
    lambda q: time(q // 4, (q % 4) * 15)
)
_block = st.tuples(st.integers(0, 1), _quarter, _quarter).filter(lambda b: b[1] < b[2])


@pytest.mark.django_db
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(blocks=st.lists(_block, min_size=1, max_size=6))
def test_the_service_and_the_database_agree_on_overlap(new_york, blocks):
    """Whatever is tried, the saved blocks never overlap, and a block is refused
    exactly when it overlaps one already saved that day (back-to-back is fine)."""
    therapist = TherapistFactory()
    saved: list[tuple[int, time, time]] = []
    for weekday, start, end in blocks:
        clash = any(w == weekday and s < end and start < e for w, s, e in saved)
        assert (
            working_hours_problem(
                therapist=therapist, weekday=weekday, starts_at=start, ends_at=end
            )
            is not None
        ) == clash
        if clash:
            with pytest.raises(ValidationError):
                _add(therapist, new_york, weekday, start, end)
            # The database alone says the same.
            with pytest.raises(IntegrityError), transaction.atomic():
                WorkingHours.objects.create(
                    therapist=therapist,
                    location=new_york,
                    weekday=weekday,
                    starts_at=start,
                    ends_at=end,
                )
        else:
            _add(therapist, new_york, weekday, start, end)
            saved.append((weekday, start, end))
    assert WorkingHours.objects.filter(therapist=therapist).count() == len(saved)


# --- local time ------------------------------------------------------------------------


def test_a_time_skipped_in_spring_is_refused_with_a_sentence():
    with pytest.raises(ValidationError, match="does not exist in America/New_York"):
        local_instant(datetime(2026, 3, 8, 2, 30), NEW_YORK)


def test_a_time_repeated_in_autumn_is_refused_with_a_sentence():
    with pytest.raises(ValidationError, match="happens twice in America/New_York"):
        local_instant(datetime(2026, 11, 1, 1, 30), NEW_YORK)


def test_the_hours_either_side_of_the_changes_are_the_right_instants():
    assert local_instant(datetime(2026, 3, 8, 1, 59), NEW_YORK) == datetime(
        2026, 3, 8, 6, 59, tzinfo=UTC
    )
    assert local_instant(datetime(2026, 3, 8, 3, 0), NEW_YORK) == datetime(
        2026, 3, 8, 7, 0, tzinfo=UTC
    )
    assert local_instant(datetime(2026, 11, 1, 0, 59), NEW_YORK) == datetime(
        2026, 11, 1, 4, 59, tzinfo=UTC
    )
    assert local_instant(datetime(2026, 11, 1, 2, 0), NEW_YORK) == datetime(
        2026, 11, 1, 7, 0, tzinfo=UTC
    )


_around_dst = st.sampled_from(
    [
        datetime(2026, 3, 7),
        datetime(2026, 3, 8),
        datetime(2026, 10, 31),
        datetime(2026, 11, 1),
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    day=_around_dst,
    minutes=st.integers(min_value=0, max_value=2 * 24 * 60 - 1),
    zone=st.sampled_from(["America/New_York", "America/Los_Angeles", "Europe/London"]),
)
def test_a_local_time_is_its_instant_or_refused_never_shifted(day, minutes, zone):
    """Around the 2026 changes, every accepted local time reads back as itself in
    the zone, and only the skipped or repeated wall times are refused."""
    tz = ZoneInfo(zone)
    naive = day + timedelta(minutes=minutes)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    missing = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive
    repeated = not missing and first.utcoffset() != second.utcoffset()
    if missing or repeated:
        with pytest.raises(ValidationError):
            local_instant(naive, tz)
        return
    instant = local_instant(naive, tz)
    assert instant.tzinfo == UTC
    assert instant.astimezone(tz).replace(tzinfo=None) == naive


# --- time off --------------------------------------------------------------------------


@pytest.mark.django_db
def test_time_off_is_typed_in_the_therapists_zone_and_stored_in_utc(ny_therapist):
    off = time_off_add(
        therapist=ny_therapist,
        starts=datetime(2026, 12, 1, 8),
        ends=datetime(2026, 12, 1, 12),
        reason=" Dentist ",
        context=CONTEXT,
    )

    assert (off.starts_at, off.ends_at, off.reason) == (
        datetime(2026, 12, 1, 13, tzinfo=UTC),
        datetime(2026, 12, 1, 17, tzinfo=UTC),
        "Dentist",
    )
    event = AuditEvent.objects.get(object_type="therapists.TimeOff")
    assert event.summary.endswith(
        "Tue 01 Dec 2026 08:00-Tue 01 Dec 2026 12:00 America/New_York (Dentist)"
    )


@pytest.mark.django_db
def test_time_off_over_the_spring_change_lasts_its_real_length(ny_therapist):
    off = time_off_add(
        therapist=ny_therapist,
        starts=datetime(2026, 3, 8, 0, 0),
        ends=datetime(2026, 3, 8, 6, 0),
        reason="",
        context=CONTEXT,
    )
    assert off.ends_at - off.starts_at == timedelta(hours=5)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("starts", "ends", "message"),
    [
        (datetime(2026, 12, 2, 9), datetime(2026, 12, 2, 9), "end after it starts"),
        (datetime(2026, 12, 2, 9), datetime(2026, 12, 1, 9), "end after it starts"),
        (datetime(2026, 3, 8, 2, 15), datetime(2026, 3, 8, 9), "does not exist"),
        (datetime(2026, 10, 31, 9), datetime(2026, 11, 1, 1, 15), "happens twice"),
    ],
)
def test_time_off_refusals_say_what_to_fix(ny_therapist, starts, ends, message):
    with pytest.raises(ValidationError, match=message):
        time_off_add(
            therapist=ny_therapist,
            starts=starts,
            ends=ends,
            reason="",
            context=CONTEXT,
        )
    assert not TimeOff.objects.exists()


@pytest.mark.django_db
def test_removing_time_off_is_audited(ny_therapist):
    off = time_off_add(
        therapist=ny_therapist,
        starts=datetime(2026, 12, 1, 8),
        ends=datetime(2026, 12, 1, 12),
        reason="",
        context=CONTEXT,
    )
    time_off_remove(time_off=off, context=CONTEXT)

    assert not TimeOff.objects.exists()
    assert AuditEvent.objects.filter(
        object_type="therapists.TimeOff", summary__contains="removed"
    ).exists()
