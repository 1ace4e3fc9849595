"""`manage.py seed_demo`: a realistic demo clinic to try the app with.

Running it again creates nothing new: places, people and payers are found by their
natural keys, and clinical records (intakes, referrals, plans, visits, notes) are
only written for clients this run created. `--if-empty` skips everything when any
client exists (what `make run` uses).
"""

from __future__ import annotations

import random
import time as clock
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, Group
from django.core.management.base import BaseCommand, CommandParser
from django.db import models, transaction
from django.utils import timezone

from clients.models import (
    Authorization,
    Client,
    Condition,
    Contraindication,
    ContraindicationRule,
    FlagSource,
    InsurancePolicy,
    IntakeCondition,
    MedicalHistory,
    Payer,
    Referral,
    ReferringProvider,
    RuleAction,
    Severity,
)
from massageclinic.choices import BodyRegion
from massageclinic.demo import DEMO_PASSWORD
from massageclinic.models import Location, Room, clinic_policy
from massageclinic.roles import Role
from massageclinic.validators import npi_is_valid
from sessions import demo_data as data
from sessions.messaging.outbox import messages_reminders_arm
from sessions.models import (
    Appointment,
    AppointmentSeries,
    Goal,
    NoteTechnique,
    Place,
    Reminder,
    SessionNote,
    TreatmentPlan,
)
from sessions.notes_services import content_sha256, note_content
from therapists.models import Modality, Therapist, Training, WorkingHours

SEED = 2026
WINDOW_DAYS = 21  # visits from three weeks back to three weeks ahead
MINUTE = timedelta(minutes=1)
SLOT = 15 * MINUTE
PRESSURES = ("light", "moderate", "firm", "deep")
FALLBACK_HOURS = (time(10), time(16))  # "today" for a therapist who is off today
Status = Appointment.Status

COUNTED: tuple[type[models.Model], ...] = (
    Location,
    Room,
    Therapist,
    Client,
    MedicalHistory,
    Contraindication,
    ReferringProvider,
    Referral,
    Payer,
    InsurancePolicy,
    Authorization,
    TreatmentPlan,
    Goal,
    AppointmentSeries,
    Appointment,
    SessionNote,
    NoteTechnique,
    Reminder,
)


def npi_from_stem(stem: str) -> str:
    """The valid NPI that starts with these nine digits."""
    for digit in "0123456789":
        if npi_is_valid(stem + digit):
            return stem + digit
    raise ValueError(f"no check digit makes {stem} a valid NPI")


def model_counts() -> dict[str, int]:
    counts = {"User": get_user_model().objects.count()}
    counts.update({m.__name__: m.objects.count() for m in COUNTED})
    return counts


@dataclass
class Care:
    """One client this run created, and the story the seed decided for them."""

    index: int
    client: Client
    scenario: data.Scenario | None  # None: registered, intake not filled in yet
    special: data.Special | None
    therapist: Therapist | None
    modalities: list[Modality] = field(default_factory=list)  # allowed, main first
    minutes: int = 60
    pressure: str = "moderate"
    pain: int = 5
    intake_at: datetime | None = None
    referred_on: date | None = None
    surgery_on: date | None = None
    cleared_on: date | None = None
    history: MedicalHistory | None = None
    referral: Referral | None = None
    authorization: Authorization | None = None
    plan: TreatmentPlan | None = None
    goals: list[Goal] = field(default_factory=list)
    acknowledgement: str = ""
    first_day: date | None = None  # None: no visits at all
    per_week: int = 1
    min_gap_days: int = 6
    in_series: bool = False
    usual_days: tuple[int, ...] = ()  # the weekdays this client normally comes
    visit_days: list[date] = field(default_factory=list)  # visits that took place
    booked_days: set[date] = field(default_factory=set)  # any status

    @property
    def flags(self) -> tuple[str, ...]:
        return self.special.flags if self.special else ()

    @property
    def place(self) -> str:
        return self.special.place if self.special else Place.ROOM

    @property
    def main_modality(self) -> Modality:
        return self.modalities[0]


class Diary:
    """Who is busy when, kept in memory so the seed never double-books."""

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


