"""A new intake version moves the intake's flags with it, and the chart says how."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from clients.intake_services import client_today, history_submit
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.tests.factories import AppointmentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def patient(therapist, manager):
    client = ClientFactory(first_name="Grace", last_name="Okafor")
    AppointmentFactory(
        client=client,
        therapist=therapist,
        starts_at=timezone.now() + timedelta(days=2),
    )
    seven_weeks_ago = timezone.now() - timedelta(weeks=7)
    then = client_today(client, seven_weeks_ago)
    history_submit(
        client=client,
        data={
            "chief_complaint": "Low back pain in pregnancy",
            "pain_areas": ["lower_back"],
            "pregnant": True,
            "pregnancy_weeks": 24,
            "surgeries": [
                {
                    "procedure": "Knee arthroscopy",
                    "date": (then - timedelta(days=20)).isoformat(),
                    "site": "knee_left",
                }
            ],
            "consent_name": "Grace Okafor",
        },
        submitted_by=manager,
        now=seven_weeks_ago,
        context=AuditContext.system("test"),
    )
    return client


def _log_in(page, username: str) -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_a_new_version_updates_the_pregnancy_flag_and_the_chart_lists_the_changes(
    page, screenshot, patient, therapist
):
    today = client_today(patient, timezone.now())
    _log_in(page, "therapist")
    page.goto(reverse("clients:history", args=[patient.pk]))
    flags = page.get_by_role("list", name="Open safety flags")
    pregnancy = flags.get_by_role("listitem", name="Pregnancy")
    expect(pregnancy).to_contain_text("24 weeks")
    pregnancy_id = pregnancy.get_by_role("link", name="Edit Pregnancy").get_attribute(
        "href"
    )

    page.get_by_role("link", name="Record a new version").click()
    expect(page.get_by_label("Weeks of pregnancy")).to_have_value("24")
    page.get_by_label("Weeks of pregnancy").fill("31")
    # The knee surgery is no longer on the form.
    page.get_by_label("Operation").first.fill("")
    page.get_by_label("Date").first.fill("")
    page.get_by_label("Site").first.select_option(label="(not specific)")
    page.get_by_label(re.compile("I consent to massage therapy")).check()
    page.get_by_label("Type your full name to sign").fill("Grace Okafor")
    page.get_by_role("button", name="Save the history").click()

    expect(page.get_by_text("Medical history version 2 saved")).to_be_visible()
    expect(page.get_by_text("Updated safety flags: Pregnancy.")).to_be_visible()
    pregnancy = flags.get_by_role("listitem", name="Pregnancy")
    expect(pregnancy).to_contain_text(f"31 weeks on {today:%Y-%m-%d}")
    expect(pregnancy).to_contain_text("From the intake form (version 2)")
    # The same flag, updated in place: its edit link still names it.
    expect(pregnancy.get_by_role("link", name="Edit Pregnancy")).to_have_attribute(
        "href", pregnancy_id
    )
    expect(flags.get_by_role("listitem")).to_have_count(1)

    changes = page.get_by_role("list", name="What version 2 did to the safety flags")
    expect(changes.get_by_role("listitem")).to_have_count(2)
    expect(changes.get_by_role("listitem").first).to_have_text(
        f"Updated: Pregnancy (24 -> 31 weeks on {today:%Y-%m-%d})"
    )
    expect(changes.get_by_role("listitem").last).to_have_text(
        "Resolved: Recent surgery (under 6 weeks), left knee "
        f"(superseded by the history of {today:%Y-%m-%d})"
    )
    page.get_by_text(re.compile(r"Resolved flags \(1\)")).click()
    resolved = page.get_by_role("list", name="Resolved safety flags")
    expect(resolved).to_contain_text(f"superseded by the history of {today:%Y-%m-%d}")
    screenshot("flags_follow_history")
