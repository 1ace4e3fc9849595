"""Schedules in a real Chromium: a therapist sets hours and time off in New York time
over a booked visit and sees it listed; the desk moves or cancels it with notice."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

import pytest
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from conftest import SCREENSHOTS
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import Appointment
from sessions.tests.factories import AppointmentFactory
from therapists.models import TimeOff, WorkingHours

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def _shot(page, name: str) -> None:
    """Saved beside the other screenshots (test-artifacts/, git-ignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"schedules-{name}.png"), full_page=True)


def test_a_therapist_sets_time_off_over_a_visit_and_the_desk_acts_on_it(
    page, browser, live_server, therapist, front_desk
):
    manhattan = LocationFactory(name="Manhattan", time_zone="America/New_York")
    LocationFactory(name="Brooklyn", time_zone="America/New_York")
    WorkingHours.objects.create(
        therapist=therapist,
        location=manhattan,
        weekday=1,
        starts_at=time(9),
        ends_at=time(17),
    )
    visit = AppointmentFactory(
        therapist=therapist,
        location=manhattan,
        room=RoomFactory(location=manhattan, name="Maple Room"),
        client=ClientFactory(first_name="Amy", last_name="Stone"),
        # Tuesday 15 December 2026, 10:00-11:00 in New York.
        starts_at=datetime(2026, 12, 15, 15, tzinfo=UTC),
    )

    # The therapist: their own week, in the location's time.
    sign_in_through_the_page(page, "therapist")
    page.goto("/schedules/")
    expect(page.get_by_role("heading", name="Tara Hands: schedule")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("09:00–17:00"))).to_be_visible()
    page.get_by_label("Location").select_option(label="Brooklyn (America/New_York)")
    page.get_by_label("Day").select_option(label="Wednesday")
    page.get_by_label("From").fill("08:00")
    page.get_by_label("Until").fill("18:00")
    page.get_by_role("button", name="Add hours").click()
    expect(page.get_by_text("Hours added.")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("08:00–18:00"))).to_be_visible()
    _shot(page, "1-week-editor-therapist")
    assert WorkingHours.objects.filter(
        therapist=therapist, weekday=2, starts_at=time(8), ends_at=time(18)
    ).exists()

    # Time off over the booked visit, typed in New York time.
    page.get_by_role("link", name="Time off").click()
    expect(page.get_by_text("America/New_York").first).to_be_visible()
    page.get_by_label("From (date)").fill("2026-12-15")
    page.get_by_label("From (time)").fill("08:00")
    page.get_by_label("Until (date)").fill("2026-12-15")
    page.get_by_label("Until (time)").fill("12:00")
    page.get_by_label("Reason").fill("Dentist")
    page.get_by_role("button", name="Add time off").click()

    expect(page.get_by_text("1 booked visit(s) fall in it")).to_be_visible()
    affected = page.get_by_role("table", name="Booked visits in time off")
    row = affected.get_by_role("row", name=re.compile("Amy Stone"))
    expect(row).to_contain_text("Tue 15 Dec 2026, 10:00–11:00")
    expect(row).to_contain_text("Maple Room")
    expect(row.get_by_role("button", name="Cancel with notice")).to_be_visible()
    # The desk moves visits: the therapist gets no link to a page they cannot open.
    expect(row.get_by_role("link", name=re.compile("Move"))).to_have_count(0)
    expect(page.get_by_text("The front desk moves visits.")).to_be_visible()
    _shot(page, "2-time-off-affected-therapist")
    off = TimeOff.objects.get()
    assert off.starts_at == datetime(2026, 12, 15, 13, tzinfo=UTC)

    # The desk reads the same list, with Move and Cancel with notice.
    desk_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}
    )
    desk = desk_context.new_page()
    try:
        sign_in_through_the_page(desk, "frontdesk")
        desk.goto("/schedules/")
        expect(
            desk.get_by_role("heading", name="Therapists' schedules")
        ).to_be_visible()
        _shot(desk, "3-schedules-list-desk")
        desk.get_by_role("link", name="Time off of Tara Hands").click()
        expect(desk.get_by_role("button", name="Add time off")).to_have_count(0)
        row = desk.get_by_role("table", name="Booked visits in time off").get_by_role(
            "row", name=re.compile("Amy Stone")
        )
        move = row.get_by_role("link", name=re.compile("Move"))
        expect(move).to_have_attribute("href", f"/visits/{visit.pk}/move/")
        _shot(desk, "4-time-off-affected-desk")
        row.get_by_role("button", name="Cancel with notice").click()
        expect(desk.get_by_text("the client is sent a notice")).to_be_visible()
        expect(
            desk.get_by_role("table", name="Booked visits in time off")
        ).to_have_count(0)
        expect(desk.get_by_role("cell", name="Dentist")).to_be_visible()
        _shot(desk, "5-time-off-after-cancel-desk")
    finally:
        desk_context.close()
    visit.refresh_from_db()
    assert visit.status in {
        Appointment.Status.CANCELLED,
        Appointment.Status.LATE_CANCELLED,
    }
    assert "Dentist" in visit.cancellation_reason


def test_a_skipped_hour_is_a_sentence_on_the_page(page, therapist):
    WorkingHours.objects.create(
        therapist=therapist,
        location=LocationFactory(time_zone="America/New_York"),
        weekday=0,
        starts_at=time(9),
        ends_at=time(17),
    )
    sign_in_through_the_page(page, "therapist")
    page.goto(f"/schedules/{therapist.pk}/time-off/")
    page.get_by_label("From (date)").fill("2026-03-08")
    page.get_by_label("From (time)").fill("02:30")
    page.get_by_label("Until (date)").fill("2026-03-08")
    page.get_by_label("Until (time)").fill("09:00")
    page.get_by_role("button", name="Add time off").click()

    expect(page.get_by_role("alert")).to_contain_text(
        "does not exist in America/New_York"
    )
    _shot(page, "6-time-off-skipped-hour")
    assert not TimeOff.objects.exists()


def test_the_manager_takes_hours_away_and_sees_the_visit_left_outside(
    page, therapist, manager
):
    manhattan = LocationFactory(name="Manhattan", time_zone="America/New_York")
    WorkingHours.objects.create(
        therapist=therapist,
        location=manhattan,
        weekday=1,
        starts_at=time(9),
        ends_at=time(17),
    )
    AppointmentFactory(
        therapist=therapist,
        location=manhattan,
        room=RoomFactory(location=manhattan, name="Maple Room"),
        client=ClientFactory(first_name="Amy", last_name="Stone"),
        starts_at=datetime(2026, 12, 15, 15, tzinfo=UTC),
    )
    sign_in_through_the_page(page, "manager")
    page.goto("/schedules/")
    _shot(page, "7-schedules-list-manager")
    page.get_by_role("link", name="Weekly hours of Tara Hands").click()
    page.get_by_role("button", name=re.compile("Remove Tuesday 09:00")).click()

    expect(page.get_by_text("Hours removed.")).to_be_visible()
    row = page.get_by_role(
        "table", name="Booked visits outside these hours"
    ).get_by_role("row", name=re.compile("Amy Stone"))
    expect(row).to_contain_text("does not work at Manhattan on Tuesdays")
    expect(row.get_by_role("link", name=re.compile("Move"))).to_be_visible()
    expect(row.get_by_role("button", name="Cancel with notice")).to_be_visible()
    _shot(page, "8-week-editor-visit-outside-hours-manager")
