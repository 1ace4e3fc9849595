"""Business rules for clients' safety flags.

Flags come from a submitted history by rules, or from staff. The intake's own flags
follow the newest history (`flags_follow_history`): added, updated in place, or
resolved as superseded by it; staff's flags are theirs alone. Who added, changed,
resolved or cleared a flag, and when, is always recorded. Each change writes its
audit row in its own transaction, from the `AuditContext` it is given, so the row
exists exactly when the change committed.

`context=None` is accepted only by the functions older callers outside this app
still call without one (they audit for themselves); every caller in this app passes
a context.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TypeVar

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


def surgery_is_recent(when: date, on: date) -> bool:
    """A surgery counts as recent (a flag) for six weeks: intake and screening."""
    return on - RECENT_SURGERY <= when <= on


def pregnancy_dates(weeks: int, on: date) -> tuple[date, date]:
    """A pregnancy of `weeks` on `on`: its onset and its due date at full term."""
    onset = on - timedelta(weeks=weeks)
    return onset, on + timedelta(weeks=max(FULL_TERM_WEEKS - weeks, 0))


def _recent_surgeries(history: MedicalHistory) -> list[_FlagSpec]:
    submitted = _submitted_on(history)
    specs = []
    for surgery in history.surgeries or []:
        if not isinstance(surgery, dict):
            continue
        when = _surgery_date(surgery.get("date"))
        if when is None or not surgery_is_recent(when, submitted):
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
    onset, due = pregnancy_dates(weeks, submitted)
    return [
        _FlagSpec(
            "pregnancy",
            detail=f"{weeks} weeks on {submitted:%Y-%m-%d}",
            onset_on=onset,
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
    if IntakeCondition.CANCER in history.conditions:
        # "Cancer or cancer treatment": the therapist reviews it (and resolves the
        # flag when the treatment is long over); until then, the cautious rules.
        specs.append(
            _FlagSpec("cancer-treatment", detail=history.other_conditions[:250])
        )
    if history.allergic_to_oils:
        specs.append(_FlagSpec("oil-allergy", detail=history.allergies[:250]))
    return specs


# --- Flags follow the history ---------------------------------------------------------

# What a history says about a flag; the rest (severity, clearance) is staff's.
_SPEC_FIELDS = ("body_region", "detail", "onset_on", "recheck_on")
_SURGERY = "recent-surgery"
_FAR = 10**6  # days apart, for a date that is not known


@dataclass
class FlagChanges:
    """What a new history did to the flags that came from intake."""

    added: list[Contraindication] = field(default_factory=list)
    updated: list[Contraindication] = field(default_factory=list)
    resolved: list[Contraindication] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.updated or self.resolved)


def flag_label(flag: Contraindication) -> str:
    """The flag as the chart names it: its condition, and the region if it has one."""
    region = flag.get_body_region_display() if flag.body_region else ""
    return f"{flag.condition.name}, {region.lower()}" if region else flag.condition.name


def flag_added_summary_prefix(version: int) -> str:
    return f"Flag added from the history v{version}: "


def flag_updated_summary_prefix(version: int) -> str:
    """How the audit row of an update starts; the chart reads the change after it."""
    return f"Flag updated from the history v{version}: "


def flag_resolved_summary_prefix(version: int) -> str:
    return f"Flag resolved by the history v{version}: "


def superseded_note(history: MedicalHistory) -> str:
    return f"superseded by the history of {_submitted_on(history):%Y-%m-%d}"


def _spec_of_flag(flag: Contraindication) -> _FlagSpec:
    return _FlagSpec(
        flag.condition.slug,
        body_region=flag.body_region,
        detail=flag.detail,
        onset_on=flag.onset_on,
        recheck_on=flag.recheck_on,
    )


def _days_apart(a: _FlagSpec, b: _FlagSpec) -> int:
    if a.onset_on is None or b.onset_on is None:
        return _FAR
    return abs((a.onset_on - b.onset_on).days)


def _same_answer(a: _FlagSpec, b: _FlagSpec) -> bool:
    return _same_surgery(a, b) and a.detail == b.detail


def _same_surgery(a: _FlagSpec, b: _FlagSpec) -> bool:
    return a.body_region == b.body_region and a.onset_on == b.onset_on


def _same_site(a: _FlagSpec, b: _FlagSpec) -> bool:
    return bool(a.body_region) and a.body_region == b.body_region


def _same_day(a: _FlagSpec, b: _FlagSpec) -> bool:
    return a.onset_on is not None and a.onset_on == b.onset_on


def _same_condition(a: _FlagSpec, b: _FlagSpec) -> bool:
    return True


# How an earlier answer is recognised in a later history, most certain first. A
# surgery is the same one if it is at the same site or on the same day (a corrected
# date, a site given at last); two surgeries are told apart by taking the exact
# matches first (the same procedure too, then the same site and day) and then,
# within each test, the nearest date and the same procedure. Every other condition
# is one flag per history, whatever its details.
_SURGERY_TESTS = (_same_answer, _same_surgery, _same_site, _same_day)
_OTHER_TESTS = (_same_condition,)


def _tests_for(slug: str) -> tuple[Callable[[_FlagSpec, _FlagSpec], bool], ...]:
    return _SURGERY_TESTS if slug == _SURGERY else _OTHER_TESTS


_T = TypeVar("_T")


def _pair(
    old: list[tuple[_T, _FlagSpec]], new: list[_FlagSpec]
) -> tuple[list[tuple[_T, _FlagSpec, _FlagSpec]], list[_T], list[_FlagSpec]]:
    """Pair earlier answers (in order of preference) with a history's specs.

    Returns the pairs (item, its spec, the new spec), the items no new spec matches
    and the specs no item matches.
    """
    free = list(old)
    taken: dict[int, tuple[_T, _FlagSpec]] = {}
    for round_ in range(len(_SURGERY_TESTS)):
        for position, spec in enumerate(new):
            if position in taken:
                continue
            tests = _tests_for(spec.condition_slug)
            if round_ >= len(tests):
                continue
            same = tests[round_]
            candidates = [
                (_days_apart(was, spec), was.detail != spec.detail, rank, (item, was))
                for rank, (item, was) in enumerate(free)
                if was.condition_slug == spec.condition_slug and same(was, spec)
            ]
            if candidates:
                *_, chosen = min(candidates, key=lambda c: c[:3])
                taken[position] = chosen
                free.remove(chosen)
    pairs = [(*taken[p], spec) for p, spec in enumerate(new) if p in taken]
    fresh = [spec for p, spec in enumerate(new) if p not in taken]
    return pairs, [item for item, _ in free], fresh


def _origin(
    flag: Contraindication, specs_of: Callable[..., list[_FlagSpec]]
) -> _FlagSpec:
    """What the flag's own history said for it (staff may have edited the flag since).

    A flag without a history, or one its history no longer explains, is its own
    origin: every difference a new history makes to it is then written.
    """
    own = _spec_of_flag(flag)
    if flag.history is None:
        return own
    candidates = [
        spec
        for spec in specs_of(flag.history)
        if spec.condition_slug == own.condition_slug
    ]
    pairs, _, _ = _pair([(flag.pk, own)], candidates)
    return pairs[0][2] if pairs else own


def _preference(flag: Contraindication) -> tuple[bool, bool, int, int]:
    """Which of two open intake flags for one answer to keep (older data has pairs).

    The one a physician cleared, then one staff reviewed, then the newest.
    """
    return (
        flag.cleared_on is None,
        flag.updated_by_id is None,
        -(flag.history.version if flag.history else 0),
        -flag.pk,
    )


def _merge(
    flag: Contraindication, origin: _FlagSpec, spec: _FlagSpec
) -> dict[str, object]:
    """The fields the new history changed, without undoing staff's own edits.

    A field is written only where the new answer differs from what the flag's own
    history said: a region or date staff set on review stays while the history says
    the same.
    """
    changes: dict[str, object] = {}
    for name in _SPEC_FIELDS:
        value = getattr(spec, name)
        if value == getattr(origin, name) or value == getattr(flag, name):
            continue
        changes[name] = value
    onset = changes.get("onset_on", flag.onset_on)
    recheck = changes.get("recheck_on", flag.recheck_on)
    if isinstance(onset, date) and isinstance(recheck, date) and recheck < onset:
        # Staff's date and the history's would cross: the history's pair wins.
        for name in ("onset_on", "recheck_on"):
            if getattr(flag, name) != getattr(spec, name):
                changes[name] = getattr(spec, name)
    return changes


def _change_text(
    flag: Contraindication,
    before: Mapping[str, object],
    origin: _FlagSpec,
    history: MedicalHistory,
) -> str:
    """How an update reads in the audit row and on the chart: what became what."""
    if flag.condition.slug == "pregnancy" and "detail" in before:
        was = _weeks(origin) if before["detail"] == origin.detail else None
        now = history.pregnancy_weeks
        if was is not None and now is not None and was != now:
            return f"{was} -> {now} weeks on {_submitted_on(history):%Y-%m-%d}"
    parts = []
    if "detail" in before:
        parts.append(f"{before['detail'] or '(none)'} -> {flag.detail or '(none)'}")
    if "body_region" in before:
        regions = dict(BodyRegion.choices)
        was_region = regions.get(str(before["body_region"]), "(none)")
        now_region = regions.get(flag.body_region, "(none)")
        parts.append(f"site {was_region.lower()} -> {now_region.lower()}")
    for name, label in (("onset_on", "onset"), ("recheck_on", "recheck")):
        if name in before and not (name == "recheck_on" and "onset_on" in before):
            parts.append(f"{label} {_day(before[name])} -> {_day(getattr(flag, name))}")
    return "; ".join(parts)


def _weeks(spec: _FlagSpec) -> int | None:
    head = spec.detail.split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def _day(value: object) -> str:
    return f"{value:%Y-%m-%d}" if isinstance(value, date) else "(none)"


def flag_described(flag: Contraindication, text: str) -> str:
    """The flag's label, with what is said about it in brackets."""
    return f"{flag_label(flag)} ({text})" if text else flag_label(flag)


