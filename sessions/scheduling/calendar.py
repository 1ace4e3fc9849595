"""The calendar grids: a day per location (a column per therapist) and a week per
therapist or room (a column per day), in 15-minute rows, in the location's zone.

Each grid is built from a fixed number of queries whatever the number of visits, and
everything a page shows is formatted here once (a label per row, per column and per
visit), so the template draws a few thousand cells without a filter or a URL per cell:
an empty cell is a bare `<td>`, and the grid's script makes the free ones bookable
from the table's booking URL, the column's `query` and the row's `query`.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.db.models import Q
from django.utils.safestring import mark_safe

from clients.safety import Alert, alerts_for_clients
from massageclinic.clock import day_label, local_datetime, local_day_span, time_label
from massageclinic.lengths import STEP
from massageclinic.models import Location, Room
from massageclinic.reference import Reference, reference
from sessions.scheduling.grid_visits import (
    PLACE_LABELS,
    CancelledLine,
    GridVisit,
    cancelled_lines,
    read_visits,
    share_therapists,
    visit_url,
)
from sessions.scheduling.paperwork import paperwork_notes
from sessions.scheduling.rules import quarter_hours
from therapists.models import Therapist, TimeOff, WorkingHours
from therapists.reference import hours_by_therapist, therapists_by_id
from therapists.rules import block_span

# A row's wall-clock key: the local time and, for the second pass of the repeated
# autumn hour, fold 1. The week grid lines its days up by this key.
WallKey = tuple[time, int]


@dataclass
class Block:
    """A visit on the grid, with what the desk should notice at a glance."""

    visit: GridVisit
    rows: int
    alerts: list[Alert] = field(default_factory=list)
    paperwork: list[str] = field(default_factory=list)
    # Written once here so the template does no per-visit filter or URL work.
    status: str = ""
    url: str = ""
    time_label: str = ""
    client_name: str = ""
    technique: str = ""
    where: str = ""
    therapist_name: str = ""
    status_label: str = ""

    @property
    def shown_alerts(self) -> list[Alert]:
        return [alert for alert in self.alerts if not alert.cleared]

    @property
    def rowspan(self) -> str:
        # A string: the template would localize an int through number_format.
        return str(self.rows)

    @property
    def has_notes(self) -> bool:
        """Anything under the visit's link: an alert in force or a paperwork note."""
        return bool(self.paperwork) or any(not a.cleared for a in self.alerts)


@dataclass(slots=True)
class Cell:
    starts_at: datetime
    kind: str  # "free", "past", "off", "block", "covered"
    block: Block | None = None


@dataclass
class Column:
    title: str
    therapist: Therapist | None
    room: Room | None
    day: date
    cells: list[Cell] = field(default_factory=list)
    # The booking link's part for this column (therapist, or the day in a week grid)
    # and the name a screen reader hears for its slots ("Tara Hands on Tue 1 Dec").
    query: str = ""
    label: str = ""
    keys: list[WallKey] = field(default_factory=list)


# An empty cell as sent: a free one bare (the grid's script finds and links those),
# an off or past one with its class only; covered cells are not sent at all.
_EMPTY_CELL = {
    "free": "<td></td>",
    "past": '<td class="past"></td>',
    "off": '<td class="off"></td>',
}


@dataclass
class Row:
    """One 15-minute row: its label written once, and the cells that start in it."""

    moment: datetime
    label: str
    shown: bool  # on the hour and half hour the label is visible, else for readers
    hour: bool
    fold: int
    query: str  # the booking link's time part
    cells: list[Cell]

    @property
    def items(self) -> list[tuple[Block | None, str]]:
        """The row as the template draws it: each visit, and each run of empty cells
        between them as one piece of fixed markup (no person's data in it)."""
        items: list[tuple[Block | None, str]] = []
        run: list[str] = []
        for cell in self.cells:
            if cell.block is None:
                run.append(_EMPTY_CELL[cell.kind])
                continue
            if run:
                items.append((None, mark_safe("".join(run))))  # noqa: S308
                run = []
            items.append((cell.block, ""))
        if run:
            items.append((None, mark_safe("".join(run))))  # noqa: S308
        return items


@dataclass
class Grid:
    location: Location
    times: list[datetime]
    columns: list[Column]
    cancelled: list[CancelledLine]
    rows: list[Row] = field(default_factory=list)
    book_query: str = ""  # the booking link's fixed part (location, who)

    @property
    def zone_changes(self) -> bool:
        """The clocks change within these rows: label them with the zone (EDT, EST)."""
        zone = self.location.zone
        return len({t.astimezone(zone).utcoffset() for t in self.times}) > 1


def _wall_key(moment: datetime, location: Location) -> WallKey:
    local = moment.astimezone(location.zone)
    return local.time().replace(tzinfo=None), local.fold


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
    index = bisect_right(slots, moment) - 1
    return index if index >= 0 else None


