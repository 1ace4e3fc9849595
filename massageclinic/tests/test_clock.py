"""The one answer to "which day is it": the location's local date, never UTC's."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from massageclinic.clock import clinic_location, local_date, local_today, location_zone
from massageclinic.models import clinic_today
from massageclinic.tests.factories import LocationFactory

# 20:30 on Friday 27 November 2026 in New York (UTC-5); already the 28th in UTC.
EVENING_IN_NEW_YORK = datetime(2026, 11, 28, 1, 30, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture
def new_york():
    return LocationFactory(name="Riverside", time_zone="America/New_York")


@pytest.fixture
def london():
    return LocationFactory(name="Thames", time_zone="Europe/London")


def test_today_is_the_clinics_local_date_after_the_utc_date_turned(new_york):
    with time_machine.travel(EVENING_IN_NEW_YORK, tick=False):
        assert local_today() == date(2026, 11, 27)
        assert clinic_today() == date(2026, 11, 27)


def test_a_given_location_decides_over_the_clinics_first(new_york, london):
    with time_machine.travel(EVENING_IN_NEW_YORK, tick=False):
        assert local_today(location=london) == date(2026, 11, 28)
        assert local_today(location=new_york) == date(2026, 11, 27)
        assert local_today() == date(2026, 11, 27)  # Riverside came first


def test_the_clinic_is_its_first_active_location(new_york, london):
    new_york.is_active = False
    new_york.save()
    assert clinic_location() == london
    assert local_today(now=EVENING_IN_NEW_YORK) == date(2026, 11, 28)


def test_without_any_location_it_is_utc():
    assert location_zone() == ZoneInfo("UTC")
    assert local_today(now=EVENING_IN_NEW_YORK) == date(2026, 11, 28)


def test_an_explicit_now_wins_over_the_clock(new_york):
    with time_machine.travel(datetime(2030, 1, 1, 12, tzinfo=UTC), tick=False):
        assert local_today(now=EVENING_IN_NEW_YORK) == date(2026, 11, 27)


def test_a_zone_already_looked_up_spares_the_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        day = local_date(EVENING_IN_NEW_YORK, ZoneInfo("America/New_York"))
    assert day == date(2026, 11, 27)


def test_clinic_today_of_a_moment_is_its_local_date(new_york):
    assert clinic_today(EVENING_IN_NEW_YORK) == local_date(EVENING_IN_NEW_YORK)


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        # 01:30 EST on the spring-forward day; 03:30 EDT after the gap.
        (datetime(2026, 3, 8, 6, 30, tzinfo=UTC), date(2026, 3, 8)),
        (datetime(2026, 3, 8, 4, 59, tzinfo=UTC), date(2026, 3, 7)),
        # The repeated 01:00 hour in autumn: both passes are 1 November.
        (datetime(2026, 11, 1, 5, 30, tzinfo=UTC), date(2026, 11, 1)),
        (datetime(2026, 11, 1, 6, 30, tzinfo=UTC), date(2026, 11, 1)),
        # 23:59 EDT on 31 October; 23:59 EST on 1 November.
        (datetime(2026, 11, 1, 3, 59, tzinfo=UTC), date(2026, 10, 31)),
        (datetime(2026, 11, 2, 4, 59, tzinfo=UTC), date(2026, 11, 1)),
    ],
)
def test_the_local_date_holds_across_daylight_saving_changes(new_york, moment, day):
    assert local_date(moment, new_york) == day


def test_a_naive_moment_is_refused():
    with pytest.raises(ValueError, match="aware"):
        local_date(datetime(2026, 11, 27, 20, 30), ZoneInfo("UTC"))


_UTC_TODAY = re.compile(r"timezone\.localdate\(|\bdate\.today\(\)|datetime\.now\(\)")


def test_no_code_asks_for_a_utc_today():
    """Every "today" comes from massageclinic.clock (DESIGN: one rule, one place)."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for app in ("massageclinic", "therapists", "clients", "sessions"):
        for path in (root / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            if path.name == "clock.py" and path.parent.name == "massageclinic":
                continue  # its docstring names what not to use
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if _UTC_TODAY.search(line):
                    offenders.append(
                        f"{path.relative_to(root)}:{number}: {line.strip()}"
                    )
    assert offenders == []
