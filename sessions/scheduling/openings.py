"""Find the next open slots, and the waitlist entries that fit a freed one.

Both ask the scheduling rule engine (`sessions.scheduling.rules`) about every candidate,
reading from one `ScheduleSnapshot` loaded in bulk, so what they offer is exactly
what booking accepts, and their query count does not grow with the candidates.
"""

from __future__ import annotations

import heapq
import itertools
import operator
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import reduce

from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from clients.models import Client
from clients.safety import flags_in_force_for_clients, modality_safety
from massageclinic.clock import local_datetime
from massageclinic.models import Location, Room
from massageclinic.reference import Reference, active_rooms, reference
from sessions.models import Appointment, Place, WaitlistEntry
from sessions.scheduling.rules import (
    STEP,
    ProposedVisit,
    client_problems,
    conflicting_visits,
    room_problems,
    scheduling_problems,
    shape_problems,
    therapist_problems,
    visit_end,
    working_spans,
)
from sessions.scheduling.schedule_sources import OtherVisit, ScheduleSnapshot
from therapists.models import Modality, Therapist
from therapists.reference import therapists_by_id, trainings


@dataclass(frozen=True)
class Opening:
    therapist: Therapist
    location: Location
    room: Room
    starts_at: datetime
    ends_at: datetime

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.location.zone)


def first_candidate(now: datetime) -> datetime:
    """The first start the search offers: now, rounded up to the quarter hour."""
    now = now.astimezone(UTC)
    extra = timedelta(
        minutes=now.minute % 15, seconds=now.second, microseconds=now.microsecond
    )
    return now if not extra else now + (STEP - extra)


def _candidate_therapists(
    modality: Modality, therapist: Therapist | None, ref: Reference
) -> list[Therapist]:
    # Only narrows the field to those who could possibly qualify; every candidate is
    # still judged by the rules (licence on the day, hours, time off, ...).
    trained = ref.get(trainings)
    return [
        t
        for t in ref.get(therapists_by_id).values()
        if t.is_active
        and (t.pk, modality.pk) in trained
        and (therapist is None or t.pk == therapist.pk)
    ]


def _in_window(start: datetime, zone, earliest: time | None, latest: time | None):
    local = start.astimezone(zone).time()
    return (earliest is None or local >= earliest) and (
        latest is None or local <= latest
    )


def _blocked(client: Client, modality: Modality, day, flags) -> bool:
    """The same safety decision booking asks: no massage, or not this technique."""
    return modality_safety(
        client=client, modality=modality, on=day, flags=flags
    ).blocked


def _opening_at(
    visit: ProposedVisit, rooms: list[Room], now: datetime, source: ScheduleSnapshot
) -> Opening | None:
    """The visit in the first free room, if the rules let it be booked at all."""
    if (
        shape_problems(visit, now)
        or therapist_problems(visit, source=source, explain=False)
        or client_problems(visit, source=source, explain=False)
    ):
        return None
    for room in rooms:
        if not room_problems(replace(visit, room=room), source=source, explain=False):
            return Opening(
                visit.therapist, visit.location, room, visit.starts_at, visit.ends_at
            )
    return None


FIRST_CHUNK_DAYS = 1


