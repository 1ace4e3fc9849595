"""In Chromium: a new therapist's first day, from the staff page to Today.

The manager adds her with an initial password; at her first sign-in she sets up her
authenticator app, keeps her recovery codes, and chooses her own password before any
other page opens.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from massageclinic.tests.signing_in import code_from_the_app, sign_in_through_the_page

pytestmark = pytest.mark.django_db(transaction=True)

INITIAL = "Welcome-to-the-clinic-2026"
HER_OWN = "Lavender-and-arnica-oil"


def test_a_new_therapist_sets_up_two_steps_and_her_own_password(
    page, screenshot, reference_data, manager
):
    sign_in_through_the_page(page, "manager")
    page.goto("/staff/add/")
    page.get_by_label("First name").fill("Nina")
    page.get_by_label("Last name").fill("Reyes")
    page.get_by_label("Email address").fill("nina@example.org")
    page.get_by_label("Username").fill("nreyes")
    page.get_by_role("radio", name="Therapist").check()
    page.get_by_label(re.compile(r"Initial password\W*$")).fill(INITIAL)
    page.get_by_label("Initial password again").fill(INITIAL)
    page.get_by_role("button", name="Add staff member").click()
    expect(page.get_by_text(re.compile("choose their own password"))).to_be_visible()
    page.get_by_role("button", name="Log out").click()

    page.get_by_label("Username").fill("nreyes")
    page.get_by_label("Password").fill(INITIAL)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Set up two-step sign-in")).to_be_visible()
    nina = User.objects.get(username="nreyes")
    device = TOTPDevice.objects.get(user=nina, confirmed=False)
    page.get_by_label("Code").fill(code_from_the_app(device))
    page.get_by_role("button", name="Confirm").click()
    page.get_by_role("link", name=re.compile("continue")).click()

    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    screenshot("first-sign-in-choose-password")
    page.goto("/clients/")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_label("Old password").fill(INITIAL)
    page.locator("#id_new_password1").fill(HER_OWN)
    page.get_by_label("New password confirmation").fill(HER_OWN)
    page.get_by_role("button", name="Change password").click()

    page.goto("/")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    screenshot("first-sign-in-done")
