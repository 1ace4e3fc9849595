"""The grid in a real Chromium: free slots reachable and bookable from the keyboard,
named for screen readers, one tab stop for the whole grid; a therapist sees the same
schedule with nothing to book. Screenshots of the day and week, desk and therapist."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Condition
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory, ReferralFactory
from massageclinic.audit import AuditContext
from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.tests.factories import AppointmentFactory
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def clinic(therapist):
    """Tara (the therapist persona) and Ben work 9-17 every day; Tara has a visit at
    10:00 tomorrow. The live server runs on the real clock, so all is tomorrow."""
    location = LocationFactory(
        name="Riverside Medical Massage",
        time_zone="America/New_York",
        opens_at=time(8),
        closes_at=time(18),
    )
    room = RoomFactory(location=location, name="Maple Room")
    ben = TherapistFactory(user=UserFactory(first_name="Ben", last_name="Stretch"))
    for person in (therapist, ben):
        Training.objects.create(therapist=person, modality=modality("swedish"))
        WorkingHours.objects.bulk_create(
            WorkingHours(
                therapist=person,
                location=location,
                weekday=weekday,
                starts_at=time(9),
                ends_at=time(17),
            )
            for weekday in range(7)
        )
    tomorrow = timezone.now().astimezone(location.zone).date() + timedelta(days=1)
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=UserFactory(),
    )
    AppointmentFactory(
        client=grace,
        therapist=therapist,
        location=location,
        room=room,
        referral=ReferralFactory(client=grace, expires_on=tomorrow + timedelta(days=5)),
        starts_at=local_datetime(tomorrow, time(10), location),
        ends_at=local_datetime(tomorrow, time(11), location),
    )
    return location, ben, tomorrow


def _name(who: str, day, clock: str) -> str:
    return f"Book {who} on {day:%a} {day.day} {day:%b} at {clock}"


def test_the_desk_books_a_free_slot_with_the_keyboard_alone(
    page, screenshot, front_desk, therapist, clinic
):
    location, ben, tomorrow = clinic
    sign_in_through_the_page(page, front_desk.username)
    page.goto(f"/calendar/?location={location.pk}&date={tomorrow:%Y-%m-%d}")
    grid = page.get_by_role("table", name="Visits by therapist")
    expect(grid.get_by_role("link", name="Grace Okafor")).to_be_visible()
    block = grid.get_by_role("cell").filter(has_text="Grace Okafor")
    expect(block).to_contain_text("no cross-fibre friction, cupping, deep tissue")
    expect(block).to_contain_text("referral ends")
    slots = grid.locator("a.slot-link")
    # 2 therapists x 8 working hours x 4, less Grace's hour
    expect(slots).to_have_count(2 * 8 * 4 - 4)
    expect(grid.locator("a.slot-link[tabindex='0']")).to_have_count(1)

    # Columns are by name: Ben Stretch, then Tara Hands. Tab reaches the grid's one
    # slot stop (Ben at 9:00); the arrows walk the free slots, past Grace's visit.
    page.get_by_role("link", name="Tara", exact=True).focus()
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_accessible_name(
        _name("Ben Stretch", tomorrow, "9:00 AM")
    )
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(page.locator(":focus")).to_have_accessible_name(
        _name("Tara Hands", tomorrow, "11:00 AM")  # 10:00-11:00 is Grace's
    )
    page.keyboard.press("ArrowUp")
    expect(page.locator(":focus")).to_have_accessible_name(
        _name("Tara Hands", tomorrow, "9:45 AM")
    )
    page.keyboard.press("End")
    page.keyboard.press("Home")
    expect(page.locator(":focus")).to_have_accessible_name(
        _name("Ben Stretch", tomorrow, "9:45 AM")
    )
    # The slot last reached is the grid's tab stop from now on.
    expect(grid.locator("a.slot-link[tabindex='0']")).to_have_accessible_name(
        _name("Ben Stretch", tomorrow, "9:45 AM")
    )
    screenshot("grid-day-desk-keyboard")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name="Book a visit")).to_be_visible()
    expect(page.get_by_label("Therapist")).to_have_value(str(ben.pk))
    expect(page.get_by_label("Start time")).to_have_value("09:45")
    expect(page.get_by_label("Visit date")).to_have_value(f"{tomorrow:%Y-%m-%d}")


def test_space_books_too_and_the_week_grid_works_the_same(
    page, screenshot, front_desk, therapist, clinic
):
    location, _ben, tomorrow = clinic
    sign_in_through_the_page(page, front_desk.username)
    page.goto(
        f"/calendar/week/?therapist={therapist.pk}&location={location.pk}"
        f"&date={tomorrow:%Y-%m-%d}"
    )
    grid = page.get_by_role("table", name="Visits by day")
    expect(grid.get_by_role("link", name="Grace Okafor")).to_be_visible()
    slot = grid.get_by_role("link", name=_name("Tara Hands", tomorrow, "2:30 PM"))
    slot.focus()
    screenshot("grid-week-desk")
    page.keyboard.press("ArrowDown")
    page.keyboard.press(" ")
    expect(page.get_by_role("heading", name="Book a visit")).to_be_visible()
    expect(page.get_by_label("Therapist")).to_have_value(str(therapist.pk))
    expect(page.get_by_label("Start time")).to_have_value("14:45")
    expect(page.get_by_label("Visit date")).to_have_value(f"{tomorrow:%Y-%m-%d}")


def test_a_therapist_sees_the_schedule_with_nothing_to_book(
    page, screenshot, therapist, clinic
):
    location, _ben, tomorrow = clinic
    sign_in_through_the_page(page, therapist.user.username)
    page.goto(f"/calendar/?location={location.pk}&date={tomorrow:%Y-%m-%d}")
    grid = page.get_by_role("table", name="Visits by therapist")
    expect(grid.get_by_role("link", name="Grace Okafor")).to_be_visible()
    expect(grid.get_by_role("rowheader", name="9:15 AM")).to_have_count(1)
    expect(grid.locator("a.slot-link")).to_have_count(0)
    # Off cells are sent empty; a screen reader still hears why (8-9 and 17-18).
    expect(grid.get_by_role("cell", name="not available")).to_have_count(2 * 2 * 4)
    screenshot("grid-day-therapist")
    page.goto(f"/calendar/week/?therapist={therapist.pk}&date={tomorrow:%Y-%m-%d}")
    week = page.get_by_role("table", name="Visits by day")
    expect(week.get_by_role("link", name="Grace Okafor")).to_be_visible()
    expect(week.locator("a.slot-link")).to_have_count(0)
    screenshot("grid-week-therapist")


def test_without_javascript_the_desk_still_reads_the_day_and_books_elsewhere(
    browser, live_server, settings, front_desk, clinic
):
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False
    location, _ben, tomorrow = clinic
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 1280, "height": 800},
        java_script_enabled=False,
    )
    page = context.new_page()
    try:
        sign_in_through_the_page(page, front_desk.username)
        page.goto(f"/calendar/?location={location.pk}&date={tomorrow:%Y-%m-%d}")
        grid = page.get_by_role("table", name="Visits by therapist")
        expect(grid.get_by_role("link", name="Grace Okafor")).to_be_visible()
        expect(grid.get_by_role("rowheader", name="10:00 AM")).to_have_count(1)
        expect(grid.locator("a.slot-link")).to_have_count(0)
        page.get_by_role("link", name="Book a visit").click()
        expect(page.get_by_role("heading", name="Book a visit")).to_be_visible()
    finally:
        context.close()
