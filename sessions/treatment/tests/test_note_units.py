"""Billing units of a note: the visit's rule over its technique minutes by CPT code."""

from __future__ import annotations

import pytest

from clients.tests.factories import (
    AuthorizationFactory,
    InsurancePolicyFactory,
    PayerFactory,
)
from massageclinic.models import BillingUnitRule, clinic_policy
from sessions.models import NoteTechnique, SessionNote
from sessions.tests.factories import AppointmentFactory
from sessions.treatment.billing import note_units, units_breakdown
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

CMS, PER_CODE = BillingUnitRule.CMS_8_MINUTE, BillingUnitRule.PER_CODE

# swedish, deep-tissue: 97124 timed · myofascial-release, trigger-point: 97140 timed
# hot-cold-packs: 97010 untimed · reflexology: no code
CASES = [
    # (rule, {modality slug: minutes}, expected units by code)
    pytest.param(
        CMS,
        {"swedish": 33, "myofascial-release": 7},
        {"97124": 2, "97140": 1},
        id="the CMS example: 33 + 7 minutes are 2 + 1 units",
    ),
    pytest.param(CMS, {"swedish": 7}, {}, id="7 minutes alone bill nothing"),
    pytest.param(CMS, {"swedish": 8}, {"97124": 1}, id="8 minutes are 1 unit"),
    pytest.param(CMS, {"swedish": 22}, {"97124": 1}, id="22 minutes are still 1"),
    pytest.param(CMS, {"swedish": 23}, {"97124": 2}, id="23 minutes are 2"),
    pytest.param(CMS, {"swedish": 53}, {"97124": 4}, id="53 minutes are 4"),
    pytest.param(CMS, {"swedish": 68}, {"97124": 5}, id="68 minutes are 5 units"),
    pytest.param(
        CMS,
        {"swedish": 10, "deep-tissue": 10},
        {"97124": 1},
        id="two modalities of one code add up",
    ),
    pytest.param(
        CMS,
        {"swedish": 7, "trigger-point": 7},
        {"97140": 1},
        id="14 timed minutes in all: 1 unit, to the code with most left over",
    ),
    pytest.param(
        CMS,
        {"swedish": 20, "hot-cold-packs": 15},
        {"97124": 1},
        id="untimed packs do not count",
    ),
    pytest.param(CMS, {"reflexology": 30}, {}, id="no CPT code, nothing to bill"),
    pytest.param(
        PER_CODE,
        {"swedish": 10, "trigger-point": 10},
        {"97124": 1, "97140": 1},
        id="per code: 10 + 10 minutes are 1 + 1 units",
    ),
    pytest.param(
        PER_CODE,
        {"swedish": 33, "myofascial-release": 7},
        {"97124": 2},
        id="per code: 7 minutes of a code bill nothing",
    ),
]


def _note(minutes: dict[str, int], **visit) -> SessionNote:
    appointment = AppointmentFactory(status="checked_in", **visit)
    note = SessionNote.objects.create(
        appointment=appointment, therapist=appointment.therapist
    )
    for slug, spent in minutes.items():
        NoteTechnique.objects.create(note=note, modality=modality(slug), minutes=spent)
    return note


@pytest.mark.parametrize(("rule", "minutes", "expected"), CASES)
def test_units_under_the_clinics_rule(rule, minutes, expected):
    policy = clinic_policy()
    policy.billing_unit_rule = rule
    policy.save()
    assert note_units(_note(minutes)) == expected


@pytest.mark.parametrize(("rule", "minutes", "expected"), CASES)
def test_units_under_the_payers_rule(rule, minutes, expected):
    # The clinic's rule is the other one: the payer's wins.
    policy = clinic_policy()
    policy.billing_unit_rule = PER_CODE if rule == CMS else CMS
    policy.save()
    payer = PayerFactory(billing_unit_rule=rule)
    authorization = AuthorizationFactory(policy=InsurancePolicyFactory(payer=payer))
    note = _note(minutes, authorization=authorization)
    assert note_units(note) == expected


def test_a_payer_without_a_rule_follows_the_clinic():
    policy = clinic_policy()
    policy.billing_unit_rule = PER_CODE
    policy.save()
    authorization = AuthorizationFactory(
        policy=InsurancePolicyFactory(payer=PayerFactory(billing_unit_rule=""))
    )
    note = _note({"swedish": 10, "trigger-point": 10}, authorization=authorization)
    assert note_units(note) == {"97124": 1, "97140": 1}


def test_codes_the_payer_refuses_are_not_billed_to_it():
    payer = PayerFactory(refused_cpt_codes=["97140"])
    authorization = AuthorizationFactory(policy=InsurancePolicyFactory(payer=payer))
    note = _note({"swedish": 30, "myofascial-release": 15}, authorization=authorization)
    assert note_units(note) == {"97124": 2}
    breakdown = units_breakdown(
        appointment=note.appointment,
        techniques=[(modality("swedish"), 30), (modality("myofascial-release"), 15)],
    )
    refused = [c for c in breakdown.codes if c.refused]
    assert [(c.code, c.minutes) for c in refused] == [("97140", 15)]


def test_the_breakdown_explains_unbilled_minutes():
    appointment = AppointmentFactory(status="checked_in")
    breakdown = units_breakdown(
        appointment=appointment,
        techniques=[
            (modality("swedish"), 40),
            (modality("hot-cold-packs"), 10),
            (modality("reflexology"), 15),
        ],
    )
    assert breakdown.units == {"97124": 3}
    assert breakdown.timed_minutes == 40
    assert breakdown.untimed == ["Hot or cold packs (97010)"]
    assert breakdown.not_billable == ["Reflexology"]
    assert breakdown.total_minutes == 65
    assert breakdown.over_visit_length  # a 60-minute visit
