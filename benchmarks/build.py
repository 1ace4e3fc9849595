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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import product

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import connection, transaction

from clients.models import (
    Authorization,
    Client,
    Condition,
    Contraindication,
    ContraindicationRule,
    InsurancePolicy,
    MedicalHistory,
    Payer,
    Referral,
    ReferringProvider,
    RuleAction,
    Severity,
)
from massageclinic.choices import BodyRegion
from massageclinic.clock import local_datetime, local_day_span
from massageclinic.models import Location, Room
from massageclinic.roles import Role
from sessions.demo import data, places
from sessions.messaging.outbox import messages_reminders_arm
from sessions.models import (
    Appointment,
    Goal,
    NoteTechnique,
    OutboundMessage,
    Place,
    SessionNote,
    TreatmentPlan,
    WaitlistEntry,
)
from therapists.models import Modality, Therapist, TimeOff, Training, WorkingHours

Status = Appointment.Status
BATCH = 5000
THIRD_LOCATION = {
    "name": "Harbor Point Clinic",
    "address_line1": "88 Harbor Point Road",
    "city": "Chicago",
    "state": "IL",
    "postal_code": "60601",
    "phone": "(312) 555-0110",
    "time_zone": "America/Chicago",
}
VISIT_MODALITIES = (
    ("swedish", 50),
    ("deep-tissue", 25),
    ("trigger-point", 15),
    ("myofascial-release", 10),
)
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
DIAGNOSES = ("M54.50", "M54.2", "M79.18", "M62.830", "G44.209", "M75.01", "M79.7")


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


def _weighted(rng: random.Random, choices) -> Callable[[], object]:
    values = [v for v, _ in choices]
    weights = [w for _, w in choices]
    return lambda: rng.choices(values, weights)[0]


def _weekdays(first: date, last: date) -> list[date]:
    days = (first + timedelta(days=n) for n in range((last - first).days + 1))
    return [d for d in days if d.weekday() < 5]