def _blocks(
    visits: list[GridVisit],
    on: date,
    location: Location,
    ref: Reference | None = None,
) -> dict[int, Block]:
    alerts = (
        alerts_for_clients({v.client_id for v in visits}, on, ref=ref) if visits else {}
    )
    paperwork = paperwork_notes(visits, location) if visits else {}
    url_of = visit_url()
    zone = location.zone
    blocks = {}
    for v in visits:
        starts, ends = v.starts_at.astimezone(zone), v.ends_at.astimezone(zone)
        blocks[v.pk] = Block(
            visit=v,
            rows=max(1, -(-v.duration_minutes // 15)),
            alerts=alerts.get(v.client_id, []),
            paperwork=paperwork.get(v.pk, []),
            status=v.status,
            url=url_of(v.pk),
            time_label=f"{time_label(starts, meridiem=False)}–{time_label(ends)}",
            client_name=v.client_name,
            technique=v.technique,
            where=v.room_name or PLACE_LABELS[v.place],
            therapist_name=v.therapist.full_name if v.therapist else "",
            status_label=v.status_label,
        )
    return blocks


def _slot_range(
    slots: list[datetime], start: datetime, end: datetime, *, whole: bool
) -> range:
    """The indices of the slots inside [start, end) (whole) or touching it."""
    if whole:
        return range(bisect_left(slots, start), bisect_right(slots, end - STEP))
    return range(bisect_right(slots, start - STEP), bisect_left(slots, end))


def _fill(
    column: Column,
    slots: list[datetime],
    visits: list[GridVisit],
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
        block = blocks[visit.pk]
        if index is None and slots and visit.ends_at > slots[0]:
            # Begun before the first row (the evening before): shown from the top.
            index = 0
            block.rows = -(-(visit.ends_at - slots[0]) // STEP)
        if index is None or index in covered or index in starts:
            continue
        block.rows = min(block.rows, len(slots) - index)
        starts[index] = block
        covered.update(range(index + 1, index + block.rows))
    unavailable: set[int] = set()
    if working is not None:
        unavailable.update(range(len(slots)))
        for s, e in working:
            unavailable.difference_update(_slot_range(slots, s, e, whole=True))
    for s, e in off:
        unavailable.update(_slot_range(slots, s, e, whole=False))
    first_future = bisect_left(slots, now)
    cells = column.cells
    for index, moment in enumerate(slots):
        started = starts.get(index)
        if started is not None:
            cells.append(Cell(moment, "block", started))
        elif index in covered:
            cells.append(Cell(moment, "covered"))
        elif index in unavailable:
            cells.append(Cell(moment, "off"))
        else:
            cells.append(Cell(moment, "free" if index >= first_future else "past"))


def _travel(visits: list[GridVisit]) -> list[tuple[datetime, datetime]]:
    """The travel before and after home visits: the therapist cannot be booked then."""
    spans = []
    for v in visits:
        if v.therapist_busy_from < v.starts_at:
            spans.append((v.therapist_busy_from, v.starts_at))
        if v.therapist_busy_until > v.ends_at:
            spans.append((v.ends_at, v.therapist_busy_until))
    return spans


def _working_spans(
    blocks: list[WorkingHours], day: date, location: Location
) -> list[tuple[datetime, datetime]]:
    return [block_span(day, b, location) for b in blocks]


def _row_keys(columns: list[Column]) -> list[WallKey]:
    """Every wall time of the columns, in order: a day's own rows in its own order,
    and a wall time only some days have (the repeated autumn hour) after the one
    before it, so a week lines its days up by the clock."""
    keys: list[WallKey] = []
    known: set[WallKey] = set()
    for column in columns:
        previous: WallKey | None = None
        for key in column.keys:
            if key not in known:
                at = keys.index(previous) + 1 if previous is not None else 0
                while at < len(keys) and previous is None and keys[at] < key:
                    at += 1
                keys.insert(at, key)
                known.add(key)
            previous = key
    return keys


def _lay_rows(grid: Grid, keys: list[WallKey], query_of: Callable[[time], str]) -> None:
    """Put each column's cells on the rows: a block spans the rows between its
    first and last slot, the cells it covers are left out, and a row the column
    has no slot for (a wall time that day does not have) is off."""
    zone = grid.location.zone
    index = {key: i for i, key in enumerate(keys)}
    placed: list[list[Cell]] = [[] for _ in keys]
    moments: list[datetime | None] = [None] * len(keys)
    for column in grid.columns:
        at_row = [index[key] for key in column.keys]
        column_cells: dict[int, Cell] = {}
        taken: set[int] = set()
        for own, cell in enumerate(column.cells):
            row = at_row[own]
            if moments[row] is None:
                moments[row] = cell.starts_at
            if cell.kind == "covered":
                continue
            if cell.block is not None:
                last = at_row[min(own + cell.block.rows, len(at_row)) - 1]
                cell.block.rows = last - row + 1
                taken.update(range(row + 1, last + 1))
            column_cells[row] = cell
        for row in range(len(keys)):
            if row in column_cells:
                placed[row].append(column_cells[row])
            elif row not in taken:
                placed[row].append(Cell(moments[row] or grid.times[0], "off"))
    labelled = (
        len({m.astimezone(zone).utcoffset() for m in moments if m is not None}) > 1
    )
    for row, key in enumerate(keys):
        moment = moments[row] or grid.times[0]
        local = moment.astimezone(zone)
        label = time_label(local)
        if labelled:
            label += f" {local.tzname() or ''}"
        wall, fold = key
        grid.rows.append(
            Row(
                moment=moment,
                label=label,
                shown=wall.minute in (0, 30),
                hour=wall.minute == 0,
                fold=fold,
                query=query_of(wall) + ("&fold=1" if fold else ""),
                cells=placed[row],
            )
        )


def _hours_on(
    ref: Reference, location: Location, weekday: int
) -> dict[int, list[WorkingHours]]:
    """Each therapist's blocks of hours at the location on the weekday, earliest first."""
    hours: dict[int, list[WorkingHours]] = {}
    for therapist_id, blocks in ref.get(hours_by_therapist).items():
        here = [
            b for b in blocks if b.location_id == location.pk and b.weekday == weekday
        ]
        if here:
            hours[therapist_id] = here
    return hours


def day_grid(
    *, location: Location, day: date, now: datetime, ref: Reference | None = None
) -> Grid:
    """One column per therapist working (or booked) at the location that day."""
    ref = ref or reference()
    slots = _slots(location, day)
    start, end = local_day_span(day, location)
    visits = read_visits(Q(location=location), start, end, location)
    live = [v for v in visits if v.is_blocking]
    # The therapists working, and any booked here without hours that day (moved
    # hours, a visit kept), from the kept reference data.
    hours = _hours_on(ref, location, day.weekday())
    therapist_ids = set(hours) | {v.therapist_id for v in live}
    known = ref.get(therapists_by_id)
    people = {pk: known[pk] for pk in therapist_ids if pk in known}
    if therapist_ids - people.keys():
        people.update(
            Therapist.objects.select_related("user").in_bulk(
                therapist_ids - people.keys()
            )
        )
    therapists = sorted(people.values(), key=lambda t: (t.full_name, t.pk))
    time_off: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for therapist_id, s, e in TimeOff.objects.filter(
        therapist_id__in=therapist_ids, starts_at__lt=end, ends_at__gt=start
    ).values_list("therapist_id", "starts_at", "ends_at"):
        time_off[therapist_id].append((s, e))
    share_therapists(visits, {t.pk: t for t in therapists})
    blocks = _blocks(live, day, location, ref)
    own_visits: dict[int, list[GridVisit]] = defaultdict(list)
    for v in live:
        own_visits[v.therapist_id].append(v)
    keys = [_wall_key(t, location) for t in slots]
    columns = []
    for therapist in therapists:
        name = therapist.full_name
        column = Column(
            name,
            therapist,
            None,
            day,
            query=f"&therapist={therapist.pk}",
            label=f"{name} on {day_label(day)}",
            keys=keys,
        )
        own = own_visits[therapist.pk]
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
    cancelled = cancelled_lines([v for v in visits if not v.is_blocking], location)
    grid = Grid(
        location, slots, columns, cancelled, book_query=f"?location={location.pk}"
    )
    _lay_rows(grid, keys, lambda wall: f"&starts={day:%Y-%m-%d}T{wall:%H:%M}")
    return grid


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
        v
        for v in read_visits(who & Q(location=location), start, end, location)
        if v.is_blocking
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
    share_therapists(visits, {therapist.pk: therapist} if therapist else {})
    blocks = _blocks(visits, monday, location)
    by_day: dict[date, list[GridVisit]] = defaultdict(list)
    for v in visits:
        by_day[v.starts_at.astimezone(location.zone).date()].append(v)
    name = therapist.full_name if therapist else room.name if room else ""
    columns = []
    for day in days:
        slots = slots_by_day[day]
        column = Column(
            day.strftime("%a %d %b"),
            therapist,
            room,
            day,
            query=f"&starts={day:%Y-%m-%d}",
            label=f"{name} on {day_label(day)}",
            keys=[_wall_key(t, location) for t in slots],
        )
        working = (
            _working_spans(hours.get(day.weekday(), []), day, location)
            if therapist
            else None
        )
        day_visits = by_day[day]
        busy = off + _travel(day_visits) if therapist else off
        _fill(column, slots, day_visits, blocks, working, busy, now)
        columns.append(column)
    who_query = (
        f"&therapist={therapist.pk}"
        if therapist
        else f"&room={room.pk}"
        if room
        else ""
    )
    grid = Grid(
        location,
        slots_by_day[monday],
        columns,
        [],
        book_query=f"?location={location.pk}{who_query}",
    )
    _lay_rows(grid, _row_keys(columns), lambda wall: f"T{wall:%H:%M}")
    return grid
