"""The front desk records a referral with its scan, a policy and an authorization, and
watches the authorization's bar on the chart and in the desk's list (real Chromium)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.intake_services import client_today
from clients.models import Authorization, Referral
from clients.tests.factories import (
    PDF_BYTES,
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
    PayerFactory,
    ReferralFactory,
)
from massageclinic.tests.factories import LocationFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.tests.factories import AppointmentFactory, visit_with_note

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _log_in(page, username: str) -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_the_front_desk_records_a_referral_and_an_authorization(
    page, screenshot, front_desk
):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    PayerFactory(name="Empire Health")
    LocationFactory(time_zone="America/New_York")  # the clinic, before its visits
    # Live-server tests run on the real clock; the clinic's day, not UTC's.
    today = client_today(grace, timezone.now())
    referred_on = today - timedelta(days=10)
    _log_in(page, "frontdesk")

    page.goto(f"/clients/{grace.pk}/referrals/")
    expect(page.get_by_text("No referrals on file.")).to_be_visible()
    page.get_by_role("link", name="Add a referral").click()
    expect(page.get_by_role("heading", name="New referral")).to_be_visible()

    page.get_by_label("Name", exact=True).fill("Dr. Ana Ruiz")
    page.get_by_label("Credentials").fill("DC")
    page.get_by_label("NPI").fill("1234567890")  # a wrong check digit, first
    page.get_by_label("Practice").fill("Albany Spine & Sports")
    page.get_by_label("Phone").fill("(518) 555-0142")
    page.get_by_label("Fax").fill("(518) 555-0143")
    page.get_by_label("Referral date").fill(referred_on.isoformat())
    page.get_by_label("Expires on").fill((today + timedelta(days=60)).isoformat())
    page.get_by_label("Visits authorized").fill("12")
    page.get_by_label("ICD-10 codes").fill("m54.50, m62.830")
    page.get_by_label("Diagnosis").fill("Low back pain with spasm")
    page.get_by_label("Myofascial release (97140)").check()
    page.get_by_label("Swedish (97124)").check()
    page.get_by_label("Lower back").check()
    page.get_by_label("Visits per week").fill("2")
    page.get_by_label("For how many weeks").fill("6")
    page.get_by_label("Precautions").fill("No deep pressure over L4-L5.")
    scan = {
        "name": "ruiz-script.pdf",
        "mimeType": "application/pdf",
        "buffer": PDF_BYTES,
    }
    page.get_by_label("Scanned prescription").set_input_files(scan)
    page.get_by_role("button", name="Record the referral").click()

    expect(page.get_by_text("1234567890 is not a valid NPI")).to_be_visible()
    expect(page.get_by_text("choose the file again")).to_be_visible()
    expect(page.get_by_label("ICD-10 codes")).to_have_value("m54.50, m62.830")
    expect(page.get_by_label("Precautions")).to_have_value(
        "No deep pressure over L4-L5."
    )
    screenshot("referral-form-error")

    page.get_by_label("NPI").fill("1234567893")
    page.get_by_label("Scanned prescription").set_input_files(scan)
    page.get_by_role("button", name="Record the referral").click()

    expect(page.get_by_text("Referral from Dr. Ana Ruiz, DC recorded.")).to_be_visible()
    referral = page.get_by_role(
        "article", name=re.compile("Referral of .* Dr. Ana Ruiz")
    )
    expect(referral).to_contain_text("NPI 1234567893")
    expect(referral).to_contain_text("M62.830")
    expect(referral).to_contain_text("2x/week for 6 weeks")
    expect(referral).to_contain_text("expires in 60 days")
    expect(
        referral.get_by_role("progressbar", name="Prescribed visits used")
    ).to_have_attribute("aria-valuemax", "12")
    scan_link = referral.get_by_role("link", name="View the scanned prescription")
    served = page.request.get(scan_link.get_attribute("href"))
    assert served.status == 200
    assert served.headers["content-type"] == "application/pdf"
    assert served.body() == PDF_BYTES

    page.get_by_role("link", name="Add a policy").click()
    page.get_by_label("Payer", exact=True).select_option(label="Empire Health")
    page.get_by_label("Member id").fill("XJH1234567")
    page.get_by_label("Group number").fill("G-77")
    page.get_by_role("button", name="Add the policy").click()
    expect(page.get_by_text("Policy with Empire Health added.")).to_be_visible()

    page.get_by_role("link", name="Add an authorization").click()
    page.get_by_label("Insurance policy").select_option(
        label="Empire Health, member XJH1234567"
    )
    page.get_by_label("Referral").select_option(index=1)
    page.get_by_label("Authorization number").fill("A-778")
    page.get_by_label("Visits authorized").fill("12")
    page.get_by_label("Units authorized").fill("48")
    page.get_by_label("Valid from").fill(referred_on.isoformat())
    page.get_by_label("Valid to").fill((today + timedelta(days=10)).isoformat())
    screenshot("authorization-form")
    page.get_by_role("button", name="Record the authorization").click()
    expect(page.get_by_text("Authorization A-778 recorded.")).to_be_visible()

    # Ten visits happen and their notes are signed (the notes pages are not built yet).
    authorization = Authorization.objects.get(number="A-778")
    for _ in range(10):
        visit_with_note(
            client=grace,
            authorization=authorization,
            referral=Referral.objects.get(),
            minutes={"swedish": 30, "myofascial-release": 23},
        )
    page.reload()
    usage = page.get_by_role("group", name="Usage of authorization A-778")
    expect(usage.get_by_role("progressbar", name="Visits used")).to_have_attribute(
        "aria-valuetext", "10 of 12 visits used"
    )
    expect(usage.get_by_role("progressbar", name="Units used")).to_have_attribute(
        "aria-valuetext", "40 of 48 units used"
    )
    expect(usage).to_contain_text("10 of 12 authorized visits used (83%): 2 left.")
    expect(usage).to_contain_text("Expires in 10 days.")
    screenshot("referrals-tab-front-desk")

    page.get_by_role("link", name="Authorizations", exact=True).click()
    expect(page.get_by_role("heading", name="Authorizations")).to_be_visible()
    row = page.get_by_role("row", name=re.compile("Grace Okafor"))
    expect(row).to_contain_text("Empire Health")
    expect(row).to_contain_text("A-778")
    expect(row.get_by_role("progressbar", name="Visits used")).to_have_attribute(
        "aria-valuenow", "10"
    )
    page.get_by_role("link", name="Needs attention").click()
    expect(page.get_by_role("row", name=re.compile("Grace Okafor"))).to_be_visible()
    screenshot("authorizations-needs-attention")
    page.get_by_role("link", name="Grace Okafor").click()
    expect(
        page.get_by_role("heading", name="Insurance and authorizations")
    ).to_be_visible()


def test_a_treating_therapist_reads_the_referral_without_changing_it(
    page, screenshot, therapist
):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    AppointmentFactory(client=grace, therapist=therapist)
    today = client_today(grace, timezone.now())  # the clinic's day, not UTC's
    referral = ReferralFactory(
        client=grace,
        referred_on=today - timedelta(weeks=7),
        duration_weeks=6,
        expires_on=today + timedelta(days=5),
        diagnosis_codes=["S13.4XXA"],
        diagnosis_text="Whiplash after a car accident",
        body_areas=["neck", "upper_back"],
        precautions="Light pressure on the neck only.",
    )
    AuthorizationFactory(
        policy=InsurancePolicyFactory(client=grace),
        referral=referral,
        number="B-12",
        valid_from=referral.referred_on,
        valid_to=today + timedelta(days=40),
        visits_authorized=None,
        units_authorized=24,
    )
    _log_in(page, "therapist")

    page.goto(f"/clients/{grace.pk}/referrals/")

    card = page.get_by_role("article", name=re.compile("Referral of"))
    expect(card).to_contain_text("Whiplash (cervical sprain), initial encounter")
    expect(card).to_contain_text("Light pressure on the neck only.")
    expect(card).to_contain_text("Progress report due")
    expect(card).to_contain_text("Expires in 5 days.")
    expect(
        page.get_by_role("group", name="Usage of authorization B-12").get_by_role(
            "progressbar", name="Units used"
        )
    ).to_have_attribute("aria-valuetext", "0 of 24 units used")
    expect(page.get_by_role("link", name="Add a referral")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Edit"))).to_have_count(0)
    expect(page.get_by_role("link", name="Authorizations", exact=True)).to_have_count(0)
    screenshot("referrals-tab-therapist")


def test_the_front_desk_corrects_a_policy_member_id(page, screenshot, front_desk):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    InsurancePolicyFactory(
        client=grace,
        payer=PayerFactory(name="Aetna"),
        member_id="W1234",
        group_number="G-77",
    )
    _log_in(page, "frontdesk")

    page.goto(f"/clients/{grace.pk}/referrals/")
    page.get_by_role("link", name="Edit the policy with Aetna").click()
    expect(
        page.get_by_role("heading", name="Edit the policy with Aetna")
    ).to_be_visible()
    expect(page.get_by_label("Payer")).to_be_disabled()
    expect(page.get_by_label("Payer")).to_have_value("Aetna")
    expect(page.get_by_label("Member id")).to_have_value("W1234")
    expect(page.get_by_label("Active")).to_be_checked()

    page.get_by_label("Member id").fill("W1243")
    page.get_by_label("Subscriber").fill("Ben Okafor")
    screenshot("policy_edit")
    page.get_by_role("button", name="Save the policy").click()

    expect(page.get_by_text("Policy with Aetna updated.")).to_be_visible()
    policy = page.get_by_role("article", name="Aetna")
    expect(policy).to_contain_text("Member W1243 · group G-77 · subscriber Ben Okafor")
    assert page.url.endswith(f"#policy-{grace.insurance_policies.get().pk}")
    screenshot("policy_edit_saved")
