"""Therapists' modification plans: using a technique the safety rules rule out.

A rule such as "no deep tissue: anticoagulant" refuses the technique at booking. A
licensed therapist who judges it right for this client, with changes, records a plan
for a bounded period; while it is in force `modality_safety` answers "safe with a
modification" (the plan's changes) instead of "not this technique". A plan never
lifts "no massage": only a physician's clearance does. Recording and withdrawing
write their audit rows in their own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from clients.access import treats
from clients.models import Client, Contraindication, ModificationPlan
from clients.safety import Outcome, flags_in_force, modality_safety
from clients.uploads import rename_for_storage, validate_upload
from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent
from massageclinic.roles import Role, user_roles
from therapists.models import Modality, Therapist
from therapists.rules import active_problem, licence_problem

ONLY_LICENSED = "Only a licensed therapist can record a modification plan."
NO_MASSAGE_REFUSAL = (
    "No massage until a physician's clearance is recorded: a modification plan "
    "cannot lift it."
)


def _therapist_of(user: User) -> Therapist | None:
    try:
        return user.therapist  # reverse one-to-one: raises when there is none
    except (AttributeError, ObjectDoesNotExist):
        return None


def _a_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February: the year after has none
        return day.replace(year=day.year + 1, day=28)


def _check_recorder(by: User, starts_on: date) -> Therapist:
    therapist = _therapist_of(by)
    if therapist is None:
        raise ValidationError(ONLY_LICENSED)
    problem = active_problem(therapist) or licence_problem(therapist, starts_on)
    if problem:
        raise ValidationError(f"{problem} {ONLY_LICENSED}")
    return therapist


def _check_dates(*, starts_on: date, ends_on: date, today: date) -> None:
    if starts_on < today:
        raise ValidationError(
            {
                "starts_on": "A modification plan cannot start in the past: start "
                f"it on {today:%d %b %Y} or later."
            }
        )
    if ends_on < starts_on:
        raise ValidationError(
            {"ends_on": "The plan must end on or after the day it starts."}
        )
    latest = _a_year_after(starts_on)
    if ends_on > latest:
        raise ValidationError(
            {
                "ends_on": "A modification plan lasts at most a year: end it by "
                f"{latest:%d %b %Y} and record a new one after reviewing it."
            }
        )


def _check_no_overlap(
    *, client: Client, modality: Modality, starts_on: date, ends_on: date
) -> None:
    other = (
        ModificationPlan.objects.filter(
            client=client,
            modality=modality,
            withdrawn_at__isnull=True,
            starts_on__lte=ends_on,
            ends_on__gte=starts_on,
        )
        .select_related("therapist__user")
        .first()
    )
    if other is not None:
        raise ValidationError(
            f"A modification plan for {modality.name} is already in force for "
            f"{client.full_name} from {other.starts_on:%d %b %Y} to "
            f"{other.ends_on:%d %b %Y}: withdraw it before recording a new one."
        )


def _check_ruled_out(*, client: Client, modality: Modality, on: date) -> None:
    """The rules, without any plan (none overlaps by now), must rule it out."""
    verdict = modality_safety(client=client, modality=modality, on=on)
    if verdict.no_massage:
        raise ValidationError(NO_MASSAGE_REFUSAL)
    if verdict.outcome != Outcome.NOT_THIS_TECHNIQUE:
        raise ValidationError(
            {
                "modality": f"{modality.name} is not ruled out for "
                f"{client.full_name}: no plan is needed."
            }
        )


@transaction.atomic
def modification_plan_record(
    *,
    client: Client,
    modality: Modality,
    changes: str,
    reason: str,
    starts_on: date,
    ends_on: date,
    clearance_document: UploadedFile | None = None,
    by: User,
    today: date,
    context: AuditContext,
) -> ModificationPlan:
    """Record a licensed therapist's plan to use a ruled-out technique, with changes."""
    therapist = _check_recorder(by, starts_on)
    if not treats(by, client):
        raise ValidationError(
            f"Only a therapist who treats {client.full_name} can record a "
            "modification plan for them."
        )
    # Lock the client: two plans posted at once must not both pass the overlap check.
    Client.objects.select_for_update().filter(pk=client.pk).get()
    changes, reason = changes.strip(), reason.strip()
    missing = {}
    if not changes:
        missing["changes"] = "Say what changes, e.g. light pressure, no friction."
    if not reason:
        missing["reason"] = "Say why this technique is right for this client."
    if missing:
        raise ValidationError(missing)
    _check_dates(starts_on=starts_on, ends_on=ends_on, today=today)
    _check_no_overlap(
        client=client, modality=modality, starts_on=starts_on, ends_on=ends_on
    )
    _check_ruled_out(client=client, modality=modality, on=starts_on)
    plan = ModificationPlan(
        client=client,
        modality=modality,
        changes=changes,
        reason=reason,
        starts_on=starts_on,
        ends_on=ends_on,
        therapist=therapist,
    )
    if clearance_document is not None:
        plan.clearance_document = rename_for_storage(
            clearance_document, validate_upload(clearance_document)
        )
    plan.full_clean()
    plan.save()
    audit_record(
        context,
        AuditEvent.Action.CREATE,
        plan,
        client_id=client.pk,
        summary=f"Recorded modification plan: {modality.name} until "
        f"{ends_on:%Y-%m-%d}: {changes}",
    )
    return plan


