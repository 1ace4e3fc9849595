"""Treatment-plan services: create and change with goals, validation, status moves,
safety warnings on planned modalities, and the progress report."""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from clients.models import Condition, Contraindication
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from sessions.models import Goal, TreatmentPlan
from sessions.tests.factories import FIRST_VISIT, make_plan, referral_for, signed_visit
from sessions.treatment.plans import (
    GoalDetails,
    PlanDetails,
    plan_create,
    plan_modality_warnings,
    plan_set_status,
    plan_update,
    progress_report_create,
)
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

Status = TreatmentPlan.Status
PAIN = GoalDetails(
    description="Reduce low back pain",
    measure=Goal.Measure.PAIN,
    baseline=Decimal(7),
    target=Decimal(3),
)
ROM = GoalDetails(
    description="Raise the arm overhead",
    measure=Goal.Measure.RANGE_OF_MOTION,
    movement="right shoulder flexion",
    baseline=Decimal(120),
    target=Decimal(170),
)
SLEEP = GoalDetails(
    description="Sleep through the night",
    measure=Goal.Measure.TEXT,
    baseline_text="Wakes 3 times a night",
    target_text="Sleeps through",
)


def _details(**changes) -> PlanDetails:
    fields = {
        "starts_on": date(2026, 3, 3),
        "review_on": date(2026, 4, 14),
        "visits_planned": 12,
        "visits_per_week": 2,
        "session_minutes": 60,
        "problems": ["M54.50"],
        "modalities": [modality("swedish")],
        "home_care_plan": "Knee-to-chest stretch: 30 seconds, twice a day.",
        "goals": [PAIN, ROM, SLEEP],
    }
    return PlanDetails(**(fields | changes))


def _create(therapist, client=None, **changes) -> TreatmentPlan:
    return plan_create(
        client=client or ClientFactory(),
        therapist=therapist,
        details=_details(**changes),
        by=therapist.user,
        context=AuditContext(user=therapist.user),
    )


def test_it_creates_a_draft_plan_with_its_goals_and_default_units(therapist):
    plan = _create(therapist)

    assert plan.status == Status.DRAFT
    assert list(plan.planned_modalities.values_list("slug", flat=True)) == ["swedish"]
    pain, rom, sleep = plan.goals.order_by("pk")
    assert (pain.unit, pain.baseline, pain.target) == ("/10", 7, 3)
    assert (rom.unit, rom.movement) == ("°", "right shoulder flexion")
    assert (sleep.baseline, sleep.target, sleep.target_text) == (
        None,
        None,
        "Sleeps through",
    )


@pytest.mark.parametrize(
    ("goal", "message"),
    [
        (
            GoalDetails(
                description="Pain",
                measure="pain",
                baseline=Decimal(11),
                target=Decimal(3),
            ),
            "pain is scored from 0 to 10",
        ),
        (
            GoalDetails(description="Pain", measure="pain", target=Decimal(3)),
            "needs a baseline",
        ),
        (
            GoalDetails(description="Score", measure="function", baseline=Decimal(20)),
            "needs a target",
        ),
        (
            GoalDetails(
                description="Reach",
                measure="rom",
                baseline=Decimal(90),
                target=Decimal(150),
            ),
            "name the movement",
        ),
        (
            GoalDetails(
                description="Reach",
                measure="rom",
                movement="flexion",
                baseline=Decimal(90),
                target=Decimal(400),
            ),
            "0 to 360 degrees",
        ),
        (
            GoalDetails(
                description="Pain",
                measure="pain",
                baseline=Decimal(5),
                target=Decimal(5),
            ),
            "must differ from the baseline",
        ),
        (GoalDetails(description="Sleep", measure="text"), "target in words"),
        (GoalDetails(description="", measure="pain"), "Describe the goal"),
        (GoalDetails(description="Pain", measure="mood"), "how it is measured"),
    ],
)
def test_it_refuses_a_goal_that_cannot_be_measured(therapist, goal, message):
    with pytest.raises(ValidationError, match=message):
        _create(therapist, goals=[goal])
    assert not TreatmentPlan.objects.exists()


