"""A busy practice, built in bulk on top of the demo clinic, for the bench.

    BenchClinic(size=Size.full(), now=now, say=print).build()

Adds to what `seed_demo` made: a third location, therapists with a room each and
08:00-18:00 hours until the busiest location has `busy_therapists` of them (plus a few
at the other two), clients up to `clients`, `past_visits` over the last two years and
`coming_visits` over the next four weeks at the busy location, referrals,
authorizations, plans, safety flags, SOAP notes, sent and pending messages, waitlist
entries and some time off. Rows go in with `bulk_create`, and every row meets the
models' constraints: each therapist's visits fall in separate slots of their own
hours in their own room, and no client has two visits on one day, so the exclusion
constraints (therapist, room, client overlap) hold by construction.

Which flags a client may carry is asked of the safety rules, and the coming visits'
reminders are armed by the outbox's own service: no rule is copied here.
"""

from __future__ import annotations

import hashlib
import random
import time as clock
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.db import connection, transaction

from benchmarks.people import BATCH, VISIT_MODALITIES, People
from clients.models import (
    Authorization,
    Client,
    Contraindication,
    Referral,
)
from massageclinic.choices import BodyRegion
from massageclinic.clock import local_datetime, local_day_span
from massageclinic.models import Location, Room
from sessions.demo import data, places
from sessions.messaging.outbox import messages_reminders_arm
from sessions.models import (
    Appointment,
    NoteTechnique,
    OutboundMessage,
    Place,
    SessionNote,
    TreatmentPlan,
    WaitlistEntry,
)
from therapists.models import Modality, Therapist, TimeOff, WorkingHours

Status = Appointment.Status
T = TypeVar("T")
THIRD_LOCATION = {
    "name": "Harbor Point Clinic",
    "address_line1": "88 Harbor Point Road",
    "city": "Chicago",
    "state": "IL",
    "postal_code": "60601",
    "phone": "(312) 555-0110",
    "time_zone": "America/Chicago",
}
PAST_STATUSES = (
    (Status.COMPLETED, 86),
    (Status.CANCELLED, 7),
    (Status.LATE_CANCELLED, 4),
    (Status.NO_SHOW, 3),
)
COMING_STATUSES = ((Status.BOOKED, 70), (Status.CONFIRMED, 25), (Status.CANCELLED, 5))
LENGTHS = ((60, 60), (45, 20), (30, 20))  # minutes, weight
RESERVED_THERAPISTS = 4  # their 17:00 hour stays free ahead: the series bench books it
RESERVED_HOUR = 17
RESERVED_CLIENTS = 50  # no visits, flags or paperwork: the booking benches' clients
DRAFT_DAYS = 3  # of the last few days' visits, some notes are drafts or not written
SENT_DAYS = 30  # past visits this recent show their sent reminder


@dataclass(frozen=True)
class Size:
    clients: int = 20_000
    past_visits: int = 100_000
    coming_visits: int = 3_000
    busy_therapists: int = 30  # with hours at the busiest location, demo ones included
    other_therapists: int = 5  # added at each of the two other locations
    past_days: int = 730
    coming_days: int = 28

    @classmethod
    def scaled(cls, scale: float) -> Size:
        """The full size with its rows (not its therapists) times `scale`."""
        full = cls()
        return cls(
            clients=max(RESERVED_CLIENTS + 20, round(full.clients * scale)),
            past_visits=round(full.past_visits * scale),
            coming_visits=round(full.coming_visits * scale),
        )


@dataclass
class Built:
    """What the measures need to find again, and what the report says."""

    busy: Location
    others: list[Location]
    measured_day: date  # the first working day ahead: the day view's day
    reserved: list[Therapist]  # free at RESERVED_HOUR on every coming day
    rooms: dict[int, Room]  # therapist id -> their room
    fresh_clients: list[Client]  # no visits, flags or paperwork
    seconds: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    day_columns: int = 0  # therapists working at the busy location that day
    day_visits: int = 0  # visits there that day (cancelled ones included)


