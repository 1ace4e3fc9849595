"""The clinic policy's durations in words, in the admin a manager uses (issue 13)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from massageclinic.models import clinic_policy
from massageclinic.tests.signing_in import sign_in_through_the_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def test_the_manager_reads_and_types_policy_durations_in_words(
    page, screenshot, manager
):
    clinic_policy()
    sign_in_through_the_page(page, "manager")
    page.goto("/admin/clinic/clinicpolicy/1/change/")
    window = page.get_by_label("Late cancel window")
    expect(window).to_have_value("24 hours")
    expect(page.get_by_label("Client link lifetime")).to_have_value("14 days")
    expect(page.get_by_label("Message grace")).to_have_value("3 minutes")
    screenshot("admin-policy-durations")

    window.fill("2 hours 30 minutes")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("was changed successfully")).to_be_visible()
    expect(page.get_by_role("cell", name="2 hours 30 minutes")).to_be_visible()
    expect(page.get_by_role("cell", name="48 hours")).to_be_visible()
    screenshot("admin-policy-list")
    assert str(clinic_policy().late_cancel_window) == "2:30:00"
