"""Each role logs in, sees today's visits on the home page, and logs out (real Chromium)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from conftest import PASSWORD
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import ready_for_two_steps, type_the_code_if_asked
from sessions.tests.factories import AppointmentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def todays_visits(therapist, other_therapist):
    # Live-server tests run on the real clock: place visits in today's New York hours.
    location = LocationFactory(
        name="Riverside Medical Massage", time_zone="America/New_York"
    )
    today = timezone.now().astimezone(location.zone).date()
    noon = datetime(
        today.year, today.month, today.day, 12, tzinfo=location.zone
    ).astimezone(UTC)
    mine = AppointmentFactory(
        location=location,
        therapist=therapist,
        room=RoomFactory(location=location, name="Room 1"),
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        starts_at=noon,
        ends_at=noon + timedelta(hours=1),
    )
    theirs = AppointmentFactory(
        location=location,
        therapist=other_therapist,
        room=RoomFactory(location=location, name="Room 2"),
        client=ClientFactory(first_name="Henry", last_name="Walsh"),
        starts_at=noon,
        ends_at=noon + timedelta(minutes=45),
    )
    return mine, theirs


def _log_in(page, username: str) -> None:
    ready_for_two_steps(username)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    type_the_code_if_asked(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def _log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/"))


def test_the_front_desk_sees_every_visit_of_the_day(
    page, screenshot, front_desk, todays_visits
):
    _log_in(page, "frontdesk")
    table = page.get_by_role("table", name=re.compile("Visits today at Riverside"))
    expect(table.get_by_role("row", name=re.compile("Grace Okafor"))).to_contain_text(
        "12:00 PM"
    )
    expect(table.get_by_role("row", name=re.compile("Henry Walsh"))).to_contain_text(
        "Oscar"
    )
    expect(page.get_by_text("America/New_York")).to_be_visible()
    expect(page.get_by_role("link", name="Administration")).to_have_count(0)
    screenshot("home-front-desk")
    _log_out(page)


def test_a_therapist_sees_only_their_own_visits(
    page, screenshot, therapist, todays_visits
):
    _log_in(page, "therapist")
    expect(page.get_by_role("row", name=re.compile("Grace Okafor"))).to_be_visible()
    expect(page.get_by_text("Henry Walsh")).to_have_count(0)
    screenshot("home-therapist")
    _log_out(page)


def test_the_manager_sees_every_visit_and_the_administration(
    page, screenshot, manager, todays_visits
):
    _log_in(page, "manager")
    expect(page.get_by_role("row", name=re.compile("Grace Okafor"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Henry Walsh"))).to_be_visible()
    page.get_by_role("button", name="Manage").click()
    page.get_by_role("link", name="Administration").click()
    expect(
        page.get_by_role("heading", name=re.compile("Site administration"))
    ).to_be_visible()
    page.goto("/")
    screenshot("home-manager")
    _log_out(page)


def test_a_wrong_password_gets_a_clear_message(page, front_desk):
    page.goto("/login/")
    page.get_by_label("Username").fill("frontdesk")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    expect(
        page.get_by_text(re.compile("enter a correct username and password"))
    ).to_be_visible()
