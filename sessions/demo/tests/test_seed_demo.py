"""`manage.py seed_demo` builds a usable demo clinic, and running it again adds nothing."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction

from clients.models import Client, Contraindication, Referral
from massageclinic.demo import DEMO_LOGINS, DEMO_PASSWORD
from massageclinic.models import ClinicPolicy, Location
from massageclinic.roles import Role
from massageclinic.validators import ICD10_PATTERN, npi_is_valid
from sessions.demo.notes import content_sha256, note_content
from sessions.demo.seeder import model_counts
from sessions.models import (
    Appointment,
    AppointmentSeries,
    Place,
    SessionNote,
    TreatmentPlan,
)
from sessions.scheduling.rules import (
    ProposedVisit,
    client_problems,
    room_problems,
    therapist_problems,
)
from therapists.models import Therapist, WorkingHours

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday, 9:00 in New York
NEW_YORK = ZoneInfo("America/New_York")
TODAY = NOW.astimezone(NEW_YORK).date()
ROLE_OF = {
    "frontdesk": Role.FRONT_DESK,
    "therapist": Role.THERAPIST,
    "manager": Role.MANAGER,
}

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Seeding:
    after_first_run: dict[str, int]
    after_second_run: dict[str, int]
    after_if_empty_run: dict[str, int]
    if_empty_output: str


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker) -> Iterator[Seeding]:
    """Seed once for the module, in a transaction rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(NOW, tick=False):
            call_command("seed_demo", stdout=StringIO())
            first = model_counts()
            call_command("seed_demo", stdout=StringIO())
            second = model_counts()
            output = StringIO()
            call_command("seed_demo", "--if-empty", stdout=output)
            third = model_counts()
        yield Seeding(first, second, third, output.getvalue())
        transaction.set_rollback(True)


def test_a_second_run_creates_nothing(seeded):
    assert seeded.after_first_run["Appointment"] > 0
    assert seeded.after_second_run == seeded.after_first_run


def test_if_empty_leaves_a_seeded_database_alone(seeded):
    assert seeded.after_if_empty_run == seeded.after_first_run
    assert "not loaded" in seeded.if_empty_output


def test_the_demo_logins_work_and_carry_their_roles(seeded):
    users = get_user_model().objects.prefetch_related("groups")
    for _, username in DEMO_LOGINS:
        user = users.get(username=username)
        assert user.check_password(DEMO_PASSWORD)
        assert ROLE_OF[username].value in {g.name for g in user.groups.all()}
    assert users.get(username="manager").is_staff
    assert Therapist.objects.filter(user__username="therapist").exists()


def test_the_demo_therapists_and_manager_give_the_code_of_the_published_key(
    seeded, client
):
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from massageclinic.demo import DEMO_AUTHENTICATOR_KEY

    assert not TOTPDevice.objects.filter(user__username="frontdesk").exists()
    for username in ("therapist", "manager"):
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        assert base64.b32encode(device.bin_key).decode() == DEMO_AUTHENTICATOR_KEY
    call_command("demo_code", stdout=(out := StringIO()))
    code = out.getvalue().split()[0]
    assert code == f"{TOTP(base64.b32decode(DEMO_AUTHENTICATOR_KEY)).token():06d}"

    client.post("/login/", {"username": "therapist", "password": DEMO_PASSWORD})
    response = client.post("/account/two-factor/verify/", {"code": code})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_it_builds_two_locations_and_the_main_one_has_four_rooms(seeded):
    assert Location.objects.count() == 2
    main = Location.objects.get(name="Riverside Medical Massage")
    assert main.rooms.count() >= 4
    assert main.time_zone == "America/New_York"
    assert ClinicPolicy.objects.get().clinic_name == main.name


def test_it_creates_six_licensed_therapists_with_hours(seeded):
    therapists = list(Therapist.objects.prefetch_related("trainings__modality"))
    assert len(therapists) == 6
    assert len({t.colour for t in therapists}) == 6
    assert all(t.license_expires_on > TODAY for t in therapists)
    assert any(t.license_expires_on <= TODAY + timedelta(days=62) for t in therapists)
    assert all(npi_is_valid(t.npi) for t in therapists if t.npi)
    assert sum(1 for t in therapists if t.npi) >= 3
    for therapist in therapists:
        slugs = {training.modality.slug for training in therapist.trainings.all()}
        assert {"swedish", "deep-tissue"} <= slugs
    assert WorkingHours.objects.values("therapist").distinct().count() == 6
    assert WorkingHours.objects.filter(location__name="Westside Studio").exists()