def test_it_refuses_bad_codes_dates_and_counts_with_sentences(therapist):
    with pytest.raises(ValidationError) as raised:
        _create(
            therapist,
            problems=["M54.50", "back"],
            review_on=date(2026, 3, 1),
            visits_planned=0,
        )
    text = " ".join(raised.value.messages)
    assert "back: not an ICD-10-CM code" in text
    assert "review date cannot be before the start date" in text
    assert "between 1 and 200 visits" in text


def test_a_plan_refuses_another_clients_referral(therapist):
    with pytest.raises(ValidationError, match="belongs to another client"):
        _create(therapist, referral=referral_for(ClientFactory()))


def test_an_update_changes_goals_adds_and_removes_unmeasured_ones(therapist):
    plan = _create(therapist)
    pain, rom, sleep = plan.goals.order_by("pk")
    updated = plan_update(
        plan=plan,
        details=_details(
            visits_planned=8,
            goals=[
                GoalDetails(
                    goal_id=pain.pk,
                    description="Reduce pain",
                    measure="pain",
                    baseline=Decimal(7),
                    target=Decimal(2),
                ),
                GoalDetails(
                    goal_id=rom.pk, description="x", measure="rom", remove=True
                ),
                dataclasses.replace(SLEEP, goal_id=sleep.pk),
                GoalDetails(
                    description="Neck Disability Index",
                    measure="function",
                    unit="points",
                    baseline=Decimal(30),
                    target=Decimal(10),
                ),
            ],
        ),
        by=therapist.user,
        context=AuditContext(user=therapist.user),
    )
    assert updated.visits_planned == 8
    goals = list(updated.goals.order_by("pk"))
    assert [g.description for g in goals] == [
        "Reduce pain",
        "Sleep through the night",
        "Neck Disability Index",
    ]
    assert goals[0].target == 2


def test_a_goal_with_recorded_measures_is_never_removed(therapist):
    plan = make_plan(client=ClientFactory(), therapist=therapist)
    pain, rom = plan.goals.order_by("pk")
    signed_visit(
        client=plan.client,
        therapist=therapist,
        plan=plan,
        starts_at=FIRST_VISIT,
        measures={str(rom.pk): 130},
    )
    with pytest.raises(ValidationError, match="already record measures"):
        plan_update(
            plan=plan,
            details=_details(
                goals=[
                    GoalDetails(
                        goal_id=rom.pk, description="x", measure="rom", remove=True
                    )
                ]
            ),
            by=therapist.user,
            context=AuditContext(user=therapist.user),
        )
    assert plan.goals.count() == 2


def test_the_manager_may_hand_the_plan_to_another_therapist(therapist, manager):
    plan = _create(therapist)
    other = TherapistFactory()
    plan_update(
        plan=plan,
        details=_details(),
        by=manager,
        therapist=other,
        context=AuditContext(user=manager),
    )
    plan.refresh_from_db()
    assert plan.therapist == other


@pytest.mark.parametrize(
    ("start", "to", "allowed"),
    [
        (Status.DRAFT, Status.ACTIVE, True),
        (Status.DRAFT, Status.DISCONTINUED, True),
        (Status.DRAFT, Status.COMPLETED, False),
        (Status.ACTIVE, Status.COMPLETED, True),
        (Status.ACTIVE, Status.DISCONTINUED, True),
        (Status.ACTIVE, Status.DRAFT, False),
        (Status.COMPLETED, Status.ACTIVE, False),
        (Status.DISCONTINUED, Status.ACTIVE, False),
    ],
)
def test_a_plan_moves_only_forward(therapist, start, to, allowed):
    plan = make_plan(
        client=ClientFactory(),
        therapist=therapist,
        status=start,
        discontinued_reason="moved" if start == Status.DISCONTINUED else "",
    )
    if allowed:
        plan_set_status(
            plan=plan,
            status=to,
            reason="moved away",
            by=therapist.user,
            context=AuditContext(user=therapist.user),
        )
        plan.refresh_from_db()
        assert plan.status == to
    else:
        with pytest.raises(ValidationError, match="cannot become"):
            plan_set_status(
                plan=plan,
                status=to,
                reason="x",
                by=therapist.user,
                context=AuditContext(user=therapist.user),
            )


