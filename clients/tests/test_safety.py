"""The contraindication engine against the seeded rules: one verdict per case.

`clients.safety.modality_safety()` is what booking, the series preview and the note
use; `flags_follow_history()` turns a submitted intake into flags by rule.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from clients.models import (
    Condition,
    Contraindication,
    FlagSource,
    IntakeCondition,
    MedicalHistory,
    Severity,
)
from clients.safety import client_alerts, modality_safety
from clients.services import contraindication_resolve, flags_follow_history
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import UserFactory
from therapists.models import Modality

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 1)
SUBMITTED = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

SAFE, CARE, BLOCKED = "safe", "needs acknowledgement", "blocked"
NAMES = {
    "deep-tissue": "deep tissue",
    "cupping": "cupping",
    "cross-fibre-friction": "cross-fibre friction",
    "gua-sha": "gua sha",
}
BLEEDING_RISK = ["deep-tissue", "cupping", "cross-fibre-friction", "gua-sha"]
SKIN_RISK = ["cross-fibre-friction", "cupping", "gua-sha"]
ALL_MODALITIES = [
    "swedish",
    "deep-tissue",
    "trigger-point",
    "myofascial-release",
    "cross-fibre-friction",
    "cupping",
    "manual-lymphatic-drainage",
    "reflexology",
    "aromatherapy",
    "prenatal",
    "postnatal",
    "palliative",
    "sports",
    "chair-massage",
    "gua-sha",
    "maya-abdominal",
    "structural-integration",
    "passive-resistive-stretching",
    "spot-work",
    "hot-cold-packs",
]


def _flag(client, slug: str, **fields) -> Contraindication:
    condition = Condition.objects.get(slug=slug)
    fields.setdefault("severity", condition.default_severity)
    return Contraindication.objects.create(client=client, condition=condition, **fields)


def _verdict(client, modality_slug: str, on: date = DAY):
    return modality_safety(
        client=client, modality=Modality.objects.get(slug=modality_slug), on=on
    )


def _kind(verdict) -> str:
    if verdict.blocked:
        return BLOCKED
    return CARE if verdict.needs_acknowledgement else SAFE


# (condition, flag fields, modality, verdict, a headline it must give). "Blocked" is
# both "not this technique" and "no massage"; the four outcomes themselves are in
# test_safety_decisions.py.
CASES = [
    *[
        ("anticoagulants", {}, m, BLOCKED, f"no {NAMES[m]}: anticoagulant")
        for m in BLEEDING_RISK
    ],
    ("anticoagulants", {}, "swedish", CARE, "no firm or deep pressure: anticoagulant"),
    ("anticoagulants", {}, "manual-lymphatic-drainage", CARE, "no firm or deep"),
    *[
        ("clotting-disorder", {}, m, BLOCKED, "clotting disorder")
        for m in BLEEDING_RISK
    ],
    ("clotting-disorder", {}, "swedish", CARE, "clotting disorder"),
    *[
        ("dvt-history", {}, m, BLOCKED, "no massage until cleared: DVT history")
        for m in ALL_MODALITIES
    ],
    ("fever", {}, "swedish", BLOCKED, "no massage until cleared: fever"),
    ("acute-infection", {}, "palliative", BLOCKED, "acute infection"),
    ("uncontrolled-hypertension", {}, "chair-massage", BLOCKED, "hypertension"),
    *[
        ("pregnancy", {}, m, CARE, "side-lying, no abdominal work: pregnancy")
        for m in ALL_MODALITIES
        if m not in ("deep-tissue", "maya-abdominal")
    ],
    ("pregnancy", {}, "maya-abdominal", BLOCKED, "no Maya abdominal: pregnancy"),
    ("pregnancy", {}, "deep-tissue", BLOCKED, "no deep tissue: pregnancy"),
    (
        "recent-surgery",
        {"body_region": "knee_left"},
        "swedish",
        CARE,
        "avoid surgical site: recent surgery",
    ),
    ("recent-surgery", {"body_region": "knee_left"}, "cupping", BLOCKED, "surgery"),
    *[
        ("fragile-skin", {}, m, BLOCKED, f"no {NAMES[m]}: fragile skin")
        for m in SKIN_RISK
    ],
    ("fragile-skin", {}, "swedish", CARE, "gentle, no friction: fragile skin"),
    ("fragile-skin", {}, "deep-tissue", CARE, "gentle, no friction: fragile skin"),
    *[
        ("corticosteroids", {}, m, BLOCKED, f"no {NAMES[m]}: corticosteroids")
        for m in SKIN_RISK
    ],
    ("corticosteroids", {}, "swedish", CARE, "gentle, no friction: corticosteroids"),
    *[
        (
            "implanted-device",
            {"body_region": "chest"},
            m,
            CARE,
            "no pressure over implanted device",
        )
        for m in ["swedish", "deep-tissue", "chair-massage"]
    ],
    ("neuropathy", {}, "swedish", CARE, "no deep pressure: neuropathy"),
    ("neuropathy", {}, "deep-tissue", BLOCKED, "no deep tissue: neuropathy"),
    ("oil-allergy", {}, "aromatherapy", BLOCKED, "no aromatherapy: oil allergy"),
    ("oil-allergy", {}, "swedish", CARE, "fragrance-free lotion only: oil allergy"),
    ("oil-allergy", {}, "deep-tissue", CARE, "fragrance-free lotion only"),
    (
        "varicose-veins",
        {"body_region": "lower_leg_right"},
        "sports",
        CARE,
        "avoid varicose veins",
    ),
]


@pytest.mark.parametrize(
    ("condition", "fields", "modality", "expected", "headline"),
    CASES,
    ids=[f"{c[0]}-{c[2]}-{c[3].split()[0]}" for c in CASES],
)
def test_each_seeded_rule_gives_its_verdict(
    condition, fields, modality, expected, headline
):
    client = ClientFactory()
    _flag(client, condition, **fields)
    verdict = _verdict(client, modality)
    assert _kind(verdict) == expected, verdict.summary()
    if headline:
        assert any(headline in reason for reason in verdict.reasons), verdict.reasons
    else:
        assert verdict.reasons == []


def test_a_client_without_flags_is_safe_for_everything():
    client = ClientFactory()
    for slug in ALL_MODALITIES:
        verdict = _verdict(client, slug)
        assert verdict.safe
        assert verdict.summary().endswith(f"is safe for {client.full_name}.")


def test_the_rules_say_how_to_modify_the_treatment():
    client = ClientFactory()
    _flag(client, "neuropathy")
    _flag(client, "pregnancy")
    _flag(client, "recent-surgery", body_region="shoulder_right")
    details = {c.headline: c.detail for c in _verdict(client, "swedish").concerns}
    assert details["no deep pressure: neuropathy"] == "pressure no more than moderate"
    assert (
        "Side-lying after the first trimester"
        in (details["side-lying, no abdominal work: pregnancy"])
    )
    assert (
        "avoid: abdomen" in details["side-lying, no abdominal work: pregnancy"].lower()
    )
    assert details["avoid surgical site: recent surgery"] == "avoid: right shoulder"


def test_a_blocking_reason_comes_first_and_rules_the_modality_out():
    client = ClientFactory()
    _flag(client, "anticoagulants")
    _flag(client, "dvt-history")
    verdict = _verdict(client, "deep-tissue")
    assert verdict.blocked and not verdict.needs_acknowledgement
    assert verdict.reasons[0] == "no massage until cleared: DVT history"
    assert verdict.reasons[1] == "no deep tissue: anticoagulant"  # then the next
    assert verdict.summary().startswith("No massage for ")


@pytest.mark.parametrize(
    ("cleared_on", "blocked"),
    [
        (DAY - timedelta(days=30), False),
        (DAY, False),  # a clearance dated that very day lifts the block
        (DAY + timedelta(days=1), True),  # a later clearance does not cover this day
    ],
)
def test_a_physicians_clearance_lifts_an_absolute_flag_from_its_date(
    cleared_on, blocked
):
    client = ClientFactory()
    _flag(
        client,
        "dvt-history",
        cleared_on=cleared_on,
        cleared_by_physician="Dr. Ada Moss",
    )
    verdict = _verdict(client, "swedish")
    assert verdict.blocked is blocked
    # A cleared condition still speaks: safe with a modification, never plain safe.
    assert not verdict.safe
    assert verdict.needs_acknowledgement is not blocked
    (alert,) = client_alerts(client, DAY)
    assert alert.blocks is blocked
    assert alert.cleared is not blocked


def test_a_cleared_absolute_flag_still_leaves_the_other_flags():
    client = ClientFactory()
    _flag(client, "dvt-history", cleared_on=DAY, cleared_by_physician="Dr. Moss")
    _flag(client, "anticoagulants")
    verdict = _verdict(client, "cupping")
    assert verdict.blocked  # the anticoagulant rules out cupping; the DVT is cleared
    assert "no cupping: anticoagulant" in verdict.reasons
    assert any(
        r.startswith("follow the physician's clearance") for r in verdict.reasons
    )
    # Who cleared it is history detail: in the modification, not in the headline.
    assert not any("Dr. Moss" in r for r in verdict.reasons)
    assert any("cleared by Dr. Moss" in m for m in verdict.modifications)


def test_a_resolved_flag_stops_applying_from_its_resolution_date():
    client = ClientFactory()
    flag = _flag(client, "anticoagulants")
    resolved_at = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    by = UserFactory()
    contraindication_resolve(
        flag=flag,
        by=by,
        now=resolved_at,
        note="Stopped warfarin",
        context=AuditContext(user=by),
    )
    assert _kind(_verdict(client, "deep-tissue", on=date(2026, 11, 30))) == BLOCKED
    assert _kind(_verdict(client, "deep-tissue", on=date(2026, 12, 1))) == SAFE
    assert _kind(_verdict(client, "deep-tissue", on=date(2026, 12, 15))) == SAFE
    assert client_alerts(client, date(2026, 12, 2)) == []


@pytest.mark.parametrize(
    ("on", "needs_recheck"),
    [
        (date(2026, 12, 9), False),
        (date(2026, 12, 10), True),
        (date(2027, 1, 5), True),
    ],
)
def test_a_flag_needs_a_recheck_on_and_after_its_recheck_date(on, needs_recheck):
    client = ClientFactory()
    _flag(
        client,
        "recent-surgery",
        body_region="knee_left",
        recheck_on=DAY + timedelta(days=9),
    )
    verdict = _verdict(client, "swedish", on=on)
    # Both surgery rules without an onset apply: the site, and the scar's pressure.
    assert [c.needs_recheck for c in verdict.concerns] == [needs_recheck] * 2
    (alert,) = client_alerts(client, on)
    assert alert.needs_recheck is needs_recheck
    # An expired recheck does not lift the flag: it still applies until resolved.
    assert verdict.needs_acknowledgement


def test_a_condition_without_rules_is_shown_as_it_is():
    client = ClientFactory()
    condition = Condition.objects.create(
        slug="shingles", name="Shingles", default_severity=Severity.REGIONAL
    )
    Contraindication.objects.create(
        client=client, condition=condition, severity="regional", body_region="mid_back"
    )
    verdict = _verdict(client, "swedish")
    assert verdict.reasons == ["avoid the area (mid back): shingles"]


def test_the_alert_headlines_name_what_to_avoid():
    client = ClientFactory()
    _flag(client, "anticoagulants")
    _flag(client, "pregnancy")
    _flag(client, "recent-surgery", body_region="knee_left")
    headlines = [a.headline for a in client_alerts(client, DAY)]
    assert (
        "no firm or deep pressure: anticoagulant; no cross-fibre friction, cupping, "
        "deep tissue, gua sha: anticoagulant medication"
    ) in headlines
    (pregnancy,) = [h for h in headlines if "pregnancy" in h]
    assert "side-lying, no abdominal work: pregnancy" in pregnancy
    assert "no deep tissue, maya abdominal: pregnancy" in pregnancy
    (surgery,) = [h for h in headlines if "surgery" in h]
    assert "avoid surgical site: recent surgery (left knee)" in surgery


# --- flags_follow_history: each intake answer, by rule -----------------------------------


def _history(client=None, version: int = 1, **answers) -> MedicalHistory:
    return MedicalHistory.objects.create(
        client=client or ClientFactory(),
        version=version,
        submitted_at=SUBMITTED,
        chief_complaint="Low back pain",
        consent_name="Grace Okafor",
        consent_signed_at=SUBMITTED,
        **answers,
    )


def _flags_of(history: MedicalHistory) -> dict[str, Contraindication]:
    changes = flags_follow_history(
        history=history, by=None, context=AuditContext.system("test")
    )
    return {flag.condition.slug: flag for flag in changes.added}


FIELD_CASES = [
    ({"takes_anticoagulants": True, "medications": "Warfarin 5 mg"}, "anticoagulants"),
    ({"clotting_disorder": True}, "clotting-disorder"),
    ({"dvt_history": True}, "dvt-history"),
    ({"pregnant": True, "pregnancy_weeks": 20}, "pregnancy"),
    ({"fragile_skin": True, "skin_conditions": "Bruises easily"}, "fragile-skin"),
    ({"long_term_corticosteroids": True}, "corticosteroids"),
    ({"implanted_devices": "Pacemaker, left chest"}, "implanted-device"),
    ({"conditions": [IntakeCondition.NEUROPATHY]}, "neuropathy"),
    (
        {"conditions": [IntakeCondition.CANCER], "other_conditions": "Breast cancer"},
        "cancer-treatment",
    ),
    ({"allergic_to_oils": True, "allergies": "Almond oil"}, "oil-allergy"),
    (
        {
            "surgeries": [
                {
                    "procedure": "Knee arthroscopy",
                    "date": "2026-11-01",
                    "site": "knee_left",
                }
            ]
        },
        "recent-surgery",
    ),
]


@pytest.mark.parametrize(
    ("answers", "slug"), FIELD_CASES, ids=[c[1] for c in FIELD_CASES]
)
def test_each_intake_answer_becomes_its_flag(answers, slug):
    history = _history(**answers)
    flags = _flags_of(history)
    assert list(flags) == [slug]
    flag = flags[slug]
    assert flag.severity == Condition.objects.get(slug=slug).default_severity
    assert flag.source == FlagSource.INTAKE
    assert flag.history == history
    assert flag.created_by is None  # the client's own form


def test_a_history_with_no_risk_gives_no_flags():
    assert _flags_of(_history(conditions=[IntakeCondition.LOW_BACK_PAIN])) == {}
    assert _flags_of(_history(implanted_devices="   ")) == {}


def test_the_flags_carry_the_details_of_the_answer():
    flags = _flags_of(
        _history(
            takes_anticoagulants=True,
            medications="Apixaban",
            pregnant=True,
            pregnancy_weeks=20,
            surgeries=[
                {
                    "procedure": "Knee arthroscopy",
                    "date": "2026-11-01",
                    "site": "knee_left",
                }
            ],
        )
    )
    assert flags["anticoagulants"].detail == "Apixaban"
    pregnancy = flags["pregnancy"]
    assert pregnancy.detail == "20 weeks on 2026-11-20"
    assert pregnancy.onset_on == date(2026, 11, 20) - timedelta(weeks=20)
    assert pregnancy.recheck_on == date(2026, 11, 20) + timedelta(weeks=20)
    surgery = flags["recent-surgery"]
    assert (surgery.body_region, surgery.detail) == ("knee_left", "Knee arthroscopy")
    assert surgery.onset_on == date(2026, 11, 1)
    assert surgery.recheck_on == date(2026, 11, 1) + timedelta(weeks=6)


def test_pregnancy_without_weeks_is_flagged_all_the_same():
    flags = _flags_of(_history(pregnant=True))
    assert flags["pregnancy"].detail == "Weeks not given"
    assert flags["pregnancy"].recheck_on is None


def test_only_surgery_under_six_weeks_old_is_flagged():
    flags = _flags_of(
        _history(
            surgeries=[
                {"procedure": "Appendectomy", "date": "2020-03-02", "site": "abdomen"},
                {
                    "procedure": "Shoulder repair",
                    "date": "2026-10-10",
                    "site": "shoulder_right",
                },
                {"procedure": "Unreadable", "date": "last spring", "site": "?"},
            ]
        )
    )
    assert [(f.body_region, f.detail) for f in flags.values()] == [
        ("shoulder_right", "Shoulder repair")
    ]


def test_a_second_version_does_not_double_an_open_flag():
    client = ClientFactory()
    first = _flags_of(_history(client, version=1, takes_anticoagulants=True))
    second = _flags_of(
        _history(client, version=2, takes_anticoagulants=True, dvt_history=True)
    )
    assert list(first) == ["anticoagulants"]
    assert list(second) == ["dvt-history"]
    assert (
        client.contraindications.filter(condition__slug="anticoagulants").count() == 1
    )


def test_a_resolved_flag_comes_back_when_a_new_version_calls_for_it():
    client = ClientFactory()
    (flag,) = _flags_of(
        _history(client, version=1, long_term_corticosteroids=True)
    ).values()
    by = UserFactory()
    contraindication_resolve(
        flag=flag, by=by, now=SUBMITTED, context=AuditContext(user=by)
    )
    again = _flags_of(_history(client, version=2, long_term_corticosteroids=True))
    assert list(again) == ["corticosteroids"]
    assert again["corticosteroids"].pk != flag.pk


def test_a_history_becomes_the_verdicts_booking_obeys():
    client = ClientFactory()
    _flags_of(
        _history(client, takes_anticoagulants=True, pregnant=True, pregnancy_weeks=20)
    )
    assert _kind(_verdict(client, "deep-tissue")) == BLOCKED
    assert _kind(_verdict(client, "maya-abdominal")) == BLOCKED
    assert "no Maya abdominal: pregnancy" in _verdict(client, "maya-abdominal").reasons
    swedish = _verdict(client, "swedish")
    assert _kind(swedish) == CARE
    assert swedish.reasons == [
        "no firm or deep pressure: anticoagulant",
        "side-lying, no abdominal work: pregnancy",
    ]


def test_recent_surgery_is_judged_on_the_clinics_local_date():
    """23:30 in New York is already the next day in UTC; the window must not shift."""
    from datetime import UTC, datetime

    from clients.models import MedicalHistory
    from clients.services import flags_follow_history
    from clients.tests.factories import ClientFactory
    from massageclinic.tests.factories import LocationFactory

    LocationFactory(time_zone="America/New_York")
    submitted = datetime(2026, 12, 2, 4, 30, tzinfo=UTC)  # 1 Dec, 23:30 in New York
    history = MedicalHistory.objects.create(
        client=ClientFactory(),
        version=1,
        submitted_at=submitted,
        chief_complaint="Shoulder pain after surgery",
        surgeries=[{"procedure": "Rotator cuff repair", "date": "2026-10-20"}],
        consent_name="A Client",
        consent_signed_at=submitted,
    )
    changes = flags_follow_history(
        history=history, by=None, context=AuditContext.system("test")
    )
    assert [f.condition.slug for f in changes.added] == ["recent-surgery"]


def test_a_flag_resolved_in_the_evening_is_gone_that_local_day_not_the_next():
    """19:30 in New York is already tomorrow in UTC: the flag ends on the local day."""
    from massageclinic.tests.factories import LocationFactory

    LocationFactory(time_zone="America/New_York")
    client = ClientFactory()
    flag = _flag(client, "anticoagulants")
    evening = datetime(2026, 11, 29, 0, 30, tzinfo=UTC)  # 28 Nov, 19:30 in New York
    by = UserFactory()
    contraindication_resolve(
        flag=flag, by=by, now=evening, note="Stopped", context=AuditContext(user=by)
    )

    assert client_alerts(client, date(2026, 11, 28)) == []
    assert _kind(_verdict(client, "deep-tissue", on=date(2026, 11, 27))) == BLOCKED
