"""The seeder's visits: recurring series, full days around today, and first visits.

A mixin of `DemoSeeder`. Every visit is judged by the app's own scheduling rules
(`therapist_problems`, `client_problems`, `room_problems`, read from a `SeedSchedule`
of what is booked so far) and the safety decision (`modality_safety`), as booking
judges it; the in-memory `Diary` is only a quick first look. A visit's end is its
start plus its minutes of elapsed (UTC) time, and the therapist's busy span comes from
`busy_span`, the one travel-buffer rule.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from clients.safety import flags_in_force_for_clients, modality_safety
from massageclinic.models import Location, Room
from sessions.demo import data, places
from sessions.demo.care import FALLBACK_HOURS, MINUTE, SLOT, WINDOW_DAYS, Care, Status
from sessions.demo.seed_schedule import SeedSchedule
from sessions.models import (
    Appointment,
    AppointmentSeries,
    Place,
)
from sessions.scheduling.rules import (
    ProposedVisit,
    busy_span,
    client_problems,
    room_problems,
    therapist_problems,
    visit_end,
)
from therapists.models import Therapist, WorkingHours


class Diary:
    """Who is busy when, kept in memory: a quick first look before the rules judge."""

    def __init__(self, zone: ZoneInfo) -> None:
        self._zone = zone
        self._spans: dict[tuple[str, int, date], list[tuple[datetime, datetime]]] = (
            defaultdict(list)
        )

    def _key(self, kind: str, pk: int, start: datetime) -> tuple[str, int, date]:
        return (kind, pk, start.astimezone(self._zone).date())

    def is_free(self, kind: str, pk: int, start: datetime, end: datetime) -> bool:
        spans = self._spans[self._key(kind, pk, start)]
        return all(end <= s or start >= e for s, e in spans)

    def take(self, kind: str, pk: int, start: datetime, end: datetime) -> None:
        self._spans[self._key(kind, pk, start)].append((start, end))

    def take_appointment(self, a: Appointment) -> None:
        self.take(
            "therapist", a.therapist_id, a.therapist_busy_from, a.therapist_busy_until
        )
        self.take("client", a.client_id, a.starts_at, a.ends_at)
        if a.room_id:
            self.take("room", a.room_id, a.starts_at, a.ends_at)


@dataclass(frozen=True)
class Block:
    location: Location
    starts_at: time
    ends_at: time


@dataclass
class Shift:
    """A therapist's working block on one day, filled from its cursor onwards."""

    cursor: datetime
    order: int
    therapist: Therapist
    block: Block
    ends_at: datetime
    due: list[Care]


