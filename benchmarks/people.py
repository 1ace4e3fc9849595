"""The people and paperwork of the bench clinic: therapists with rooms, hours and
trainings; clients with intakes, safety flags, referrals, insurance and plans.
Written with `bulk_create`; mixed into `benchmarks.build.BenchClinic`, whose
`rng`, `now`, `today`, `size`, `modality` and `desk` it uses.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import product
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group

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
from massageclinic.models import Room
from massageclinic.roles import Role
from sessions.demo import data
from sessions.models import Goal, TreatmentPlan
from therapists.models import Modality, Therapist, Training, WorkingHours

BATCH = 5000
VISIT_MODALITIES = (
    ("swedish", 50),
    ("deep-tissue", 25),
    ("trigger-point", 15),
    ("myofascial-release", 10),
)
DIAGNOSES = ("M54.50", "M54.2", "M79.18", "M62.830", "G44.209", "M75.01", "M79.7")


class People:
    rng: random.Random
    now: datetime
    today: date
    size: Any  # benchmarks.build.Size
    modality: dict[str, Modality]
    desk: Any  # the front-desk user who "booked" and "flagged"

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