def test_discontinuing_needs_a_reason_and_keeps_it(therapist):
    plan = make_plan(client=ClientFactory(), therapist=therapist)
    with pytest.raises(ValidationError, match="Say why"):
        plan_set_status(
            plan=plan,
            status=Status.DISCONTINUED,
            by=therapist.user,
            context=AuditContext(user=therapist.user),
        )
    plan = plan_set_status(
        plan=plan,
        status=Status.DISCONTINUED,
        reason="  Client moved away ",
        by=therapist.user,
        context=AuditContext(user=therapist.user),
    )
    assert plan.discontinued_reason == "Client moved away"


def test_a_plan_starts_only_with_a_goal(therapist):
    plan = make_plan(
        client=ClientFactory(), therapist=therapist, status=Status.DRAFT, goals=()
    )
    with pytest.raises(ValidationError, match="at least one measurable goal"):
        plan_set_status(
            plan=plan,
            status=Status.ACTIVE,
            by=therapist.user,
            context=AuditContext(user=therapist.user),
        )


def test_a_closed_plan_is_a_record(therapist):
    plan = make_plan(client=ClientFactory(), therapist=therapist)
    plan_set_status(
        plan=plan,
        status=Status.COMPLETED,
        by=therapist.user,
        context=AuditContext(user=therapist.user),
    )
    with pytest.raises(ValidationError, match="can no longer be changed"):
        plan_update(
            plan=plan,
            details=_details(),
            by=therapist.user,
            context=AuditContext(user=therapist.user),
        )


def _flag(client, slug: str) -> None:
    condition = Condition.objects.get(slug=slug)
    Contraindication.objects.create(
        client=client, condition=condition, severity=condition.default_severity
    )


def test_it_warns_but_does_not_block_unsafe_planned_modalities(therapist):
    client = ClientFactory()
    _flag(client, "anticoagulants")
    plan = _create(
        therapist,
        client=client,
        modalities=[modality("swedish"), modality("deep-tissue"), modality("cupping")],
    )
    warnings = plan_modality_warnings(
        client=client,
        modalities=list(plan.planned_modalities.all()),
        on=date(2026, 3, 3),
    )
    by_slug = {v.modality.slug: v for v in warnings}
    assert set(by_slug) == {"swedish", "deep-tissue", "cupping"}
    assert by_slug["swedish"].needs_acknowledgement
    assert by_slug["deep-tissue"].blocked and by_slug["cupping"].blocked
    assert "no cupping: anticoagulant" in " ".join(v.summary() for v in warnings)


def test_a_ruled_out_modality_says_so(therapist):
    client = ClientFactory()
    _flag(client, "dvt-history")
    (verdict,) = plan_modality_warnings(
        client=client, modalities=[modality("swedish")], on=date(2026, 3, 3)
    )
    assert verdict.blocked
    assert verdict.summary().startswith("No massage for ")
    assert "until a physician clears it: no massage until cleared: DVT" in (
        verdict.summary()
    )


def test_a_client_without_flags_gets_no_warning(therapist):
    assert (
        plan_modality_warnings(
            client=ClientFactory(),
            modalities=[modality("cupping")],
            on=date(2026, 3, 3),
        )
        == []
    )


def test_a_progress_report_needs_both_texts_and_an_ordered_period(therapist):
    plan = make_plan(client=ClientFactory(), therapist=therapist)
    with pytest.raises(ValidationError) as raised:
        progress_report_create(
            plan=plan,
            therapist=therapist,
            period_start=date(2026, 4, 1),
            period_end=date(2026, 3, 1),
            assessment=" ",
            recommendation="",
            by=therapist.user,
            context=AuditContext(user=therapist.user),
        )
    assert len(raised.value.messages) == 3
    report = progress_report_create(
        plan=plan,
        therapist=therapist,
        period_start=date(2026, 3, 1),
        period_end=date(2026, 4, 1),
        assessment="Pain down from 7 to 4.",
        recommendation="Continue once a week.",
        by=therapist.user,
        context=AuditContext(user=therapist.user),
    )
    assert report.plan == plan and report.created_by == therapist.user
