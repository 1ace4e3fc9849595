"""The visit page as the front desk and as a therapist who does not treat the client,
and the page behind an expired link, in a real Chromium (with screenshots)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Condition, Contraindication
from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
    ReferralFactory,
    ReferringProviderFactory,
)
from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.messaging.links import Action, visit_link_token
from sessions.tests.factories import AppointmentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

PHYSICIAN = "Dr. Quentin Marlowe"
PROVIDER = "Dr. Ophelia Brightwater"


@pytest.fixture
def visit(therapist):
    """Tara's visit with Ada tomorrow at 10:00 (the live server keeps the real clock)."""
    location = LocationFactory(
        name="Riverside Medical Massage",
        time_zone="America/New_York",
        phone="(518) 555-0142",
    )
    tomorrow = timezone.now().astimezone(location.zone).date() + timedelta(days=1)
    ada = ClientFactory(first_name="Ada", last_name="Lovelace")
    Contraindication.objects.create(
        client=ada,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        cleared_on=tomorrow - timedelta(days=10),
        cleared_by_physician=PHYSICIAN,
        clearance_conditions="light strokes only above the knee",
    )
    starts_at = local_datetime(tomorrow, time(10), location)
    return AppointmentFactory(
        client=ada,
        therapist=therapist,
        location=location,
        room=RoomFactory(location=location, name="Maple Room"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        referral=ReferralFactory(
            client=ada, provider=ReferringProviderFactory(name=PROVIDER)
        ),
        authorization=AuthorizationFactory(
            policy=InsurancePolicyFactory(client=ada), number="AUTH-ZEBRA-77"
        ),
        safety_acknowledgement="follow the physician's clearance: history of dvt",
    )


def test_the_front_desk_sees_the_referral_and_the_headline_not_the_clearance(
    page, live_server, front_desk, visit, screenshot
):
    sign_in_through_the_page(page, front_desk.username)
    page.goto(reverse("sessions:visit", args=[visit.pk]))
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("AUTH-ZEBRA-77")).to_be_visible()
    expect(page.get_by_text(PROVIDER)).to_be_visible()
    alerts = page.get_by_role("list", name="Safety alerts")
    expect(alerts).to_contain_text("follow the physician's clearance")
    expect(page.locator("main")).not_to_contain_text(PHYSICIAN)
    screenshot("visit_need_to_know_front_desk")


def test_a_therapist_who_does_not_treat_the_client_sees_the_schedule_only(
    page, live_server, other_therapist, visit, screenshot
):
    sign_in_through_the_page(page, other_therapist.user.username)
    page.goto(reverse("sessions:visit", args=[visit.pk]))
    expect(page.get_by_role("heading", name="Ada Lovelace")).to_be_visible()
    expect(page.get_by_text("Maple Room, Riverside Medical Massage")).to_be_visible()
    main = page.locator("main")
    for hidden in (PROVIDER, "AUTH-ZEBRA-77", PHYSICIAN):
        expect(main).not_to_contain_text(hidden)
    screenshot("visit_need_to_know_other_therapist")


def test_an_expired_link_says_so_and_how_to_reach_the_clinic(
    page, live_server, visit, screenshot
):
    with time_machine.travel(timezone.now() - timedelta(days=15)):
        token = visit_link_token(appointment=visit, action=Action.CANCEL)
    page.goto(reverse("sessions:link_cancel", args=[token]))
    expect(page.get_by_role("heading", name="This link has expired")).to_be_visible()
    expect(page.get_by_role("link", name="(518) 555-0142")).to_be_visible()
    expect(page.get_by_text("Nothing was changed")).to_be_visible()
    screenshot("link_expired")


def test_the_clients_therapist_sees_the_clearance_itself(
    page, live_server, therapist, visit, screenshot
):
    sign_in_through_the_page(page, therapist.user.username)
    page.goto(reverse("sessions:visit", args=[visit.pk]))
    alerts = page.get_by_role("list", name="Safety alerts")
    expect(alerts).to_contain_text(f"Cleared by {PHYSICIAN}")
    expect(alerts).to_contain_text("light strokes only above the knee")
    expect(page.get_by_text(PROVIDER)).to_be_visible()
    screenshot("visit_need_to_know_treating_therapist")