def _newer_versions_exist(history: MedicalHistory) -> bool:
    return MedicalHistory.objects.filter(
        client_id=history.client_id, version__gt=history.version
    ).exists()


@transaction.atomic
def flags_follow_history(
    *, history: MedicalHistory, by: User | None, context: AuditContext
) -> FlagChanges:
    """Make the open intake flags say what the newest history says.

    Flags the history calls for and that are not open yet are added; the open ones it
    still calls for are updated in place where its answers changed (same flag, same
    clearance, staff's review kept; `history` then names this version); those it no
    longer calls for are resolved as superseded by it. Staff's and referrals' flags
    are never touched; an open one of the same condition and region stands in for
    a new intake flag, as it always did. Each change writes its audit row here.
    `by` is None for the client's own link.
    """
    if _newer_versions_exist(history):
        raise ValueError(
            f"Version {history.version} is not the client's newest history; "
            "flags follow only the newest."
        )
    cache: dict[int, list[_FlagSpec]] = {history.pk: flag_specs_for_history(history)}

    def specs_of(source: MedicalHistory) -> list[_FlagSpec]:
        if source.pk not in cache:
            cache[source.pk] = flag_specs_for_history(source)
        return cache[source.pk]

    open_flags = list(
        Contraindication.objects.select_for_update(of=("self",))
        .select_related("condition", "history__client__preferred_location")
        .filter(client_id=history.client_id, resolved_at__isnull=True)
    )
    intake = sorted(
        (f for f in open_flags if f.source == FlagSource.INTAKE), key=_preference
    )
    covered = {
        (f.condition.slug, f.body_region)
        for f in open_flags
        if f.source != FlagSource.INTAKE
    }
    pairs, unsupported, fresh = _pair(
        [(flag, _origin(flag, specs_of)) for flag in intake], cache[history.pk]
    )
    changes = FlagChanges()
    for flag, origin, spec in pairs:
        if _flag_update(flag, origin, spec, history=history, by=by, context=context):
            changes.updated.append(flag)
    for flag in unsupported:
        _flag_supersede(flag, history=history, by=by, context=context)
        changes.resolved.append(flag)
    conditions = {c.slug: c for c in Condition.objects.all()}
    for spec in fresh:
        condition = conditions.get(spec.condition_slug)
        if condition is None or (spec.condition_slug, spec.body_region) in covered:
            continue  # a manager removed the condition, or staff flagged it already
        changes.added.append(
            _flag_from_spec(spec, condition, history=history, by=by, context=context)
        )
    return changes


