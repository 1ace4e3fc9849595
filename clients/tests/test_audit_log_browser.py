"""The audit log in a real Chromium, as the clinic manager uses it: from the Manage
menu, filtered by a client's name, then downloaded as CSV."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, UserFactory
from massageclinic.tests.signing_in import sign_in_through_the_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def trail():
    LocationFactory(name="Riverside Medical Massage", time_zone="America/New_York")
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    omar = ClientFactory(first_name="Omar", last_name="Haddad")
    tara = UserFactory(username="tara", first_name="Tara", last_name="Hands")
    rows = [
        (tara, "view", grace, "clients.MedicalHistory", "Medical history v2"),
        (tara, "change", grace, "clinic_sessions.SessionNote", "Draft saved"),
        (tara, "view", omar, "clients.Referral", "Referral opened for editing"),
        (None, "create", grace, "clinic_sessions.VisitScreening", "Screening: clear"),
    ]
    for user, action, client, kind, summary in rows:
        AuditEvent.objects.create(
            user=user,
            action=action,
            client_id=client.pk,
            object_type=kind,
            object_id=client.pk + 100,
            summary=summary,
            ip_address="203.0.113.7",
            path=f"/clients/{client.pk}/",
        )
    return grace, omar


def test_the_manager_filters_the_audit_log_and_downloads_it(
    page, live_server, screenshot, manager, trail
):
    grace, omar = trail
    sign_in_through_the_page(page, "manager")

    page.get_by_role("button", name="Manage").click()
    page.get_by_role("link", name="Audit log").click()
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    table = page.get_by_role("table", name="Audit log rows")
    expect(table.get_by_role("link", name="Haddad, Omar")).to_be_visible()
    expect(table.get_by_text("Signed in").first).to_be_visible()  # the manager's own
    screenshot("audit-log")

    page.get_by_label("Client", exact=True).fill("okafor")
    page.get_by_label("Action", exact=True).select_option(label="Viewed")
    page.get_by_role("button", name="Filter").click()
    expect(table.get_by_role("link", name="Okafor, Grace")).to_have_count(1)
    expect(table.get_by_text("Haddad, Omar")).to_have_count(0)
    expect(table.get_by_text("Medical history v2")).to_be_visible()
    screenshot("audit-log-filtered")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download CSV").click()
    body = download.value.path().read_text(encoding="utf-8")
    assert "Medical history v2" in body and "Referral opened" not in body
    assert AuditEvent.objects.filter(
        action="export", summary__contains="1 rows"
    ).exists()

    page.get_by_label("From", exact=True).fill("2026-11-30")
    page.get_by_label("To", exact=True).fill("2026-11-01")
    page.get_by_role("button", name="Filter").click()
    expect(
        page.get_by_text("The end date cannot come before the start.")
    ).to_be_visible()
    screenshot("audit-log-bad-dates")
