"""A documented visit's page: no cancel, move or no-show, and why (real Chromium)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import Appointment, SessionNote
from sessions.tests.factories import AppointmentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def documented(therapist):
    """A visit that began half an hour ago: checked in, its note signed just now."""
    location = LocationFactory(name="Riverside Medical Massage", time_zone="UTC")
    now = timezone.now().replace(second=0, microsecond=0)
    starts_at = now - timedelta(minutes=30 + now.minute % 15)
    visit = AppointmentFactory(
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        therapist=therapist,
        location=location,
        room=RoomFactory(location=location, name="Maple Room"),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        status=Appointment.Status.CHECKED_IN,
    )
    note = SessionNote.objects.create(
        appointment=visit, therapist=therapist, complaint="Low back pain"
    )
    note.signed_at, note.signed_by = now, therapist.user
    note.content_sha256 = "d" * 64
    note.save()
    return visit


def test_the_manager_sees_why_a_documented_visit_cannot_be_cancelled_or_moved(
    page, screenshot, manager, documented
):
    sign_in_through_the_page(page, "manager")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()

    page.goto(f"/visits/{documented.pk}/")
    card = page.get_by_role("region", name="Documented visit")
    expect(card).to_contain_text("This visit is documented: its note was signed on")
    expect(card).to_contain_text("by Tara Hands")
    expect(card).to_contain_text("add an addendum to the note")
    expect(card.get_by_role("link", name="Open the note")).to_have_attribute(
        "href", f"/visits/{documented.pk}/note/"
    )
    expect(page.get_by_role("button", name="Cancel visit")).to_have_count(0)
    expect(page.get_by_role("link", name="Move this visit…")).to_have_count(0)
    expect(page.get_by_role("button", name="No-show")).to_have_count(0)
    expect(page.get_by_label("Reason for cancelling")).to_have_count(0)
    expect(page.get_by_role("button", name="Complete")).to_be_visible()
    screenshot("documented_visit")
