"""A therapist reads what a client wrote under other conditions and marks it
harmless; the desk saw only that a review was needed (real Chromium)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import MedicalHistory
from clients.tests.factories import ClientFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.tests.factories import AppointmentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

WORDS = "pulmonary embolism in 2024, on no medication since"


@pytest.fixture
def grace(therapist):
    patient = ClientFactory(first_name="Grace", last_name="Okafor")
    AppointmentFactory(client=patient, therapist=therapist)  # Tara treats her
    now = timezone.now()
    MedicalHistory.objects.create(
        client=patient,
        version=1,
        submitted_at=now - timedelta(days=1),
        chief_complaint="Low back pain",
        other_conditions=WORDS,
        consent_name="Grace Okafor",
        consent_signed_at=now - timedelta(days=1),
    )
    return patient


def _log_in(page, username: str) -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_a_therapist_marks_typed_conditions_harmless(
    page, screenshot, front_desk, therapist, grace
):
    _log_in(page, "frontdesk")
    panel = page.get_by_role("region", name="Needs a therapist's review")
    expect(panel).to_contain_text("Grace Okafor")
    expect(panel).not_to_contain_text("embolism")
    expect(panel.get_by_role("link", name=re.compile("Review"))).to_have_count(0)
    page.get_by_role("button", name="Log out").click()

    _log_in(page, "therapist")
    page.get_by_role("region", name="Needs a therapist's review").get_by_role(
        "link", name="Review the intake of Grace Okafor"
    ).click()
    expect(page.get_by_text(WORDS)).to_be_visible()
    expect(page.get_by_role("link", name="Add a safety flag")).to_be_visible()
    page.get_by_label("Harmless: no flag is needed").check()
    page.get_by_label("Note").fill("Resolved in 2024; cleared by her physician")
    screenshot("history_review")
    page.get_by_role("button", name="Record the review").click()

    expect(page.get_by_text("is reviewed")).to_be_visible()
    expect(page.get_by_role("region", name="Needs a therapist's review")).to_have_count(
        0
    )
