"""Business rules for treatment plans: create, change, move through their statuses,
and write the progress report for the referring physician.

A plan runs draft -> active -> completed, or is discontinued (with a reason) from
draft or active. A closed plan (completed or discontinued) is a clinical record and
changes no more. Goals with measures recorded in visit notes are never removed: the
progress charts and reports read those measures by goal id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import Client, Referral
from clients.safety import SafetyVerdict, flags_in_force, modality_safety
from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent
from massageclinic.validators import ICD10_PATTERN
from sessions.models import Goal, ProgressReport, SessionNote, TreatmentPlan
from therapists.models import Modality, Therapist

Status = TreatmentPlan.Status
Measure = Goal.Measure

CLOSED_STATUSES = (Status.COMPLETED, Status.DISCONTINUED)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    Status.DRAFT: (Status.ACTIVE, Status.DISCONTINUED),
    Status.ACTIVE: (Status.COMPLETED, Status.DISCONTINUED),
    Status.COMPLETED: (),
    Status.DISCONTINUED: (),
}
MAX_VISITS = 200
MAX_VISITS_PER_WEEK = 7
MAX_SESSION_MINUTES = 240
PAIN_MAX = Decimal(10)
DEGREES_MAX = Decimal(360)


@dataclass(frozen=True)
class GoalDetails:
    """One goal as typed; `goal_id` names an existing goal of the plan."""

    description: str
    measure: str
    unit: str = ""
    movement: str = ""
    baseline: Decimal | None = None
    target: Decimal | None = None
    baseline_text: str = ""
    target_text: str = ""
    achieved_on: date | None = None
    goal_id: int | None = None
    remove: bool = False


@dataclass(frozen=True)
class PlanDetails:
    starts_on: date
    review_on: date
    visits_planned: int
    visits_per_week: int = 1
    session_minutes: int = 60
    problems: Sequence[str] = ()
    modalities: Sequence[Modality] = ()
    referral: Referral | None = None
    home_care_plan: str = ""
    goals: Sequence[GoalDetails] = field(default_factory=tuple)


# --- Validation -------------------------------------------------------------------


def default_unit(measure: str) -> str:
    units: dict[str, str] = {Measure.PAIN: "/10", Measure.RANGE_OF_MOTION: "°"}
    return units.get(measure, "")


def goal_problems(goal: GoalDetails) -> list[tuple[str | None, str]]:
    """What is wrong with one goal: (the field at fault or None, a sentence)."""
    name = f"“{goal.description}”" if goal.description else "This goal"
    found: list[tuple[str | None, str]] = []
    if not goal.description.strip():
        found.append(("description", "Describe the goal, e.g. “Reduce low back pain”."))
    if goal.measure not in Measure.values:
        found.append(("measure", f"{name}: choose how it is measured."))
        return found
    if goal.measure == Measure.TEXT:
        if not goal.target_text.strip():
            found.append(
                (
                    "target_text",
                    f"{name}: describe the target in words, e.g. “Sleeps through "
                    "the night”.",
                )
            )
        return found
    for field_name, value, what in (
        ("baseline", goal.baseline, "a baseline (where the client starts)"),
        ("target", goal.target, "a target (where they should get to)"),
    ):
        if value is None:
            found.append((field_name, f"{name}: a measured goal needs {what}."))
    if goal.baseline is None or goal.target is None:
        return found
    if goal.baseline == goal.target:
        found.append(("target", f"{name}: the target must differ from the baseline."))
    if goal.measure == Measure.PAIN:
        for field_name, value in (("baseline", goal.baseline), ("target", goal.target)):
            if not 0 <= value <= PAIN_MAX:
                found.append((field_name, f"{name}: pain is scored from 0 to 10."))
    elif goal.measure == Measure.RANGE_OF_MOTION:
        if not goal.movement.strip():
            found.append(
                (
                    "movement",
                    f"{name}: name the movement measured, e.g. “right shoulder "
                    "flexion”.",
                )
            )
        for field_name, value in (("baseline", goal.baseline), ("target", goal.target)):
            if not 0 <= value <= DEGREES_MAX:
                found.append(
                    (field_name, f"{name}: range of motion is 0 to 360 degrees.")
                )
    else:
        for field_name, value in (("baseline", goal.baseline), ("target", goal.target)):
            if value < 0:
                found.append((field_name, f"{name}: a score cannot be negative."))
    return found


def _problems_of_details(details: PlanDetails, client: Client) -> list[str]:
    found: list[str] = []
    bad = [code for code in details.problems if not re.match(ICD10_PATTERN, code)]
    if bad:
        found.append(
            f"{', '.join(bad)}: not an ICD-10-CM code (a letter, a digit, a digit or "
            "letter, then optionally a dot and 1-4 more characters, e.g. M54.50)."
        )
    if details.review_on < details.starts_on:
        found.append("The review date cannot be before the start date.")
    if not 1 <= details.visits_planned <= MAX_VISITS:
        found.append(f"Plan between 1 and {MAX_VISITS} visits.")
    if not 1 <= details.visits_per_week <= MAX_VISITS_PER_WEEK:
        found.append("Plan between 1 and 7 visits a week.")
    if not 15 <= details.session_minutes <= MAX_SESSION_MINUTES:
        found.append(f"A session lasts between 15 and {MAX_SESSION_MINUTES} minutes.")
    if details.referral is not None and details.referral.client_id != client.pk:
        found.append("That referral belongs to another client.")
    kept = [g for g in details.goals if not g.remove]
    for goal in kept:
        found.extend(message for _, message in goal_problems(goal))
    return found


def _raise(found: list[str]) -> None:
    if found:
        raise ValidationError(found)


# --- Plans ------------------------------------------------------------------------


def _goal_fields(goal: GoalDetails) -> dict:
    numeric = goal.measure != Measure.TEXT
    return {
        "description": goal.description.strip(),
        "measure": goal.measure,
        "unit": (goal.unit.strip() or default_unit(goal.measure)) if numeric else "",
        "movement": goal.movement.strip()
        if goal.measure == Measure.RANGE_OF_MOTION
        else "",
        "baseline": goal.baseline if numeric else None,
        "target": goal.target if numeric else None,
        "baseline_text": "" if numeric else goal.baseline_text.strip(),
        "target_text": "" if numeric else goal.target_text.strip(),
        "achieved_on": goal.achieved_on,
    }


def goals_with_measures(goal_ids: Sequence[int]) -> set[int]:
    """The goals some visit note has recorded a measure for (one query)."""
    keys = [str(pk) for pk in goal_ids]
    if not keys:
        return set()
    found: set[int] = set()
    for measures in SessionNote.objects.filter(measures__has_any_keys=keys).values_list(
        "measures", flat=True
    ):
        found.update(int(k) for k in measures if k in keys)
    return found


def _save_goals(plan: TreatmentPlan, goals: Sequence[GoalDetails]) -> None:
    existing = {g.pk: g for g in plan.goals.all()}
    unknown = [g.goal_id for g in goals if g.goal_id and g.goal_id not in existing]
    if unknown:
        raise ValidationError(
            "A goal on the form is not part of this plan any more: reload the page."
        )
    removed = [g.goal_id for g in goals if g.goal_id and g.remove]
    measured = goals_with_measures(removed)
    if measured:
        names = ", ".join(f"“{existing[pk].description}”" for pk in sorted(measured))
        raise ValidationError(
            f"{names}: visit notes already record measures for this goal, so it stays "
            "in the plan; mark it achieved, or leave it as it is."
        )
    for details in goals:
        if details.goal_id and details.remove:
            existing[details.goal_id].delete()
        elif details.goal_id:
            goal = existing[details.goal_id]
            for name, value in _goal_fields(details).items():
                setattr(goal, name, value)
            goal.save()
        elif not details.remove:
            Goal.objects.create(plan=plan, **_goal_fields(details))


def _apply(plan: TreatmentPlan, details: PlanDetails) -> None:
    plan.referral = details.referral
    plan.problems = list(dict.fromkeys(details.problems))
    plan.visits_per_week = details.visits_per_week
    plan.visits_planned = details.visits_planned
    plan.session_minutes = details.session_minutes
    plan.starts_on = details.starts_on
    plan.review_on = details.review_on
    plan.home_care_plan = details.home_care_plan.strip()


@transaction.atomic
def plan_create(
    *,
    client: Client,
    therapist: Therapist,
    details: PlanDetails,
    by: User,
    context: AuditContext,
) -> TreatmentPlan:
    """A new draft plan with its goals; the therapist then starts it."""
    found = _problems_of_details(details, client)
    if client.is_archived:
        found.insert(0, f"{client.full_name} is archived: unarchive them first.")
    if not therapist.is_active:
        found.insert(0, f"{therapist.full_name} is no longer active at the clinic.")
    _raise(found)
    plan = TreatmentPlan(client=client, therapist=therapist, status=Status.DRAFT)
    _apply(plan, details)
    plan.save()
    plan.planned_modalities.set(details.modalities)
    _save_goals(plan, details.goals)
    goals = sum(1 for g in details.goals if not g.remove)
    audit_record(
        context,
        AuditEvent.Action.CREATE,
        plan,
        client_id=client.pk,
        summary=f"Created a treatment plan with {goals} goals",
    )
    return plan


@transaction.atomic
def plan_update(
    *,
    plan: TreatmentPlan,
    details: PlanDetails,
    by: User,
    context: AuditContext,
    therapist: Therapist | None = None,
) -> TreatmentPlan:
    """Change an open plan (draft or active); a closed plan is a record."""
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.status in CLOSED_STATUSES:
        raise ValidationError(
            f"This plan is {plan.get_status_display().lower()}: it can no longer be "
            "changed. Start a new plan instead."
        )
    found = _problems_of_details(details, plan.client)
    if therapist is not None and therapist.pk != plan.therapist_id:
        if not therapist.is_active:
            found.insert(0, f"{therapist.full_name} is no longer active at the clinic.")
        plan.therapist = therapist
    _raise(found)
    _apply(plan, details)
    plan.save()
    plan.planned_modalities.set(details.modalities)
    _save_goals(plan, details.goals)
    audit_record(
        context,
        AuditEvent.Action.CHANGE,
        plan,
        client_id=plan.client_id,
        summary="Changed the treatment plan",
    )
    return plan


@transaction.atomic
def plan_set_status(
    *,
    plan: TreatmentPlan,
    status: str,
    by: User,
    context: AuditContext,
    reason: str = "",
) -> TreatmentPlan:
    """Move the plan on: start it, complete it, or discontinue it with a reason."""
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if status not in Status.values:
        raise ValidationError("Choose a status for the plan.")
    if status == plan.status:
        raise ValidationError(
            f"The plan is already {plan.get_status_display().lower()}."
        )
    if status not in TRANSITIONS[plan.status]:
        raise ValidationError(
            f"A {plan.get_status_display().lower()} plan cannot become "
            f"{Status(status).label.lower()}."
        )
    reason = reason.strip()
    if status == Status.DISCONTINUED and not reason:
        raise ValidationError(
            {"reason": "Say why the plan is discontinued, e.g. “client moved away”."}
        )
    if status == Status.ACTIVE and not plan.goals.exists():
        raise ValidationError(
            "Add at least one measurable goal before starting the plan."
        )
    before = plan.get_status_display()
    plan.status = status
    plan.discontinued_reason = reason[:250] if status == Status.DISCONTINUED else ""
    plan.save(update_fields=["status", "discontinued_reason", "updated_at"])
    audit_record(
        context,
        AuditEvent.Action.CHANGE,
        plan,
        client_id=plan.client_id,
        summary=f"Plan status: {before} -> {plan.get_status_display()}",
    )
    return plan


def plan_modality_warnings(
    *, client: Client, modalities: Sequence[Modality], on: date
) -> list[SafetyVerdict]:
    """The planned modalities that need care or are ruled out for the client on `on`.

    A warning, not a refusal: the plan is a plan; each visit is checked again when it
    is booked and when its note is written.
    """
    if not modalities:
        return []
    flags = flags_in_force(client, on)
    if not flags:
        return []
    verdicts = [
        modality_safety(client=client, modality=m, on=on, flags=flags)
        for m in modalities
    ]
    return [v for v in verdicts if not v.safe]


# --- Progress reports --------------------------------------------------------------


@transaction.atomic
def progress_report_create(
    *,
    plan: TreatmentPlan,
    therapist: Therapist,
    period_start: date,
    period_end: date,
    assessment: str,
    recommendation: str,
    by: User,
    context: AuditContext,
) -> ProgressReport:
    """The therapist's report to the referring physician over a period of the plan."""
    found: list[str] = []
    if period_end < period_start:
        found.append("The period must end on or after the day it starts.")
    if not assessment.strip():
        found.append("Write your assessment: how the client responded to treatment.")
    if not recommendation.strip():
        found.append("Write your recommendation: what you advise next.")
    if plan.status == Status.DRAFT:
        found.append("Start the plan before reporting on it.")
    _raise(found)
    report = ProgressReport.objects.create(
        plan=plan,
        therapist=therapist,
        period_start=period_start,
        period_end=period_end,
        assessment=assessment.strip(),
        recommendation=recommendation.strip(),
        created_by=by,
    )
    audit_record(
        context,
        AuditEvent.Action.CREATE,
        report,
        client_id=plan.client_id,
        summary="Wrote a progress report for the referring provider",
    )
    return report