class DemoSeeder:
    def __init__(self, *, now: datetime, say: Callable[[str], None]) -> None:
        self.now = now
        self.say = say
        self.rng = random.Random(SEED)
        self.policy = clinic_policy()

    # ------------------------------------------------------------------ run

    def run(self) -> None:
        self.locations = self._locations()
        self.zone = self.locations[data.MAIN].zone
        self.today = self.now.astimezone(self.zone).date()
        self.rooms = self._rooms()
        self.front_desk = self._user(*data.FRONT_DESK_USER, role=Role.FRONT_DESK)
        self.manager = self._user(*data.MANAGER_USER, role=Role.MANAGER, is_staff=True)
        self.modality = {m.slug: m for m in Modality.objects.all()}
        self.therapists = self._therapists()
        self.trained = self._trained()
        self.say(f"Clinic, staff and {len(self.therapists)} therapists ready.")
        self.providers = self._providers()
        self.payers = self._payers()
        cares = self._clients()
        self.say(f"{len(cares)} new clients.")
        if not cares:
            return
        self._intakes(cares)
        self._flags(cares)
        self._referrals(cares)
        self._insurance(cares)
        self._plans(cares)
        self.say("Intakes, safety flags, referrals, insurance and plans written.")
        appointments = self._schedule(cares)
        self.say(f"{len(appointments)} appointments scheduled.")
        self._notes(appointments, {c.client.pk: c for c in cares})
        future = [a for a in appointments if a.starts_at > self.now]
        messages_reminders_arm(appointments=future, now=self.now)
        self.say(
            "Reminders queued for the coming visits (they go out as they fall due)."
        )

    # ------------------------------------------------------------- helpers

    def _local(self, day: date, at: time, zone: ZoneInfo | None = None) -> datetime:
        """A wall-clock time at the clinic, as UTC."""
        return datetime.combine(day, at, tzinfo=zone or self.zone).astimezone(UTC)

    def _days_ago(self, low: int, high: int) -> date:
        return self.today - timedelta(days=self.rng.randint(low, high))

    def _some_time_on(self, day: date) -> datetime:
        at = time(self.rng.randint(7, 21), self.rng.choice((0, 10, 25, 40, 55)))
        return min(self._local(day, at), self.now - timedelta(hours=1))

    @cached_property
    def _password_hash(self) -> str:
        return make_password(DEMO_PASSWORD)

    # ------------------------------------------------------- clinic and staff

    def _locations(self) -> dict[str, Location]:
        locations = {}
        for key, fields in data.LOCATIONS.items():
            defaults = {k: v for k, v in fields.items() if k != "name"}
            locations[key], _ = Location.objects.get_or_create(
                name=fields["name"], defaults=defaults
            )
        if self.policy.clinic_name == "Clinic":
            self.policy.clinic_name = locations[data.MAIN].name
            self.policy.save()
        return locations

    def _rooms(self) -> dict[int, list[Room]]:
        for key, names in data.ROOMS.items():
            for name in names:
                Room.objects.get_or_create(location=self.locations[key], name=name)
        rooms: dict[int, list[Room]] = defaultdict(list)
        for room in Room.objects.filter(is_active=True).order_by("name"):
            rooms[room.location_id].append(room)
        return rooms

    def _user(
        self,
        username: str,
        first_name: str,
        last_name: str,
        email: str,
        *,
        role: Role,
        is_staff: bool = False,
    ) -> AbstractUser:
        user, created = get_user_model().objects.get_or_create(
            username=username,
            defaults={
                "first_name": first_name,
                "last_name": last_name,
                "email": email,
                "is_staff": is_staff,
            },
        )
        if created:
            user.password = self._password_hash
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role.value))
        return user

    def _therapists(self) -> list[Therapist]:
        therapists = []
        for row in data.THERAPISTS:
            email = f"{row.first_name}.{row.last_name}@example.com".lower()
            user = self._user(
                row.username, row.first_name, row.last_name, email, role=Role.THERAPIST
            )
            therapist, created = Therapist.objects.get_or_create(
                user=user,
                defaults={
                    "license_number": row.license_number,
                    "license_state": "NY",
                    "license_expires_on": self.today
                    + timedelta(days=row.license_days_left),
                    "npi": npi_from_stem(row.npi_stem) if row.npi_stem else "",
                    "colour": row.colour,
                    "bio": row.bio,
                    "experienced_with": list(row.experienced_with),
                },
            )
            therapist.user = user  # cached: notes are signed by it
            if created:
                self._train(therapist, row)
                self._working_hours(therapist, row)
            therapists.append(therapist)
        return therapists

    def _train(self, therapist: Therapist, row: data.TherapistRow) -> None:
        slugs = ("swedish", "deep-tissue", *row.modalities)
        Training.objects.bulk_create(
            Training(
                therapist=therapist,
                modality=self.modality[slug],
                certified_on=date(
                    self.rng.randint(2010, 2024),
                    self.rng.randint(1, 12),
                    self.rng.randint(1, 28),
                ),
            )
            for slug in slugs
        )

    def _working_hours(self, therapist: Therapist, row: data.TherapistRow) -> None:
        WorkingHours.objects.bulk_create(
            WorkingHours(
                therapist=therapist,
                location=self.locations[hours.location],
                weekday=weekday,
                starts_at=hours.starts_at,
                ends_at=hours.ends_at,
            )
            for hours in row.hours
            for weekday in hours.weekdays
        )

    def _trained(self) -> dict[int, set[str]]:
        trained: dict[int, set[str]] = defaultdict(set)
        for therapist_id, slug in Training.objects.filter(
            therapist__in=self.therapists
        ).values_list("therapist_id", "modality__slug"):
            trained[therapist_id].add(slug)
        return trained

    def _providers(self) -> list[tuple[str, ReferringProvider]]:
        providers = []
        for row in data.PROVIDERS:
            provider, _ = ReferringProvider.objects.get_or_create(
                npi=npi_from_stem(row.npi_stem),
                defaults={
                    "name": row.name,
                    "credentials": row.credentials,
                    "practice": row.practice,
                    "phone": row.phone,
                    "fax": row.fax,
                },
            )
            providers.append((row.kind, provider))
        return providers

    def _payers(self) -> dict[str, tuple[Payer, str]]:
        payers = {}
        for name, phone, rule, refused, prefix in data.PAYERS:
            payer, _ = Payer.objects.get_or_create(
                name=name,
                defaults={
                    "phone": phone,
                    "billing_unit_rule": rule,
                    "refused_cpt_codes": list(refused),
                },
            )
            payers[name] = (payer, prefix)
        return payers

    # ---------------------------------------------------------------- clients

    def _clients(self) -> list[Care]:
        avoided = self._avoided_modalities()
        caseload: dict[int, int] = defaultdict(int)
        drafts: list[tuple[int, Client, data.Scenario | None, data.Special | None]] = []
        for index, (first, last, sex) in enumerate(data.CLIENT_NAMES):
            special = data.SPECIAL_CLIENTS.get(index)
            scenario = self._scenario_for(index, special)
            client = self._client_row(index, first, last, sex, special)
            drafts.append((index, client, scenario, special))
        existing = set(
            Client.objects.filter(
                email__in=[c.email for _, c, _, _ in drafts]
            ).values_list("email", flat=True)
        )
        cares = []
        for index, client, scenario, special in drafts:
            modalities = self._allowed(scenario, special, avoided)
            therapist = self._pick_therapist(modalities, caseload, index)
            if scenario is not None:
                client.preferred_therapist = therapist
            if client.email in existing:
                continue
            care = Care(index, client, scenario, special, therapist)
            care.modalities = self._for_therapist(modalities, therapist)
            cares.append(care)
        Client.objects.bulk_create([c.client for c in cares])
        for care in cares:
            self._decide_story(care)
        return cares

    def _scenario_for(
        self, index: int, special: data.Special | None
    ) -> data.Scenario | None:
        if index in data.NEW_WITHOUT_INTAKE:
            return None
        if special:
            key = special.scenario
        elif index in data.REFERRED:
            key = data.REFERRED_CYCLE[index % len(data.REFERRED_CYCLE)]
        else:
            key = data.SELF_PAY_CYCLE[index % len(data.SELF_PAY_CYCLE)]
        return data.SCENARIOS[key]

    def _client_row(
        self, index: int, first: str, last: str, sex: str, special: data.Special | None
    ) -> Client:
        rng = self.rng
        place = special.place if special else Place.ROOM
        pregnant = bool(special and special.pregnancy_weeks)
        age = (
            rng.randint(28, 36)
            if pregnant
            else rng.randint(72, 84)
            if place == Place.HOME
            else rng.randint(22, 74)
        )
        local_part = "".join(
            ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == "."
        )
        client = Client(
            first_name=first,
            last_name=last,
            date_of_birth=date(
                self.today.year - age, rng.randint(1, 12), rng.randint(1, 28)
            ),
            email=f"{local_part}@{'example.org' if index % 2 else 'example.com'}",
            phone=f"({data.AREA_CODES[index % 4]}) 555-01{index % 100:02d}",
            email_reminders=index not in data.NO_EMAIL_REMINDERS,
            preferred_location=self.locations[data.MAIN],
            preferences=rng.choice(data.PREFERENCES),
        )
        client.preferred_name = data.PREFERRED_NAMES.get(first, "")
        if index % 7 == 3:
            client.pronouns = data.PRONOUNS[0 if sex == "F" else 1]
        if index % 5 in (0, 1, 2) or place == Place.HOME:
            street, city, state, postal_code = rng.choice(data.STREETS)
            client.address_line1 = f"{rng.randint(12, 880)} {street}"
            client.address_line2 = f"Apt {rng.randint(1, 18)}{rng.choice('ABCDEF')}"
            client.city, client.state, client.postal_code = city, state, postal_code
        if index % 3 == 0:
            contact, relation = data.EMERGENCY_CONTACTS[
                index % len(data.EMERGENCY_CONTACTS)
            ]
            client.emergency_contact_name = f"{contact} {last} ({relation})"
            client.emergency_contact_phone = f"(917) 555-01{(index + 50) % 100:02d}"
        if place == Place.WORKPLACE:
            client.workplace_name, client.workplace_address = data.WORKPLACE
        if index in data.ARCHIVED:
            client.archived_at = self.now - timedelta(days=rng.randint(60, 200))
        return client

    def _avoided_modalities(self) -> dict[str, set[str]]:
        avoided: dict[str, set[str]] = defaultdict(set)
        rules = ContraindicationRule.objects.filter(
            action=RuleAction.AVOID_MODALITY, modality__isnull=False
        ).values_list("condition__slug", "modality__slug")
        for condition, modality in rules:
            avoided[condition].add(modality)
        # Neuropathy and bleeding risk both mean: no deep pressure at all.
        for slug in ("anticoagulants", "neuropathy"):
            avoided[slug].update({"deep-tissue", "sports"})
        return avoided

    def _allowed(
        self,
        scenario: data.Scenario | None,
        special: data.Special | None,
        avoided: dict[str, set[str]],
    ) -> list[str]:
        if scenario is None:
            return ["swedish"]
        banned = set().union(*(avoided[f] for f in special.flags)) if special else set()
        allowed = [s for s in scenario.modalities if s not in banned]
        return allowed or ["swedish"]

    def _pick_therapist(
        self, modalities: list[str], caseload: dict[int, int], index: int
    ) -> Therapist:
        main = next((s for s in modalities if s != "hot-cold-packs"), "swedish")
        able = [t for t in self.therapists if main in self.trained[t.pk]]
        able = able or self.therapists
        chosen = min(able, key=lambda t: (caseload[t.pk], (t.pk + index) % 6))
        caseload[chosen.pk] += 1
        return chosen

    def _for_therapist(self, slugs: list[str], therapist: Therapist) -> list[Modality]:
        """The client's allowed techniques this therapist practises, main first."""
        known = [s for s in slugs if s in self.trained[therapist.pk]]
        timed = [s for s in known if s != "hot-cold-packs"]
        if not timed:
            known.insert(0, "swedish")
        return [self.modality[s] for s in known]

    def _decide_story(self, care: Care) -> None:
        """The dates and rhythm of a client's care, before anything clinical is saved."""
        rng = self.rng
        scenario, special, index = care.scenario, care.special, care.index
        if scenario is None:
            return
        care.minutes = scenario.minutes
        if scenario.key == "wellness" and index % 4 == 0:
            care.minutes = 90
        care.pressure = self._capped_pressure(scenario.pressure, care.flags)
        if scenario.key.startswith("post_op"):
            care.surgery_on = self._days_ago(24, 32)
        if index in data.REFERRED:
            care.referred_on = (
                care.surgery_on + timedelta(days=4)
                if care.surgery_on
                else self._days_ago(22, 70)
            )
            intake_day = care.referred_on + timedelta(days=rng.randint(1, 3))
        elif index in data.ARCHIVED:
            intake_day = self._days_ago(400, 700)
        elif "dvt-history" in care.flags:
            intake_day = self._days_ago(5, 12)
        else:
            intake_day = self._days_ago(25, 330)
        care.intake_at = self._some_time_on(intake_day)
        if special and special.dvt_cleared:
            care.cleared_on = intake_day + timedelta(days=rng.randint(5, 9))
        if index in data.ARCHIVED or (
            "dvt-history" in care.flags and not care.cleared_on
        ):
            return  # no visits: archived, or waiting for a physician's clearance
        care.first_day = max(
            intake_day + timedelta(days=1),
            care.cleared_on or intake_day,
            self.today - timedelta(days=WINDOW_DAYS),
        )
        # Self-paying clients come weekly or every other week.
        care.min_gap_days = 5 if index in data.REFERRED or index % 2 else 13

    @staticmethod
    def _capped_pressure(pressure: str, flags: tuple[str, ...]) -> str:
        if {"anticoagulants", "neuropathy", "pregnancy"} & set(flags):
            return PRESSURES[min(PRESSURES.index(pressure), 1)]
        return pressure

    # ----------------------------------------------------------- intakes

    def _intakes(self, cares: list[Care]) -> None:
        rows: list[tuple[Care, MedicalHistory]] = []
        for care in cares:
            if care.scenario is None or care.intake_at is None:
                continue
            if care.index % data.SECOND_INTAKE_EVERY == 1 and care.first_day:
                earlier = care.intake_at - timedelta(days=self.rng.randint(390, 560))
                first = self._history(care, data.SCENARIOS["wellness"], 1, earlier)
                rows.append((care, first))
                rows.append(
                    (care, self._history(care, care.scenario, 2, care.intake_at))
                )
            else:
                rows.append(
                    (care, self._history(care, care.scenario, 1, care.intake_at))
                )
        MedicalHistory.objects.bulk_create([h for _, h in rows])
        for care, history in rows:
            care.history = history  # the latest version comes last
            care.pain = history.pain_level if history.pain_level is not None else 5

    def _history(
        self, care: Care, scenario: data.Scenario, version: int, at: datetime
    ) -> MedicalHistory:
        rng = self.rng
        special = care.special or data.Special(scenario.key)
        current = scenario is care.scenario
        flags = (
            set(care.flags)
            if current
            else set(care.flags)
            - {
                "pregnancy",
                "recent-surgery",
            }
        )
        conditions = list(scenario.conditions)
        if "neuropathy" in flags:
            conditions.append(IntakeCondition.NEUROPATHY)
        if "Breast cancer" in special.other_conditions:
            conditions.append(IntakeCondition.CANCER)
        medications = special.medications or rng.choice(data.EVERYDAY_MEDICATIONS)
        if "Lisinopril" in medications or "Amlodipine" in medications:
            conditions.append(IntakeCondition.HYPERTENSION)
        surgeries = []
        if "recent-surgery" in flags and care.surgery_on:
            site = "Right knee" if "right" in scenario.key else "Left knee"
            surgeries.append(
                {
                    "procedure": "Arthroscopic partial meniscectomy",
                    "date": care.surgery_on.isoformat(),
                    "site": site,
                }
            )
        if rng.random() < 0.2:
            procedure, when, site = rng.choice(data.OLD_SURGERIES)
            surgeries.append({"procedure": procedure, "date": when, "site": site})
        weeks = special.pregnancy_weeks if "pregnancy" in flags else None
        return MedicalHistory(
            client=care.client,
            version=version,
            submitted_at=at,
            submitted_by=None if care.index % 2 else self.front_desk,
            chief_complaint=scenario.complaint,
            pain_areas=list(scenario.areas),
            pain_level=rng.randint(*scenario.pain),
            onset=scenario.onset,
            conditions=list(dict.fromkeys(conditions)),
            other_conditions=special.other_conditions,
            medications=medications or "None",
            allergies=special.allergies
            or rng.choice(data.EVERYDAY_ALLERGIES)
            or "None known",
            allergic_to_oils="oil-allergy" in flags,
            surgeries=surgeries,
            pregnant=weeks is not None,
            pregnancy_weeks=weeks,
            takes_anticoagulants="anticoagulants" in flags,
            dvt_history="dvt-history" in flags,
            implanted_devices=special.implanted_devices,
            goals=scenario.intake_goals,
            consent_name=care.client.full_name,
            consent_signed_at=at,
        )

    # ---------------------------------------------------------- safety flags

    def _flags(self, cares: list[Care]) -> None:
        conditions = {c.slug: c for c in Condition.objects.all()}
        headlines: dict[str, list[str]] = defaultdict(list)
        for slug, headline in ContraindicationRule.objects.values_list(
            "condition__slug", "headline"
        ):
            headlines[slug].append(headline)
        flags = []
        for care in cares:
            notes = []
            for slug in care.flags:
                flag = self._flag(care, conditions[slug])
                flags.append(flag)
                if flag.severity != Severity.ABSOLUTE:
                    notes.extend(headlines[slug])
                elif flag.cleared_on:
                    notes.append(
                        f"{flag.condition.name}: cleared by {flag.cleared_by_physician} "
                        f"on {flag.cleared_on:%b %d, %Y}"
                    )
            care.acknowledgement = "; ".join(notes)
        Contraindication.objects.bulk_create(flags)

    def _flag(self, care: Care, condition: Condition) -> Contraindication:
        special = care.special or data.Special("wellness")
        history = care.history
        flag = Contraindication(
            client=care.client,
            condition=condition,
            severity=condition.default_severity,
            source=FlagSource.INTAKE,
            history=history,
            onset_on=history.submitted_at.date() if history else None,
        )
        slug = condition.slug
        if slug == "anticoagulants":
            flag.detail = special.medications.split(";")[0]
        elif slug == "pregnancy":
            flag.detail = f"{special.pregnancy_weeks} weeks at intake"
            weeks_left = 40 - (special.pregnancy_weeks or 20)
            flag.recheck_on = care.intake_at.date() + timedelta(weeks=weeks_left)
        elif slug == "recent-surgery" and care.surgery_on:
            right = "right" in care.scenario.key
            flag.body_region = BodyRegion.KNEE_RIGHT if right else BodyRegion.KNEE_LEFT
            flag.detail = "Arthroscopic partial meniscectomy; avoid the incision sites"
            flag.onset_on = care.surgery_on
            flag.recheck_on = care.surgery_on + timedelta(weeks=6)
        elif slug == "dvt-history":
            flag.body_region = BodyRegion.LOWER_LEG_LEFT
            flag.detail = special.other_conditions
            if care.cleared_on:
                flag.cleared_on = care.cleared_on
                flag.cleared_by_physician = "Laura Bennett, MD"
                flag.clearance_recorded_by = self.manager
        elif slug == "neuropathy":
            flag.detail = special.other_conditions
        elif slug == "oil-allergy":
            flag.detail = special.allergies
        elif slug == "implanted-device":
            flag.body_region = special.device_region
            flag.detail = special.implanted_devices
        return flag

    # ----------------------------------------------- referrals and insurance

    def _referrals(self, cares: list[Care]) -> None:
        rng = self.rng
        for care in cares:
            if care.referred_on is None or not care.scenario.codes:
                continue
            scenario = care.scenario
            kinds = scenario.referred_by or ("primary",)
            provider = rng.choice([p for kind, p in self.providers if kind in kinds])
            twice = scenario.key.startswith(("post_op", "whiplash", "frozen"))
            per_week = 2 if twice else rng.choice((1, 2, 2))
            weeks = rng.choice((4, 6, 6, 8))
            if care.index % 6 == 1:
                expires_on = self.today + timedelta(days=rng.randint(4, 12))
            else:
                expires_on = max(
                    care.referred_on + timedelta(weeks=weeks + 4),
                    self.today + timedelta(days=rng.randint(20, 60)),
                )
            precautions = " ".join(
                data.PRECAUTIONS.get(f, "")
                for f in care.flags
                if data.PRECAUTIONS.get(f)
            )
            care.referral = Referral.objects.create(
                client=care.client,
                provider=provider,
                referred_on=care.referred_on,
                diagnosis_codes=list(scenario.codes),
                diagnosis_text=scenario.diagnosis,
                prescribed_cpt_codes=list(scenario.cpt_codes),
                body_areas=list(scenario.areas),
                visits_per_week=per_week,
                duration_weeks=weeks,
                session_minutes=care.minutes,
                visits_authorized=per_week * weeks,
                expires_on=expires_on,
                precautions=precautions,
            )
            care.referral.prescribed_modalities.set(care.modalities)
            care.per_week = per_week
            care.min_gap_days = 2 if per_week == 2 else 5

    def _insurance(self, cares: list[Care]) -> None:
        rng = self.rng
        for care in cares:
            referral = care.referral
            if referral is None or care.index % 5 == 4:
                continue  # self-pay
            if care.special and care.special.workers_comp:
                payer_name = data.WORKERS_COMP
            elif care.scenario.key == "whiplash":
                payer_name = data.NO_FAULT
            else:
                payer_name = data.HEALTH_PLANS[care.index % len(data.HEALTH_PLANS)]
            payer, prefix = self.payers[payer_name]
            policy = InsurancePolicy.objects.create(
                client=care.client,
                payer=payer,
                member_id=f"{prefix}{rng.randint(1_000_000, 9_999_999)}{care.index:02d}",
                group_number=f"GRP-{rng.randint(10000, 99999)}",
                subscriber_name=care.client.full_name,
            )
            if care.index % 7 == 3:
                continue  # authorization requested, not yet granted
            by_units = payer_name == data.WORKERS_COMP
            care.authorization = Authorization.objects.create(
                policy=policy,
                referral=referral,
                number=f"A{rng.randint(10_000_000, 99_999_999)}",
                visits_authorized=None if by_units else referral.visits_authorized,
                units_authorized=referral.visits_authorized * 4 if by_units else None,
                valid_from=referral.referred_on,
                valid_to=referral.expires_on,
            )

    # -------------------------------------------------------------- plans

    def _plans(self, cares: list[Care]) -> None:
        goals: list[tuple[Care, Goal]] = []
        for care in cares:
            referral = care.referral
            if referral is None or care.index not in data.PLANNED or not care.first_day:
                continue
            starts_on = min(
                referral.referred_on + timedelta(days=self.rng.randint(2, 6)),
                self.today,
            )
            care.plan = TreatmentPlan.objects.create(
                client=care.client,
                therapist=care.therapist,
                referral=referral,
                problems=list(referral.diagnosis_codes),
                visits_per_week=referral.visits_per_week,
                visits_planned=referral.visits_per_week * referral.duration_weeks,
                session_minutes=care.minutes,
                starts_on=starts_on,
                review_on=starts_on + timedelta(weeks=referral.duration_weeks),
                status=TreatmentPlan.Status.ACTIVE,
                home_care_plan=care.scenario.home_care,
            )
            care.plan.planned_modalities.set(care.modalities)
            care.first_day = max(care.first_day, starts_on)
            goals.extend((care, self._goal(care, spec)) for spec in care.scenario.goals)
        Goal.objects.bulk_create([g for _, g in goals])
        for care, goal in goals:
            care.goals.append(goal)

    def _goal(self, care: Care, spec: data.GoalSpec) -> Goal:
        baseline, target = spec.baseline, spec.target
        if spec.measure == Goal.Measure.PAIN:
            baseline = care.pain
            target = max(1, round(care.pain * 0.4))  # 7/10 -> 3/10
        return Goal(
            plan=care.plan,
            description=spec.description,
            measure=spec.measure,
            unit=spec.unit,
            movement=spec.movement,
            baseline=None if baseline is None else Decimal(str(baseline)),
            target=None if target is None else Decimal(str(target)),
            baseline_text=spec.baseline_text,
            target_text=spec.target_text,
        )

    # ----------------------------------------------------------- scheduling

    def _schedule(self, cares: list[Care]) -> list[Appointment]:
        self.diary = Diary(self.zone)
        self.blocks = self._blocks()
        self.travel = self._rounded_travel()
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
            return [Block(self.locations[data.MAIN], *FALLBACK_HOURS)]
        return blocks

    def _rounded_travel(self) -> timedelta:
        buffer = self.policy.travel_buffer or timedelta(0)
        slots = -(-buffer // SLOT)  # round up to whole 15-minute slots
        return slots * SLOT

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
        ends_at = starts_at + minutes * MINUTE
        place = care.place
        travel = timedelta(0) if place == Place.ROOM else self.travel
        busy_from, busy_until = starts_at - travel, ends_at + travel
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
            safety_acknowledgement=care.acknowledgement,
        )
        self._set_status(appointment, status)
        self._link_paperwork(appointment, care)
        day = starts_at.astimezone(self.zone).date()
        care.booked_days.add(day)
        if appointment.is_blocking:
            diary.take_appointment(appointment)
            care.visit_days.append(day)
        return appointment

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
                starts = [self._local(d, at, block.location.zone) for d in days]
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
                self.diary.is_free("room", room.pk, s, s + minutes * MINUTE)
                for s in starts
            ):
                return room
        return None

    def _all_free(
        self, care: Care, therapist: Therapist, starts: list[datetime]
    ) -> bool:
        length = care.minutes * MINUTE
        return all(
            self.diary.is_free("therapist", therapist.pk, s, s + length)
            and self.diary.is_free("client", care.client.pk, s, s + length)
            for s in starts
        )

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
            start = self._local(day, at, block.location.zone)
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
                zone = block.location.zone
                shifts.append(
                    Shift(
                        cursor=self._local(day, block.starts_at, zone),
                        order=order,
                        therapist=therapist,
                        block=block,
                        ends_at=self._local(day, block.ends_at, zone),
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
            shift.cursor = visit.therapist_busy_until
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
            travel = timedelta(0) if care.place == Place.ROOM else self.travel
            starts_at = shift.cursor + travel
            if starts_at + care.minutes * MINUTE + travel > shift.ends_at:
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
                start = self._local(day, at, block.location.zone)
                visit = self._visit(
                    care, therapist, block, start, minutes=60, status=Status.BOOKED
                )
                if visit is not None:
                    visits.append(visit)
                    break
        return visits

    # ---------------------------------------------------------- SOAP notes

    def _notes(self, appointments: list[Appointment], cares: dict[int, Care]) -> None:
        completed = sorted(
            (a for a in appointments if a.status == Status.COMPLETED),
            key=lambda a: a.starts_at,
        )
        drafts = self._draft_ids(completed)
        visit_number: dict[int, int] = defaultdict(int)
        notes: list[SessionNote] = []
        techniques: list[list[tuple[Modality, int]]] = []
        signatures: list[tuple[SessionNote, object, object, str]] = []
        for appointment in completed:
            care = cares[appointment.client_id]
            number = visit_number[care.client.pk]
            visit_number[care.client.pk] += 1
            note, used = self._note(appointment, care, number)
            signed_at = appointment.ends_at + self.rng.randint(10, 300) * MINUTE
            if appointment.pk not in drafts and signed_at <= self.now:
                content = note_content(note, [(m.slug, n) for m, n in used])
                signatures.append(
                    (
                        note,
                        signed_at,
                        appointment.therapist.user,
                        content_sha256(content),
                    )
                )
            notes.append(note)
            techniques.append(used)
        # Written as a therapist would: draft and techniques first, then the signature
        # (the database refuses any change to a signed note, techniques included).
        SessionNote.objects.bulk_create(notes)
        NoteTechnique.objects.bulk_create(
            NoteTechnique(note=note, modality=modality, minutes=minutes)
            for note, used in zip(notes, techniques, strict=True)
            for modality, minutes in used
        )
        for note, signed_at, signer, digest in signatures:
            note.signed_at, note.signed_by, note.content_sha256 = (
                signed_at,
                signer,
                digest,
            )
        SessionNote.objects.bulk_update(
            [note for note, *_ in signatures],
            ["signed_at", "signed_by", "content_sha256"],
        )
        signed = len(signatures)
        self.say(
            f"{len(notes)} SOAP notes ({signed} signed, {len(notes) - signed} drafts)."
        )

    def _draft_ids(self, completed: list[Appointment]) -> set[int]:
        recent = [a for a in completed if self.now - a.ends_at < timedelta(hours=72)]
        self.rng.shuffle(recent)
        return {a.pk for a in recent[:5]}

    def _note(
        self, appointment: Appointment, care: Care, number: int
    ) -> tuple[SessionNote, list[tuple[Modality, int]]]:
        rng = self.rng
        scenario = care.scenario or data.SCENARIOS["wellness"]
        pain_before = max(
            1, min(10, round(care.pain - 0.4 * number) + rng.choice((-1, 0, 0, 1)))
        )
        pain_after = max(0, pain_before - rng.randint(1, 3))
        note = SessionNote(
            appointment=appointment,
            therapist=appointment.therapist,
            complaint=rng.choice(scenario.subjective),
            pain_before=pain_before,
            changes_since_last="First visit."
            if number == 0
            else rng.choice(data.CHANGES_SINCE_LAST),
            home_care_report="" if number == 0 else rng.choice(data.HOME_CARE_REPORTS),
            findings=rng.choice(scenario.findings),
            measures=self._measures(care, number, pain_before),
            areas_treated=self._areas(care, scenario),
            pressure=care.pressure,
            response=rng.choice(scenario.responses),
            pain_after=pain_after,
            adverse_reactions=rng.choice(data.ADVERSE_REACTIONS)
            if rng.random() < 0.08
            else "",
            next_focus=rng.choice(scenario.next_focus),
            home_care_given=scenario.home_care,
            safety_acknowledgement=care.acknowledgement,
        )
        return note, self._techniques(appointment, care)

    def _measures(self, care: Care, number: int, pain: int) -> dict[str, float]:
        measures: dict[str, float] = {}
        planned = care.plan.visits_planned if care.plan else 1
        progress = min(0.9, (number + 1) / planned)
        for goal in care.goals:
            if goal.measure == Goal.Measure.PAIN:
                measures[str(goal.pk)] = pain
            elif goal.baseline is not None and goal.target is not None:
                value = goal.baseline + (goal.target - goal.baseline) * Decimal(
                    str(round(progress * self.rng.uniform(0.7, 1.0), 2))
                )
                measures[str(goal.pk)] = float(round(value, 1))
        return measures

    @staticmethod
    def _areas(care: Care, scenario: data.Scenario) -> list[str]:
        avoid = (
            {BodyRegion.KNEE_RIGHT if "right" in scenario.key else BodyRegion.KNEE_LEFT}
            if "recent-surgery" in care.flags
            else set()
        )
        if care.special and care.special.device_region:
            avoid.add(care.special.device_region)
        return [a for a in scenario.areas if a not in avoid]

    def _techniques(
        self, appointment: Appointment, care: Care
    ) -> list[tuple[Modality, int]]:
        """Minutes per technique: the main one first, a hot pack now and then."""
        rng = self.rng
        main = appointment.modality
        others = [m for m in care.modalities if m.is_timed and m != main]
        packs = [m for m in care.modalities if not m.is_timed]
        timed_total = appointment.duration_minutes - 5
        used: list[tuple[Modality, int]] = []
        if packs and rng.random() < 0.5:
            used.append((packs[0], 10))
            timed_total -= 10
        extra = rng.sample(others, k=min(len(others), rng.choice((0, 1, 1, 2))))
        if not extra or timed_total < 30:
            return [(main, timed_total), *used]
        main_minutes = 5 * round(timed_total * 0.55 / 5)
        rest = timed_total - main_minutes
        if len(extra) == 1:
            shares = [rest]
        else:
            first = 5 * round(rest * 0.6 / 5)
            shares = [first, rest - first]
        return [(main, main_minutes), *zip(extra, shares, strict=True), *used]


class Command(BaseCommand):
    help = "Fill the database with a realistic demo clinic. Safe to run more than once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when any client exists (used by `make run`).",
        )

    def handle(self, *args: Any, if_empty: bool = False, **options: Any) -> None:
        if if_empty and Client.objects.exists():
            self.stdout.write("Clients already exist: demo data not loaded.")
            return
        verbose = options.get("verbosity", 1) >= 1
        before = model_counts()
        started = clock.monotonic()
        with transaction.atomic():
            DemoSeeder(now=timezone.now(), say=self._say if verbose else _quiet).run()
        after = model_counts()
        elapsed = clock.monotonic() - started
        added = sum(after[name] - before[name] for name in after)
        summary = ", ".join(
            f"{name} {count}"
            + (f" (+{count - before[name]})" if count != before[name] else "")
            for name, count in after.items()
        )
        self.stdout.write(f"Demo data: {summary}.")
        verdict = f"{added} rows created" if added else "nothing new: already seeded"
        self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.1f} s, {verdict}."))

    def _say(self, message: str) -> None:
        self.stdout.write(f"  {message}")


def _quiet(message: str) -> None:
    return None
