"""A client fills in the intake on their phone; the therapist then sees the alerts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from clients.intake_services import (
    client_today,
    intake_invitation_create,
    intake_invitation_token,
)
from clients.tests.factories import ClientFactory
from conftest import SCREENSHOTS
from massageclinic.models import ClinicPolicy
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.tests.factories import AppointmentFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def patient(therapist):
    ClinicPolicy.objects.update_or_create(
        pk=1, defaults={"clinic_name": "Riverside Medical Massage"}
    )
    client = ClientFactory(
        first_name="Grace", last_name="Okafor", email="grace@example.org"
    )
    AppointmentFactory(
        client=client,
        therapist=therapist,
        starts_at=timezone.now() + timedelta(days=2),
    )
    return client


@pytest.fixture
def phone(browser, live_server, settings):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(
        base_url=live_server.url,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _snap(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def _fits_the_screen(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= window.innerWidth + 1"
    )


def _log_in(page, username: str) -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_a_client_fills_in_the_intake_on_their_phone_and_the_therapist_sees_the_alerts(
    phone, page, screenshot, patient, front_desk, therapist
):
    invitation = intake_invitation_create(
        client=patient, by=front_desk, now=timezone.now()
    )
    link = reverse("clients:intake_public", args=[intake_invitation_token(invitation)])

    phone.goto(link)
    expect(phone.get_by_text("Riverside Medical Massage", exact=True)).to_be_visible()
    expect(phone.get_by_text("Hello Grace")).to_be_visible()
    expect(phone.get_by_text("Okafor")).to_have_count(0)
    assert _fits_the_screen(phone)

    phone.get_by_label("What brings you in?").fill("Low back pain since I moved house")
    phone.get_by_label("Lower back", exact=True).check()
    phone.get_by_label("Pain right now").fill("6")
    phone.get_by_label("When and how did it start?").fill("Three weeks ago")
    phone.get_by_label("Medications you take").fill("Apixaban 5 mg twice a day")
    phone.get_by_label(re.compile("I take anticoagulants")).check()
    phone.get_by_label("I am pregnant").check()
    phone.get_by_label("Weeks of pregnancy").fill("20")
    phone.get_by_label(re.compile("What would you like to get back to")).fill(
        "Sleep through the night"
    )
    phone.get_by_label(re.compile("I consent to massage therapy")).check()
    _snap(phone, "intake-phone-form")
    # Forgetting the signature loses nothing that was typed.
    phone.get_by_role("button", name="Send to Riverside Medical Massage").click()
    expect(phone.get_by_role("alert")).to_contain_text(
        "Type your full name to sign: Type your full name to sign the consent."
    )
    expect(
        phone.get_by_text("Type your full name to sign the consent.", exact=True)
    ).to_be_visible()
    expect(phone.get_by_label("Weeks of pregnancy")).to_have_value("20")
    expect(phone.get_by_label(re.compile("I take anticoagulants"))).to_be_checked()
    assert _fits_the_screen(phone)
    _snap(phone, "intake-phone-error")

    phone.get_by_label(re.compile("I consent to massage therapy")).check()
    phone.get_by_label("Type your full name to sign").fill("Grace Okafor")
    phone.get_by_role("button", name="Send to Riverside Medical Massage").click()
    expect(phone.get_by_role("heading", name="Thank you")).to_be_visible()
    _snap(phone, "intake-phone-thanks")

    # The link is used up.
    phone.goto(link)
    expect(phone.get_by_text("already sent to the clinic")).to_be_visible()

    _log_in(page, "therapist")
    page.goto(reverse("clients:history", args=[patient.pk]))
    alerts = page.get_by_role("list", name="Safety alerts")
    expect(alerts).to_contain_text(
        "no cross-fibre friction, cupping, deep tissue, gua sha: anticoagulant"
    )
    expect(alerts).to_contain_text("side-lying, no abdominal work: pregnancy")
    expect(page.get_by_text("Low back pain since I moved house")).to_be_visible()
    expect(page.get_by_text("the client, through their intake link")).to_be_visible()
    flags = page.get_by_role("list", name="Open safety flags")
    expect(flags.get_by_role("listitem", name="Pregnancy")).to_contain_text("20 weeks")
    expect(
        flags.get_by_role("listitem", name="Anticoagulant medication")
    ).to_contain_text("Apixaban")
    screenshot("intake-therapist-history")


def test_the_front_desk_sends_a_link_and_sees_no_health_detail(
    page, screenshot, patient, front_desk
):
    _log_in(page, "frontdesk")
    page.goto(reverse("clients:history", args=[patient.pk]))
    expect(page.get_by_text("No intake yet")).to_be_visible()
    page.get_by_role("button", name="Send intake link").click()
    expect(page.get_by_text("it will be emailed to grace@example.org")).to_be_visible()
    link = page.get_by_label("Link to give the client")
    expect(link).to_have_value(re.compile(r"^http://.+/intake/.+/$"))
    expect(page.get_by_text("queued for grace@example.org")).to_be_visible()
    expect(page.get_by_role("heading", name="Safety flags")).to_have_count(0)
    screenshot("intake-front-desk-link")


def test_a_therapist_records_versions_and_sees_what_changed(
    page, screenshot, patient, therapist
):
    _log_in(page, "therapist")
    page.goto(reverse("clients:history", args=[patient.pk]))
    page.get_by_role("link", name="Fill in the intake").click()
    page.get_by_label("What brings you in?").fill("Neck pain after a fall")
    page.get_by_label("Neck", exact=True).check()
    page.get_by_label("Pain right now").fill("7")
    page.get_by_label("Operation").first.fill("Wrist fracture repair")
    page.get_by_label("Date").first.fill(
        (timezone.localdate() - timedelta(days=10)).isoformat()
    )
    page.get_by_label("Site").first.select_option(label="Right forearm and hand")
    page.get_by_label(re.compile("I consent to massage therapy")).check()
    page.get_by_label("Type your full name to sign").fill("Grace Okafor")
    screenshot("intake-staff-form")
    page.get_by_role("button", name="Save the history").click()
    expect(page.get_by_text("Medical history version 1 saved")).to_be_visible()
    flags = page.get_by_role("list", name="Open safety flags")
    surgery = flags.get_by_role("listitem", name="Recent surgery (under 6 weeks)")
    expect(surgery).to_contain_text("Wrist fracture repair")
    expect(surgery).to_contain_text("Right forearm and hand")

    # A second version starts from the first: only the changes are typed.
    page.get_by_role("link", name="Record a new version").click()
    expect(page.get_by_label("What brings you in?")).to_have_value(
        "Neck pain after a fall"
    )
    expect(page.get_by_label("Operation").first).to_have_value("Wrist fracture repair")
    page.get_by_label("Pain right now").fill("3")
    page.get_by_label("Medications you take").fill("Ibuprofen")
    page.get_by_label(re.compile("I consent to massage therapy")).check()
    page.get_by_label("Type your full name to sign").fill("Grace Okafor")
    page.get_by_role("button", name="Save the history").click()
    expect(page.get_by_text("Medical history version 2 saved")).to_be_visible()
    changes = page.get_by_role("table", name="Changes from version 1 to version 2")
    expect(changes.get_by_role("row", name=re.compile("Pain"))).to_contain_text("7/10")
    expect(changes.get_by_role("row", name=re.compile("Pain"))).to_contain_text("3/10")
    expect(changes.get_by_role("row", name=re.compile("Medications"))).to_contain_text(
        "Ibuprofen"
    )
    expect(changes.get_by_role("row")).to_have_count(3)  # the header and two changes
    # Still one open surgery flag: a new version does not double it.
    expect(
        page.get_by_role("list", name="Open safety flags").get_by_role("listitem")
    ).to_have_count(1)
    screenshot("intake-staff-changes")
    page.get_by_role("link", name="Version 1").click()
    expect(page.get_by_role("heading", name=re.compile("Version 1 of"))).to_be_visible()
    expect(page.get_by_text("7/10")).to_be_visible()


def test_a_therapist_adds_clears_and_resolves_a_flag(
    page, screenshot, patient, therapist, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    _log_in(page, "therapist")
    page.goto(reverse("clients:history", args=[patient.pk]))
    expect(page.get_by_text("No open safety flags.")).to_be_visible()
    page.get_by_role("link", name="Add a flag").click()
    page.get_by_label("Condition").select_option(label="Fever")
    page.get_by_label("Detail").fill("38.4 °C")
    page.get_by_role("button", name="Add the flag").click()
    expect(page.get_by_role("list", name="Safety alerts")).to_contain_text(
        "no massage until cleared: fever"
    )

    page.get_by_role("link", name="Record clearance for Fever").click()
    today = client_today(patient, timezone.now())  # the clinic's day, not UTC's
    page.get_by_label("Date of the clearance").fill(today.isoformat())
    page.get_by_role("textbox", name="Physician").fill("Dr. Ada Moss")
    page.get_by_label(re.compile("Clearance document")).set_input_files(
        files=[
            {
                "name": "clearance.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.4\n%%EOF\n",
            }
        ]
    )
    screenshot("intake-flag-clearance")
    page.get_by_role("button", name="Record the clearance").click()
    expect(page.get_by_text(re.compile("Clearance recorded: Fever"))).to_be_visible()
    expect(page.get_by_role("list", name="Safety alerts")).to_contain_text("(cleared)")
    fever = page.get_by_role("list", name="Open safety flags").get_by_role(
        "listitem", name="Fever"
    )
    expect(fever).to_contain_text("Physician clearance by Dr. Ada Moss")
    with page.expect_download() as download:
        fever.get_by_role("link", name=re.compile("Download the clearance")).click()
    assert download.value.suggested_filename.startswith("clearance")
    screenshot("intake-staff-flags")

    page.get_by_role("link", name="Resolve Fever").click()
    page.get_by_label("Why is it resolved?").fill("No fever for two days")
    page.get_by_role("button", name="Resolve the flag").click()
    expect(page.get_by_text("Safety flag resolved: Fever.")).to_be_visible()
    expect(page.get_by_role("list", name="Safety alerts")).to_have_count(0)
    expect(page.get_by_text("Resolved flags (1)")).to_be_visible()