class BenchClinic:
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

    # --------------------------------------------------------------- people

    def _therapists(self, wanted):
        User = get_user_model()
        unusable = make_password(None)
        taken = Therapist.objects.count()
        specs = [
            (location, opens, closes)
            for location, count, opens, closes in wanted
            for _ in range(count)
        ]
        firsts = [n[0] for n in data.CLIENT_NAMES]
        lasts = [n[1] for n in data.CLIENT_NAMES]
        users = User.objects.bulk_create(
            User(
                username=f"bench-therapist-{taken + n:03d}",
                first_name=firsts[n % len(firsts)],
                last_name=f"{lasts[(n * 7) % len(lasts)]} {n:02d}",
                email=f"bench-therapist-{taken + n}@example.com",
                password=unusable,  # the bench signs in with force_login
            )
            for n in range(len(specs))
        )
        group = Group.objects.get(name=Role.THERAPIST.value)
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=u.pk, group_id=group.pk) for u in users
        )
        therapists = Therapist.objects.bulk_create(
            Therapist(
                user=user,
                license_number=f"BN{taken + n:05d}",
                license_state="NY",
                license_expires_on=self.today + timedelta(days=400 + 5 * n),
                colour=f"#{self.rng.randrange(0x1000000):06x}",
            )
            for n, user in enumerate(users)
        )
        extra = ("cupping", "reflexology", "sports", "prenatal", "cross-fibre-friction")
        Training.objects.bulk_create(
            Training(therapist=t, modality=self.modality[slug])
            for n, t in enumerate(therapists)
            for slug in (*(s for s, _ in VISIT_MODALITIES), extra[n % len(extra)])
        )
        room_rows = Room.objects.bulk_create(
            Room(location=location, name=f"Bench room {taken + n:03d}")
            for n, (location, _, _) in enumerate(specs)
        )
        WorkingHours.objects.bulk_create(
            WorkingHours(
                therapist=t,
                location=location,
                weekday=weekday,
                starts_at=opens,
                ends_at=closes,
            )
            for t, (location, opens, closes) in zip(therapists, specs, strict=True)
            for weekday in range(5)
        )
        for t, user in zip(therapists, users, strict=True):
            t.user = user
        rooms = {t.pk: r for t, r in zip(therapists, room_rows, strict=True)}
        hours = {t.pk: s for t, s in zip(therapists, specs, strict=True)}
        return therapists, rooms, hours

    def _clients(self) -> list[Client]:
        missing = max(0, self.size.clients - Client.objects.count())
        names = list(
            product(
                sorted({n[0] for n in data.CLIENT_NAMES}),
                sorted({n[1] for n in data.CLIENT_NAMES}),
            )
        )
        self.rng.shuffle(names)
        rows = []
        for n in range(missing):
            first, last = names[n % len(names)]
            street, city, state, postal_code = data.STREETS[n % len(data.STREETS)]
            rows.append(
                Client(
                    first_name=first,
                    last_name=last,
                    date_of_birth=date(1940 + n % 65, 1 + n % 12, 1 + n % 28),
                    email=f"bench.client.{n}@example.org",
                    phone=f"({data.AREA_CODES[n % 4]}) 555-{n % 10000:04d}",
                    address_line1=f"{10 + n % 900} {street}",
                    city=city,
                    state=state,
                    postal_code=postal_code,
                    email_reminders=n % 10 != 0,
                    preferences=data.PREFERENCES[n % len(data.PREFERENCES)],
                )
            )
        return Client.objects.bulk_create(rows, batch_size=BATCH)

    def _intakes(self, clients: list[Client]) -> None:
        MedicalHistory.objects.bulk_create(
            (
                MedicalHistory(
                    client=c,
                    version=1,
                    submitted_at=self.now - timedelta(days=30 + n % 600),
                    chief_complaint="Low back and neck tension from desk work.",
                    pain_level=n % 8,
                    conditions=["low_back_pain"] if n % 2 else ["neck_pain"],
                    consent_name=c.full_name,
                    consent_signed_at=self.now - timedelta(days=30 + n % 600),
                )
                for n, c in enumerate(clients)
                if n % 5 < 3
            ),
            batch_size=BATCH,
        )

    def _flags(self, clients: list[Client]) -> set[int]:
        """Safety flags on one client in twenty, of conditions the rules let a Swedish
        massage go ahead with (asked of the rules, as the demo seeder does)."""
        stopping = set(
            ContraindicationRule.objects.filter(
                action__in=[RuleAction.NEEDS_CLEARANCE, RuleAction.AVOID_MODALITY],
            )
            .filter(modality__isnull=True)
            .values_list("condition_id", flat=True)
        ) | set(
            ContraindicationRule.objects.filter(
                action__in=[RuleAction.NEEDS_CLEARANCE, RuleAction.AVOID_MODALITY],
                modality__slug="swedish",
            ).values_list("condition_id", flat=True)
        )
        conditions = [
            c
            for c in Condition.objects.exclude(pk__in=stopping).order_by("slug")
            if c.default_severity != Severity.ABSOLUTE
        ]
        if not conditions:
            return set()
        flagged = clients[::20]
        regions = [r for r, _ in BodyRegion.choices]
        Contraindication.objects.bulk_create(
            Contraindication(
                client=c,
                condition=(cond := conditions[n % len(conditions)]),
                severity=cond.default_severity,
                body_region=regions[n % len(regions)]
                if cond.default_severity == Severity.REGIONAL
                else "",
                onset_on=self.today - timedelta(days=60 + n % 300),
                created_by=self.desk,
            )
            for n, c in enumerate(flagged)
        )
        return {c.pk for c in flagged}

    def _paperwork(self, clients: list[Client], therapists: list[Therapist]):
        """Referrals for one client in five; insurance and an authorization for three
        in four of those; treatment plans for one in ten. Returns client id ->
        (first day, last day, referral id, authorization id)."""
        providers = list(ReferringProvider.objects.all())
        payers = list(Payer.objects.all())
        referred = clients[::5]
        starts = {
            c.pk: self.today - timedelta(days=self.rng.randint(0, self.size.past_days))
            for c in referred
        }
        referrals = Referral.objects.bulk_create(
            (
                Referral(
                    client=c,
                    provider=providers[n % len(providers)],
                    referred_on=starts[c.pk],
                    diagnosis_codes=[DIAGNOSES[n % len(DIAGNOSES)]],
                    diagnosis_text="Myofascial pain with muscle spasm",
                    visits_per_week=2,
                    duration_weeks=6,
                    visits_authorized=12,
                    expires_on=starts[c.pk] + timedelta(days=180),
                )
                for n, c in enumerate(referred)
            ),
            batch_size=BATCH,
        )
        insured = [r for n, r in enumerate(referrals) if n % 4 != 3]
        policies = InsurancePolicy.objects.bulk_create(
            (
                InsurancePolicy(
                    client_id=r.client_id,
                    payer=payers[n % len(payers)],
                    member_id=f"BENCH{r.client_id}",
                )
                for n, r in enumerate(insured)
            ),
            batch_size=BATCH,
        )
        authorizations = Authorization.objects.bulk_create(
            (
                Authorization(
                    policy=p,
                    referral=r,
                    number=f"BA-{r.pk}",
                    visits_authorized=12,
                    valid_from=r.referred_on,
                    valid_to=r.expires_on,
                )
                for p, r in zip(policies, insured, strict=True)
            ),
            batch_size=BATCH,
        )
        auth_of = {a.referral_id: a.pk for a in authorizations}
        paperwork = {
            r.client_id: (r.referred_on, r.expires_on, r.pk, auth_of.get(r.pk))
            for r in referrals
        }
        planned = clients[::10]
        plans = TreatmentPlan.objects.bulk_create(
            (
                TreatmentPlan(
                    client=c,
                    therapist=therapists[n % len(therapists)],
                    referral_id=paperwork.get(c.pk, (None,) * 3)[2],
                    problems=[DIAGNOSES[n % len(DIAGNOSES)]],
                    visits_per_week=1,
                    visits_planned=12,
                    starts_on=(start := self.today - timedelta(days=n % 400)),
                    review_on=start + timedelta(days=42),
                    status=TreatmentPlan.Status.ACTIVE
                    if n % 400 < 60
                    else TreatmentPlan.Status.COMPLETED,
                )
                for n, c in enumerate(planned)
            ),
            batch_size=BATCH,
        )
        Goal.objects.bulk_create(
            (
                Goal(
                    plan=p,
                    description="Reduce pain",
                    measure=Goal.Measure.PAIN,
                    unit="/10",
                    baseline=Decimal(7),
                    target=Decimal(3),
                )
                for p in plans
            ),
            batch_size=BATCH,
        )
        return paperwork

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
    ) -> Iterator[tuple[date, Therapist, int, list]]:
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
