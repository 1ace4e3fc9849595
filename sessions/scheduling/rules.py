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
a source (`sessions.scheduling.schedule_sources`): the database (`LIVE`, a
`LiveSchedule`) or a `ScheduleSnapshot` loaded in bulk once. The database's exclusion constraints remain the referee when two desks race.

Time is elapsed time: every instant here is an aware datetime in UTC, a visit ends
`visit_end(start, minutes)` later in real time, and local time is only for reading
wall-clock hours and for display.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from clients.models import Client
from massageclinic.lengths import STEP, length_problem
from massageclinic.models import Location, Room, clinic_policy
from sessions.models import Appointment, Place
from sessions.scheduling.schedule_sources import (
    LIVE,
    LiveSchedule,
    OtherVisit,
)
from therapists.models import Modality, Therapist
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
