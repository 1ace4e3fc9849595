"""The data migrations seed the modalities and the contraindication rules of DESIGN.md."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from clients.models import Condition, ContraindicationRule
from massageclinic.roles import Role
from therapists.models import Modality

pytestmark = pytest.mark.django_db


def _avoided_modalities(condition_slug: str) -> set[str]:
    return set(
        ContraindicationRule.objects.filter(
            condition__slug=condition_slug, action="avoid_modality"
        ).values_list("modality__slug", flat=True)
    )


def test_every_modality_of_the_design_is_seeded_with_its_code():
    codes = dict(Modality.objects.values_list("slug", "cpt_code"))
    assert len(codes) >= 19
    assert codes["swedish"] == "97124"
    assert codes["myofascial-release"] == "97140"
    assert codes["manual-lymphatic-drainage"] == "97140"
    assert Modality.objects.get(slug="hot-cold-packs").is_timed is False


@pytest.mark.parametrize("condition", ["anticoagulants", "clotting-disorder"])
def test_bleeding_risk_rules_out_deep_and_friction_work(condition):
    assert _avoided_modalities(condition) == {
        "deep-tissue",
        "cupping",
        "cross-fibre-friction",
        "gua-sha",
    }


@pytest.mark.parametrize(
    "condition",
    ["dvt-history", "fever", "acute-infection", "uncontrolled-hypertension"],
)
def test_absolute_conditions_need_a_physicians_clearance(condition):
    assert Condition.objects.get(slug=condition).default_severity == "absolute"
    rule = ContraindicationRule.objects.get(
        condition__slug=condition, action="needs_clearance"
    )
    assert rule.modality is None  # every modality
    assert "Source" in rule.description  # the clinical source it follows


def test_pregnancy_means_side_lying_and_no_abdominal_work():
    general = ContraindicationRule.objects.filter(
        condition__slug="pregnancy", modality=None
    )
    first_trimester = general.get(from_week=None)
    later = general.get(from_week=13)
    assert (first_trimester.until_week, later.from_week) == (13, 13)
    assert first_trimester.area == later.area == "Abdomen"
    assert "Side-lying" in later.positioning
    assert _avoided_modalities("pregnancy") == {"maya-abdominal", "deep-tissue"}


def test_every_seeded_rule_names_its_clinical_source():
    assert not ContraindicationRule.objects.filter(description="").exists()
    assert not ContraindicationRule.objects.exclude(
        description__contains="Source"
    ).exists()


def test_the_other_design_rules_exist():
    assert _avoided_modalities("fragile-skin") == {
        "cross-fibre-friction",
        "cupping",
        "gua-sha",
    }
    assert _avoided_modalities("corticosteroids") == {
        "cross-fibre-friction",
        "cupping",
        "gua-sha",
    }
    assert _avoided_modalities("oil-allergy") == {"aromatherapy"}
    assert (
        ContraindicationRule.objects.get(
            condition__slug="neuropathy", modality=None
        ).pressure_limit
        == "moderate"
    )
    assert ContraindicationRule.objects.filter(
        condition__slug="recent-surgery", action="avoid_area"
    ).exists()
    assert ContraindicationRule.objects.filter(
        condition__slug="implanted-device", action="avoid_area"
    ).exists()


def test_the_three_roles_exist_with_permissions():
    desk = Group.objects.get(name=Role.FRONT_DESK)
    assert desk.permissions.filter(codename="add_appointment").exists()
    assert not desk.permissions.filter(codename="view_medicalhistory").exists()
    therapist = Group.objects.get(name=Role.THERAPIST)
    assert therapist.permissions.filter(codename="add_sessionnote").exists()
    manager = Group.objects.get(name=Role.MANAGER)
    assert manager.permissions.filter(codename="change_clinicpolicy").exists()
    assert not manager.permissions.filter(codename="delete_client").exists()
