"""The clinic's calendar: which date "today" is, and on which date a moment fell.

Settings keep TIME_ZONE = "UTC" and the database stores UTC, so `timezone.localdate()`,
`timezone.now().date()` and `date.today()` give the UTC date; in New York that turns
over at 7 or 8 pm. Every "today" and every "the day of this moment" on a page, in a
rule or in a task comes from here, so there is one answer to "which day is it".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db.models import CharField, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone

from massageclinic.models import Location

UTC = ZoneInfo("UTC")

# A place whose calendar counts: a location, or the zone of one already looked up
# (a list resolves the fallback once instead of once per row).
Where = Location | ZoneInfo | None


def _clinic_locations() -> QuerySet[Location]:
    return Location.objects.filter(is_active=True).order_by("pk")


def clinic_location() -> Location | None:
    """The clinic's own place when no other is given: its first active location."""
    return _clinic_locations().first()


def location_zone(location: Where = None) -> ZoneInfo:
    """The zone whose calendar counts: the location's, else the clinic's, else UTC."""
    if isinstance(location, ZoneInfo):
        return location
    if location is None:
        location = clinic_location()
    return location.zone if location is not None else UTC


def clinic_zone_name() -> RawSQL:
    """The clinic's zone read inside another query (its first active location's
    name, NULL when there is none); `zone_named` turns it into `location_zone(None)`."""
    sql, params = _clinic_zone_sql()
    return RawSQL(sql, params, output_field=CharField())  # noqa: S611 - the ORM wrote it


@lru_cache(maxsize=1)
def _clinic_zone_sql() -> tuple[str, tuple[object, ...]]:
    # The ORM writes the subquery from `_clinic_locations`, once a process: compiling
    # it again for each flags' load cost more than the rest of that query's SQL.
    query = _clinic_locations().values("time_zone")[:1].query
    sql, params = query.sql_with_params()
    return f"({sql})", tuple(params)


def zone_named(name: str | None) -> ZoneInfo:
    """The zone `clinic_zone_name` read: UTC when the clinic has no active location."""
    return ZoneInfo(name) if name else UTC


def local_date(moment: datetime, location: Where = None) -> date:
    """The date `moment` fell on at `location` (the clinic's first location if None)."""
    if timezone.is_naive(moment):
        # A naive time has no place in the calendar; guessing would be off by hours.
        raise ValueError("local_date() needs an aware datetime.")
    return moment.astimezone(location_zone(location)).date()


def local_today(*, location: Where = None, now: datetime | None = None) -> date:
    """Today's date at `location` (the clinic's first active location if None)."""
    return local_date(now or timezone.now(), location)


def local_datetime(
    day: date, at: time, location: Location, *, fold: int = 0
) -> datetime:
    """A wall-clock time at the location, as an aware datetime in UTC.

    A time that does not exist (the spring-forward gap, e.g. 02:30 on 8 March 2026 in
    New York) is moved forward by the gap: 02:30 becomes 03:30. A time that occurs
    twice (the autumn fall-back hour) is its first occurrence, still on summer time,
    unless `fold=1` asks for the second one; `fold` changes nothing at any other time.
    """
    return _wall_time_instant(day, at, location.zone, fold)


@lru_cache(maxsize=8192)
def _wall_time_instant(day: date, at: time, zone: ZoneInfo, fold: int) -> datetime:
    # Pure (a zone's rules do not change while the process runs), and asked for the
    # same few hours of the same days thousands of times by the opening search.
    naive = datetime.combine(day, at)
    fold = fold if is_repeated(naive, zone) else 0
    return naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)


def is_repeated(naive: datetime, zone: ZoneInfo) -> bool:
    """The wall time happens twice in `zone` (the hour the clocks go back)."""
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    exists = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
    return exists and first.utcoffset() != second.utcoffset()


def local_day_span(day: date, location: Location) -> tuple[datetime, datetime]:
    """From the location's midnight to the next one (23 or 25 hours on a DST day)."""
    return (
        local_datetime(day, time(0), location),
        local_datetime(day + timedelta(days=1), time(0), location),
    )


def time_label(moment: datetime, *, meridiem: bool = True) -> str:
    """A local time as the pages write it: 9:15 AM (Django's "g:i A"), the same
    text at a fraction of the date filter's cost (the grids and Today write hundreds)."""
    hour = moment.hour % 12 or 12
    text = f"{hour}:{moment.minute:02d}"
    if meridiem:
        text += " AM" if moment.hour < 12 else " PM"
    return text


def day_label(day: date) -> str:
    """A day as the grids and the openings write it: Mon 30 Nov (Django's "D j M")."""
    return f"{day:%a} {day.day} {day:%b}"