def test_it_registers_about_eighty_clients(seeded):
    clients = Client.objects.all()
    assert 75 <= clients.count() <= 85
    assert all(c.email.endswith(("@example.org", "@example.com")) for c in clients)
    assert clients.filter(archived_at__isnull=False).exists()
    assert clients.filter(email_reminders=False).exists()
    assert clients.filter(histories__isnull=True).count() >= 5


def test_every_therapist_has_visits_today(seeded):
    start = datetime.combine(TODAY, datetime.min.time(), tzinfo=NEW_YORK)
    today = Appointment.objects.filter(
        starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
    )
    assert today.filter(therapist__user__username="therapist").count() >= 3
    assert today.values("therapist").distinct().count() == 6


def test_visits_sit_on_quarter_hours_inside_working_hours(seeded):
    hours = {}
    for row in WorkingHours.objects.all():
        hours.setdefault((row.therapist_id, row.weekday), []).append(row)
    for visit in Appointment.objects.all():
        busy_from = visit.therapist_busy_from.astimezone(NEW_YORK)
        busy_until = visit.therapist_busy_until.astimezone(NEW_YORK)
        assert visit.starts_at.astimezone(NEW_YORK).minute % 15 == 0
        assert any(
            row.location_id == visit.location_id
            and row.starts_at <= busy_from.time()
            and busy_until.time() <= row.ends_at
            for row in hours.get((visit.therapist_id, busy_from.weekday()), [])
        ), visit


def test_home_visits_have_an_address_and_block_travel_time(seeded):
    home_visits = Appointment.objects.filter(place=Place.HOME)
    assert home_visits.exists()
    for visit in home_visits:
        assert visit.room is None
        assert visit.visit_address
        assert visit.therapist_busy_from == visit.starts_at - timedelta(minutes=30)
        assert visit.therapist_busy_until == visit.ends_at + timedelta(minutes=30)


def test_past_visits_are_mostly_completed_and_future_ones_open(seeded):
    past = Appointment.objects.filter(ends_at__lte=NOW)
    future = Appointment.objects.filter(starts_at__gt=NOW)
    assert past.filter(status=Appointment.Status.COMPLETED).count() > past.count() / 2
    assert past.filter(status=Appointment.Status.NO_SHOW).exists()
    assert past.filter(status=Appointment.Status.LATE_CANCELLED).exists()
    assert not future.filter(status=Appointment.Status.COMPLETED).exists()
    assert future.filter(status__in=Appointment.OPEN_STATUSES).count() > 100


def test_completed_visits_have_notes_signed_with_a_matching_hash(seeded):
    completed = Appointment.objects.filter(status=Appointment.Status.COMPLETED)
    assert not completed.filter(note__isnull=True).exists()
    notes = SessionNote.objects.prefetch_related("techniques__modality")
    signed = [n for n in notes if n.is_signed]
    assert len(signed) > 50
    assert notes.filter(signed_at__isnull=True).exists()  # a few drafts
    for note in signed:
        techniques = [(t.modality.slug, t.minutes) for t in note.techniques.all()]
        assert techniques
        assert note.signed_by_id == note.therapist.user_id
        assert note.content_sha256 == content_sha256(note_content(note, techniques))


def test_safety_flags_match_what_the_intake_says(seeded):
    anticoagulated = Contraindication.objects.filter(condition__slug="anticoagulants")
    pregnant = Contraindication.objects.filter(condition__slug="pregnancy")
    assert anticoagulated.exists()
    assert pregnant.exists()
    for flag in anticoagulated:
        assert flag.client.histories.latest().takes_anticoagulants
    for flag in pregnant:
        assert flag.client.histories.latest().pregnant
    cleared = Contraindication.objects.filter(condition__slug="dvt-history")
    assert cleared.filter(cleared_on__isnull=False).exclude(cleared_by_physician="")