def _flag_update(
    flag: Contraindication,
    origin: _FlagSpec,
    spec: _FlagSpec,
    *,
    history: MedicalHistory,
    by: User | None,
    context: AuditContext,
) -> bool:
    changes = _merge(flag, origin, spec)
    if not changes:
        return False
    before = {name: getattr(flag, name) for name in changes}
    for name, value in changes.items():
        setattr(flag, name, value)
    flag.history = history
    flag.updated_by = by
    flag.save()
    text = _change_text(flag, before, origin, history)
    _audit_flag(
        context,
        AuditEvent.Action.CHANGE,
        flag,
        flag_updated_summary_prefix(history.version) + flag_described(flag, text),
    )
    return True


def _flag_supersede(
    flag: Contraindication,
    *,
    history: MedicalHistory,
    by: User | None,
    context: AuditContext,
) -> None:
    flag.resolved_at = history.submitted_at
    flag.resolved_by = by
    flag.superseded_by = history
    flag.resolution_note = superseded_note(history)
    flag.updated_by = by
    flag.save()
    _audit_flag(
        context,
        AuditEvent.Action.CHANGE,
        flag,
        flag_resolved_summary_prefix(history.version)
        + flag_described(flag, flag.resolution_note),
    )


def _flag_from_spec(
    spec: _FlagSpec,
    condition: Condition,
    *,
    history: MedicalHistory,
    by: User | None,
    context: AuditContext,
) -> Contraindication:
    flag = Contraindication.objects.create(
        client_id=history.client_id,
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
    _audit_flag(
        context,
        AuditEvent.Action.CREATE,
        flag,
        flag_added_summary_prefix(history.version) + flag_described(flag, flag.detail),
    )
    return flag


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
    conditions: str = "",
    expires_on: date | None = None,
) -> Contraindication:
    """Record a physician's clearance: from `cleared_on` until `expires_on` (if given)
    an absolute flag no longer blocks massage, and its `conditions` (what was cleared,
    on what terms) are the modification the safety decision asks for."""
    if flag.severity != Severity.ABSOLUTE:
        raise ValidationError("Only an absolute flag needs a physician's clearance.")
    if not physician.strip():
        raise ValidationError("Name the physician who gave the clearance.")
    if cleared_on > today:
        raise ValidationError("A clearance cannot be dated in the future.")
    if expires_on is not None and expires_on < cleared_on:
        raise ValidationError(
            {"expires_on": "The clearance cannot end before the day it was given."}
        )
    flag.cleared_on = cleared_on
    flag.cleared_by_physician = physician.strip()
    flag.clearance_conditions = conditions.strip()[:250]
    flag.clearance_expires_on = expires_on
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
