"""The rules of the schedule: when a therapist, a room and a client can take a visit.

`scheduling_problems()` lists every reason a proposed visit cannot happen, each as a
sentence for the front desk. The booking, rescheduling, series and next-opening
services all ask it, so the rules live in one place. The database's exclusion
constraints remain the referee when two desks race (see `sessions.services`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q, QuerySet

from clients.models import Client
from massageclinic.models import Location, Room, clinic_policy
from sessions.models import Appointment, Place
from therapists.models import Modality, Therapist, TimeOff, Training, WorkingHours

STEP = timedelta(minutes=15)
LONGEST_VISIT = timedelta(hours=4)


@dataclass(frozen=True)
class ProposedVisit:
    client: Client
    therapist: Therapist
    modality: Modality
    location: Location
    starts_at: datetime
    ends_at: datetime
    place: str = Place.ROOM
    room: Room | None = None

    @property
    def local_start(self) -> datetime:
        return self.starts_at.astimezone(self.location.zone)

    @property
    def local_end(self) -> datetime:
        return self.ends_at.astimezone(self.location.zone)


def travel_for(place: str) -> timedelta:
    """Travel time blocked before and after a home or workplace visit."""
    return timedelta(0) if place == Place.ROOM else clinic_policy().travel_buffer


def busy_span(
    starts_at: datetime, ends_at: datetime, place: str
) -> tuple[datetime, datetime]:
    travel = travel_for(place)
    return starts_at - travel, ends_at + travel


def local_datetime(day: date, at: time, location: Location) -> datetime:
    """A wall-clock time at the location, as an aware datetime.

    A time that does not exist (the spring-forward gap, e.g. 02:30 on 8 March 2026 in
    New York) is moved forward by the gap: 02:30 becomes 03:30. A time that occurs
    twice (the autumn fall-back hour) is the first occurrence, still on summer time.
    """
    aware = datetime.combine(day, at).replace(tzinfo=location.zone, fold=0)
    # Through UTC: converting to the same zone directly would return it unchanged.
    return aware.astimezone(UTC).astimezone(location.zone)


class LiveSchedule:
    """Reads what the rules need straight from the database, one check at a time."""

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

    def visits_near(self, visit: ProposedVisit, start: datetime, end: datetime) -> list:
        """Blocking visits of the therapist, the room or the client within [start, end)."""
        who = Q(therapist=visit.therapist) | Q(client=visit.client)
        if visit.room is not None:
            who |= Q(room=visit.room)
        return list(
            _blocking(
                Appointment.objects.filter(
                    who, starts_at__lt=end, therapist_busy_until__gt=start
                )
            )
            .select_related("client", "therapist__user", "room", "location")
            .order_by("starts_at")
        )


class ScheduleSnapshot(LiveSchedule):
    """The same reads for one therapist, room and client over a window, loaded once.

    A series preview checks dozens of dates (and their alternatives) against it in
    memory, so its query count does not grow with the number of visits.
    """

    def __init__(
        self,
        *,
        therapist: Therapist,
        client: Client,
        room: Room | None,
        start: datetime,
        end: datetime,
    ) -> None:
        self.therapist, self.client, self.room = therapist, client, room
        self.start, self.end = start - timedelta(days=1), end + timedelta(days=1)
        self._trained = set(
            Training.objects.filter(therapist=therapist).values_list(
                "modality_id", flat=True
            )
        )
        self._hours = list(
            WorkingHours.objects.filter(therapist=therapist).order_by("starts_at")
        )
        self._off = LiveSchedule.time_off(self, therapist, self.start, self.end)
        probe = ProposedVisit(
            client, therapist, None, None, start, end, Place.ROOM, room
        )
        self._visits = LiveSchedule.visits_near(self, probe, self.start, self.end)

    def _covers(self, visit: ProposedVisit, start: datetime, end: datetime) -> bool:
        return (
            visit.therapist.pk == self.therapist.pk
            and visit.client.pk == self.client.pk
            and (
                visit.room is None
                or (self.room is not None and visit.room.pk == self.room.pk)
            )
            and self.start <= start
            and end <= self.end
        )

    def is_trained(self, therapist: Therapist, modality: Modality) -> bool:
        if therapist.pk != self.therapist.pk:
            return super().is_trained(therapist, modality)
        return modality.pk in self._trained

    def working_hours(
        self, therapist: Therapist, location: Location, weekday: int
    ) -> list[WorkingHours]:
        if therapist.pk != self.therapist.pk:
            return super().working_hours(therapist, location, weekday)
        return [
            h
            for h in self._hours
            if h.location_id == location.pk and h.weekday == weekday
        ]

    def time_off(
        self, therapist: Therapist, start: datetime, end: datetime
    ) -> list[TimeOff]:
        if therapist.pk != self.therapist.pk or not (
            self.start <= start and end <= self.end
        ):
            return super().time_off(therapist, start, end)
        return [o for o in self._off if o.starts_at < end and o.ends_at > start]

    def visits_near(self, visit: ProposedVisit, start: datetime, end: datetime) -> list:
        if not self._covers(visit, start, end):
            return super().visits_near(visit, start, end)
        return [
            v
            for v in self._visits
            if v.starts_at < end and v.therapist_busy_until > start
        ]


LIVE = LiveSchedule()


def _fmt(moment: datetime, location: Location) -> str:
    return moment.astimezone(location.zone).strftime("%a %d %b %H:%M")


def _fmt_time(moment: datetime, location: Location) -> str:
    return moment.astimezone(location.zone).strftime("%H:%M")


def _blocking(queryset: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return queryset.exclude(status__in=Appointment.NON_BLOCKING_STATUSES)


def _describe(visit: Appointment) -> str:
    zone = visit.location.zone
    start = visit.starts_at.astimezone(zone)
    end = visit.ends_at.astimezone(zone)
    where = visit.room.name if visit.room_id else visit.get_place_display().lower()
    return (
        f"{visit.client.full_name} with {visit.therapist.full_name}, "
        f"{start:%a %d %b %H:%M}-{end:%H:%M} ({where})"
    )


def conflicting_visits(
    visit: ProposedVisit, *, exclude: Iterable[int] = (), source: LiveSchedule = LIVE
) -> list[tuple[str, Appointment]]:
    """Blocking visits that overlap: ('therapist' | 'room' | 'client', appointment)."""
    busy_from, busy_until = busy_span(visit.starts_at, visit.ends_at, visit.place)
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
            conflicts.append(("therapist", other))
        elif visit.room is not None and other.room_id == visit.room.pk and overlaps:
            conflicts.append(("room", other))
        elif other.client_id == visit.client.pk and overlaps:
            conflicts.append(("client", other))
    return conflicts


def conflict_message(kind: str, other: Appointment, visit: ProposedVisit) -> str:
    if kind == "therapist":
        return (
            f"{visit.therapist.full_name} is already booked then: {_describe(other)}."
        )
    if kind == "room":
        return f"{other.room.name} is already taken then: {_describe(other)}."
    return f"{visit.client.full_name} already has a visit then: {_describe(other)}."


def _working_block(visit: ProposedVisit, source: LiveSchedule) -> WorkingHours | None:
    start, end = visit.local_start, visit.local_end
    if start.date() != end.date() and end.time() != time(0, 0):
        return None
    blocks = source.working_hours(visit.therapist, visit.location, start.weekday())
    return next(
        (b for b in blocks if b.starts_at <= start.time() and end.time() <= b.ends_at),
        None,
    )


def _hours_message(visit: ProposedVisit, source: LiveSchedule) -> str:
    blocks = source.working_hours(
        visit.therapist, visit.location, visit.local_start.weekday()
    )
    day = visit.local_start.strftime("%A")
    if not blocks:
        return (
            f"{visit.therapist.full_name} does not work at {visit.location.name} "
            f"on {day}s."
        )
    hours = ", ".join(f"{b.starts_at:%H:%M}-{b.ends_at:%H:%M}" for b in blocks)
    return (
        f"{_fmt_time(visit.starts_at, visit.location)}-"
        f"{_fmt_time(visit.ends_at, visit.location)} is outside "
        f"{visit.therapist.full_name}'s hours at {visit.location.name} on {day}s ({hours})."
    )


def _time_off(visit: ProposedVisit, source: LiveSchedule) -> TimeOff | None:
    busy_from, busy_until = busy_span(visit.starts_at, visit.ends_at, visit.place)
    found = source.time_off(visit.therapist, busy_from, busy_until)
    return found[0] if found else None


def _shape_problems(visit: ProposedVisit, now: datetime) -> list[str]:
    problems = []
    length = visit.ends_at - visit.starts_at
    if length <= timedelta(0):
        return ["The visit must end after it starts."]
    if length % STEP or length > LONGEST_VISIT:
        problems.append("A visit lasts 15 minutes to 4 hours, in steps of 15 minutes.")
    if visit.starts_at < now - STEP:
        problems.append(
            f"{_fmt(visit.starts_at, visit.location)} is in the past: choose a time from now on."
        )
    return problems


def _people_problems(visit: ProposedVisit, source: LiveSchedule) -> list[str]:
    problems = []
    therapist, local_day = visit.therapist, visit.local_start.date()
    if visit.client.is_archived:
        problems.append(
            f"{visit.client.full_name} is archived: restore the client first."
        )
    if not therapist.is_active:
        problems.append(f"{therapist.full_name} is not active.")
    if not therapist.license_valid_on(local_day):
        problems.append(
            f"{therapist.full_name}'s license expired on "
            f"{therapist.license_expires_on:%d %b %Y}; they cannot treat on "
            f"{local_day:%d %b %Y}."
        )
    if not visit.modality.is_active:
        problems.append(f"{visit.modality.name} is no longer offered.")
    elif not source.is_trained(therapist, visit.modality):
        problems.append(f"{therapist.full_name} does not offer {visit.modality.name}.")
    return problems


def _place_problems(visit: ProposedVisit) -> list[str]:
    if visit.place == Place.ROOM:
        if visit.room is None:
            return ["Choose a room for a visit at the clinic."]
        if visit.room.location_id != visit.location.pk:
            return [f"{visit.room.name} is not at {visit.location.name}."]
        if not visit.room.is_active:
            return [f"{visit.room.name} is not in use."]
        return []
    if visit.room is not None:
        return ["A home or workplace visit has no room."]
    if visit.place == Place.HOME and not visit.client.home_address:
        return [f"{visit.client.full_name} has no home address on file."]
    if visit.place == Place.WORKPLACE and not visit.client.workplace_address:
        return [f"{visit.client.full_name} has no workplace address on file."]
    return []


def scheduling_problems(
    visit: ProposedVisit,
    *,
    now: datetime,
    exclude: Iterable[int] = (),
    source: LiveSchedule = LIVE,
) -> list[str]:
    """Every reason the visit cannot be booked, as sentences; empty when it can.

    `source` is where hours, time off and other visits are read: the database by
    default, or a ScheduleSnapshot loaded once for many checks.
    """
    problems = _shape_problems(visit, now)
    if problems and visit.ends_at <= visit.starts_at:
        return problems
    problems += _people_problems(visit, source)
    problems += _place_problems(visit)
    if _working_block(visit, source) is None:
        problems.append(_hours_message(visit, source))
    off = _time_off(visit, source)
    if off is not None:
        reason = f" ({off.reason})" if off.reason else ""
        problems.append(
            f"{visit.therapist.full_name} is off from {_fmt(off.starts_at, visit.location)} "
            f"to {_fmt(off.ends_at, visit.location)}{reason}."
        )
    problems += [
        conflict_message(kind, other, visit)
        for kind, other in conflicting_visits(visit, exclude=exclude, source=source)
    ]
    return problems
