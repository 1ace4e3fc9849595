"""Find the next open slots, and the waitlist entries that fit a freed one.

The search loads the weeks' hours, time off and visits once and works in memory, so
its cost does not grow with a query per candidate slot. Booking the chosen slot still
goes through `appointment_book`, which checks everything again.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Q

from clients.models import Client
from massageclinic.models import Location, Room
from sessions.models import Appointment, WaitlistEntry
from sessions.scheduling import STEP, local_datetime
from therapists.models import Modality, Therapist, TimeOff, WorkingHours

Interval = tuple[datetime, datetime]


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


def _overlaps(intervals: list[Interval], start: datetime, end: datetime) -> bool:
    return any(s < end and e > start for s, e in intervals)


def _round_up(moment: datetime) -> datetime:
    extra = (moment.minute % 15) * 60 + moment.second + moment.microsecond / 1e6
    if not extra:
        return moment
    return moment + timedelta(seconds=15 * 60 - extra)


@dataclass
class _Busy:
    therapists: dict[int, list[Interval]]
    rooms: dict[int, list[Interval]]
    client: list[Interval]


def _load_busy(
    therapist_ids: list[int], room_ids: list[int], client: Client | None, start, end
) -> _Busy:
    busy = _Busy(defaultdict(list), defaultdict(list), [])
    who = Q(therapist_id__in=therapist_ids) | Q(room_id__in=room_ids)
    if client is not None:
        who |= Q(client=client)
    visits = (
        Appointment.objects.filter(
            who, starts_at__lt=end, therapist_busy_until__gt=start
        )
        .exclude(status__in=Appointment.NON_BLOCKING_STATUSES)
        .values_list(
            "therapist_id",
            "room_id",
            "client_id",
            "starts_at",
            "ends_at",
            "therapist_busy_from",
            "therapist_busy_until",
        )
    )
    for therapist_id, room_id, client_id, s, e, busy_from, busy_until in visits:
        busy.therapists[therapist_id].append((busy_from, busy_until))
        if room_id:
            busy.rooms[room_id].append((s, e))
        if client is not None and client_id == client.pk:
            busy.client.append((s, e))
    for therapist_id, s, e in TimeOff.objects.filter(
        therapist_id__in=therapist_ids, starts_at__lt=end, ends_at__gt=start
    ).values_list("therapist_id", "starts_at", "ends_at"):
        busy.therapists[therapist_id].append((s, e))
    return busy


def _suitable_therapists(modality: Modality, therapist: Therapist | None, on: date):
    therapists = Therapist.objects.filter(
        is_active=True, trainings__modality=modality, license_expires_on__gte=on
    ).select_related("user")
    if therapist is not None:
        therapists = therapists.filter(pk=therapist.pk)
    return list(therapists.distinct())


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
) -> list[Opening]:
    """The next open slots (earliest first) across every suitable therapist and room.

    `earliest` / `latest` bound the local start time of the visit.
    """
    length = timedelta(minutes=duration_minutes)
    zone = location.zone
    first_day = now.astimezone(zone).date()
    therapists = _suitable_therapists(modality, therapist, first_day)
    rooms = (
        [room] if room else list(location.rooms.filter(is_active=True).order_by("name"))
    )
    if not therapists or not rooms:
        return []
    hours: dict[tuple[int, int], list[WorkingHours]] = defaultdict(list)
    for block in WorkingHours.objects.filter(
        therapist__in=therapists, location=location
    ).order_by("starts_at"):
        hours[(block.therapist_id, block.weekday)].append(block)
    window_start = _round_up(now)
    window_end = local_datetime(first_day + timedelta(days=days), time(0), location)
    busy = _load_busy(
        [t.pk for t in therapists],
        [r.pk for r in rooms],
        client,
        window_start,
        window_end,
    )

    openings: list[Opening] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if weekdays and day.weekday() not in weekdays:
            continue
        day_openings = []
        for person in therapists:
            for block in hours.get((person.pk, day.weekday()), []):
                start = local_datetime(day, block.starts_at, location)
                block_end = local_datetime(day, block.ends_at, location)
                while start + length <= block_end:
                    opening = _try(
                        start, length, person, rooms, busy, location, window_start
                    )
                    local = start.astimezone(zone).time()
                    in_window = (earliest is None or local >= earliest) and (
                        latest is None or local <= latest
                    )
                    if opening and in_window:
                        day_openings.append(opening)
                    start += STEP
        day_openings.sort(key=lambda o: (o.starts_at, o.therapist.full_name))
        openings.extend(day_openings)
        if len(openings) >= limit:
            break
    return openings[:limit]


def _try(
    start, length, person, rooms, busy: _Busy, location, window_start
) -> Opening | None:
    end = start + length
    if start < window_start:
        return None
    if _overlaps(busy.therapists[person.pk], start, end) or _overlaps(
        busy.client, start, end
    ):
        return None
    free_room = next(
        (r for r in rooms if not _overlaps(busy.rooms[r.pk], start, end)), None
    )
    if free_room is None:
        return None
    return Opening(person, location, free_room, start, end)


def waitlist_matches(*, appointment: Appointment) -> list[WaitlistEntry]:
    """Open waitlist entries that would fit the slot this (cancelled) visit freed."""
    zone = appointment.location.zone
    local_start = appointment.starts_at.astimezone(zone)
    day = local_start.date()
    length = appointment.duration_minutes
    entries = (
        WaitlistEntry.objects.filter(
            closed_at__isnull=True,
            location=appointment.location,
            wanted_from__lte=day,
            wanted_until__gte=day,
            duration_minutes__lte=length,
        )
        .filter(Q(therapist__isnull=True) | Q(therapist=appointment.therapist))
        .filter(Q(weekdays=[]) | Q(weekdays__contains=[day.weekday()]))
        .filter(
            Q(earliest_time__isnull=True) | Q(earliest_time__lte=local_start.time())
        )
        .filter(Q(latest_time__isnull=True) | Q(latest_time__gte=local_start.time()))
        .filter(
            Q(modality__isnull=True)
            | Q(modality__trainings__therapist=appointment.therapist)
        )
        .exclude(client=appointment.client)
        .select_related("client", "modality", "therapist__user")
        .order_by("created_at")
    )
    return list(entries.distinct())
