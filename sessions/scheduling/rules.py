"""The rules of the schedule: when a therapist, a room and a client can take a visit.

This module is the one scheduling rule engine. `scheduling_problems()` lists every
reason a proposed visit cannot happen, each as a sentence for the front desk; it is
the union of three parts that other paths call on their own:

- `therapist_problems()`: active, licensed on the local day, trained in the technique,
  inside working hours, not on time off, not busy (travel buffers included);
- `client_problems()`: not archived, an address for a home or workplace visit, not in
  another visit;
- `room_problems()`: a usable room at the location, not taken.

Booking, moving, the series preview and its alternatives, the next-opening search and
the waitlist matcher all ask these functions, reading hours, time off and visits from
a source: the database (`LIVE`, a `LiveSchedule`) or a `ScheduleSnapshot` loaded in bulk once.
The database's exclusion constraints remain the referee when two desks race.

Time is elapsed time: every instant here is an aware datetime in UTC, a visit ends
`visit_end(start, minutes)` later in real time, and local time is only for reading
wall-clock hours and for display.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from typing import NamedTuple

from django.db.models import Q, QuerySet

from clients.models import Client
from massageclinic.lengths import LONGEST_BUSY, STEP, length_problem
from massageclinic.models import Location, Room, clinic_policy
from sessions.models import Appointment, Place
from therapists.models import Modality, Therapist, TimeOff, Training, WorkingHours
from therapists.rules import (
    Span,
    active_problem,
    hours_problem,
    hours_spans,
    licence_problem,
    time_off_problem,
    training_problem,
)

# --- time ------------------------------------------------------------------------------


def visit_end(starts_at: datetime, minutes: int) -> datetime:
    """The end of a visit of `minutes` starting at `starts_at`, in elapsed (UTC) time.

    Adding minutes to a local wall-clock datetime would give 120 minutes for a
    60-minute visit in the repeated autumn hour; UTC arithmetic never does.
    """
    return starts_at.astimezone(UTC) + timedelta(minutes=minutes)


def quarter_hours(start: datetime, end: datetime) -> list[datetime]:
    """Every 15 minutes of real time from `start` up to (not including) `end`."""
    moments, moment = [], start.astimezone(UTC)
    while moment < end:
        moments.append(moment)
        moment += STEP
    return moments


# --- travel ----------------------------------------------------------------------------


def travel_for(place: str) -> timedelta:
    """Travel time blocked before and after a home or workplace visit."""
    return timedelta(0) if place == Place.ROOM else clinic_policy().travel_buffer


def busy_span(starts_at: datetime, ends_at: datetime, place: str) -> Span:
    """The therapist's busy time for a visit: the visit plus travel either side."""
    travel = travel_for(place)
    return starts_at - travel, ends_at + travel


# --- the visit under test ----------------------------------------------------------------


@dataclass(frozen=True)
class ProposedVisit:
    client: Client | None  # None only for an opening searched without a client
    therapist: Therapist
    modality: Modality
    location: Location
    starts_at: datetime
    ends_at: datetime
    place: str = Place.ROOM
    room: Room | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "starts_at", self.starts_at.astimezone(UTC))
        object.__setattr__(self, "ends_at", self.ends_at.astimezone(UTC))

    @classmethod
    def lasting(
        cls,
        minutes: int,
        *,
        client: Client | None,
        therapist: Therapist,
        modality: Modality,
        location: Location,
        starts_at: datetime,
        place: str = Place.ROOM,
        room: Room | None = None,
    ) -> ProposedVisit:
        return cls(
            client,
            therapist,
            modality,
            location,
            starts_at,
            visit_end(starts_at, minutes),
            place,
            room if place == Place.ROOM else None,
        )

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.location.zone)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.location.zone)

    @cached_property
    def busy(self) -> Span:
        # Cached: a home visit's travel reads the clinic policy, and the rules ask
        # for the busy span several times per check.
        return busy_span(self.starts_at, self.ends_at, self.place)


# --- where the rules read ----------------------------------------------------------------


