"""Business rules for clients' safety flags.

Flags come from a submitted history by rules (`flags_from_history`), or from staff;
who added, changed, resolved or cleared a flag, and when, is always recorded. Each
change writes its audit row in its own transaction, from the `AuditContext` it is
given, so the row exists exactly when the change committed.

`context=None` is accepted only by the functions older callers outside this app
still call without one (they audit for themselves); every caller in this app passes
a context.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from clients.models import (
    Client,
    Condition,
    Contraindication,
    FlagSource,
    IntakeCondition,
    MedicalHistory,
    Severity,
)
from massageclinic.audit import AuditContext, audit_record
from massageclinic.choices import BodyRegion
from massageclinic.clock import local_date
from massageclinic.models import AuditEvent, Location

RECENT_SURGERY = timedelta(weeks=6)
FULL_TERM_WEEKS = 40


@dataclass(frozen=True)
class _FlagSpec:
    """A flag a history calls for, before it is written."""

    condition_slug: str
    body_region: str = ""
    detail: str = ""
    onset_on: date | None = None
    recheck_on: date | None = None


def _surgery_date(raw: object) -> date | None:
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        return None


def _region(raw: object) -> str:
    value = str(raw or "")
    return value if value in BodyRegion.values else ""


def history_location(history: MedicalHistory) -> Location | None:
    """Where the history's dates count: the client's preferred location, if any.

    None lets `massageclinic.clock` fall back to the clinic's own location.
    """
    return history.client.preferred_location if history.client_id else None


def _submitted_on(history: MedicalHistory) -> date:
    """The day the history was signed where the client is treated."""
    return local_date(history.submitted_at, history_location(history))


def _recent_surgeries(history: MedicalHistory) -> list[_FlagSpec]:
    submitted = _submitted_on(history)
    specs = []
    for surgery in history.surgeries or []:
        if not isinstance(surgery, dict):
            continue
        when = _surgery_date(surgery.get("date"))
        if when is None or not (submitted - RECENT_SURGERY <= when <= submitted):
            continue
        specs.append(
            _FlagSpec(
                "recent-surgery",
                body_region=_region(surgery.get("site")),
                detail=str(surgery.get("procedure", ""))[:250],
                onset_on=when,
                recheck_on=when + RECENT_SURGERY,
            )
        )
    return specs


def _pregnancy(history: MedicalHistory) -> list[_FlagSpec]:
    if not history.pregnant:
        return []
    submitted = _submitted_on(history)
    weeks = history.pregnancy_weeks
    if weeks is None:
        return [_FlagSpec("pregnancy", detail="Weeks not given")]
    due = submitted + timedelta(weeks=max(FULL_TERM_WEEKS - weeks, 0))
    return [
        _FlagSpec(
            "pregnancy",
            detail=f"{weeks} weeks on {submitted:%Y-%m-%d}",
            onset_on=submitted - timedelta(weeks=weeks),
            recheck_on=due,
        )
    ]


def flag_specs_for_history(history: MedicalHistory) -> list[_FlagSpec]:
    """The flags a history calls for, by rule (no database writes)."""
    specs: list[_FlagSpec] = []
    if history.takes_anticoagulants:
        specs.append(_FlagSpec("anticoagulants", detail=history.medications[:250]))
    if history.clotting_disorder:
        specs.append(_FlagSpec("clotting-disorder"))
    if history.dvt_history:
        specs.append(_FlagSpec("dvt-history"))
    specs.extend(_pregnancy(history))
    specs.extend(_recent_surgeries(history))
    if history.fragile_skin:
        specs.append(_FlagSpec("fragile-skin", detail=history.skin_conditions[:250]))
    if history.long_term_corticosteroids:
        specs.append(_FlagSpec("corticosteroids"))
    if history.implanted_devices.strip():
        specs.append(
            _FlagSpec("implanted-device", detail=history.implanted_devices[:250])
        )
    if IntakeCondition.NEUROPATHY in history.conditions:
        specs.append(_FlagSpec("neuropathy"))
    if history.allergic_to_oils:
        specs.append(_FlagSpec("oil-allergy", detail=history.allergies[:250]))
    return specs


def _already_flagged(client: Client, spec: _FlagSpec) -> bool:
    return client.contraindications.filter(
        condition__slug=spec.condition_slug,
        body_region=spec.body_region,
        resolved_at__isnull=True,
    ).exists()


@transaction.atomic
def flags_from_history(
    *, history: MedicalHistory, by: User | None
) -> list[Contraindication]:
    """Add the flags a submitted history calls for; an open flag is not doubled."""
    conditions = {c.slug: c for c in Condition.objects.all()}
    created = []
    for spec in flag_specs_for_history(history):
        condition = conditions.get(spec.condition_slug)
        if condition is None or _already_flagged(history.client, spec):
            continue  # a manager removed the condition, or the flag is already open
        created.append(
            Contraindication.objects.create(
                client=history.client,
                condition=condition,
                severity=condition.default_severity,
                body_region=spec.body_region,
                detail=spec.detail,
                onset_on=spec.onset_on,
                recheck_on=spec.recheck_on,
                source=FlagSource.INTAKE,
                history=history,
                created_by=by,
            )
        )
    return created


def _check_dates(onset_on: date | None, recheck_on: date | None) -> None:
    if onset_on and recheck_on and recheck_on < onset_on:
        raise ValidationError("The recheck date cannot be before the onset.")


def _check_region(severity: str, body_region: str) -> None:
    if severity == Severity.REGIONAL and not body_region:
        raise ValidationError("A regional flag needs the body region to avoid.")


def _audit_flag(
    context: AuditContext, action: str, flag: Contraindication, summary: str
) -> None:
    audit_record(context, action, flag, client_id=flag.client_id, summary=summary)


@transaction.atomic
def contraindication_add(
    *,
    client: Client,
    condition: Condition,
    severity: str,
    by: User,
    body_region: str = "",
    detail: str = "",
    onset_on: date | None = None,
    recheck_on: date | None = None,
    context: AuditContext,
) -> Contraindication:
    _check_dates(onset_on, recheck_on)
    _check_region(severity, body_region)
    flag = Contraindication.objects.create(
        client=client,
        condition=condition,
        severity=severity,
        body_region=body_region,
        detail=detail,
        onset_on=onset_on,
        recheck_on=recheck_on,
        source=FlagSource.STAFF,
        created_by=by,
        updated_by=by,
    )
    _audit_flag(
        context,
        AuditEvent.Action.CREATE,
        flag,
        f"Added safety flag: {condition.name}",
    )
    return flag


EDITABLE_FLAG_FIELDS = ("severity", "body_region", "detail", "onset_on", "recheck_on")


@transaction.atomic
def contraindication_update(
    *,
    flag: Contraindication,
    by: User,
    context: AuditContext,
    **changes: object,
) -> Contraindication:
    unknown = set(changes) - set(EDITABLE_FLAG_FIELDS)
    if unknown:
        raise ValueError(f"Not editable on a flag: {', '.join(sorted(unknown))}")
    if flag.resolved_at is not None:
        raise ValidationError(
            "This flag is resolved; add a new one instead of editing it."
        )
    for name, value in changes.items():
        setattr(flag, name, value)
    _check_dates(flag.onset_on, flag.recheck_on)
    _check_region(flag.severity, flag.body_region)
    flag.updated_by = by
    flag.save()
    _audit_flag(
        context,
        AuditEvent.Action.CHANGE,
        flag,
        f"Changed safety flag: {flag.condition.name}",
    )
    return flag


@transaction.atomic
def contraindication_resolve(
    *,
    flag: Contraindication,
    by: User,
    now: datetime,
    note: str = "",
    context: AuditContext,
) -> Contraindication:
    if flag.resolved_at is not None:
        raise ValidationError("This flag is already resolved.")
    flag.resolved_at = now
    flag.resolved_by = by
    flag.resolution_note = note[:250]
    flag.updated_by = by
    flag.save()
    _audit_flag(
        context,
        AuditEvent.Action.CHANGE,
        flag,
        f"Resolved safety flag: {flag.condition.name}",
    )
    return flag


@transaction.atomic
def contraindication_clear(
    *,
    flag: Contraindication,
    by: User,
    cleared_on: date,
    physician: str,
    document: UploadedFile | None,
    today: date,
    context: AuditContext,
) -> Contraindication:
    """Record a physician's clearance; from `cleared_on`, an absolute flag blocks nothing."""
    if flag.severity != Severity.ABSOLUTE:
        raise ValidationError("Only an absolute flag needs a physician's clearance.")
    if not physician.strip():
        raise ValidationError("Name the physician who gave the clearance.")
    if cleared_on > today:
        raise ValidationError("A clearance cannot be dated in the future.")
    flag.cleared_on = cleared_on
    flag.cleared_by_physician = physician.strip()
    if document is not None:
        flag.clearance_document = document
    flag.clearance_recorded_by = by
    flag.updated_by = by
    flag.save()
    _audit_flag(
        context,
        AuditEvent.Action.CHANGE,
        flag,
        f"Recorded physician clearance: {flag.condition.name}",
    )
    return flag
