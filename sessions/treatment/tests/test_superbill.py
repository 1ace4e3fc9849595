"""Superbills: CPT codes and units from signed notes only, per visit or per period,
under the payer's rule or the clinic's; who may download one."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
    PayerFactory,
)
from massageclinic.models import AuditEvent, BillingUnitRule, clinic_policy
from sessions.tests.factories import (
    FIRST_VISIT,
    AppointmentFactory,
    referral_for,
    shared_place,
    signed_visit,
)
from sessions.treatment.superbill import superbill
from sessions.treatment.tests.test_pdf_report import pdf_text

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 20, 14, tzinfo=UTC)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def grace():
    return ClientFactory(
        first_name="Grace",
        last_name="Okafor",
        address_line1="12 Elm Street",
        city="Albany",
        state="NY",
        postal_code="12203",
    )


@pytest.fixture
def place():
    return shared_place()


def _visit(client, therapist, place, week: int = 0, **kwargs):
    kwargs.setdefault("minutes", {"swedish": 30, "trigger-point": 23})
    return signed_visit(
        client=client,
        therapist=therapist,
        place=place,
        starts_at=FIRST_VISIT + timedelta(weeks=week),
        **kwargs,
    )


def _units(bill) -> dict[str, int]:
    found: dict[str, int] = {}
    for line in bill.lines:
        found[line.cpt_code] = found.get(line.cpt_code, 0) + line.units
    return found


def test_53_timed_minutes_are_4_units_split_by_the_8_minute_rule(
    grace, therapist, place
):
    visit = _visit(
        grace, therapist, place, minutes={"swedish": 30, "trigger-point": 23}
    )
    bill = superbill(client=grace, visit=visit)
    assert _units(bill) == {"97124": 2, "97140": 2}
    assert bill.total_units == 4
    assert [line.minutes for line in bill.lines] == [30, 23]


def test_untimed_hot_packs_and_codeless_techniques_are_not_counted(
    grace, therapist, place
):
    visit = _visit(
        grace,
        therapist,
        place,
        minutes={"swedish": 38, "hot-cold-packs": 15, "reflexology": 20},
    )
    bill = superbill(client=grace, visit=visit)
    assert _units(bill) == {"97124": 3}


def test_a_period_counts_only_signed_notes_of_its_days(grace, therapist, place):
    _visit(grace, therapist, place, week=0, minutes={"swedish": 53})
    _visit(grace, therapist, place, week=1, minutes={"swedish": 60}, signed=False)
    _visit(grace, therapist, place, week=2, minutes={"swedish": 23})
    _visit(grace, therapist, place, week=5, minutes={"swedish": 60})  # April 7
    bill = superbill(client=grace, period=MARCH)
    assert [(line.day, line.units) for line in bill.lines] == [
        (date(2026, 3, 3), 4),
        (date(2026, 3, 17), 2),
    ]
    assert bill.total_units == 6 and bill.visit_count == 2


def test_the_payers_per_code_rule_wins_over_the_clinics(grace, therapist, place):
    payer = PayerFactory(
        name="Empire Health", billing_unit_rule=BillingUnitRule.PER_CODE
    )
    authorization = AuthorizationFactory(
        policy=InsurancePolicyFactory(client=grace, payer=payer), number="AUTH-1"
    )
    # 20 + 20: the CMS rule bills 3 units on the total of 40; per code, 1 + 1.
    visit = _visit(
        grace,
        therapist,
        place,
        minutes={"swedish": 20, "trigger-point": 20},
        authorization=authorization,
    )
    assert superbill(client=grace, visit=visit).total_units == 2
    payer.billing_unit_rule = ""
    payer.save()
    assert superbill(client=grace, visit=visit).total_units == 3


def test_the_clinics_rule_applies_without_insurance(grace, therapist, place):
    policy = clinic_policy()
    policy.billing_unit_rule = BillingUnitRule.PER_CODE
    policy.save()
    visit = _visit(
        grace, therapist, place, minutes={"swedish": 20, "trigger-point": 20}
    )
    assert superbill(client=grace, visit=visit).total_units == 2


def test_codes_the_payer_refuses_are_left_off_and_named(grace, therapist, place):
    payer = PayerFactory(name="Strict Care", refused_cpt_codes=["97140"])
    InsurancePolicyFactory(client=grace, payer=payer)
    visit = _visit(
        grace, therapist, place, minutes={"swedish": 30, "trigger-point": 23}
    )
    bill = superbill(client=grace, visit=visit)
    assert _units(bill) == {"97124": 2}
    assert bill.not_billed == ["97140"]


def test_the_pdf_carries_clinic_therapist_client_insurance_and_codes(
    client, front_desk, grace, therapist, place
):
    policy = clinic_policy()
    policy.clinic_name = "Riverside Medical Massage"
    policy.save()
    therapist.npi = "1234567893"
    therapist.license_number = "MT-004321"
    therapist.save()
    referral = referral_for(grace)
    authorization = AuthorizationFactory(
        policy=InsurancePolicyFactory(
            client=grace, payer=PayerFactory(name="Empire Health"), member_id="XJH123"
        ),
        referral=referral,
        number="AUTH-7788",
    )
    visit = _visit(
        grace, therapist, place, referral=referral, authorization=authorization
    )
    client.force_login(front_desk)
    response = client.get(reverse("sessions:superbill", args=[visit.pk]))
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content)
    for expected in [
        "Riverside Medical Massage",
        "120 Main Street, Albany, NY 12207",
        "(518) 555-0100",
        "Tara Hands, LMT",
        "MT-004321",
        "NPI 1234567893",
        "Grace Okafor",
        "May 17, 1980",
        "12 Elm Street",
        "Empire Health",
        "XJH123",
        "AUTH-7788",
        "M54.50",
        "M62.830",
        "03/03/2026",
        "97124",
        "97140",
    ]:
        assert expected in text, expected
    assert AuditEvent.objects.filter(
        action="download", client_id=grace.pk, summary__contains="superbill"
    ).exists()


def test_a_visit_without_a_signed_note_has_no_superbill(
    client, front_desk, grace, therapist, place
):
    visit = _visit(grace, therapist, place, signed=False)
    client.force_login(front_desk)
    response = client.get(reverse("sessions:superbill", args=[visit.pk]))
    assert response.status_code == 409
    assert "no signed note yet" in response.content.decode()


def test_the_period_superbill_asks_for_dates_and_checks_them(
    client, front_desk, grace, therapist, place
):
    _visit(grace, therapist, place)
    client.force_login(front_desk)
    url = reverse("sessions:client_superbill", args=[grace.pk])
    form = client.get(url)
    assert form.status_code == 200 and 'name="from"' in form.content.decode()
    bad = client.get(url, {"from": "2026-03-31", "to": "2026-03-01"})
    assert bad.status_code == 400
    assert "must end on or after its start" in bad.content.decode()
    nonsense = client.get(url, {"from": "soon", "to": ""})
    assert nonsense.status_code == 400
    empty = client.get(url, {"from": "2026-01-01", "to": "2026-01-31"})
    assert "No signed visits between Jan 1, 2026 and Jan 31, 2026" in (
        empty.content.decode()
    )
    march = client.get(url, {"from": "2026-03-01", "to": "2026-03-31"})
    assert march["Content-Type"] == "application/pdf"
    assert "Dates of service Mar 1, 2026 to Mar 31, 2026" in pdf_text(march.content)


def test_who_may_download_a_superbill(
    client, front_desk, manager, therapist, other_therapist, grace, place
):
    visit = _visit(grace, therapist, place)
    urls = [
        reverse("sessions:superbill", args=[visit.pk]),
        reverse("sessions:client_superbill", args=[grace.pk])
        + "?from=2026-03-01&to=2026-03-31",
    ]
    for user in (front_desk, manager, therapist.user):
        client.force_login(user)
        for url in urls:
            assert client.get(url).status_code == 200, (user, url)
    client.force_login(other_therapist.user)
    for url in urls:
        assert client.get(url).status_code == 404, url
    # A therapist who treats the client (any visit with them) may.
    AppointmentFactory(client=grace, therapist=other_therapist)
    assert client.get(urls[0]).status_code == 200
