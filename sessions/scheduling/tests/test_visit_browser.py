"""The desk checks a client in, moves a visit and cancels late (real Chromium)."""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.tests.factories import AppointmentFactory
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def setting(therapist):
    location = LocationFactory(name="Riverside Medical Massage", time_zone="UTC")
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(0),
            ends_at=time(23, 45),
        )
    return location, RoomFactory(location=location, name="Maple Room")


def _soon(hours: int) -> datetime:
    now = timezone.now().replace(second=0, microsecond=0)
    return now - timedelta(minutes=now.minute % 15) + timedelta(hours=hours)


def _visit(therapist, setting, starts_at, first_name):
    location, room = setting
    return AppointmentFactory(
        client=ClientFactory(first_name=first_name, last_name="Okafor"),
        therapist=therapist,
        location=location,
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )


def _log_in(page):
    sign_in_through_the_page(page, "frontdesk")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_check_in_move_and_cancel_late(
    page, screenshot, front_desk, therapist, setting
):
    arriving = _visit(therapist, setting, _soon(1), "Grace")
    tomorrow = (timezone.now() + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    moving = _visit(therapist, setting, tomorrow, "Henry")
    late = _visit(therapist, setting, _soon(3), "Ivy")
    _log_in(page)

    page.goto(f"/visits/{arriving.pk}/")
    # The check-in asks the day-of-visit health questions first (issue 10, point 4).
    page.get_by_role("link", name="Check in…").click()
    for question in page.get_by_role("radiogroup").all():
        question.get_by_text("No", exact=True).click()
    page.get_by_role("button", name="Record the answers and check in").click()
    expect(page.get_by_text("The visit is now checked in.")).to_be_visible()
    expect(page.get_by_role("button", name="Complete")).to_be_visible()
    screenshot("visit-checked-in")

    page.goto(f"/visits/{moving.pk}/")
    page.get_by_role("link", name="Move this visit…").click()
    page.get_by_label("Start time").fill("14:00")
    screenshot("visit-move-form")
    page.get_by_role("button", name="Move").click()
    expect(page.get_by_text("The visit was moved.")).to_be_visible()
    expect(
        page.get_by_text(re.compile(r"Moved from .* 10:00-11:00 .* to .* 14:00-15:00"))
    ).to_be_visible()

    page.goto(f"/visits/{late.pk}/")
    page.get_by_label("Reason for cancelling").fill("Client has a fever")
    page.get_by_role("button", name="Cancel visit").click()
    expect(page.get_by_text("The visit is late cancelled.")).to_be_visible()
    screenshot("visit-late-cancelled")
