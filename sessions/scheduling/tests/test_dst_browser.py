"""The day view on the autumn change, as the desk sees it (real Chromium)."""

from __future__ import annotations

from datetime import date, time

import pytest
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
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

AUTUMN = date(2026, 11, 1)  # New York: 01:00-02:00 happens twice


def test_the_repeated_autumn_hour_is_its_own_rows_and_a_visit_spans_its_real_time(
    page, front_desk, screenshot
):
    location = LocationFactory(
        name="Night Clinic",
        time_zone="America/New_York",
        opens_at=time(0),
        closes_at=time(4),
    )
    therapist = TherapistFactory(user=UserFactory(first_name="Tess", last_name="Night"))
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    WorkingHours.objects.create(
        therapist=therapist,
        location=location,
        weekday=6,
        starts_at=time(0),
        ends_at=time(4),
    )
    start = local_datetime(AUTUMN, time(1, 30), location)  # the first 01:30 (EDT)
    AppointmentFactory(
        client=ClientFactory(first_name="Nora", last_name="Owl"),
        therapist=therapist,
        location=location,
        room=RoomFactory(location=location),
        starts_at=start,
        ends_at=local_datetime(AUTUMN, time(2), location),  # 90 real minutes later
    )
    sign_in_through_the_page(page, front_desk.username)
    page.goto(f"/calendar/?location={location.pk}&date={AUTUMN}")

    rows = page.get_by_role("rowheader")
    expect(rows.filter(has_text="1:00 AM EDT")).to_have_count(1)
    expect(rows.filter(has_text="1:00 AM EST")).to_have_count(1)
    expect(rows).to_have_count(5 * 4)  # 00:00-04:00 is five real hours that day
    visit = page.get_by_role("link", name="Nora Owl")
    expect(visit).to_be_visible()
    expect(page.locator("td.block")).to_have_attribute("rowspan", "6")
    screenshot("day_view_autumn_change")
