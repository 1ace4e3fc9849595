"""A whole front-desk day in a real Chromium (issue 13), one page after another as
the desk and a therapist live it: three clients checked in from Today, one visit
moved by dragging and one by keyboard on the day grid, a returning client offered
their existing record, a series booked from a referral in one pass, a freed time
offered to the waitlist and taken from the email on a phone, and a therapist's time
off typed in local time showing the visit it covers. Every step has a screenshot
(test-artifacts/screenshots/desk-day-*.png)."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Client
from clients.tests.factories import (
    ClientFactory,
    ReferralFactory,
    ReferringProviderFactory,
)
from massageclinic.clock import local_datetime
from massageclinic.models import clinic_policy
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.messaging.render import render_message
from sessions.models import (
    Appointment,
    AppointmentSeries,
    OutboundMessage,
    WaitlistEntry,
)
from sessions.scheduling.booking import appointment_book, appointment_cancel
from sessions.scheduling.tests.test_screening_browser import (
    QUESTIONS,
    _answer,
    _zone_where_it_is_about_noon,
)
from therapists.models import TimeOff, Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

PHONE = {"width": 390, "height": 844}
# Where the `screenshot` fixture saves (conftest.py), for pages of other contexts.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


class Day:
    """The clinic on the day: who works, who is booked, who waits."""

    def __init__(self, therapist, front_desk) -> None:
        self.desk = front_desk
        self.location = LocationFactory(
            name="Riverside Medical Massage",
            time_zone=_zone_where_it_is_about_noon(),
            phone="(518) 555-0142",
        )
        self.maple = RoomFactory(location=self.location, name="Maple Room")
        RoomFactory(location=self.location, name="Oak Room")
        self.tara = therapist
        self.ben = TherapistFactory(
            user=UserFactory(first_name="Ben", last_name="Stretch")
        )
        for person in (self.tara, self.ben):
            for slug in ("swedish", "deep-tissue"):
                Training.objects.create(therapist=person, modality=modality(slug))
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    therapist=person,
                    location=self.location,
                    weekday=weekday,
                    starts_at=time(7),
                    ends_at=time(20),
                )
                for weekday in range(7)
            )
        self.now = timezone.now()
        self.today = self.now.astimezone(self.location.zone).date()
        self.tomorrow = self.today + timedelta(days=1)

    def at(self, day, hour, minute=0):
        return local_datetime(day, time(hour, minute), self.location)

    def book(self, first_name, starts_at, therapist=None, last_name="Okafor"):
        return appointment_book(
            client=ClientFactory(first_name=first_name, last_name=last_name),
            therapist=therapist or self.tara,
            modality=modality("swedish"),
            location=self.location,
            room=self.maple,
            starts_at=starts_at,
            duration_minutes=60,
            booked_by=self.desk,
            now=self.now,
        )


def _soon(minutes: int):
    now = timezone.now().replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % 15) + timedelta(minutes=minutes)


@pytest.fixture
def day(therapist, front_desk):
    return Day(therapist, front_desk)


def _check_in_three_from_today(page, screenshot, day):
    arrivals = [
        day.book(n, _soon(30 + 75 * i)) for i, n in enumerate(["Ada", "Bea", "Cy"])
    ]
    sign_in_through_the_page(page, "frontdesk")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    screenshot("desk-day-1-today")
    for visit in arrivals:
        name = visit.client.full_name
        page.get_by_role("link", name=f"Check in {name}").click()
        for question in QUESTIONS:
            _answer(page, question, "No")
        page.get_by_role("button", name="Record the answers and check in").click()
        expect(page.get_by_text("The visit is now checked in.")).to_be_visible()
        row = page.get_by_role("row").filter(has_text=name)
        expect(row.get_by_text("Checked in")).to_be_visible()
    screenshot("desk-day-2-three-checked-in")
    statuses = Appointment.objects.filter(pk__in=[v.pk for v in arrivals])
    assert {v.status for v in statuses} == {Appointment.Status.CHECKED_IN}


def _grid(page, day):
    page.goto(f"/calendar/?location={day.location.pk}&date={day.tomorrow:%Y-%m-%d}")
    return page.get_by_role("table", name="Visits by therapist")


def _slot(grid, verb, who, day, clock):
    d = day.tomorrow
    return grid.get_by_role(
        "link", name=f"{verb} {who} on {d:%a} {d.day} {d:%b} at {clock}", exact=True
    )


def _move_one_by_dragging(page, screenshot, day):
    grace = day.book("Grace", day.at(day.tomorrow, 10))
    grid = _grid(page, day)
    block = grid.get_by_role("link", name=re.compile("Grace Okafor")).first
    target = _slot(grid, "Book", "Ben Stretch", day, "1:00 PM")
    target.scroll_into_view_if_needed()
    block.hover()
    page.mouse.down()
    box = target.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5, steps=8)
    page.mouse.move(box["x"] + 8, box["y"] + 6, steps=2)
    page.mouse.up()
    expect(
        page.get_by_role("heading", name=re.compile("^Move Grace Okafor to"))
    ).to_contain_text("1:00 PM with Ben Stretch")
    screenshot("desk-day-3-drag-confirm")
    page.get_by_role("button", name="Yes, move the visit").click()
    expect(page.get_by_text("The visit was moved.")).to_be_visible()
    grace.refresh_from_db()
    assert (grace.therapist, grace.starts_at) == (day.ben, day.at(day.tomorrow, 13))


def _move_one_by_keyboard(page, screenshot, day):
    henry = day.book("Henry", day.at(day.tomorrow, 15))
    grid = _grid(page, day)
    grid.get_by_role("link", name=re.compile("Henry Okafor")).focus()
    page.keyboard.press("m")
    expect(page.get_by_role("status")).to_contain_text("Moving Henry Okafor's visit")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowLeft")
    screenshot("desk-day-4-keyboard-move")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name=re.compile("^Move Henry Okafor to"))
    ).to_contain_text("4:15 PM with Ben Stretch")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The visit was moved.")).to_be_visible()
    henry.refresh_from_db()
    assert (henry.therapist, henry.starts_at) == (day.ben, day.at(day.tomorrow, 16, 15))


def _returning_client_offered_the_existing_record(page, screenshot, day):
    ivy = ClientFactory(first_name="Ivy", last_name="Return", phone="(518) 555-0199")
    page.goto(f"/book/?location={day.location.pk}")
    page.get_by_label("Find a client").press_sequentially("Ivy Returns", delay=30)
    expect(page.get_by_text("No client matches")).to_be_visible()
    page.get_by_text("Register a new client").click()
    expect(page.get_by_label("First name")).to_have_value("Ivy")
    page.get_by_label("Phone").fill("518 555 0199")
    page.get_by_role("button", name="Register and choose").click()
    warning = page.get_by_role("alert").filter(has_text="may already be registered")
    expect(warning).to_contain_text("same phone")
    screenshot("desk-day-5-returning-client")
    warning.get_by_role("button", name=re.compile("Use this client")).click()
    expect(page.locator("input[name=client]")).to_have_value(str(ivy.pk))
    assert Client.objects.filter(first_name="Ivy").count() == 1


def _series_from_the_referral(page, screenshot, day):
    jon = ClientFactory(first_name="Jon", last_name="Referred")
    referral = ReferralFactory(
        client=jon,
        provider=ReferringProviderFactory(name="Dr Lee"),
        referred_on=day.today - timedelta(days=7),
        visits_per_week=2,
        duration_weeks=6,
        session_minutes=60,
        visits_authorized=5,
        expires_on=day.today + timedelta(days=90),
    )
    referral.prescribed_modalities.add(modality("deep-tissue"))
    page.goto(f"/clients/{jon.pk}/")
    page.get_by_role("link", name="Book a series").click()
    expect(page.locator("#prefilled-from")).to_contain_text(
        "2 a week for 5 visits, 60 minutes, deep tissue"
    )
    screenshot("desk-day-6-series-from-referral")
    page.get_by_role("button", name="Preview").click()
    page.get_by_role("button", name="Book the series").click()
    expect(page.get_by_text("5 visits booked.")).to_be_visible()
    series = AppointmentSeries.objects.get(client=jon)
    assert series.appointments.count() == 5


def _link_path(first_name: str) -> str:
    row = OutboundMessage.objects.get(
        kind=OutboundMessage.Kind.WAITLIST_OFFER, client__first_name=first_name
    )
    text = render_message(row, timezone.now()).text
    url = re.search(r"https?://\S+/waitlist-offer/\S+/", text).group(0)
    return "/" + url.split("/", 3)[3]


def _freed_time_taken_from_the_email(page, screenshot, day, browser, live_server):
    in_three_days = day.today + timedelta(days=3)
    carl = day.book("Carl", day.at(in_three_days, 10), therapist=day.ben)
    appointment_cancel(appointment=carl, by=day.desk, reason="flu", now=timezone.now())
    WaitlistEntry.objects.create(
        client=ClientFactory(first_name="Wanda", last_name="Waits"),
        location=day.location,
        modality=modality("swedish"),
        wanted_from=day.today,
        wanted_until=in_three_days + timedelta(days=1),
        earliest_time=time(10),
        latest_time=time(11),
        created_by=day.desk,
    )
    page.goto("/waitlist/")
    wanda = page.get_by_role("list", name="Times for Wanda Waits")
    freed = wanda.get_by_role("listitem").filter(has_text="Freed")
    freed.get_by_role("button", name=re.compile("Offer to client")).click()
    expect(page.get_by_text(re.compile("Offered .* to Wanda Waits"))).to_be_visible()
    # Her next openings too, searched when asked (htmx, in place).
    page.get_by_role("link", name="Show the next openings for Wanda").click()
    expect(wanda.get_by_text("Opening").first).to_be_visible()
    screenshot("desk-day-7-waitlist-offered")
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE)
    try:
        mine = phone.new_page()
        mine.goto(_link_path("Wanda"))
        mine.get_by_role("button", name="Take this time").click()
        expect(mine.get_by_role("heading", name="This time is yours")).to_be_visible()
        _shot(mine, "desk-day-8-taken-on-a-phone")
        assert mine.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        phone.close()
    taken = Appointment.objects.filter(
        starts_at=carl.starts_at, client__first_name="Wanda"
    ).get()
    assert taken.status == Appointment.Status.BOOKED


def _therapist_sets_time_off_in_local_time(day, browser, live_server):
    kim = day.book("Kim", day.at(day.tomorrow, 18))
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}
    )
    try:
        page = context.new_page()
        sign_in_through_the_page(page, "therapist")
        page.get_by_role("link", name="My schedule").click()
        page.get_by_role("link", name="Time off").click()
        page.get_by_label("From (date)").fill(f"{day.tomorrow:%Y-%m-%d}")
        page.get_by_label("From (time)").fill("17:00")
        page.get_by_label("Until (date)").fill(f"{day.tomorrow:%Y-%m-%d}")
        page.get_by_label("Until (time)").fill("20:00")
        page.get_by_label("Reason").fill("School play")
        page.get_by_role("button", name="Add time off").click()
        affected = page.get_by_role("table", name="Booked visits in time off")
        row = affected.get_by_role("row", name=re.compile("Kim Okafor"))
        expect(row).to_contain_text("18:00–19:00")
        _shot(page, "desk-day-9-therapist-time-off")
    finally:
        context.close()
    off = TimeOff.objects.get(therapist=day.tara)
    assert off.starts_at == day.at(day.tomorrow, 17)  # typed in local time
    kim.refresh_from_db()
    assert kim.status == Appointment.Status.BOOKED  # listed, for the desk to act on


def test_a_whole_desk_day(page, screenshot, browser, live_server, day):
    policy = clinic_policy()
    policy.check_in_opens = timedelta(hours=4)
    policy.save()
    page.set_viewport_size({"width": 1440, "height": 900})
    _check_in_three_from_today(page, screenshot, day)
    _move_one_by_dragging(page, screenshot, day)
    _move_one_by_keyboard(page, screenshot, day)
    _returning_client_offered_the_existing_record(page, screenshot, day)
    _series_from_the_referral(page, screenshot, day)
    _freed_time_taken_from_the_email(page, screenshot, day, browser, live_server)
    _therapist_sets_time_off_in_local_time(day, browser, live_server)
