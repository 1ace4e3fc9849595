"""The demo seeder: a realistic clinic built from the tables in `sessions.demo`.

`DemoSeeder(now=..., say=...).run()` creates the places, staff and therapists (found
again by their natural keys on a second run), then, for the clients this run created
only: intakes and safety flags, referrals, insurance, plans, visits and SOAP notes,
and queues the reminders of the coming visits. Its stages live beside it:
`records` (intakes, flags, referrals, insurance, plans), `schedule` (visits) and
`notes` (SOAP notes).
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from functools import cached_property

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, Group
from django.db import models

from clients.client_services import client_archive
from clients.models import (
    Authorization,
    Client,
    Contraindication,
    ContraindicationRule,
    InsurancePolicy,
    MedicalHistory,
    Payer,
    Referral,
    ReferringProvider,
    RuleAction,
)
from massageclinic import two_factor
from massageclinic.audit import AuditContext
from massageclinic.clock import local_datetime
from massageclinic.demo import DEMO_AUTHENTICATOR_KEY, DEMO_PASSWORD
from massageclinic.models import Location, Room, clinic_policy
from massageclinic.roles import Role
from massageclinic.validators import npi_is_valid
from sessions.demo import data, places, scenarios, stories
from sessions.demo.care import PRESSURES, SEED, WINDOW_DAYS, Care
from sessions.demo.notes import Notes
from sessions.demo.records import ClinicalRecords
from sessions.demo.schedule import Scheduling
from sessions.messaging.outbox import messages_reminders_arm
from sessions.models import (
    Appointment,
    AppointmentSeries,
    Goal,
    NoteTechnique,
    OutboundMessage,
    Place,
    SessionNote,
    TreatmentPlan,
)
from therapists.models import Modality, Therapist, Training, WorkingHours

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
    OutboundMessage,
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


class DemoSeeder(ClinicalRecords, Scheduling, Notes):
    def __init__(self, *, now: datetime, say: Callable[[str], None]) -> None:
        self.now = now
        self.say = say
        self.rng = random.Random(SEED)
        self.policy = clinic_policy()

    # ------------------------------------------------------------------ run

    def run(self) -> None:
        self.locations = self._locations()
        self.zone = self.locations[places.MAIN].zone
        self.today = self.now.astimezone(self.zone).date()
        self.rooms = self._rooms()
        self.front_desk = self._user(*places.FRONT_DESK_USER, role=Role.FRONT_DESK)
        self.manager = self._user(
            *places.MANAGER_USER, role=Role.MANAGER, is_staff=True
        )
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
        self._archive(cares)
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

    def _local(self, day: date, at: time, location: Location | None = None) -> datetime:
        """A wall-clock time at a location (the main one by default), as UTC."""
        return local_datetime(day, at, location or self.locations[places.MAIN])

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
        for key, fields in places.LOCATIONS.items():
            defaults = {k: v for k, v in fields.items() if k != "name"}
            locations[key], _ = Location.objects.get_or_create(
                name=fields["name"], defaults=defaults
            )
        if self.policy.clinic_name == "Clinic":
            self.policy.clinic_name = locations[places.MAIN].name
            self.policy.save()
        return locations

    def _rooms(self) -> dict[int, list[Room]]:
        for key, names in places.ROOMS.items():
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
        if created and two_factor.required_by_role(user):
            two_factor.enrol_authenticator(
                AuditContext.system("seed_demo"),
                user,
                secret_base32=DEMO_AUTHENTICATOR_KEY,
            )
        return user

    def _therapists(self) -> list[Therapist]:
        therapists = []
        for row in places.THERAPISTS:
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

    def _train(self, therapist: Therapist, row: places.TherapistRow) -> None:
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

    def _working_hours(self, therapist: Therapist, row: places.TherapistRow) -> None:
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
        for row in places.PROVIDERS:
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
        for name, phone, rule, refused, prefix in places.PAYERS:
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
        drafts: list[
            tuple[int, Client, stories.Scenario | None, data.Special | None]
        ] = []
        archived_at: dict[int, datetime | None] = {}
        for index, (first, last, sex) in enumerate(data.CLIENT_NAMES):
            special = data.SPECIAL_CLIENTS.get(index)
            scenario = self._scenario_for(index, special)
            client = self._client_row(index, first, last, sex, special)
            archived_at[index] = self._archived_at(index)
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
            care.archived_at = archived_at[index]
            care.modalities = self._for_therapist(modalities, therapist)
            cares.append(care)
        Client.objects.bulk_create([c.client for c in cares])
        for care in cares:
            self._decide_story(care)
        return cares

    def _scenario_for(
        self, index: int, special: data.Special | None
    ) -> stories.Scenario | None:
        if index in data.NEW_WITHOUT_INTAKE:
            return None
        if special:
            key = special.scenario
        elif index in data.REFERRED:
            key = scenarios.REFERRED_CYCLE[index % len(scenarios.REFERRED_CYCLE)]
        else:
            key = scenarios.SELF_PAY_CYCLE[index % len(scenarios.SELF_PAY_CYCLE)]
        return scenarios.SCENARIOS[key]

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
            preferred_location=self.locations[places.MAIN],
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
        return client

    def _archive(self, cares: list[Care]) -> None:
        for care in cares:
            if care.archived_at is not None:
                client_archive(
                    client=care.client,
                    by=self.front_desk,
                    now=care.archived_at,
                    context=AuditContext.system("seed_demo"),
                )

    def _archived_at(self, index: int) -> datetime | None:
        """When a past client was archived: after their intake, through the service."""
        if index not in data.ARCHIVED:
            return None
        return self.now - timedelta(days=self.rng.randint(60, 200))

    def _avoided_modalities(self) -> dict[str, set[str]]:
        """The techniques the safety rules avoid, by condition slug: the seed asks
        the rules a manager keeps in the admin, never a list of its own."""
        avoided: dict[str, set[str]] = defaultdict(set)
        rules = ContraindicationRule.objects.filter(
            action=RuleAction.AVOID_MODALITY, modality__isnull=False
        ).values_list("condition__slug", "modality__slug")
        for condition, modality in rules:
            avoided[condition].add(modality)
        return avoided

    @cached_property
    def _pressure_limits(self) -> dict[str, str]:
        """The firmest pressure the safety rules allow, by condition slug."""
        limits: dict[str, str] = {}
        rules = ContraindicationRule.objects.filter(modality__isnull=True).exclude(
            pressure_limit=""
        )
        for condition, limit in rules.values_list("condition__slug", "pressure_limit"):
            limits[condition] = min(
                limits.get(condition, limit), limit, key=PRESSURES.index
            )
        return limits

    def _allowed(
        self,
        scenario: stories.Scenario | None,
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
        story_pressure = (special.pressure if special else None) or scenario.pressure
        care.pressure = self._capped_pressure(story_pressure, care.flags)
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

    def _capped_pressure(self, pressure: str, flags: tuple[str, ...]) -> str:
        """The story's pressure, no firmer than the client's flags' rules allow."""
        limits = [self._pressure_limits[f] for f in flags if f in self._pressure_limits]
        return min([pressure, *limits], key=PRESSURES.index)
