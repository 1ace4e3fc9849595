"""Moving a visit in a real Chromium: by choosing a free time shown on the move page,
by dragging its block on the day grid, and by the keyboard alone (announced to
screen readers). Screenshots of the move page, the drag and the keyboard path."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import Appointment
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
    """Tara (the therapist persona) and Ben work 9-17 every day in New York; Grace
    has an hour with Tara in Maple Room at 10:00 tomorrow (the live server runs on
    the real clock)."""
    location = LocationFactory(
        name="Riverside Medical Massage",
        time_zone="America/New_York",
        opens_at=time(8),
        closes_at=time(18),
    )
    room = RoomFactory(location=location, name="Maple Room")
    RoomFactory(location=location, name="Oak Room")
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
    grace = AppointmentFactory(
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=local_datetime(tomorrow, time(10), location),
        ends_at=local_datetime(tomorrow, time(11), location),
    )
    return location, ben, tomorrow, grace


def _at(location, day, hour, minute=0):
    return local_datetime(day, time(hour, minute), location)


def _grid(page, location, day):
    page.goto(f"/calendar/?location={location.pk}&date={day:%Y-%m-%d}")
    return page.get_by_role("table", name="Visits by therapist")


def _drag(page, source, target):
    """Drag as a hand does: press, move over the target in steps, and leave the
    button pressed (the caller releases it, after looking)."""
    target.scroll_into_view_if_needed()  # the grid scrolls inside its frame
    source.hover()
    page.mouse.down()
    box = target.bounding_box()
    page.mouse.move(box["x"] + 5, box["y"] + 5, steps=8)
    page.mouse.move(box["x"] + 8, box["y"] + 6, steps=2)


def _slot(grid, verb, who, day, clock):
    return grid.get_by_role(
        "link",
        name=f"{verb} {who} on {day:%a} {day.day} {day:%b} at {clock}",
        exact=True,
    )


def test_the_desk_moves_a_visit_by_choosing_a_shown_free_time(
    page, screenshot, front_desk, clinic
):
    location, ben, tomorrow, grace = clinic
    sign_in_through_the_page(page, front_desk.username)
    page.goto(f"/visits/{grace.pk}/move/")
    free = page.get_by_role("region", name=re.compile("^Free times on"))
    same_room = free.get_by_role("region", name="With Tara Hands in Maple Room")
    expect(same_room.get_by_role("button", name="9:00 AM", exact=True)).to_be_visible()
    # Not over Grace's own hour.
    expect(same_room.get_by_role("button", name="10:00 AM", exact=True)).to_have_count(
        0
    )
    others = free.get_by_role("region", name="Ben Stretch")
    # Ben at Grace's own time, in her room; Tara at it in another room.
    expect(others.get_by_role("button", name="10:00 AM", exact=True)).to_be_visible()
    another = free.get_by_role("region", name="With Tara Hands in another room")
    expect(another.get_by_role("button", name="10:00 AM · Oak Room")).to_be_visible()
    screenshot("move-page")

    page.get_by_role("link", name=re.compile("^Next day")).click()
    expect(free).to_contain_text(f"{tomorrow + timedelta(days=1):%A, %B} ")
    page.get_by_role("link", name=re.compile("^Previous day")).click()

    same_room.get_by_role("button", name="2:00 PM", exact=True).click()
    expect(page.get_by_text("The visit was moved.")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Moved from .* 10:00-11:00 .* to .* 14:00-15:00"))
    ).to_be_visible()
    grace.refresh_from_db()
    assert grace.starts_at == _at(location, tomorrow, 14)
    screenshot("move-page-moved")


def test_the_desk_moves_a_visit_by_dragging_it_on_the_day_grid(
    page, screenshot, front_desk, therapist, clinic
):
    location, ben, tomorrow, grace = clinic
    # Grace also sees Ben at 3 PM: a drag of her 10:00 visit onto Tara at 3 PM is
    # refused by the rules, with their sentence.
    AppointmentFactory(
        client=grace.client,
        therapist=ben,
        modality=modality("swedish"),
        location=location,
        room=grace.room,
        starts_at=_at(location, tomorrow, 15),
        ends_at=_at(location, tomorrow, 16),
    )
    sign_in_through_the_page(page, front_desk.username)
    grid = _grid(page, location, tomorrow)
    block = grid.get_by_role("link", name=re.compile("Grace Okafor")).first
    target = _slot(grid, "Book", "Ben Stretch", tomorrow, "1:00 PM")

    _drag(page, block, target)
    expect(page.get_by_role("status")).to_contain_text("Dragging Grace Okafor's visit")
    screenshot("grid-dragging")
    page.mouse.up()

    expect(
        page.get_by_role(
            "heading",
            name=f"Move Grace Okafor to {tomorrow:%a} {tomorrow.day} {tomorrow:%b} "
            "1:00 PM with Ben Stretch in Maple Room?",
        )
    ).to_be_visible()
    screenshot("grid-drop-confirm")
    page.get_by_role("button", name="Yes, move the visit").click()
    expect(page.get_by_text("The visit was moved.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/calendar/\?location="))
    grace.refresh_from_db()
    assert (grace.therapist, grace.starts_at) == (ben, _at(location, tomorrow, 13))

    # Refused: onto Tara at 3 PM, when Grace is with Ben.
    grid = page.get_by_role("table", name="Visits by therapist")
    _drag(
        page,
        grid.get_by_role("link", name=re.compile("Grace Okafor")).first,
        _slot(grid, "Book", "Tara Hands", tomorrow, "3:00 PM"),
    )
    page.mouse.up()
    # The confirmation says the rules' refusal at once, and offers no "Yes".
    expect(
        page.get_by_text(re.compile("Grace Okafor already has a visit then"))
    ).to_be_visible()
    expect(page.get_by_role("button", name="Yes, move the visit")).to_have_count(0)
    screenshot("grid-drop-refused")
    grace.refresh_from_db()
    assert grace.starts_at == _at(location, tomorrow, 13)


def test_the_desk_moves_a_visit_by_keyboard_alone(
    page, screenshot, front_desk, therapist, clinic
):
    location, ben, tomorrow, grace = clinic
    sign_in_through_the_page(page, front_desk.username)
    grid = _grid(page, location, tomorrow)
    block = grid.get_by_role("link", name=re.compile("Grace Okafor"))
    block.focus()
    status = page.get_by_role("status")

    # M picks the visit up; Escape puts it back, and focus returns to it.
    page.keyboard.press("m")
    expect(status).to_contain_text("Moving Grace Okafor's visit")
    expect(page.locator(":focus")).to_have_accessible_name(
        f"Move Grace Okafor to Tara Hands on {tomorrow:%a} {tomorrow.day} "
        f"{tomorrow:%b} at 11:00 AM"
    )
    page.keyboard.press("Escape")
    expect(status).to_contain_text("Move cancelled")
    expect(page.locator(":focus")).to_have_accessible_name(re.compile("Grace Okafor"))
    expect(_slot(grid, "Book", "Ben Stretch", tomorrow, "11:00 AM")).to_have_count(1)

    # Again: down to 11:15, left to Ben's column, Enter.
    page.keyboard.press("m")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowLeft")
    expect(page.locator(":focus")).to_have_accessible_name(
        f"Move Grace Okafor to Ben Stretch on {tomorrow:%a} {tomorrow.day} "
        f"{tomorrow:%b} at 11:15 AM"
    )
    screenshot("grid-keyboard-move")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name=re.compile("^Move Grace Okafor to"))
    ).to_contain_text("11:15 AM with Ben Stretch in Maple Room?")
    # The confirmation has the focus: Enter moves.
    page.keyboard.press("Enter")
    expect(page.get_by_text("The visit was moved.")).to_be_visible()
    grace.refresh_from_db()
    assert grace.therapist == ben
    assert grace.starts_at == _at(location, tomorrow, 11, 15)
    assert grace.status == Appointment.Status.BOOKED
    screenshot("grid-keyboard-moved")


def test_the_desk_moves_a_visit_on_a_therapists_week_by_keyboard(
    page, screenshot, front_desk, therapist, clinic
):
    location, ben, tomorrow, grace = clinic
    sign_in_through_the_page(page, front_desk.username)
    page.goto(
        f"/calendar/week/?therapist={therapist.pk}&location={location.pk}"
        f"&date={tomorrow:%Y-%m-%d}"
    )
    grid = page.get_by_role("table", name="Visits by day")
    grid.get_by_role("link", name=re.compile("Grace Okafor")).focus()
    page.keyboard.press("m")
    page.keyboard.press("ArrowDown")
    expect(page.locator(":focus")).to_have_accessible_name(
        f"Move Grace Okafor to Tara Hands on {tomorrow:%a} {tomorrow.day} "
        f"{tomorrow:%b} at 11:15 AM"
    )
    screenshot("week-keyboard-move")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("heading", name=re.compile("^Move Grace Okafor to"))
    ).to_contain_text("11:15 AM with Tara Hands in Maple Room?")
    page.keyboard.press("Enter")
    expect(page.get_by_text("The visit was moved.")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/calendar/week/\?therapist="))
    grace.refresh_from_db()
    assert grace.starts_at == _at(location, tomorrow, 11, 15)
