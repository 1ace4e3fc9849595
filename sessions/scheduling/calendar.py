"""The calendar grids: a day per location (a column per therapist) and a week per
therapist or room (a column per day), in 15-minute rows, in the location's zone.

Each grid is built from a fixed number of queries whatever the number of visits.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Count, Q

from clients.models import Authorization, Referral
from clients.safety import Alert, alerts_for_clients
from massageclinic.clock import local_datetime, local_day_span
from massageclinic.lengths import STEP
from massageclinic.models import Location, Room
from sessions.models import Appointment
from sessions.scheduling.rules import quarter_hours
from therapists.models import Therapist, TimeOff, WorkingHours
from therapists.rules import block_span

NEAR_END_DAYS = 14


@dataclass
class Block:
    """A visit on the grid, with what the desk should notice at a glance."""

    visit: Appointment
    rows: int
    alerts: list[Alert] = field(default_factory=list)
    paperwork: list[str] = field(default_factory=list)


@dataclass
class Cell:
    starts_at: datetime
    kind: str  # "free", "past", "off", "block", "covered"
    block: Block | None = None
    column: Column | None = None


@dataclass
class Column:
    title: str
    therapist: Therapist | None
    room: Room | None
    day: date
    cells: list[Cell] = field(default_factory=list)


@dataclass
class Grid:
    location: Location
    times: list[datetime]
    columns: list[Column]
    cancelled: list[Appointment]

    @property
    def zone_changes(self) -> bool:
        """The clocks change within these rows: label them with the zone (EDT, EST)."""
        zone = self.location.zone
        return len({t.astimezone(zone).utcoffset() for t in self.times}) > 1

    def _zone_label(self, moment: datetime) -> str:
        # Django's "T" format leaves an ambiguous wall time unnamed; the repeated
        # autumn hour is exactly where the desk needs the name.
        return moment.astimezone(self.location.zone).tzname() or ""

    @property
    def rows(self) -> list[tuple[datetime, str, int, list[Cell]]]:
        """(moment, zone name on a day the clocks change, 1 for the second time of a
        repeated wall time, the row's cells)."""
        labelled = self.zone_changes
        zone = self.location.zone
        return [
            (
                t,
                self._zone_label(t) if labelled else "",
                t.astimezone(zone).fold,
                [c.cells[i] for c in self.columns],
            )
            for i, t in enumerate(self.times)
        ]


def _slots(location: Location, day: date) -> list[datetime]:
    """The day's rows: every real quarter hour from opening to closing.

    On the autumn change the repeated hour is its own four rows; on the spring change
    the hour that does not exist has none.
    """
    return quarter_hours(
        local_datetime(day, location.opens_at, location),
        local_datetime(day, location.closes_at, location),
    )


def _floor_to_slot(moment: datetime, slots: list[datetime]) -> int | None:
    for index in range(len(slots) - 1, -1, -1):
        if slots[index] <= moment:
            return index
    return None


def _paperwork_notes(visits: list[Appointment]) -> dict[int, list[str]]:
    """Per visit: the referral or authorization near its end (two queries in all)."""
    referral_ids = {v.referral_id for v in visits if v.referral_id}
    auth_ids = {v.authorization_id for v in visits if v.authorization_id}
    blocking = ~Q(appointments__status__in=Appointment.NON_BLOCKING_STATUSES)
    referrals = {
        r.pk: r
        for r in Referral.objects.filter(pk__in=referral_ids).annotate(
            booked=Count("appointments", filter=blocking)
        )
    }
    authorizations = {
        a.pk: a
        for a in Authorization.objects.filter(pk__in=auth_ids).annotate(
            booked=Count("appointments", filter=blocking)
        )
    }
    notes: dict[int, list[str]] = defaultdict(list)
    for visit in visits:
        day = visit.starts_at.astimezone(visit.location.zone).date()
        referral = (
            referrals.get(visit.referral_id) if visit.referral_id is not None else None
        )
        if referral is not None:
            if referral.expires_on < day + timedelta(days=NEAR_END_DAYS):
                notes[visit.pk].append(f"referral ends {referral.expires_on:%d %b}")
            if referral.booked >= referral.visits_authorized:
                notes[visit.pk].append(
                    f"{referral.booked} of {referral.visits_authorized} prescribed visits booked"
                )
        auth = (
            authorizations.get(visit.authorization_id)
            if visit.authorization_id is not None
            else None
        )
        if auth is not None:
            if auth.valid_to < day + timedelta(days=NEAR_END_DAYS):
                notes[visit.pk].append(f"authorization ends {auth.valid_to:%d %b}")
            if (
                auth.visits_authorized is not None
                and auth.booked >= auth.visits_authorized
            ):
                notes[visit.pk].append(
                    f"{auth.booked} of {auth.visits_authorized} authorized visits booked"
                )
    return notes


def _visits(filters: Q, start: datetime, end: datetime) -> list[Appointment]:
    return list(
        Appointment.objects.filter(filters, starts_at__lt=end, ends_at__gt=start)
        .select_related("client", "therapist__user", "modality", "room", "location")
        .order_by("starts_at")
    )


def _blocks(visits: list[Appointment], on: date) -> dict[int, Block]:
    alerts = alerts_for_clients({v.client_id for v in visits}, on) if visits else {}
    paperwork = _paperwork_notes(visits) if visits else {}
    return {
        v.pk: Block(
            visit=v,
            rows=max(1, -(-v.duration_minutes // 15)),
            alerts=alerts.get(v.client_id, []),
            paperwork=paperwork.get(v.pk, []),
        )
        for v in visits
    }


def _fill(
    column: Column,
    slots: list[datetime],
    visits: list[Appointment],
    blocks: dict[int, Block],
    working: list[tuple[datetime, datetime]] | None,
    off: list[tuple[datetime, datetime]],
    now: datetime,
) -> None:
    """Lay out a column: blocks with their height, covered cells, free and off cells."""
    starts: dict[int, Block] = {}
    covered: set[int] = set()
    for visit in visits:
        index = _floor_to_slot(visit.starts_at, slots)
        if index is None or index in covered or index in starts:
            continue
        block = blocks[visit.pk]
        block.rows = min(block.rows, len(slots) - index)
        starts[index] = block
        covered.update(range(index + 1, index + block.rows))
    for index, moment in enumerate(slots):
        end = moment + STEP
        outside = working is not None and not any(
            s <= moment and end <= e for s, e in working
        )
        if index in starts:
            kind = "block"
        elif index in covered:
            kind = "covered"
        elif outside or any(s < end and e > moment for s, e in off):
            kind = "off"
        else:
            kind = "free" if moment >= now else "past"
        column.cells.append(Cell(moment, kind, starts.get(index), column))


def _travel(visits: list[Appointment]) -> list[tuple[datetime, datetime]]:
    """The travel before and after home visits: the therapist cannot be booked then."""
    spans = []
    for v in visits:
        if v.therapist_busy_from < v.starts_at:
            spans.append((v.therapist_busy_from, v.starts_at))
        if v.therapist_busy_until > v.ends_at:
            spans.append((v.ends_at, v.therapist_busy_until))
    return spans


def _working_spans(blocks: list[WorkingHours], day: date, location: Location):
    return [block_span(day, b, location) for b in blocks]


def day_grid(*, location: Location, day: date, now: datetime) -> Grid:
    """One column per therapist working (or booked) at the location that day."""
    slots = _slots(location, day)
    start, end = local_day_span(day, location)
    visits = _visits(Q(location=location), start, end)
    live = [v for v in visits if v.is_blocking]
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    for block in WorkingHours.objects.filter(location=location, weekday=day.weekday()):
        hours[block.therapist_id].append(block)
    therapist_ids = set(hours) | {v.therapist_id for v in live}
    therapists = sorted(
        Therapist.objects.filter(pk__in=therapist_ids).select_related("user"),
        key=lambda t: t.full_name,
    )
    time_off: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for therapist_id, s, e in TimeOff.objects.filter(
        therapist_id__in=therapist_ids, starts_at__lt=end, ends_at__gt=start
    ).values_list("therapist_id", "starts_at", "ends_at"):
        time_off[therapist_id].append((s, e))
    blocks = _blocks(live, day)
    columns = []
    for therapist in therapists:
        column = Column(therapist.full_name, therapist, None, day)
        own = [v for v in live if v.therapist_id == therapist.pk]
        _fill(
            column,
            slots,
            own,
            blocks,
            _working_spans(hours.get(therapist.pk, []), day, location),
            time_off.get(therapist.pk, []) + _travel(own),
            now,
        )
        columns.append(column)
    cancelled = [v for v in visits if not v.is_blocking]
    return Grid(location, slots, columns, cancelled)


def week_grid(
    *,
    location: Location,
    monday: date,
    now: datetime,
    therapist: Therapist | None = None,
    room: Room | None = None,
) -> Grid:
    """One column per day of the week, for one therapist or one room."""
    days = [monday + timedelta(days=i) for i in range(7)]
    slots_by_day = {d: _slots(location, d) for d in days}
    start = local_datetime(monday, time(0), location)
    end = local_datetime(monday + timedelta(days=7), time(0), location)
    who = Q(therapist=therapist) if therapist else Q(room=room)
    visits = [
        v for v in _visits(who & Q(location=location), start, end) if v.is_blocking
    ]
    # Other locations' visits of the therapist show as busy time, not as blocks here.
    hours: dict[int, list[WorkingHours]] = defaultdict(list)
    off: list[tuple[datetime, datetime]] = []
    if therapist is not None:
        for block in WorkingHours.objects.filter(
            therapist=therapist, location=location
        ):
            hours[block.weekday].append(block)
        off = list(
            TimeOff.objects.filter(
                therapist=therapist, starts_at__lt=end, ends_at__gt=start
            ).values_list("starts_at", "ends_at")
        )
    blocks = _blocks(visits, monday)
    columns = []
    for day in days:
        column = Column(day.strftime("%a %d %b"), therapist, room, day)
        working = (
            _working_spans(hours.get(day.weekday(), []), day, location)
            if therapist
            else None
        )
        day_visits = [
            v for v in visits if v.starts_at.astimezone(location.zone).date() == day
        ]
        busy = off + _travel(day_visits) if therapist else off
        _fill(column, slots_by_day[day], day_visits, blocks, working, busy, now)
        columns.append(column)
    times = slots_by_day[monday]
    # Rows are labelled by local wall time; a DST day may have one slot more or less.
    for column in columns:
        column.cells = column.cells[: len(times)] + [
            Cell(times[-1], "off", None, column)
            for _ in range(len(times) - len(column.cells))
        ]
    return Grid(location, times, columns, [])
