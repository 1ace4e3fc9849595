"""The client list and chart in a real Chromium: search as you type, edit, alerts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Condition
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import SessionNote
from sessions.tests.factories import AppointmentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def clients_with_a_visit(therapist):
    # Live-server tests run on the real clock: the visit is tomorrow, whenever now is.
    location = LocationFactory(
        name="Riverside Medical Massage", time_zone="America/New_York"
    )
    grace = ClientFactory(
        first_name="Grace",
        last_name="Okafor",
        phone="(518) 555-0101",
        email="grace.okafor@example.org",
    )
    for first, last in [("Henry", "Walsh"), ("Amara", "Nwosu"), ("Lena", "Fischer")]:
        ClientFactory(first_name=first, last_name=last)
    starts = timezone.now().replace(microsecond=0) + timedelta(days=1)
    AppointmentFactory(
        client=grace,
        therapist=therapist,
        location=location,
        room=RoomFactory(location=location, name="Room 1"),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )
    return grace


def _log_in(page, username: str) -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_the_front_desk_finds_a_client_by_typing_and_edits_the_phone(
    page, screenshot, front_desk, clients_with_a_visit
):
    _log_in(page, "frontdesk")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Clients"
    ).click()
    expect(page.get_by_role("heading", name="Clients", exact=True)).to_be_visible()
    table = page.get_by_role("table", name="Clients")
    expect(table.get_by_role("row")).to_have_count(5)  # the header and four clients
    screenshot("client-list-front-desk")

    # Typing narrows the list without a page load (htmx swaps the rows).
    page.get_by_label("Search clients").press_sequentially("okaf", delay=40)
    expect(table.get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("status").filter(has_text="1 client found")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=okaf"))
    row = table.get_by_role("row", name=re.compile("Okafor"))
    expect(row).to_contain_text("(518) 555-0101")
    expect(row).to_contain_text("Missing")  # no intake yet
    screenshot("client-list-search")

    row.get_by_role("link", name="Okafor, Grace").click()
    expect(page.get_by_role("heading", name="Grace Okafor", exact=True)).to_be_visible()
    upcoming = page.get_by_role("table", name=re.compile("Upcoming visits"))
    expect(upcoming.get_by_role("row", name=re.compile("Tara Hands"))).to_be_visible()
    screenshot("client-chart-front-desk")

    page.get_by_role("link", name="Edit details").click()
    expect(page.get_by_role("heading", name="Edit Grace Okafor")).to_be_visible()
    page.get_by_label("Phone", exact=True).fill("")
    page.get_by_label("Email", exact=True).fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Nothing was saved yet")).to_be_visible()
    expect(
        page.get_by_text(re.compile("Give at least a phone number or an email"))
    ).to_be_visible()
    screenshot("client-edit-errors")

    page.get_by_label("Phone", exact=True).fill("(518) 555-0199")
    page.get_by_role("button", name="Save changes").click()
    expect(
        page.get_by_role("status").filter(has_text="Saved the details of Grace Okafor")
    ).to_be_visible()
    expect(page.get_by_text("(518) 555-0199")).to_be_visible()
    screenshot("client-chart-saved")


def test_a_therapist_sees_the_alert_headline_on_a_chart(
    page, screenshot, therapist, front_desk, clients_with_a_visit
):
    contraindication_add(
        context=AuditContext.system("test"),
        client=clients_with_a_visit,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
        detail="Warfarin 5 mg daily",
    )
    _log_in(page, "therapist")
    page.goto("/clients/")
    table = page.get_by_role("table", name="Clients")
    expect(table.get_by_role("row")).to_have_count(2)  # only the client they treat
    expect(table).to_contain_text("anticoagulant")
    screenshot("client-list-therapist")

    table.get_by_role("link", name="Okafor, Grace").click()
    alerts = page.get_by_role("list", name="Safety alerts")
    expect(alerts).to_contain_text("deep tissue")
    expect(alerts).to_contain_text("anticoagulant")
    expect(page.get_by_text("Warfarin")).to_have_count(0)  # headline, not detail
    expect(page.get_by_role("link", name="Edit details")).to_have_count(0)
    screenshot("client-chart-therapist")

    page.get_by_role("link", name="Treatment plans").click()
    expect(page.get_by_text("No treatment plans yet.")).to_be_visible()
    page.get_by_role("link", name="Notes", exact=True).click()
    expect(page.get_by_text("No notes yet.")).to_be_visible()


@pytest.fixture
def plan_and_notes(therapist, clients_with_a_visit):
    grace = clients_with_a_visit
    visit = grace.appointments.get()
    plan = grace.treatment_plans.create(
        therapist=therapist,
        visits_planned=12,
        visits_per_week=2,
        starts_on=timezone.localdate() - timedelta(days=14),
        review_on=timezone.localdate() + timedelta(days=28),
        status="active",
        problems=["M54.2"],
    )
    plan.goals.create(
        description="Less neck pain at work",
        measure="pain",
        unit="/10",
        baseline=7,
        target=3,
    )
    earlier = AppointmentFactory(
        client=grace,
        therapist=therapist,
        location=visit.location,
        room=visit.room,
        starts_at=visit.starts_at - timedelta(days=7),
        ends_at=visit.ends_at - timedelta(days=7),
        status="completed",
    )
    SessionNote.objects.create(
        appointment=earlier,
        therapist=therapist,
        pain_before=7,
        pain_after=4,
    )
    return grace


def test_the_plans_and_notes_tabs_show_each_role_what_it_may_see(
    page, screenshot, therapist, front_desk, plan_and_notes
):
    _log_in(page, "therapist")
    page.goto(f"/clients/{plan_and_notes.pk}/plans/")
    goals = page.get_by_role("table", name="Goals")
    expect(goals).to_contain_text("Less neck pain at work")
    expect(goals).to_contain_text("7/10 → 3/10")
    screenshot("client-plans-therapist")
    page.get_by_role("link", name="Notes", exact=True).click()
    row = page.get_by_role("row", name=re.compile("Tara Hands"))
    expect(row).to_contain_text("Unsigned")
    expect(row).to_contain_text("7/10")
    screenshot("client-notes-therapist")
    page.get_by_role("button", name="Log out").click()

    _log_in(page, "frontdesk")
    page.goto(f"/clients/{plan_and_notes.pk}/plans/")
    expect(
        page.get_by_role("table", name=re.compile("status and dates"))
    ).to_contain_text("Active")
    expect(page.get_by_text("Less neck pain")).to_have_count(0)
    screenshot("client-plans-front-desk")
    page.get_by_role("link", name="Notes", exact=True).click()
    expect(page.get_by_role("row", name=re.compile("Tara Hands"))).to_contain_text(
        "Unsigned"
    )
    expect(page.get_by_text("7/10")).to_have_count(0)
    screenshot("client-notes-front-desk")
