"""In Chromium: a therapist sets up two-step sign-in, signs in with a code; idle logoff."""

from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from massageclinic.tests.signing_in import PASSWORD, code_from_the_app

pytestmark = pytest.mark.django_db(transaction=True)


def _password(page, username: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_a_therapist_sets_up_the_app_then_signs_in_with_its_code(
    page, screenshot, reference_data, therapist
):
    _password(page, "therapist")

    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    screenshot("two-factor-setup")
    device = TOTPDevice.objects.get(user=therapist.user, confirmed=False)
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Confirm").click()
    expect(page.get_by_text("That code did not match")).to_be_visible()
    device.throttle_reset()
    page.get_by_label("Code").fill(code_from_the_app(device))
    page.get_by_role("button", name="Confirm").click()

    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    screenshot("two-factor-recovery-codes")
    page.get_by_role("link", name=re.compile("continue")).click()
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    _password(page, "therapist")
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    screenshot("two-factor-code")
    page.get_by_label("Code").fill(code_from_the_app(device))
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_an_idle_page_warns_offers_to_stay_then_signs_out(
    page, screenshot, reference_data, front_desk, settings
):
    settings.CLINIC_IDLE_LOGOFF_SECONDS = 8
    settings.CLINIC_IDLE_WARNING_SECONDS = 5
    _password(page, "frontdesk")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()

    warning = page.get_by_role("alertdialog", name="Still there?")
    expect(warning).to_be_visible(timeout=8_000)
    screenshot("idle-warning")
    page.get_by_role("button", name="Stay signed in").click()
    expect(warning).to_be_hidden()

    expect(warning).to_be_visible(timeout=8_000)
    expect(
        page.get_by_text(re.compile("signed out after .* without activity"))
    ).to_be_visible(timeout=10_000)
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    screenshot("idle-signed-out")