def _blocking(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return queryset.exclude(status__in=Appointment.NON_BLOCKING_STATUSES)


class LiveSchedule:
    """Reads what the rules need straight from the database, one check at a time."""

    lean = False  # a lean snapshot cannot name the visit in the way (explain=False)

    def is_trained(self, therapist: Therapist, modality: Modality) -> bool:
        return Training.objects.filter(therapist=therapist, modality=modality).exists()

    def working_hours(
        self, therapist: Therapist, location: Location, weekday: int
    ) -> list[WorkingHours]:
        return list(
            WorkingHours.objects.filter(
                therapist=therapist, location=location, weekday=weekday
            ).order_by("starts_at")
        )

    def time_off(
        self, therapist: Therapist, start: datetime, end: datetime
    ) -> list[TimeOff]:
        return list(
            TimeOff.objects.filter(
                therapist=therapist, starts_at__lt=end, ends_at__gt=start
            ).order_by("starts_at")
        )

    def visits_near(
        self, visit: ProposedVisit, start: datetime, end: datetime
    ) -> Sequence[OtherVisit]:
        """Blocking visits of the therapist, the room or the client touching [start, end)."""
        who = Q(therapist=visit.therapist)
        if visit.client is not None:
            who |= Q(client=visit.client)
        if visit.room is not None:
            who |= Q(room=visit.room)
        return list(
            _blocking(Appointment.objects.busy_within(start, end).filter(who))
            .select_related("client", "therapist__user", "room", "location")
            .order_by("starts_at")
        )


# What the overlap checks read of another visit (conflicting_visits, Timeline).
COMPARED_FIELDS = (
    "id",
    "therapist_id",
    "room_id",
    "client_id",
    "starts_at",
    "ends_at",
    "therapist_busy_from",
    "therapist_busy_until",
)


class BusyVisit(NamedTuple):
    """Another visit as the overlap checks compare it, and nothing more: what a lean
    snapshot holds instead of a model instance (building a few hundred instances
    cost more than the checks themselves). It answers the same attribute names as
    an Appointment, so `conflicting_visits` reads either."""

    pk: int
    therapist_id: int
    room_id: int | None
    client_id: int
    starts_at: datetime
    ends_at: datetime
    therapist_busy_from: datetime
    therapist_busy_until: datetime


# A visit the checks compare with: a saved or proposed Appointment, or a lean row.
OtherVisit = Appointment | BusyVisit


class Timeline:
    """One therapist's, room's or client's visits, sorted by the start of their busy
    span, so the visits touching a window are found by bisection: no busy span is
    longer than LONGEST_BUSY (check constraints), so none starting before
    `start - LONGEST_BUSY` can reach the window."""

    def __init__(self) -> None:
        self._visits: list[OtherVisit] = []
        self._starts: list[datetime] = []

    def add(self, visit: OtherVisit) -> None:
        at = bisect_right(self._starts, visit.therapist_busy_from)
        self._starts.insert(at, visit.therapist_busy_from)
        self._visits.insert(at, visit)

    def touching(self, start: datetime, end: datetime) -> list[OtherVisit]:
        """Visits whose busy span overlaps [start, end)."""
        first = bisect_right(self._starts, start - LONGEST_BUSY)
        last = bisect_left(self._starts, end)
        return [v for v in self._visits[first:last] if v.therapist_busy_until > start]


class ScheduleSnapshot(LiveSchedule):
    """The same reads for some therapists, rooms and clients over a window, loaded once.

    A series preview, the next-opening search and the waitlist matcher check many
    candidate visits against it in memory, so their query counts do not grow with the
    number of candidates. A question outside what was loaded goes to the database.
    """

    def __init__(
        self,
        *,
        therapists: Sequence[Therapist],
        start: datetime,
        end: datetime,
        rooms: Sequence[Room] = (),
        clients: Sequence[Client] = (),
        lean: bool = False,
    ) -> None:
        """`lean`: for a caller that asks only whether a visit fits (explain=False),
        never the sentence naming the other visit's client, therapist or room: the
        visits are loaded with the columns the checks compare and nothing joined."""
        # Any check of a visit starting inside the window stays within this margin.
        self.start, self.end = start - LONGEST_BUSY, end + LONGEST_BUSY
        self.lean = lean
        self._therapist_ids = {t.pk for t in therapists}
        self._room_ids = {r.pk for r in rooms}
        self._client_ids = {c.pk for c in clients}
        self._trained = set(
            Training.objects.filter(therapist_id__in=self._therapist_ids).values_list(
                "therapist_id", "modality_id"
            )
        )
        self._hours: dict[tuple[int, int, int], list[WorkingHours]] = defaultdict(list)
        for block in WorkingHours.objects.filter(
            therapist_id__in=self._therapist_ids
        ).order_by("starts_at"):
            key = (block.therapist_id, block.location_id, block.weekday)
            self._hours[key].append(block)
        self._off: dict[int, list[TimeOff]] = defaultdict(list)
        for off in TimeOff.objects.filter(
            therapist_id__in=self._therapist_ids,
            starts_at__lt=self.end,
            ends_at__gt=self.start,
        ).order_by("starts_at"):
            self._off[off.therapist_id].append(off)
        who = (
            Q(therapist_id__in=self._therapist_ids)
            | Q(room_id__in=self._room_ids)
            | Q(client_id__in=self._client_ids)
        )
        nearby = _blocking(
            Appointment.objects.busy_within(self.start, self.end).filter(who)
        ).order_by("starts_at")
        visits: list[OtherVisit] = (
            list(map(BusyVisit._make, nearby.values_list(*COMPARED_FIELDS)))
            if lean
            else list(
                nearby.select_related("client", "therapist__user", "room", "location")
            )
        )
        self._by_therapist: dict[int, Timeline] = defaultdict(Timeline)
        self._by_room: dict[int, Timeline] = defaultdict(Timeline)
        self._by_client: dict[int, Timeline] = defaultdict(Timeline)
        for v in visits:
            self.add(v)

    def add(self, visit: OtherVisit) -> None:
        """Count a visit being booked in the same batch (not saved yet), so the
        batch's later visits are checked against it too."""
        self._by_therapist[visit.therapist_id].add(visit)
        if visit.room_id:
            self._by_room[visit.room_id].add(visit)
        self._by_client[visit.client_id].add(visit)

    def _within(self, start: datetime, end: datetime) -> bool:
        return self.start <= start and end <= self.end

    def _covers(self, visit: ProposedVisit, start: datetime, end: datetime) -> bool:
        return (
            self._within(start, end)
            and visit.therapist.pk in self._therapist_ids
            and (visit.client is None or visit.client.pk in self._client_ids)
            and (visit.room is None or visit.room.pk in self._room_ids)
        )

    def is_trained(self, therapist: Therapist, modality: Modality) -> bool:
        if therapist.pk not in self._therapist_ids:
            return super().is_trained(therapist, modality)
        return (therapist.pk, modality.pk) in self._trained

    def working_hours(
        self, therapist: Therapist, location: Location, weekday: int
    ) -> list[WorkingHours]:
        if therapist.pk not in self._therapist_ids:
            return super().working_hours(therapist, location, weekday)
        return self._hours.get((therapist.pk, location.pk, weekday), [])

    def time_off(
        self, therapist: Therapist, start: datetime, end: datetime
    ) -> list[TimeOff]:
        if therapist.pk not in self._therapist_ids or not self._within(start, end):
            return super().time_off(therapist, start, end)
        return [
            o
            for o in self._off[therapist.pk]
            if o.starts_at < end and o.ends_at > start
        ]

    def visits_near(
        self, visit: ProposedVisit, start: datetime, end: datetime
    ) -> Sequence[OtherVisit]:
        if not self._covers(visit, start, end):
            return super().visits_near(visit, start, end)
        # Keyed by identity: visits added for a batch have no primary key yet.
        found = {
            id(v): v
            for v in self._by_therapist[visit.therapist.pk].touching(start, end)
        }
        if visit.client is not None:
            found.update(
                (id(v), v)
                for v in self._by_client[visit.client.pk].touching(start, end)
            )
        if visit.room is not None:
            found.update(
                (id(v), v) for v in self._by_room[visit.room.pk].touching(start, end)
            )
        return sorted(found.values(), key=lambda v: v.starts_at)


LIVE = LiveSchedule()


# --- the rules ---------------------------------------------------------------------------


def _fmt(moment: datetime, location: Location) -> str:
    return moment.astimezone(location.zone).strftime("%a %d %b %H:%M")


def _describe(visit: Appointment) -> str:
    zone = visit.location.zone
    start = visit.starts_at.astimezone(zone)
    end = visit.ends_at.astimezone(zone)
    where = (
        visit.room.name if visit.room is not None else visit.get_place_display().lower()
    )
    return (
        f"{visit.client.full_name} with {visit.therapist.full_name}, "
        f"{start:%a %d %b %H:%M}-{end:%H:%M} ({where})"
    )


CONFLICT_KINDS = ("therapist", "room", "client")


def conflicting_visits(
    visit: ProposedVisit,
    *,
    exclude: Iterable[int] = (),
    source: LiveSchedule = LIVE,
    kinds: Iterable[str] = CONFLICT_KINDS,
) -> list[tuple[str, OtherVisit]]:
    """Blocking visits that overlap: ('therapist' | 'room' | 'client', appointment).

    The therapist is busy for each visit's travel too; a room and a client only for
    the visit itself. Back-to-back (10:00-11:00, 11:00-12:00) is no conflict.
    """
    wanted = set(kinds)
    busy_from, busy_until = visit.busy
    excluded = set(exclude)
    conflicts = []
    for other in source.visits_near(visit, busy_from, busy_until):
        if other.pk in excluded:
            continue
        overlaps = other.starts_at < visit.ends_at and other.ends_at > visit.starts_at
        if other.therapist_id == visit.therapist.pk and (
            other.therapist_busy_from < busy_until
            and other.therapist_busy_until > busy_from
        ):
            kind = "therapist"
        elif visit.room is not None and other.room_id == visit.room.pk and overlaps:
            kind = "room"
        elif (
            visit.client is not None and other.client_id == visit.client.pk and overlaps
        ):
            kind = "client"
        else:
            continue
        if kind in wanted:
            conflicts.append((kind, other))
    return conflicts


def conflict_message(kind: str, other: OtherVisit, visit: ProposedVisit) -> str:
    # Only a visit loaded whole can be named; a lean snapshot answers explain=False.
    assert isinstance(other, Appointment), "a lean snapshot cannot explain a conflict"
    if kind == "therapist":
        return (
            f"{visit.therapist.full_name} is already booked then: {_describe(other)}."
        )
    if kind == "room":
        assert other.room is not None  # a room conflict is with a visit in that room
        return f"{other.room.name} is already taken then: {_describe(other)}."
    client_name = visit.client.full_name if visit.client else "The client"
    return f"{client_name} already has a visit then: {_describe(other)}."


def _explainable(source: LiveSchedule, explain: bool) -> None:
    """A lean snapshot answers only whether a visit fits: asked to explain, it
    refuses at once, not only when a clash would need naming."""
    if explain and source.lean:
        raise ValueError("a lean ScheduleSnapshot is asked with explain=False")


def _conflict_sentence(
    kind: str, other: OtherVisit, visit: ProposedVisit, explain: bool
) -> str:
    # explain=False: the same decision, without composing the sentence; for a caller
    # that only asks whether (the opening search, over a thousand candidates).
    return conflict_message(kind, other, visit) if explain else f"{kind} busy"


def working_spans(
    therapist: Therapist, location: Location, day: date, source: LiveSchedule = LIVE
) -> list[Span]:
    """The therapist's hours at the location on a local day, as real instants."""
    blocks = source.working_hours(therapist, location, day.weekday())
    return hours_spans(blocks, day, location)


def shape_problems(visit: ProposedVisit, now: datetime) -> list[str]:
    """The visit's length and that it is not in the past."""
    problems = []
    length = visit.ends_at - visit.starts_at
    if length <= timedelta(0):
        return ["The visit must end after it starts."]
    if wrong_length := length_problem(length):
        problems.append(wrong_length)
    if visit.starts_at < now - STEP:
        problems.append(
            f"{_fmt(visit.starts_at, visit.location)} is in the past: choose a time from now on."
        )
    return problems


def therapist_problems(
    visit: ProposedVisit,
    *,
    exclude: Iterable[int] = (),
    source: LiveSchedule = LIVE,
    explain: bool = True,
) -> list[str]:
    """Whether the therapist can give this visit: the therapists app's rules (active,
    licence, training, hours, time off) on what `source` reads, then their other visits."""
    _explainable(source, explain)
    therapist, location, local_day = (
        visit.therapist,
        visit.location,
        visit.local_start.date(),
    )
    problems = [
        active_problem(therapist),
        licence_problem(therapist, local_day),
        training_problem(
            therapist,
            visit.modality,
            trained=visit.modality.is_active
            and source.is_trained(therapist, visit.modality),
        ),
        hours_problem(
            therapist,
            location,
            (visit.starts_at, visit.ends_at),
            source.working_hours(therapist, location, visit.local_start.weekday()),
        ),
        time_off_problem(
            therapist, location, visit.busy, source.time_off(therapist, *visit.busy)
        ),
    ]
    return [p for p in problems if p] + [
        _conflict_sentence(kind, other, visit, explain)
        for kind, other in conflicting_visits(
            visit, exclude=exclude, source=source, kinds=["therapist"]
        )
    ]


def client_problems(
    visit: ProposedVisit,
    *,
    exclude: Iterable[int] = (),
    source: LiveSchedule = LIVE,
    explain: bool = True,
) -> list[str]:
    """Whether the client can come: not archived, an address to go to, not elsewhere."""
    _explainable(source, explain)
    client = visit.client
    if client is None:
        return []
    problems = []
    if client.is_archived:
        problems.append(f"{client.full_name} is archived: restore the client first.")
    if visit.place == Place.HOME and not client.home_address:
        problems.append(f"{client.full_name} has no home address on file.")
    if visit.place == Place.WORKPLACE and not client.workplace_address:
        problems.append(f"{client.full_name} has no workplace address on file.")
    problems += [
        _conflict_sentence(kind, other, visit, explain)
        for kind, other in conflicting_visits(
            visit, exclude=exclude, source=source, kinds=["client"]
        )
    ]
    return problems


def room_problems(
    visit: ProposedVisit,
    *,
    exclude: Iterable[int] = (),
    source: LiveSchedule = LIVE,
    explain: bool = True,
) -> list[str]:
    """Whether the place works: a room in use at the location and free, or no room."""
    _explainable(source, explain)
    if visit.place != Place.ROOM:
        return ["A home or workplace visit has no room."] if visit.room else []
    if visit.room is None:
        return ["Choose a room for a visit at the clinic."]
    if visit.room.location_id != visit.location.pk:
        return [f"{visit.room.name} is not at {visit.location.name}."]
    if not visit.room.is_active:
        return [f"{visit.room.name} is not in use."]
    return [
        _conflict_sentence(kind, other, visit, explain)
        for kind, other in conflicting_visits(
            visit, exclude=exclude, source=source, kinds=["room"]
        )
    ]


def scheduling_problems(
    visit: ProposedVisit,
    *,
    now: datetime,
    exclude: Iterable[int] = (),
    source: LiveSchedule = LIVE,
    explain: bool = True,
) -> list[str]:
    """Every reason the visit cannot be booked, as sentences; empty when it can.

    `source` is where hours, time off and other visits are read: the database by
    default, or a ScheduleSnapshot loaded once for many checks. `explain=False`:
    the same decision, a clash with another visit not put into words (what a lean
    snapshot can answer).
    """
    problems = shape_problems(visit, now)
    if problems and visit.ends_at <= visit.starts_at:
        return problems
    return (
        problems
        + client_problems(visit, exclude=exclude, source=source, explain=explain)
        + therapist_problems(visit, exclude=exclude, source=source, explain=explain)
        + room_problems(visit, exclude=exclude, source=source, explain=explain)
    )
