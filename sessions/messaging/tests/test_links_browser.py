"""On a phone, without logging in, the client cancels through the link (real Chromium)."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.messaging.links import Action, visit_link_url
from sessions.models import Appointment
from sessions.scheduling.booking import Confirmation, appointment_book
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def visit():
    location = LocationFactory(time_zone="America/New_York", phone="(518) 555-0142")
    therapist = TherapistFactory(user__first_name="Tara")
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(7),
            ends_at=time(21),
        )
    now = timezone.now()
    day = now.astimezone(location.zone).date() + timedelta(days=4)
    return appointment_book(
        client=ClientFactory(first_name="Grace"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location),
        starts_at=local_datetime(day, time(10), location),
        duration_minutes=60,
        booked_by=UserFactory(),
        now=now,
        confirmation=Confirmation(safety_acknowledged=True),
    )


def _path(visit: Appointment, action: Action) -> str:
    return "/" + visit_link_url(appointment=visit, action=action).split("/", 3)[3]


def test_the_client_confirms_then_cancels_from_a_phone(page, screenshot, visit):
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(_path(visit, Action.CONFIRM))
    page.get_by_role("button", name="Confirm my visit").click()
    expect(page.get_by_role("heading", name="Your visit is confirmed")).to_be_visible()
    expect(page.get_by_text("With")).to_be_visible()

    page.goto(_path(visit, Action.CANCEL))
    expect(page.get_by_role("heading", name="Cancel your visit?")).to_be_visible()
    screenshot("link-cancel-ask")
    page.get_by_role("button", name="Cancel my visit").click()
    expect(page.get_by_role("heading", name="Your visit is cancelled")).to_be_visible()
    screenshot("link-cancel-done")

    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED


def test_a_tampered_link_shows_a_plain_page(page, screenshot, visit):
    page.set_viewport_size({"width": 390, "height": 844})
    path = _path(visit, Action.CANCEL)
    page.goto(path.replace("/cancel/", "x/cancel/"))
    expect(page.get_by_role("heading", name="This link cannot be used")).to_be_visible()
    expect(page.get_by_text("This link is not valid")).to_be_visible()
    screenshot("link-tampered")