def _weighted(rng: random.Random, choices: Sequence[tuple[T, int]]) -> Callable[[], T]:
    values = [v for v, _ in choices]
    weights = [w for _, w in choices]
    return lambda: rng.choices(values, weights)[0]


def _weekdays(first: date, last: date) -> list[date]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5]


class BenchClinic(People):
    def __init__(
        self, *, size: Size, now: datetime, say: Callable[[str], None], seed: int = 12
    ) -> None:
        self.size = size
        self.now = now
        self.say = say
        self.rng = random.Random(seed)
        self.modality = {m.slug: m for m in Modality.objects.all()}
        self.desk = get_user_model().objects.get(username=places.FRONT_DESK_USER[0])

    def build(self) -> Built:
        started = clock.perf_counter()
        with transaction.atomic():
            built = self._build()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the planner sees the real sizes
        built.seconds = clock.perf_counter() - started
        built.counts = self._counts()
        self.say(f"Built in {built.seconds:.1f} s: {self._describe(built.counts)}")
        start, end = local_day_span(built.measured_day, built.busy)
        built.day_visits = Appointment.objects.filter(
            location=built.busy, starts_at__gte=start, starts_at__lt=end
        ).count()
        built.day_columns = (
            WorkingHours.objects.filter(
                location=built.busy, weekday=built.measured_day.weekday()
            )
            .values("therapist")
            .distinct()
            .count()
        )
        self.say(
            f"{built.busy.name} on {built.measured_day}: {built.day_columns} "
            f"therapists working, {built.day_visits} visits."
        )
        return built

    def _build(self) -> Built:
        busy = Location.objects.get(name=places.LOCATIONS[places.MAIN]["name"])
        others = [
            Location.objects.get(name=places.LOCATIONS[places.SECOND]["name"]),
            Location.objects.get_or_create(
                name=THIRD_LOCATION["name"],
                defaults={k: v for k, v in THIRD_LOCATION.items() if k != "name"},
            )[0],
        ]
        self.today = self.now.astimezone(busy.zone).date()
        at_busy = (
            WorkingHours.objects.filter(location=busy)
            .values("therapist")
            .distinct()
            .count()
        )
        wanted = [
            (busy, max(1, self.size.busy_therapists - at_busy), time(8), time(18))
        ]
        wanted += [(o, self.size.other_therapists, time(9), time(17)) for o in others]
        therapists, rooms, hours = self._therapists(wanted)
        self.say(f"{len(therapists)} therapists, each with a room and weekly hours.")
        clients = self._clients()
        fresh, visiting = clients[-RESERVED_CLIENTS:], clients[:-RESERVED_CLIENTS]
        self._intakes(visiting)
        flagged = self._flags(visiting)
        paperwork = self._paperwork(visiting, therapists)
        self.say(f"{len(clients)} clients with intakes, flags, referrals and plans.")
        busy_ids = [t.pk for t in therapists if hours[t.pk][0] == busy]
        reserved = [t for t in therapists if t.pk in busy_ids[:RESERVED_THERAPISTS]]
        visits = self._visits(
            therapists, rooms, hours, visiting, flagged, paperwork, reserved, busy
        )
        self._notes(visits)
        self._messages(visits)
        self._waitlist(visiting, busy)
        self._time_off(therapists)
        measured = min(
            d
            for d in _weekdays(self.today, self.today + timedelta(days=7))
            if d > self.today
        )
        return Built(
            busy=busy,
            others=others,
            measured_day=measured,
            reserved=reserved,
            rooms={t.pk: rooms[t.pk] for t in therapists},
            fresh_clients=fresh,
        )

    # --------------------------------------------------------------- visits

    def _slots(self, hours, therapist_id: int, reserved_ids: set[int], ahead: bool):
        _, opens, closes = hours[therapist_id]
        slots = list(range(opens.hour, closes.hour))
        if ahead and therapist_id in reserved_ids:
            slots.remove(RESERVED_HOUR)
        return slots

    def _visit_times(
        self,
        days: list[date],
        total: int,
        therapists: list[Therapist],
        hours,
        reserved_ids: set[int],
        ahead: bool,
    ) -> Iterator[tuple[date, Therapist, int]]:
        """(day, therapist, hour) triples: `total` spread evenly over `days`."""
        if not days or not total:
            return
        for index, day in enumerate(days):
            quota = total * (index + 1) // len(days) - total * index // len(days)
            free = [
                (t, hour)
                for t in therapists
                for hour in self._slots(hours, t.pk, reserved_ids, ahead)
            ]
            for t, hour in self.rng.sample(free, min(quota, len(free))):
                yield day, t, hour

    def _visits(
        self, therapists, rooms, hours, clients, flagged, paperwork, reserved, busy
    ) -> list[Appointment]:
        started = clock.perf_counter()
        reserved_ids = {t.pk for t in reserved}
        past_days = _weekdays(
            self.today - timedelta(days=self.size.past_days),
            self.today - timedelta(days=1),
        )
        coming_days = _weekdays(
            self.today + timedelta(days=1),
            self.today + timedelta(days=self.size.coming_days),
        )
        at_busy = [t for t in therapists if hours[t.pk][0] == busy]
        plan = [
            (day, t, hour, False)
            for day, t, hour in self._visit_times(
                past_days, self.size.past_visits, therapists, hours, reserved_ids, False
            )
        ] + [
            (day, t, hour, True)
            for day, t, hour in self._visit_times(
                coming_days, self.size.coming_visits, at_busy, hours, reserved_ids, True
            )
        ]
        pool = list(clients)
        busiest = max(Counter(day for day, *_ in plan).values(), default=0)
        if busiest > len(pool):  # a client would come twice in a day
            raise ValueError(f"{len(pool)} clients cannot fill {busiest} visits a day.")
        cursor = 0
        past_status = _weighted(self.rng, PAST_STATUSES)
        coming_status = _weighted(self.rng, COMING_STATUSES)
        length = _weighted(self.rng, LENGTHS)
        modality = _weighted(self.rng, VISIT_MODALITIES)
        rows, day_seen = [], None
        for day, therapist, hour, ahead in plan:
            if day != day_seen:  # a client comes at most once a day: no overlap
                day_seen, cursor = day, 0
                self.rng.shuffle(pool)
            client = pool[cursor % len(pool)]
            cursor += 1
            location = hours[therapist.pk][0]
            minutes = length()
            offset = self.rng.choice(range(0, 61 - minutes, 15))
            starts_at = local_datetime(day, time(hour, offset), location)
            ends_at = starts_at + timedelta(minutes=minutes)
            status = coming_status() if ahead else past_status()
            slug = "swedish" if client.pk in flagged else modality()
            first, last, referral, authorization = paperwork.get(
                client.pk, (None, None, None, None)
            )
            covered = first is not None and first <= day <= last
            rows.append(
                Appointment(
                    client=client,
                    therapist=therapist,
                    modality=self.modality[slug],
                    location=location,
                    place=Place.ROOM,
                    room=rooms[therapist.pk],
                    starts_at=starts_at,
                    ends_at=ends_at,
                    therapist_busy_from=starts_at,
                    therapist_busy_until=ends_at,
                    status=status,
                    cancelled_at=starts_at - timedelta(hours=self.rng.randint(2, 96))
                    if status in Appointment.NON_BLOCKING_STATUSES
                    else None,
                    cancellation_reason=data.CANCEL_REASONS[0]
                    if status in Appointment.NON_BLOCKING_STATUSES
                    else "",
                    referral_id=referral if covered else None,
                    authorization_id=authorization if covered else None,
                    booked_by=self.desk,
                )
            )
        visits = Appointment.objects.bulk_create(rows, batch_size=BATCH)
        self.say(
            f"{len(visits)} visits written in {clock.perf_counter() - started:.1f} s."
        )
        return visits

    def _notes(self, visits: list[Appointment]) -> None:
        """A SOAP note for every completed visit, as in a clinic that documents its
        work: written, then signed last (the database refuses any change to a signed
        note or its techniques). Of the last few days' visits, some notes are still
        drafts and some not written yet."""
        started = clock.perf_counter()
        recent = self.now - timedelta(days=DRAFT_DAYS)
        done = [
            v
            for v in visits
            if v.status == Status.COMPLETED
            and v.starts_at < self.now
            and (v.starts_at < recent or v.pk % 7)
        ]
        drafts_from = recent
        notes = SessionNote.objects.bulk_create(
            (
                SessionNote(
                    appointment=v,
                    therapist=v.therapist,
                    complaint="Tension in the upper back.",
                    pain_before=5 + v.pk % 4,
                    pain_after=2 + v.pk % 3,
                    areas_treated=[BodyRegion.UPPER_BACK],
                    response="Tissue softened; range improved.",
                )
                for v in done
            ),
            batch_size=BATCH,
        )
        NoteTechnique.objects.bulk_create(
            (
                NoteTechnique(
                    note=n, modality=v.modality, minutes=max(8, v.duration_minutes - 5)
                )
                for n, v in zip(notes, done, strict=True)
            ),
            batch_size=BATCH,
        )
        to_sign = [
            n.pk
            for n, v in zip(notes, done, strict=True)
            if v.starts_at < drafts_from or v.pk % 5
        ]
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE clinic_sessions_sessionnote n SET signed_at = a.ends_at "
                "+ interval '2 hours', signed_by_id = t.user_id, content_sha256 = %s "
                "FROM clinic_sessions_appointment a JOIN therapists_therapist t "
                "ON t.id = a.therapist_id WHERE n.appointment_id = a.id "
                "AND n.id = ANY(%s)",
                [hashlib.sha256(b"bench").hexdigest(), to_sign],
            )
        self.say(
            f"{len(notes)} SOAP notes written in {clock.perf_counter() - started:.1f} s."
        )

    def _messages(self, visits: list[Appointment]) -> None:
        """The coming visits' reminders, armed by the outbox's service; the recent
        past ones' reminders, as sent."""
        since = self.now - timedelta(days=SENT_DAYS)
        OutboundMessage.objects.bulk_create(
            (
                OutboundMessage(
                    kind=OutboundMessage.Kind.REMINDER,
                    appointment=v,
                    client=v.client,
                    to_email=v.client.email,
                    send_at=(send_at := v.starts_at - timedelta(hours=48)),
                    status=OutboundMessage.Status.SENT,
                    attempts=1,
                    sent_at=send_at + timedelta(seconds=30),
                )
                for v in visits
                if since <= v.starts_at < self.now and v.client.email_reminders
            ),
            batch_size=BATCH,
        )
        started = clock.perf_counter()
        coming = [v for v in visits if v.starts_at > self.now]
        messages_reminders_arm(appointments=coming, now=self.now)
        self.say(
            f"Reminders of {len(coming)} coming visits armed by the outbox in "
            f"{clock.perf_counter() - started:.1f} s."
        )

    def _waitlist(self, clients: list[Client], busy: Location) -> None:
        WaitlistEntry.objects.bulk_create(
            WaitlistEntry(
                client=c,
                modality=self.modality["swedish"],
                location=busy,
                duration_minutes=60,
                weekdays=[n % 5],
                wanted_from=self.today,
                wanted_until=self.today + timedelta(days=21),
                created_by=self.desk,
            )
            for n, c in enumerate(clients[1::250][:60])
        )

    def _time_off(self, therapists: list[Therapist]) -> None:
        TimeOff.objects.bulk_create(
            TimeOff(
                therapist=t,
                starts_at=(s := self.now - timedelta(days=200 - 17 * n)),
                ends_at=s + timedelta(days=3),
                reason="Leave",
            )
            for n, t in enumerate(therapists[RESERVED_THERAPISTS::3])
        )

    # --------------------------------------------------------------- report

    @staticmethod
    def _counts() -> dict[str, int]:
        models = (
            Location,
            Therapist,
            Client,
            Appointment,
            SessionNote,
            Referral,
            Authorization,
            TreatmentPlan,
            Contraindication,
            OutboundMessage,
            WaitlistEntry,
        )
        return {m.__name__: m.objects.count() for m in models}

    @staticmethod
    def _describe(counts: dict[str, int]) -> str:
        return ", ".join(f"{name} {count:,}" for name, count in counts.items())
