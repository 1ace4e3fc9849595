"""The desk sees a booked visit a new flag affects, and changes its technique in
place (real Chromium)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Condition
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from conftest import PASSWORD
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.models import Appointment
from sessions.tests.factories import AppointmentFactory
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def booked_deep_tissue(therapist, front_desk):
    """Grace is booked for deep tissue in two days; then her anticoagulant is flagged."""
    # Live-server tests run on the real clock: a visit at noon, New York time.
    location = LocationFactory(
        name="Riverside Medical Massage", time_zone="America/New_York"
    )
    for slug in ("swedish", "deep-tissue"):
        Training.objects.create(therapist=therapist, modality=modality(slug))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(8),
            ends_at=time(18),
        )
    day = timezone.now().astimezone(location.zone).date() + timedelta(days=2)
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=location.zone)
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    visit = AppointmentFactory(
        location=location,
        therapist=therapist,
        room=RoomFactory(location=location, name="Room 1"),
        client=grace,
        modality=modality("deep-tissue"),
        starts_at=noon.astimezone(UTC),
        ends_at=noon.astimezone(UTC) + timedelta(hours=1),
        booked_by=front_desk,
    )
    contraindication_add(
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
        detail="warfarin",
        context=AuditContext.system("test"),
    )
    return visit


def test_the_desk_changes_a_ruled_out_technique_to_swedish_in_place(
    page, screenshot, front_desk, booked_deep_tissue
):
    page.goto("/")
    page.get_by_label("Username").fill("frontdesk")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    panel = page.get_by_role("region", name="Visits to review for safety")
    expect(panel).to_contain_text("Grace Okafor")
    expect(panel).to_contain_text("new since booking: no deep tissue: anticoagulant")
    expect(panel).to_contain_text("change the technique to one the rules allow")
    expect(panel.get_by_role("link", name="Reschedule")).to_be_visible()
    screenshot("safety_review_home")

    panel.get_by_role(
        "link", name="Change the technique of Grace Okafor's visit"
    ).click()
    expect(
        page.get_by_role("heading", name=re.compile("Change the technique"))
    ).to_be_visible()
    page.get_by_label("New technique").select_option(label="Swedish")
    page.get_by_role("button", name="Change technique").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "Safety alerts for the new technique"
    )
    page.get_by_label("I have read the safety alerts for this technique").check()
    screenshot("safety_review_change_technique")
    page.get_by_role("button", name="Change technique").click()

    expect(page.get_by_text("Grace Okafor's visit is now Swedish.")).to_be_visible()
    expect(
        page.get_by_role("region", name="Visits to review for safety")
    ).to_have_count(0)
    visit = Appointment.objects.get(pk=booked_deep_tissue.pk)
    assert visit.modality.slug == "swedish"
    assert visit.starts_at == booked_deep_tissue.starts_at
    screenshot("safety_review_home_done")