def can_withdraw(user: User, plan: ModificationPlan) -> bool:
    """The therapist who recorded the plan, or the clinic manager."""
    if Role.MANAGER in user_roles(user):
        return True
    therapist = _therapist_of(user)
    return therapist is not None and therapist.pk == plan.therapist_id


@transaction.atomic
def modification_plan_withdraw(
    *, plan: ModificationPlan, by: User, now: datetime, context: AuditContext
) -> ModificationPlan:
    """Withdraw a plan: from now on the rules rule the technique out again."""
    plan = ModificationPlan.objects.select_for_update().get(pk=plan.pk)
    if not can_withdraw(by, plan):
        raise ValidationError(
            "Only the therapist who recorded this plan, or the clinic manager, can "
            "withdraw it."
        )
    if plan.withdrawn_at is not None:
        raise ValidationError(
            f"This plan was already withdrawn on {plan.withdrawn_at:%d %b %Y}."
        )
    plan.withdrawn_at = now
    plan.withdrawn_by = by
    plan.save(update_fields=["withdrawn_at", "withdrawn_by"])
    audit_record(
        context,
        AuditEvent.Action.CHANGE,
        plan,
        client_id=plan.client_id,
        summary=f"Withdrew modification plan: {plan.modality.name}",
    )
    return plan


# --- Reads for the chart ---------------------------------------------------------


def ruled_out_techniques(
    *,
    client: Client,
    on: date,
    flags: Iterable[Contraindication] | None = None,
    among: Iterable[Modality] | None = None,
) -> list[Modality]:
    """The active techniques the rules rule out for `client` on `on` (plans in
    force already counted: those techniques are allowed with changes)."""
    flags = list(flags_in_force(client, on) if flags is None else flags)
    if not flags:
        return []
    candidates = (
        Modality.objects.filter(is_active=True).order_by("name")
        if among is None
        else among
    )
    return [
        m
        for m in candidates
        if modality_safety(client=client, modality=m, on=on, flags=flags).outcome
        == Outcome.NOT_THIS_TECHNIQUE
    ]


@dataclass(frozen=True)
class PlansSection:
    """What the chart shows: the plans not yet ended, and what the rules rule out."""

    plans: list[ModificationPlan]
    ruled_out: list[Modality]
    no_massage: bool


def modification_plans_section(*, client: Client, today: date) -> PlansSection:
    flags = flags_in_force(client, today)
    plans = list(
        client.modification_plans.filter(withdrawn_at__isnull=True, ends_on__gte=today)
        .select_related("modality", "therapist__user")
        .order_by("starts_on", "modality__name")
    )
    if not flags:
        return PlansSection(plans=plans, ruled_out=[], no_massage=False)
    techniques = list(Modality.objects.filter(is_active=True).order_by("name"))
    # "No massage" does not depend on the technique: any one of them tells.
    no_massage = bool(techniques) and (
        modality_safety(
            client=client, modality=techniques[0], on=today, flags=flags
        ).no_massage
    )
    ruled_out = (
        []
        if no_massage
        else ruled_out_techniques(
            client=client, on=today, flags=flags, among=techniques
        )
    )
    return PlansSection(plans=plans, ruled_out=ruled_out, no_massage=no_massage)
