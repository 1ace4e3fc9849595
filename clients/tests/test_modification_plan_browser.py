"""A modification plan in a real Chromium: the therapist records one for deep tissue on
the chart of an anticoagulated client; then the front desk books deep tissue."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Condition, ModificationPlan
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import Appointment
from sessions.tests.factories import AppointmentFactory
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

CHANGES = "Light pressure over the calves; no friction"


@pytest.fixture
def clinic(therapist, front_desk):
    """Grace takes anticoagulants and saw Tara last week; Tara works every day.

    The live server runs on the real clock: the new visit is tomorrow.
    """
    location = LocationFactory(
        name="Riverside Medical Massage", time_zone="America/New_York"
    )
    room = RoomFactory(location=location, name="Maple Room")
    for slug in ("swedish", "deep-tissue"):
        Training.objects.create(therapist=therapist, modality=modality(slug))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(9),
            ends_at=time(17),
        )
    grace = ClientFactory(
        first_name="Grace", last_name="Okafor", phone="(518) 555-0101"
    )
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
    )
    last_week = timezone.now().replace(microsecond=0) - timedelta(days=7)
    AppointmentFactory(
        client=grace,
        therapist=therapist,
        location=location,
        room=room,
        starts_at=last_week,
        ends_at=last_week + timedelta(hours=1),
        status=Appointment.Status.COMPLETED,
    )
    tomorrow = timezone.now().astimezone(location.zone).date() + timedelta(days=1)
    return location, grace, tomorrow


def _log_in(page, username: str) -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_a_therapists_plan_lets_the_desk_book_deep_tissue(
    page, screenshot, therapist, front_desk, clinic
):
    location, grace, tomorrow = clinic
    _log_in(page, "therapist")
    page.goto(f"/clients/{grace.pk}/")
    section = page.get_by_role("region", name="Modification plans")
    expect(section).to_contain_text("Ruled out by the safety rules:")
    section.get_by_role("link", name="Deep tissue", exact=True).click()

    expect(
        page.get_by_role("heading", name="Record a modification plan")
    ).to_be_visible()
    expect(page.get_by_role("combobox", name="Technique")).to_have_value(
        str(modality("deep-tissue").pk)
    )
    page.get_by_label("What changes").fill(CHANGES)
    page.get_by_label("Why this technique is right for this client").fill(
        "Chronic low back hypertonicity; INR stable, physician informed."
    )
    until = tomorrow + timedelta(days=90)
    page.get_by_label("Until").fill(f"{until:%Y-%m-%d}")
    screenshot("modification_plan_form")
    page.get_by_role("button", name="Record the plan").click()

    expect(
        page.get_by_role("alert")
        .or_(page.get_by_role("status"))
        .filter(has_text="Modification plan recorded: Deep tissue")
    ).to_be_visible()
    section = page.get_by_role("region", name="Modification plans")
    row = section.get_by_role("row", name=re.compile("Deep tissue"))
    expect(row).to_contain_text(CHANGES)
    expect(row).to_contain_text("Tara Hands")
    expect(
        row.get_by_role("button", name="Withdraw the Deep tissue plan")
    ).to_be_visible()
    assert ModificationPlan.objects.get().therapist == therapist
    screenshot("modification_plan_chart")

    page.get_by_role("button", name="Log out").click()
    _log_in(page, "frontdesk")
    page.goto(
        f"/book/?location={location.pk}&therapist={therapist.pk}"
        f"&starts={tomorrow:%Y-%m-%d}T13:00&client={grace.pk}"
        f"&modality={modality('deep-tissue').pk}"
    )
    expect(page.get_by_role("region", name="Client")).to_contain_text(CHANGES)
    page.get_by_role("button", name="Book", exact=True).click()
    confirm = page.get_by_role("region", name="Confirm before booking")
    expect(confirm).to_contain_text("modification plan by Tara Hands")
    page.get_by_label("I have read the safety alerts").check()
    screenshot("modification_plan_booked")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("heading", name="Grace Okafor")).to_be_visible()
    visit = Appointment.objects.get(modality=modality("deep-tissue"))
    assert "modification plan by Tara Hands" in visit.safety_acknowledgement