def test_referrals_plans_and_series_hang_together(seeded):
    referrals = Referral.objects.all()
    assert 35 <= referrals.count() <= 45
    assert all(
        re.match(ICD10_PATTERN, code)
        for referral in referrals
        for code in referral.diagnosis_codes
    )
    plans = TreatmentPlan.objects.filter(status=TreatmentPlan.Status.ACTIVE)
    assert plans.count() >= 20
    assert all(1 <= plan.goals.count() <= 3 for plan in plans)
    series = AppointmentSeries.objects.all()
    assert series.count() >= 5
    assert all(s.appointments.count() == s.count for s in series)


def test_the_coming_visits_have_their_reminders_queued(seeded):
    from sessions.models import OutboundMessage

    reminders = OutboundMessage.objects.filter(
        kind=OutboundMessage.Kind.REMINDER
    ).select_related("appointment")
    assert reminders.exists()
    for reminder in reminders:
        assert reminder.appointment.starts_at > NOW
        assert reminder.send_at == reminder.appointment.starts_at - timedelta(hours=48)
    assert not OutboundMessage.objects.filter(
        kind=OutboundMessage.Kind.CONFIRMATION
    ).exists()


def test_visits_last_their_minutes_and_block_the_travel_the_rules_give(seeded):
    from sessions.demo.scenarios import SCENARIOS
    from sessions.scheduling.rules import busy_span

    lengths = {s.minutes for s in SCENARIOS.values()} | {60, 90}
    for visit in Appointment.objects.all():
        minutes = (visit.ends_at - visit.starts_at) / timedelta(minutes=1)
        assert minutes in lengths, visit
        assert (visit.therapist_busy_from, visit.therapist_busy_until) == busy_span(
            visit.starts_at, visit.ends_at, visit.place
        )


def test_flags_come_from_the_intake_rules_and_visits_note_the_safety_verdict(seeded):
    from clients.models import FlagSource
    from clients.safety import modality_safety

    flags = Contraindication.objects.select_related("history", "condition")
    assert flags.exists()
    for flag in flags:
        assert flag.source == FlagSource.INTAKE
        assert flag.history is not None and flag.history.client_id == flag.client_id
    surgery = flags.filter(condition__slug="recent-surgery")
    assert surgery.exists()
    assert all(flag.body_region.startswith("knee_") for flag in surgery)
    visits = Appointment.objects.select_related("client", "modality", "location")
    flagged = visits.filter(client__contraindications__isnull=False).distinct()
    assert flagged.exists()
    for visit in flagged:
        day = visit.starts_at.astimezone(visit.location.zone).date()
        verdict = modality_safety(client=visit.client, modality=visit.modality, on=day)
        assert not verdict.blocked
        assert visit.safety_acknowledgement == "\n".join(verdict.reasons)


def test_the_seeded_visits_pass_the_rules_booking_asks(seeded):
    visits = Appointment.objects.exclude(
        status__in=Appointment.NON_BLOCKING_STATUSES
    ).select_related("client", "therapist__user", "modality", "location", "room")
    for visit in visits[:150]:
        proposed = ProposedVisit(
            visit.client,
            visit.therapist,
            visit.modality,
            visit.location,
            visit.starts_at,
            visit.ends_at,
            visit.place,
            visit.room,
        )
        problems = (
            therapist_problems(proposed, exclude=[visit.pk])
            + client_problems(proposed, exclude=[visit.pk])
            + room_problems(proposed, exclude=[visit.pk])
        )
        assert problems == [], (visit, problems)


@pytest.mark.parametrize("username", [name for _, name in DEMO_LOGINS])
def test_the_everyday_pages_open_on_the_demo_data(seeded, client, username):
    """Home (with its safety review and history reviews), the day view, a chart, a
    visit and its health questions' summary, for each demo role: no error."""
    from django.urls import reverse

    user = get_user_model().objects.get(username=username)
    client.force_login(user)
    visit = (
        Appointment.objects.filter(starts_at__date=TODAY, therapist__user=user).first()
        if username == "therapist"
        else Appointment.objects.filter(starts_at__date=TODAY).first()
    )
    assert visit is not None
    urls = [
        reverse("home"),
        reverse("sessions:visit", args=[visit.pk]),
        reverse("clients:detail", args=[visit.client_id]),
    ]
    if username != "therapist":
        urls.append(reverse("sessions:book"))
    with time_machine.travel(NOW, tick=False):
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
