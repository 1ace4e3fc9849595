"""Where the scheduling rules read hours, time off and other visits: the database one
check at a time (`LIVE`, a `LiveSchedule`), or a `ScheduleSnapshot` loaded in bulk
once for a batch (a series, the opening search, the waitlist matcher), whose other
visits are plain rows (`BusyVisit`) when no refusal has to name them.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple, Protocol

from django.db.models import Q, QuerySet

from clients.models import Client
from massageclinic.lengths import LONGEST_BUSY
from massageclinic.models import Location, Room
from massageclinic.reference import Reference, reference
from sessions.models import Appointment
from therapists.models import Modality, Therapist, TimeOff, Training, WorkingHours
from therapists.reference import hours_by_therapist, trainings


class VisitAsked(Protocol):
    """What a source reads of the visit under test (`rules.ProposedVisit`): whose
    visits may be in its way."""

    @property
    def therapist(self) -> Therapist: ...
    @property
    def client(self) -> Client | None: ...
    @property
    def room(self) -> Room | None: ...


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
        self, visit: VisitAsked, start: datetime, end: datetime
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
        ref: Reference | None = None,
    ) -> None:
        """The therapists' hours and trainings come from the kept reference data
        (`ref`, else read now). `lean`: for a caller that asks only whether a visit fits (explain=False),
        never the sentence naming the other visit's client, therapist or room: the
        visits are loaded with the columns the checks compare and nothing joined."""
        # Any check of a visit starting inside the window stays within this margin.
        self.start, self.end = start - LONGEST_BUSY, end + LONGEST_BUSY
        self.lean = lean
        self._therapist_ids = {t.pk for t in therapists}
        self._room_ids = {r.pk for r in rooms}
        self._client_ids = {c.pk for c in clients}
        ref = ref or reference()
        # Asked only about these therapists: the others go to the database.
        self._trained = ref.get(trainings)
        self._hours: dict[tuple[int, int, int], list[WorkingHours]] = defaultdict(list)
        hours = ref.get(hours_by_therapist)
        for therapist_id in self._therapist_ids:
            for block in hours.get(therapist_id, []):
                key = (therapist_id, block.location_id, block.weekday)
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

    def _covers(self, visit: VisitAsked, start: datetime, end: datetime) -> bool:
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
        self, visit: VisitAsked, start: datetime, end: datetime
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
