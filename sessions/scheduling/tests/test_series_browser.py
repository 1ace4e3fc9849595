"""The front desk books a 12-visit weekly series in Chromium, resolving one conflict."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Condition, Referral, ReferringProvider
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import Appointment, AppointmentSeries, TreatmentPlan
from sessions.scheduling.booking import appointment_book
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def clinic(therapist):
    """Tara works every day 08:00-20:00; Henry already has her on the third Tuesday.

    The live server runs on the real clock, so the series starts on a Tuesday at
    least a week from today.
    """
    location = LocationFactory(
        name="Riverside Medical Massage", time_zone="America/New_York"
    )
    RoomFactory(location=location, name="Maple Room")
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(8),
            ends_at=time(20),
        )
    today = timezone.now().astimezone(location.zone).date()
    first_tuesday = today + timedelta(days=7 + (1 - today.weekday()) % 7)
    third_tuesday = first_tuesday + timedelta(weeks=2)
    henry_at = datetime.combine(third_tuesday, time(10), tzinfo=location.zone)
    appointment_book(
        client=ClientFactory(first_name="Henry", last_name="Walsh"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location, name="Cedar Room"),
        starts_at=henry_at.astimezone(UTC),
        duration_minutes=60,
        booked_by=UserFactory(),
        now=timezone.now(),
    )
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    ClientFactory(first_name="Grace", last_name="Abbott")
    return grace, first_tuesday, third_tuesday


def _log_in(page, username: str) -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_the_front_desk_books_a_weekly_series_with_one_conflict_resolved(
    page, screenshot, front_desk, clinic
):
    grace, first_tuesday, third_tuesday = clinic
    _log_in(page, "frontdesk")
    page.goto("/series/new/")
    expect(page.get_by_role("heading", name="Book a series")).to_be_visible()

    page.get_by_label("Find a client").fill("okafor")
    expect(page.get_by_role("status").filter(has_text="1 client found")).to_be_visible()
    # One match: htmx narrowed the list and chose her.
    client_list = page.get_by_role("combobox", name=re.compile(r"^Client"))
    expect(client_list).to_have_value(str(grace.pk))
    page.get_by_label("Modality").select_option(label="Swedish")
    page.get_by_label("Therapist").select_option(label="Tara Hands, LMT")
    page.get_by_label("Location").select_option(label="Riverside Medical Massage")
    page.get_by_label("Where").select_option(label="Clinic room")
    page.get_by_label("Room").select_option(
        label="Maple Room (Riverside Medical Massage)"
    )
    page.get_by_label("Number of visits").fill("12")
    page.get_by_label("First date").fill(first_tuesday.isoformat())
    page.get_by_label("Start time (local)").fill("10:00")
    page.get_by_label("Length").select_option(label="60 minutes")
    # Forgot the weekday: the form says so and keeps everything else.
    page.get_by_role("button", name="Preview").click()
    expect(page.get_by_text("Choose at least one weekday.")).to_be_visible()
    expect(page.get_by_label("Number of visits")).to_have_value("12")
    screenshot("series-form-error")
    page.get_by_role("group", name="Weekdays").get_by_label("Tuesday").check()
    screenshot("series-form")
    page.get_by_role("button", name="Preview").click()

    table = page.get_by_role("table", name=re.compile("Every visit of the series"))
    expect(table).to_contain_text("12 visits, 1 conflict")
    conflict = table.get_by_role("row", name=re.compile(f"{third_tuesday:%a %d %b %Y}"))
    expect(conflict).to_contain_text("Henry Walsh")
    alternative = conflict.get_by_role(
        "radio", name=re.compile(r"Take the alternative \(.+ 09:00\)")
    )
    expect(alternative).to_be_checked()
    expect(
        table.get_by_role("radio", name="Skip this visit (visit 3)")
    ).not_to_be_checked()
    alternative.check()
    screenshot("series-preview")
    page.get_by_role("button", name="Book the series").click()

    expect(
        page.get_by_text("12 visits booked (1 at an alternative time).")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Grace Okafor")).to_be_visible()
    screenshot("series-booked")
    visits = Appointment.objects.filter(client=grace)
    assert visits.count() == 12
    assert AppointmentSeries.objects.get().appointments.count() == 12
    moved = visits.get(starts_at__date=third_tuesday)
    assert moved.starts_at.astimezone(moved.location.zone).time() == time(9)


@pytest.fixture
def plan(therapist, front_desk, clinic):
    """Grace's plan: 8 visits twice a week, her referral covers 6; she is pregnant."""
    grace, first_tuesday, _ = clinic
    referral = Referral.objects.create(
        client=grace,
        provider=ReferringProvider.objects.create(
            name="Dr. Amara Singh", credentials="MD", npi="1234567893"
        ),
        referred_on=timezone.now().date() - timedelta(days=10),
        diagnosis_codes=["M54.50"],
        diagnosis_text="Low back pain",
        visits_authorized=6,
        expires_on=first_tuesday + timedelta(weeks=12),
    )
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="pregnancy"),
        severity="modify",
        by=front_desk,
    )
    plan = TreatmentPlan.objects.create(
        client=grace,
        therapist=therapist,
        referral=referral,
        visits_per_week=2,
        visits_planned=8,
        session_minutes=45,
        starts_on=first_tuesday,
        review_on=first_tuesday + timedelta(weeks=4),
        status=TreatmentPlan.Status.ACTIVE,
    )
    plan.planned_modalities.add(modality("swedish"))
    return plan


def test_a_series_from_a_plan_asks_for_the_acknowledgements(
    page, screenshot, front_desk, plan
):
    _log_in(page, "frontdesk")
    page.goto(f"/series/new/?plan={plan.pk}")
    expect(page.get_by_text("From the treatment plan of Grace Okafor")).to_be_visible()
    group = page.get_by_role("group", name="Weekdays")
    expect(group.get_by_label("Tuesday")).to_be_checked()
    expect(group.get_by_label("Friday")).to_be_checked()
    # The plan has 8 visits; the referral prescribes 6: the form starts at 6.
    expect(page.get_by_label("Number of visits")).to_have_value("6")
    expect(page.get_by_label("Length")).to_have_value("45")
    page.get_by_label("Number of visits").fill("8")
    page.get_by_label("Room").select_option(
        label="Maple Room (Riverside Medical Massage)"
    )
    page.get_by_label("Start time (local)").fill("14:30")
    screenshot("series-plan-form")
    page.get_by_role("button", name="Preview").click()

    table = page.get_by_role("table", name=re.compile("Every visit of the series"))
    expect(table).to_contain_text("8 visits, all free")
    expect(
        table.get_by_role("row", name=re.compile("visit 7 of 6 prescribed"))
    ).to_have_count(1)
    page.get_by_role("button", name="Book the series").click()
    expect(
        page.get_by_text("Read the safety alerts above and tick the box.")
    ).to_be_visible()
    expect(page.get_by_text("Give a reason to book beyond")).to_be_visible()
    screenshot("series-plan-needs-confirmation")
    assert not Appointment.objects.filter(plan=plan).exists()

    page.get_by_label("I have read the safety alerts for these visits").check()
    page.get_by_label("Reason for booking beyond the referral or authorization").fill(
        "Dr. Singh is renewing the referral"
    )
    page.get_by_role("button", name="Book the series").click()
    expect(page.get_by_text("8 visits booked.")).to_be_visible()
    assert Appointment.objects.filter(plan=plan).count() == 8