def _after_busy(start: datetime, busy_with: list[tuple[str, OtherVisit]]) -> datetime:
    """The first candidate (a whole number of steps from `start`) not inside the
    therapist busy time found: every start before its end overlaps it too, so the
    search need not ask the rules about each of them."""
    until = max(other.therapist_busy_until for _, other in busy_with)
    return start + -(-(until - start) // STEP) * STEP


@dataclass(frozen=True)
class _Search:
    """What one search asks of every therapist's day."""

    source: ScheduleSnapshot
    duration_minutes: int
    modality: Modality
    location: Location
    client: Client | None
    rooms: list[Room]
    now: datetime
    window_start: datetime
    earliest: time | None
    latest: time | None

    def wanted(self, start: datetime) -> bool:
        return start >= self.window_start and _in_window(
            start, self.location.zone, self.earliest, self.latest
        )


def _openings_in_block(
    person: Therapist, block: tuple[datetime, datetime], search: _Search
) -> Iterator[Opening]:
    """Openings in one block of the therapist's hours, every quarter hour, in order."""
    start, block_end = block
    while visit_end(start, search.duration_minutes) <= block_end:
        if not search.wanted(start):
            start += STEP
            continue
        visit = ProposedVisit.lasting(
            search.duration_minutes,
            client=search.client,
            therapist=person,
            modality=search.modality,
            location=search.location,
            starts_at=start,
        )
        busy_with = conflicting_visits(visit, source=search.source, kinds=["therapist"])
        if busy_with:  # the rules would refuse it: skip to after the busy time
            start = _after_busy(start, busy_with)
            continue
        if opening := _opening_at(visit, search.rooms, search.now, search.source):
            yield opening
        start += STEP


def _openings_of(person: Therapist, day, search: _Search) -> Iterator[Opening]:
    """One therapist's openings on a local day, earliest first, each start once
    (blocks of hours may overlap), and worked out only as far as they are asked for."""
    blocks = working_spans(person, search.location, day, search.source)
    last = None
    for opening in heapq.merge(
        *(_openings_in_block(person, block, search) for block in blocks),
        key=lambda o: o.starts_at,
    ):
        if opening.starts_at != last:
            last = opening.starts_at
            yield opening


def _chunks(days: int) -> list[tuple[int, int]]:
    """(first day offset, number of days) of each read of the schedule."""
    first = min(days, FIRST_CHUNK_DAYS)
    return [(0, first)] + ([(first, days - first)] if days > first else [])


def find_openings(
    *,
    modality: Modality,
    duration_minutes: int,
    location: Location,
    now: datetime,
    therapist: Therapist | None = None,
    room: Room | None = None,
    client: Client | None = None,
    weekdays: set[int] | None = None,
    earliest: time | None = None,
    latest: time | None = None,
    days: int = 21,
    limit: int = 20,
    ref: Reference | None = None,
) -> list[Opening]:
    """The next open slots (earliest first) across every suitable therapist and room.

    Candidates are every quarter hour of each therapist's working hours from now on;
    `earliest` / `latest` bound the local start time of the visit. The therapists,
    rooms, hours and trainings come from the kept reference data (`ref`, else read
    now).
    """
    ref = ref or reference()
    zone = location.zone
    first_day = now.astimezone(zone).date()
    therapists = _candidate_therapists(modality, therapist, ref)
    rooms = [room] if room else ref.get(active_rooms).get(location.pk, [])
    if not therapists or not rooms:
        return []
    window_start = first_candidate(now)
    flags = (
        flags_in_force_for_clients([client.pk], first_day, ref=ref).get(client.pk, [])
        if client
        else []
    )
    openings: list[Opening] = []
    for chunk_first, chunk_days in _chunks(days):
        # The schedule is read a few days at a time, so a page filled by the first
        # days never loads the weeks after them.
        chunk_start = local_datetime(
            first_day + timedelta(days=chunk_first), time(0), location
        )
        source = ScheduleSnapshot(
            therapists=therapists,
            rooms=rooms,
            clients=[client] if client else [],
            start=max(window_start, chunk_start),
            end=local_datetime(
                first_day + timedelta(days=chunk_first + chunk_days), time(0), location
            ),
            lean=True,  # the search asks only whether (explain=False)
            ref=ref,
        )
        search = _Search(
            source=source,
            duration_minutes=duration_minutes,
            modality=modality,
            location=location,
            client=client,
            rooms=rooms,
            now=now,
            window_start=window_start,
            earliest=earliest,
            latest=latest,
        )
        for offset in range(chunk_first, chunk_first + chunk_days):
            day = first_day + timedelta(days=offset)
            if weekdays and day.weekday() not in weekdays:
                continue
            if client and _blocked(client, modality, day, flags):
                continue  # booking would refuse every slot of the day for safety
            # Each therapist's openings come earliest first, so merging them gives
            # the day in order, and the search stops asking the rules once the page
            # is full instead of working out every therapist's whole day.
            day_openings = heapq.merge(
                *(_openings_of(person, day, search) for person in therapists),
                key=lambda o: (o.starts_at, o.therapist.full_name),
            )
            openings.extend(itertools.islice(day_openings, limit - len(openings)))
            if len(openings) >= limit:
                return openings
    return openings


@dataclass(frozen=True)
class FreeSlot:
    """A time a waiting client could be booked into: a cancelled visit's, or an
    opening the search found. `modality` is the freed visit's technique (used for an
    entry that wants any); `freed` is that visit, left out of the overlap checks."""

    therapist: Therapist
    location: Location
    starts_at: datetime
    ends_at: datetime
    place: str = Place.ROOM
    room: Room | None = None
    modality: Modality | None = None
    freed: Appointment | None = None

    @classmethod
    def of_visit(cls, appointment: Appointment) -> FreeSlot:
        return cls(
            therapist=appointment.therapist,
            location=appointment.location,
            starts_at=appointment.starts_at,
            ends_at=appointment.ends_at,
            place=appointment.place,
            room=appointment.room if appointment.place == Place.ROOM else None,
            modality=appointment.modality,
            freed=appointment,
        )

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


def _wishes_met(slot: FreeSlot) -> Q:
    """Open entries whose wishes (dates, weekdays, times, length) the slot meets."""
    local_start = slot.starts_at.astimezone(slot.location.zone)
    day, at = local_start.date(), local_start.time()
    wishes = (
        Q(
            closed_at__isnull=True,
            location=slot.location,
            wanted_from__lte=day,
            wanted_until__gte=day,
            duration_minutes__lte=slot.duration_minutes,
        )
        & (Q(therapist__isnull=True) | Q(therapist=slot.therapist))
        & (Q(weekdays=[]) | Q(weekdays__contains=[day.weekday()]))
        & (Q(earliest_time__isnull=True) | Q(earliest_time__lte=at))
        & (Q(latest_time__isnull=True) | Q(latest_time__gte=at))
    )
    if slot.freed is not None:  # not the client whose visit it was
        wishes &= ~Q(client=slot.freed.client_id)
    return wishes


def _waitlist_candidates(
    slots: list[FreeSlot], among: list[WaitlistEntry] | None
) -> list[list[WaitlistEntry]]:
    """Each slot's entries whose wishes it meets, oldest first: one statement for
    all the slots, each row marked with the slots it fits."""
    wishes = [_wishes_met(slot) for slot in slots]
    if not wishes:
        return []
    fits = {
        f"fits_{n}": ExpressionWrapper(w, output_field=BooleanField())
        for n, w in enumerate(wishes)
    }
    entries = (
        WaitlistEntry.objects.filter(reduce(operator.or_, wishes))
        .annotate(**fits)
        .select_related("client", "modality", "therapist__user", "location")
        .order_by("created_at", "pk")
    )
    if among is not None:
        entries = entries.filter(pk__in=[e.pk for e in among])
    found = list(entries)
    return [[e for e in found if getattr(e, name)] for name in fits]


def waitlist_matches(
    *,
    appointment: Appointment | None = None,
    slot: FreeSlot | None = None,
    now: datetime | None = None,
    among: list[WaitlistEntry] | None = None,
) -> list[WaitlistEntry]:
    """Open waitlist entries whose client could be booked into the slot a cancelled
    `appointment` freed, or into `slot` (an opening); only those in `among` if given.

    The one matcher: the visit page, the waitlist page, an offer and its acceptance
    all ask it (`waitlist_matches_for` for several slots at once). Each entry is
    judged by the same rules as booking (the scheduling rules and the safety
    decision for the technique): a client blocked for the technique, or for all
    massage, or busy then, is no match; an entry that wants any technique, on a
    slot with none, is judged on every technique it could be given and matches
    only if one is safe.
    """
    if slot is None:
        assert appointment is not None, "the freed visit or a slot"
        slot = FreeSlot.of_visit(appointment)
    return waitlist_matches_for([slot], now=now, among=among)[0]


def waitlist_matches_for(
    slots: list[FreeSlot],
    *,
    now: datetime | None = None,
    among: list[WaitlistEntry] | None = None,
) -> list[list[WaitlistEntry]]:
    """`waitlist_matches` of each slot, in order, judged on one load of the
    schedule (every slot's therapist, room and candidate clients over all their
    times) and one load of flags per day: the home page's freed times and the
    waitlist page's cost a few statements, not a few per slot."""
    now = now or timezone.now()
    if among is not None and not among:
        return [[] for _ in slots]
    candidates = _waitlist_candidates(slots, among)
    asked = list(zip(slots, candidates, strict=True))
    if not any(entries for _, entries in asked):
        return [[] for _ in slots]
    wanted = [(slot, entries) for slot, entries in asked if entries]
    ref = reference()  # one version for the snapshot and every day's flags
    source = ScheduleSnapshot(
        therapists=list({s.therapist.pk: s.therapist for s, _ in wanted}.values()),
        rooms=list({s.room.pk: s.room for s, _ in wanted if s.room}.values()),
        clients=list({e.client_id: e.client for _, es in wanted for e in es}.values()),
        start=min(s.starts_at for s, _ in wanted),
        end=max(s.ends_at for s, _ in wanted),
        ref=ref,
        lean=True,  # only whether each client fits (explain=False)
    )
    clients_on: dict[date, set[int]] = defaultdict(set)
    for slot, entries in wanted:
        clients_on[_local_day(slot)].update(e.client_id for e in entries)
    flags_on = {
        day: flags_in_force_for_clients(ids, day, ref=ref)
        for day, ids in clients_on.items()
    }
    return [
        _matching(slot, entries, now, source, flags_on.get(_local_day(slot), {}))
        if entries
        else []
        for slot, entries in asked
    ]


def _local_day(slot: FreeSlot) -> date:
    return slot.starts_at.astimezone(slot.location.zone).date()


def _matching(
    slot: FreeSlot,
    entries: list[WaitlistEntry],
    now: datetime,
    source: ScheduleSnapshot,
    flags: dict[int, list],
) -> list[WaitlistEntry]:
    day = _local_day(slot)
    exclude = [slot.freed.pk] if slot.freed is not None else []
    matches = []
    for entry in entries:
        modality = waitlist_technique(entry, slot)
        if modality is None:
            continue
        verdict = modality_safety(
            client=entry.client,
            modality=modality,
            on=day,
            flags=flags.get(entry.client_id, []),
        )
        if verdict.blocked:
            continue  # the safety decision first: never offered, whatever the rules
        visit = ProposedVisit.lasting(
            entry.duration_minutes,
            client=entry.client,
            therapist=slot.therapist,
            modality=modality,
            location=slot.location,
            starts_at=slot.starts_at,
            place=slot.place,
            room=slot.room,
        )
        if scheduling_problems(
            visit, now=now, exclude=exclude, source=source, explain=False
        ):
            continue
        matches.append(entry)
    return matches


def waitlist_technique(entry: WaitlistEntry, slot: FreeSlot) -> Modality | None:
    """The technique a waiting client would be booked for in the slot: the one they
    asked for, else the freed visit's."""
    return entry.modality or slot.modality
