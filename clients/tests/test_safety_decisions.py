"""The safety decision table: condition x technique x area x pressure x date -> outcome.

Every row runs through `clients.safety.modality_safety`, against the rules the
migrations seed (clients 0002 and 0006). The four outcomes: safe, safe with a
modification, not this technique, no massage.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from clients.models import Condition, Contraindication, ModificationPlan
from clients.safety import (
    Outcome,
    modality_safety,
    refusal_sentence,
    safe_techniques,
)
from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import UserFactory
from therapists.models import Modality, Training
from therapists.tests.factories import TherapistFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 1)
S, M, N, X = (
    Outcome.SAFE,
    Outcome.MODIFY,
    Outcome.NOT_THIS_TECHNIQUE,
    Outcome.NO_MASSAGE,
)


def weeks_ago(weeks: int) -> date:
    return DAY - timedelta(weeks=weeks)


CLEARED = {"cleared_by_physician": "Laura Bennett, MD"}

# (condition or None, flag fields, technique, area, pressure, outcome, headline part)
TABLE = [
    ("anticoagulants", {}, "deep-tissue", "", "", N, "no deep tissue: anticoagulant"),
    ("anticoagulants", {}, "cupping", "", "", N, "no cupping: anticoagulant"),
    ("anticoagulants", {}, "cross-fibre-friction", "", "", N, "cross-fibre friction"),
    ("anticoagulants", {}, "gua-sha", "", "", N, "no gua sha: anticoagulant"),
    ("anticoagulants", {}, "swedish", "", "", M, "no firm or deep pressure"),
    ("anticoagulants", {}, "swedish", "", "firm", N, "not firm pressure"),
    ("anticoagulants", {}, "swedish", "", "moderate", M, "no firm or deep pressure"),
    ("clotting-disorder", {}, "deep-tissue", "", "", N, "clotting disorder"),
    ("clotting-disorder", {}, "manual-lymphatic-drainage", "", "", M, "clotting"),
    ("dvt-history", {}, "swedish", "", "", X, "no massage until cleared: DVT"),
    ("dvt-history", {}, "reflexology", "", "", X, "no massage until cleared: DVT"),
    (
        "dvt-history",
        {**CLEARED, "cleared_on": DAY - timedelta(days=11)},
        "swedish",
        "",
        "",
        M,
        "cleared by Laura Bennett, MD on 2026-11-20",
    ),
    (
        "dvt-history",
        {**CLEARED, "cleared_on": DAY + timedelta(days=4)},
        "swedish",
        "",
        "",
        X,
        "no massage until cleared",
    ),
    (
        "dvt-history",
        {
            **CLEARED,
            "cleared_on": date(2026, 11, 1),
            "clearance_expires_on": date(2026, 11, 30),
        },
        "swedish",
        "",
        "",
        X,
        "the clearance expired on 2026-11-30",
    ),
    (
        "dvt-history",
        {
            **CLEARED,
            "cleared_on": date(2026, 11, 1),
            "clearance_expires_on": date(2026, 12, 31),
            "clearance_conditions": "light pressure only",
        },
        "swedish",
        "",
        "",
        M,
        "light pressure only",
    ),
    (
        "dvt-history",
        {**CLEARED, "cleared_on": date(2026, 11, 1)},
        "swedish",
        "",
        "deep",
        N,
        "not deep pressure: gentle on the legs",
    ),
    ("fever", {}, "swedish", "", "", X, "no massage until cleared: fever"),
    ("acute-infection", {}, "palliative", "", "", X, "acute infection"),
    ("uncontrolled-hypertension", {}, "chair-massage", "", "", X, "hypertension"),
    (
        "pregnancy",
        {"onset_on": weeks_ago(8)},
        "swedish",
        "",
        "",
        M,
        "first trimester: gentle, no abdominal work",
    ),
    (
        "pregnancy",
        {"onset_on": weeks_ago(8)},
        "prenatal",
        "",
        "firm",
        N,
        "not firm pressure: first trimester",
    ),
    (
        "pregnancy",
        {"onset_on": weeks_ago(20)},
        "prenatal",
        "",
        "",
        M,
        "side-lying, no abdominal work",
    ),
    ("pregnancy", {"onset_on": weeks_ago(20)}, "maya-abdominal", "", "", N, "Maya"),
    (
        "pregnancy",
        {"onset_on": weeks_ago(20)},
        "swedish",
        "abdomen",
        "",
        N,
        "not on the abdomen: side-lying, no abdominal work",
    ),
    (
        "pregnancy",
        {"onset_on": weeks_ago(8)},
        "swedish",
        "abdomen",
        "",
        N,
        "not on the abdomen: first trimester",
    ),
    (
        "pregnancy",
        {"onset_on": weeks_ago(20)},
        "swedish",
        "lower_back",
        "",
        M,
        "side-lying, no abdominal work",
    ),
    ("pregnancy", {"onset_on": weeks_ago(30)}, "deep-tissue", "", "", N, "pregnancy"),
    (
        "recent-surgery",
        {"body_region": "knee_left", "onset_on": weeks_ago(2)},
        "swedish",
        "",
        "",
        M,
        "avoid surgical site",
    ),
    (
        "recent-surgery",
        {"body_region": "knee_left", "onset_on": weeks_ago(2)},
        "swedish",
        "knee_left",
        "",
        N,
        "not on the left knee",
    ),
    (
        "recent-surgery",
        {"body_region": "knee_left", "onset_on": weeks_ago(2)},
        "swedish",
        "shoulder_right",
        "",
        M,
        "avoid surgical site",
    ),
    (
        "recent-surgery",
        {"body_region": "knee_left", "onset_on": weeks_ago(8)},
        "swedish",
        "",
        "",
        M,
        "light pressure around the scar",
    ),
    (
        "recent-surgery",
        {"body_region": "knee_left", "onset_on": weeks_ago(8)},
        "swedish",
        "",
        "moderate",
        N,
        "not moderate pressure",
    ),
    (
        "recent-surgery",
        {"body_region": "knee_left", "onset_on": weeks_ago(2)},
        "cupping",
        "",
        "",
        N,
        "no cupping: recent surgery",
    ),
    (
        "recent-surgery",
        {"body_region": "knee_left", "onset_on": weeks_ago(14)},
        "cupping",
        "",
        "",
        S,
        None,
    ),
    ("fragile-skin", {}, "cupping", "", "", N, "no cupping: fragile skin"),
    ("fragile-skin", {}, "swedish", "", "", M, "gentle, no friction"),
    ("corticosteroids", {}, "gua-sha", "", "", N, "no gua sha: corticosteroids"),
    (
        "implanted-device",
        {"body_region": "chest"},
        "swedish",
        "",
        "",
        M,
        "no pressure over implanted device",
    ),
    (
        "implanted-device",
        {"body_region": "chest"},
        "swedish",
        "chest",
        "",
        N,
        "not on the chest",
    ),
    ("neuropathy", {}, "deep-tissue", "", "", N, "no deep tissue: neuropathy"),
    ("neuropathy", {}, "swedish", "", "deep", N, "not deep pressure: no deep"),
    ("neuropathy", {}, "swedish", "", "", M, "no deep pressure: neuropathy"),
    ("diabetes", {}, "deep-tissue", "", "", N, "no deep tissue: diabetes"),
    ("diabetes", {}, "swedish", "", "", M, "avoid injection sites"),
    ("oil-allergy", {}, "aromatherapy", "", "", N, "no aromatherapy: oil allergy"),
    ("oil-allergy", {}, "swedish", "", "", M, "fragrance-free lotion only"),
    ("cancer-treatment", {}, "swedish", "", "", M, "light pressure; avoid ports"),
    ("cancer-treatment", {}, "deep-tissue", "", "", N, "cancer treatment"),
    ("cancer-treatment", {}, "swedish", "", "moderate", N, "not moderate pressure"),
    ("osteoporosis", {}, "passive-resistive-stretching", "", "", N, "osteoporosis"),
    ("osteoporosis", {}, "swedish", "", "", M, "careful positioning"),
    (
        "varicose-veins",
        {"body_region": "lower_leg_right"},
        "sports",
        "",
        "",
        M,
        "avoid varicose veins",
    ),
    (
        "varicose-veins",
        {"body_region": "lower_leg_right"},
        "sports",
        "lower_leg_right",
        "",
        N,
        "not on the right lower leg",
    ),
    (None, {}, "deep-tissue", "", "deep", S, None),
]


def _flag(client, slug: str, **fields) -> Contraindication:
    condition = Condition.objects.get(slug=slug)
    fields.setdefault("severity", condition.default_severity)
    return Contraindication.objects.create(client=client, condition=condition, **fields)


def test_the_table_has_forty_rows_at_least():
    assert len(TABLE) >= 40


@pytest.mark.parametrize(
    ("condition", "fields", "technique", "area", "pressure", "outcome", "headline"),
    TABLE,
    ids=[f"{r[0]}-{r[2]}-{r[3] or 'any'}-{r[4] or 'any'}-{r[5].name}" for r in TABLE],
)
def test_each_row_of_the_decision_table(
    condition, fields, technique, area, pressure, outcome, headline
):
    client = ClientFactory()
    if condition:
        _flag(client, condition, **fields)
    verdict = modality_safety(
        client=client,
        modality=Modality.objects.get(slug=technique),
        on=DAY,
        area=area,
        pressure=pressure,
    )
    assert verdict.outcome == outcome, verdict.summary()
    if headline is None:
        assert verdict.concerns == ()
    else:
        strictest = [c.text for c in verdict.concerns if c.outcome == outcome]
        assert any(headline in text for text in strictest), strictest


def test_a_cleared_condition_is_never_plain_safe():
    client = ClientFactory()
    _flag(client, "fever", **CLEARED, cleared_on=DAY)
    verdict = modality_safety(
        client=client, modality=Modality.objects.get(slug="swedish"), on=DAY
    )
    assert verdict.outcome == M
    # What everyone reads: a clearance governs; its terms are for those who treat.
    assert "follow the physician's clearance: fever" in verdict.summary()
    assert "follow the clearance's terms" in " ".join(verdict.modifications)


def _plan(client, technique: str, **fields) -> ModificationPlan:
    fields.setdefault("starts_on", DAY - timedelta(days=7))
    fields.setdefault("ends_on", DAY + timedelta(days=30))
    return ModificationPlan.objects.create(
        client=client,
        modality=Modality.objects.get(slug=technique),
        changes="light pressure, no work on the calves",
        reason="Chronic low back pain responds to slow deep work",
        therapist=TherapistFactory(),
        **fields,
    )


def test_a_modification_plan_turns_not_this_technique_into_a_modification():
    client = ClientFactory()
    _flag(client, "anticoagulants")
    deep = Modality.objects.get(slug="deep-tissue")
    before = modality_safety(client=client, modality=deep, on=DAY)
    assert before.outcome == N
    _plan(client, "deep-tissue")
    after = modality_safety(client=client, modality=deep, on=DAY)
    assert after.outcome == M
    assert any(
        "light pressure, no work on the calves" in m for m in after.modifications
    )
    assert "modification plan by" in after.summary()
    cupping = Modality.objects.get(slug="cupping")  # the plan names one technique
    assert modality_safety(client=client, modality=cupping, on=DAY).outcome == N


@pytest.mark.parametrize(
    ("fields", "outcome"),
    [
        ({"starts_on": DAY + timedelta(days=1)}, N),  # not yet
        ({"ends_on": DAY - timedelta(days=1), "starts_on": DAY - timedelta(9)}, N),
        ({"withdrawn_at": "2026-11-30T12:00Z", "withdrawn_by": None}, N),
        ({"ends_on": DAY}, M),  # the last day still counts
    ],
)
def test_a_modification_plan_counts_only_while_in_force(fields, outcome):
    client = ClientFactory()
    _flag(client, "anticoagulants")
    if "withdrawn_by" in fields:
        fields["withdrawn_by"] = UserFactory()
    _plan(client, "deep-tissue", **fields)
    deep = Modality.objects.get(slug="deep-tissue")
    assert modality_safety(client=client, modality=deep, on=DAY).outcome == outcome


def test_a_modification_plan_answers_only_the_flags_it_was_written_for():
    client = ClientFactory()
    _flag(client, "anticoagulants")
    _plan(client, "deep-tissue")
    deep = Modality.objects.get(slug="deep-tissue")
    assert modality_safety(client=client, modality=deep, on=DAY).outcome == M
    _flag(client, "osteoporosis")  # raised after the plan: the plan never weighed it
    verdict = modality_safety(client=client, modality=deep, on=DAY)
    assert verdict.outcome == N
    assert verdict.summary().startswith("Deep tissue is not for ")
    assert "no deep tissue: osteoporosis" in verdict.summary()


def test_a_modification_plan_never_lifts_no_massage():
    client = ClientFactory()
    _flag(client, "dvt-history")
    _flag(client, "anticoagulants")
    _plan(client, "deep-tissue")
    deep = Modality.objects.get(slug="deep-tissue")
    assert modality_safety(client=client, modality=deep, on=DAY).outcome == X


def test_the_safe_techniques_are_those_the_rules_do_not_rule_out():
    client = ClientFactory()
    _flag(client, "anticoagulants")
    names = {m.slug for m in safe_techniques(client=client, on=DAY)}
    assert "swedish" in names and "manual-lymphatic-drainage" in names
    assert not names & {"deep-tissue", "cupping", "cross-fibre-friction", "gua-sha"}


def test_the_refusal_offers_the_therapists_own_techniques_when_there_are_any():
    client = ClientFactory(first_name="Grace", last_name="Okafor")
    _flag(client, "anticoagulants")
    deep = Modality.objects.get(slug="deep-tissue")
    verdict = modality_safety(client=client, modality=deep, on=DAY)
    tara = TherapistFactory(user=UserFactory(first_name="Tara", last_name="Hands"))
    Training.objects.create(therapist=tara, modality=deep)
    # She practises nothing else: every technique the rules allow is offered.
    only_deep = refusal_sentence(verdict, therapist=tara)
    assert "Techniques the rules allow for Grace Okafor: " in only_deep
    assert "Swedish" in only_deep and "Reflexology" in only_deep
    Training.objects.create(
        therapist=tara, modality=Modality.objects.get(slug="swedish")
    )
    hers = refusal_sentence(verdict, therapist=tara)
    assert "allow for Grace Okafor that Tara Hands practises: Swedish." in hers