class Scheduling:
    # ----------------------------------------------------------- scheduling

    def _schedule(self, cares: list[Care]) -> list[Appointment]:
        self.diary = Diary(self.zone)
        self.schedule = SeedSchedule(list(self.therapists))
        self.blocks = self._blocks()
        self.flags_of = flags_in_force_for_clients(
            [c.client.pk for c in cares], self.today
        )
        self._load_existing_visits()
        appointments: list[Appointment] = []
        series_cares = [c for c in cares if c.index in data.IN_SERIES and c.plan]
        for care in series_cares:
            appointments.extend(self._series(care))
        appointments.extend(self._fill_days([c for c in cares if not c.in_series]))
        appointments.extend(self._first_visits(cares))
        Appointment.objects.bulk_create(appointments)
        return appointments

    def _blocks(self) -> dict[int, dict[int, list[Block]]]:
        blocks: dict[int, dict[int, list[Block]]] = defaultdict(
            lambda: defaultdict(list)
        )
        hours = WorkingHours.objects.filter(
            therapist__in=self.therapists
        ).select_related("location")
        for row in hours.order_by("starts_at"):
            blocks[row.therapist_id][row.weekday].append(
                Block(row.location, row.starts_at, row.ends_at)
            )
        return blocks

    def _blocks_on(self, therapist: Therapist, day: date) -> list[Block]:
        blocks = self.blocks[therapist.pk].get(day.weekday(), [])
        if not blocks and day == self.today:
            # Keep the demo's "today" full even on a therapist's day off.
            return [Block(self.locations[places.MAIN], *FALLBACK_HOURS)]
        return blocks

    def _load_existing_visits(self) -> None:
        """Visits already in the database (an earlier run) block time too."""
        start = self._local(self.today - timedelta(days=WINDOW_DAYS + 1), time(0))
        existing = Appointment.objects.filter(
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=120),
        ).exclude(status__in=Appointment.NON_BLOCKING_STATUSES)
        for appointment in existing.only(
            "therapist_id",
            "client_id",
            "room_id",
            "starts_at",
            "ends_at",
            "therapist_busy_from",
            "therapist_busy_until",
        ):
            self.diary.take_appointment(appointment)
            self.schedule.add(appointment)

    def _visit(
        self,
        care: Care,
        therapist: Therapist,
        block: Block,
        starts_at: datetime,
        *,
        minutes: int | None = None,
        room: Room | None = None,
        series: AppointmentSeries | None = None,
        status: str | None = None,
    ) -> Appointment | None:
        """An appointment if therapist, client and a room are free; else None."""
        minutes = minutes or care.minutes
        ends_at = visit_end(starts_at, minutes)
        place = care.place
        busy_from, busy_until = busy_span(starts_at, ends_at, place)
        day = starts_at.astimezone(block.location.zone).date()
        # The safety decision booking asks: blocked means no visit, the rest is noted.
        safety = modality_safety(
            client=care.client,
            modality=care.main_modality,
            on=day,
            flags=self.flags_of.get(care.client.pk, []),
        )
        if safety.blocked:
            return None
        diary = self.diary
        if not diary.is_free("therapist", therapist.pk, busy_from, busy_until):
            return None
        if not diary.is_free("client", care.client.pk, starts_at, ends_at):
            return None
        if place == Place.ROOM:
            room = room or self._free_room(block.location, starts_at, ends_at)
            if room is None or not diary.is_free("room", room.pk, starts_at, ends_at):
                return None
        else:
            room = None
        if self._refused_by_the_rules(care, therapist, block, starts_at, ends_at, room):
            return None
        appointment = Appointment(
            client=care.client,
            therapist=therapist,
            modality=care.main_modality,
            location=block.location,
            place=place,
            room=room,
            visit_address=self._visit_address(care),
            starts_at=starts_at,
            ends_at=ends_at,
            therapist_busy_from=busy_from,
            therapist_busy_until=busy_until,
            series=series,
            booked_by=self.front_desk,
            safety_acknowledgement="\n".join(safety.reasons),
        )
        self._set_status(appointment, status)
        self._link_paperwork(appointment, care)
        care.booked_days.add(day)
        if appointment.is_blocking:
            diary.take_appointment(appointment)
            self.schedule.add(appointment)
            care.visit_days.append(day)
        return appointment

    def _refused_by_the_rules(
        self,
        care: Care,
        therapist: Therapist,
        block: Block,
        starts_at: datetime,
        ends_at: datetime,
        room: Room | None,
    ) -> bool:
        """The app's scheduling rules, as booking asks them (not the past-time one:
        the demo writes history too)."""
        proposed = ProposedVisit(
            care.client,
            therapist,
            care.main_modality,
            block.location,
            starts_at,
            ends_at,
            care.place,
            room,
        )
        return bool(
            therapist_problems(proposed, source=self.schedule)
            or client_problems(proposed, source=self.schedule)
            or room_problems(proposed, source=self.schedule)
        )

    def _free_room(
        self, location: Location, start: datetime, end: datetime
    ) -> Room | None:
        rooms = list(self.rooms.get(location.pk, []))
        self.rng.shuffle(rooms)
        return next(
            (r for r in rooms if self.diary.is_free("room", r.pk, start, end)), None
        )

    @staticmethod
    def _visit_address(care: Care) -> str:
        if care.place == Place.HOME:
            return care.client.home_address
        if care.place == Place.WORKPLACE:
            return care.client.workplace_address
        return ""

    def _set_status(self, appointment: Appointment, forced: str | None) -> None:
        rng, now = self.rng, self.now
        start, end = appointment.starts_at, appointment.ends_at
        roll = rng.random()
        if forced:
            status = forced
        elif end <= now:
            status = (
                Status.COMPLETED
                if roll < 0.84
                else Status.NO_SHOW
                if roll < 0.90
                else Status.CANCELLED
                if roll < 0.95
                else Status.LATE_CANCELLED
            )
        elif start <= now:
            status = Status.CHECKED_IN
        elif roll < 0.05:
            status = Status.CANCELLED
        elif start - now < timedelta(days=3):
            status = Status.CONFIRMED if roll < 0.8 else Status.BOOKED
        else:
            status = Status.CONFIRMED if roll < 0.35 else Status.BOOKED
        appointment.status = status
        if status not in Appointment.NON_BLOCKING_STATUSES:
            return
        if end <= now:
            hours = (
                rng.randint(2, 20)
                if status == Status.LATE_CANCELLED
                else rng.randint(26, 96)
            )
            appointment.cancelled_at = start - timedelta(
                hours=hours, minutes=rng.randint(0, 59)
            )
        else:
            appointment.cancelled_at = now - timedelta(hours=rng.randint(1, 48))
            if start - appointment.cancelled_at < self.policy.late_cancel_window:
                appointment.status = Status.LATE_CANCELLED
        appointment.cancellation_reason = rng.choice(data.CANCEL_REASONS)

    def _link_paperwork(self, appointment: Appointment, care: Care) -> None:
        day = appointment.starts_at.astimezone(self.zone).date()
        if care.plan and day >= care.plan.starts_on:
            appointment.plan = care.plan
        referral = care.referral
        if referral and referral.referred_on <= day <= referral.expires_on:
            appointment.referral = referral
            auth = care.authorization
            if auth and auth.valid_from <= day <= auth.valid_to:
                appointment.authorization = auth

    # -- recurring series

    def _series(self, care: Care) -> list[Appointment]:
        """A weekly or twice-weekly series that produced real rows, or nothing."""
        rng = self.rng
        therapist, plan = care.therapist, care.plan
        per_week = plan.visits_per_week
        count = rng.randint(6, 8) if per_week == 1 else rng.choice((8, 10, 12))
        earliest = max(care.first_day, self._days_ago(14, 21))
        for weekdays, block in self._series_patterns(therapist, per_week):
            days = list(self._occurrences(earliest, weekdays, count))
            slots = self._slots(block, care.minutes)
            rng.shuffle(slots)
            for at in slots[:12]:
                starts = [self._local(d, at, block.location) for d in days]
                room = self._room_free_for_all(block.location, starts, care.minutes)
                if room is None or not self._all_free(care, therapist, starts):
                    continue
                return self._save_series(care, block, room, weekdays, days, at, count)
        return []

    def _series_patterns(
        self, therapist: Therapist, per_week: int
    ) -> list[tuple[list[int], Block]]:
        by_day = self.blocks[therapist.pk]
        workdays = sorted(by_day)
        if per_week == 1:
            patterns = [([d], by_day[d][0]) for d in workdays]
        else:
            patterns = [
                ([a, b], self._common(by_day[a][0], by_day[b][0]))
                for a in workdays
                for b in workdays
                if 2 <= b - a <= 4 and by_day[a][0].location == by_day[b][0].location
            ]
        patterns = [(days, block) for days, block in patterns if block is not None]
        self.rng.shuffle(patterns)
        return patterns

    @staticmethod
    def _common(a: Block, b: Block) -> Block | None:
        start, end = max(a.starts_at, b.starts_at), min(a.ends_at, b.ends_at)
        return Block(a.location, start, end) if start < end else None

    @staticmethod
    def _occurrences(earliest: date, weekdays: list[int], count: int) -> Iterator[date]:
        day, made = earliest, 0
        while made < count:
            if day.weekday() in weekdays:
                yield day
                made += 1
            day += timedelta(days=1)

    @staticmethod
    def _slots(block: Block, minutes: int) -> list[time]:
        day = date(2000, 1, 3)  # any day: only the wall-clock arithmetic matters
        at = datetime.combine(day, block.starts_at)
        last = datetime.combine(day, block.ends_at) - minutes * MINUTE
        slots = []
        while at <= last:
            slots.append(at.time())
            at += SLOT
        return slots

    def _room_free_for_all(
        self, location: Location, starts: list[datetime], minutes: int
    ) -> Room | None:
        rooms = list(self.rooms.get(location.pk, []))
        self.rng.shuffle(rooms)
        for room in rooms:
            if all(
                self.diary.is_free("room", room.pk, s, visit_end(s, minutes))
                for s in starts
            ):
                return room
        return None

    def _all_free(
        self, care: Care, therapist: Therapist, starts: list[datetime]
    ) -> bool:
        for start in starts:
            end = visit_end(start, care.minutes)
            busy_from, busy_until = busy_span(start, end, Place.ROOM)
            if not self.diary.is_free("therapist", therapist.pk, busy_from, busy_until):
                return False
            if not self.diary.is_free("client", care.client.pk, start, end):
                return False
        return True

    def _save_series(
        self,
        care: Care,
        block: Block,
        room: Room,
        weekdays: list[int],
        days: list[date],
        at: time,
        count: int,
    ) -> list[Appointment]:
        series = AppointmentSeries.objects.create(
            client=care.client,
            therapist=care.therapist,
            modality=care.main_modality,
            location=block.location,
            room=room,
            place=Place.ROOM,
            plan=care.plan,
            referral=care.referral,
            weekdays=weekdays,
            interval_weeks=1,
            count=count,
            starts_on=days[0],
            local_start_time=at,
            duration_minutes=care.minutes,
            time_zone=block.location.time_zone,
            created_by=self.front_desk,
        )
        care.in_series = True
        visits = []
        for day in days:
            start = self._local(day, at, block.location)
            visit = self._visit(
                care, care.therapist, block, start, room=room, series=series
            )
            if visit is not None:
                visits.append(visit)
        return visits

    # -- day by day

    def _fill_days(self, cares: list[Care]) -> list[Appointment]:
        caseloads: dict[int, list[Care]] = defaultdict(list)
        for care in cares:
            if care.first_day and care.therapist:
                caseloads[care.therapist.pk].append(care)
        for therapist in self.therapists:
            self._spread_usual_days(therapist, caseloads[therapist.pk])
        appointments = []
        for offset in range(-WINDOW_DAYS, WINDOW_DAYS + 1):
            day = self.today + timedelta(days=offset)
            appointments.extend(self._fill_day(day, caseloads))
        return appointments

    def _fill_day(
        self, day: date, caseloads: dict[int, list[Care]]
    ) -> Iterator[Appointment]:
        """Book the day in time order, therapist by therapist, so rooms are shared."""
        shifts: list[Shift] = []
        for order, therapist in enumerate(self.therapists):
            due = self._due(caseloads[therapist.pk], day)
            for block in self._blocks_on(therapist, day):
                shifts.append(
                    Shift(
                        cursor=self._local(day, block.starts_at, block.location),
                        order=order,
                        therapist=therapist,
                        block=block,
                        ends_at=self._local(day, block.ends_at, block.location),
                        due=due,
                    )
                )
        pause = 0.15 if day == self.today else 0.35
        while shifts:
            shift = min(shifts, key=lambda s: (s.cursor, s.order))
            waiting = [c for c in shift.due if day not in c.booked_days]
            if not waiting or shift.cursor + 30 * MINUTE > shift.ends_at:
                shifts.remove(shift)
                continue
            if self.rng.random() < pause:
                shift.cursor += self.rng.choice((30, 45, 60)) * MINUTE
                continue
            visit = self._book_someone(waiting, shift)
            if visit is None:
                shift.cursor += 30 * MINUTE
                continue
            yield visit
            shift.cursor = _quarter_hour_up(visit.therapist_busy_until)
            if self.rng.random() < 0.25:
                shift.cursor += SLOT

    def _spread_usual_days(self, therapist: Therapist, caseload: list[Care]) -> None:
        """Give each client regular weekdays, spread over the therapist's week."""
        workdays = sorted(self.blocks[therapist.pk])
        if not workdays:
            return
        singles = [(d,) for d in workdays]
        pairs = [(a, b) for a in workdays for b in workdays if b - a >= 2] or singles
        self.rng.shuffle(singles)
        self.rng.shuffle(pairs)
        weekly = [c for c in caseload if c.per_week < 2]
        twice = [c for c in caseload if c.per_week >= 2]
        for i, care in enumerate(weekly):
            care.usual_days = singles[i % len(singles)]
        for i, care in enumerate(twice):
            care.usual_days = pairs[i % len(pairs)]

    def _due(self, caseload: list[Care], day: date) -> list[Care]:
        """The therapist's clients who would come on this day."""
        if day == self.today:
            # Demo "today" is full: anyone not seen yesterday may come.
            return [c for c in caseload if self._may_visit(c, day, gap=1)]
        ahead = (day - self.today).days
        rate = 0.9 if ahead <= 7 else 0.7 if ahead <= 14 else 0.5
        return [
            c
            for c in caseload
            if day.weekday() in c.usual_days
            and self._may_visit(c, day, gap=c.min_gap_days)
            and self.rng.random() < rate
        ]

    @staticmethod
    def _may_visit(care: Care, day: date, *, gap: int) -> bool:
        if care.first_day is None or care.first_day > day:
            return False
        earlier = [d for d in care.visit_days if d <= day]
        return not earlier or (day - max(earlier)).days >= gap

    def _book_someone(self, waiting: list[Care], shift: Shift) -> Appointment | None:
        candidates = list(waiting)
        self.rng.shuffle(candidates)
        candidates.sort(key=lambda c: len(c.visit_days))
        for care in candidates:
            starts_at = _first_start(shift.cursor, care)
            _, busy_until = busy_span(
                starts_at, visit_end(starts_at, care.minutes), care.place
            )
            if busy_until > shift.ends_at:
                continue
            visit = self._visit(care, shift.therapist, shift.block, starts_at)
            if visit is not None:
                return visit
        return None

    # -- new clients' first visits

    def _first_visits(self, cares: list[Care]) -> list[Appointment]:
        visits = []
        for care in cares:
            if care.index not in data.FIRST_VISIT_BOOKED:
                continue
            care.modalities = [self.modality["swedish"]]
            for _ in range(60):
                day = self.today + timedelta(days=self.rng.randint(1, 10))
                therapist = self.rng.choice(self.therapists)
                blocks = self._blocks_on(therapist, day)
                if not blocks:
                    continue
                block = self.rng.choice(blocks)
                at = self.rng.choice(self._slots(block, 60))
                start = self._local(day, at, block.location)
                visit = self._visit(
                    care, therapist, block, start, minutes=60, status=Status.BOOKED
                )
                if visit is not None:
                    visits.append(visit)
                    break
        return visits


def _quarter_hour_up(moment: datetime) -> datetime:
    """The moment itself if on a quarter hour, else the next one."""
    quarter = int(SLOT.total_seconds())
    late = int(moment.timestamp()) % quarter
    return moment + timedelta(seconds=quarter - late) if late else moment


def _first_start(cursor: datetime, care: Care) -> datetime:
    """The first quarter hour at which the visit's busy span starts at `cursor` or later."""
    busy_from, _ = busy_span(cursor, visit_end(cursor, care.minutes), care.place)
    return _quarter_hour_up(cursor + (cursor - busy_from))
