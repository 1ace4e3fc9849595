"""A therapist's weekly hours and time off: the rules for changing them, in one place.

Weekly hours are wall-clock times at their location (stored as such, read in the
location's zone by the scheduling rules). Time off is a span of real time, typed as
local date-times in the therapist's zone (`therapist_zone`) and stored in UTC. The
pages, the admin and any import call these functions, so every path refuses the same
things with the same sentence.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent, Location
from massageclinic.reference import lock_reference_data
from therapists.models import Therapist, TimeOff, Weekday, WorkingHours
from therapists.services import therapist_zone

Action = AuditEvent.Action

OVERLAP_CONSTRAINT = "working_hours_no_overlap"


# --- weekly hours ------------------------------------------------------------------


def _hhmm(at: time) -> str:
    return f"{at:%H:%M}"


def working_hours_problem(
    *,
    therapist: Therapist,
    weekday: int,
    starts_at: time | None,
    ends_at: time | None,
    exclude_pk: int | None = None,
    others: list[WorkingHours] | None = None,
) -> str | None:
    """Why this block of weekly hours cannot be, as a sentence; None when it can.

    A block starts before it ends on the same day (no block crosses midnight) and
    overlaps no other block of the therapist on that weekday at any location: a
    therapist is in one place at a time. Back-to-back blocks (09:00-12:00,
    12:00-17:00) are fine. `others` are the therapist's blocks when the caller has
    them (the admin's inline checks a whole week at once); else they are read.
    """
    if weekday not in Weekday.values:
        return "Choose a weekday."
    if starts_at is None or ends_at is None:
        return "Give a start and an end time."
    if starts_at.tzinfo is not None or ends_at.tzinfo is not None:
        return "Give the times as the location's wall-clock times."
    if not starts_at < ends_at:
        return (
            f"The hours must start before they end on the same day "
            f"({_hhmm(starts_at)}-{_hhmm(ends_at)}); a block cannot run past midnight: "
            "split it into two days."
        )
    if others is None:
        others = list(
            WorkingHours.objects.filter(therapist=therapist, weekday=weekday)
            .select_related("location")
            .order_by("starts_at")
        )
    for other in others:
        if other.pk is not None and other.pk == exclude_pk:
            continue
        if other.weekday != weekday:
            continue
        if other.starts_at < ends_at and starts_at < other.ends_at:
            return (
                f"{_hhmm(starts_at)}-{_hhmm(ends_at)} overlaps "
                f"{therapist.full_name}'s {Weekday(weekday).label} hours "
                f"{_hhmm(other.starts_at)}-{_hhmm(other.ends_at)} at "
                f"{other.location.name}; a therapist works in one place at a time."
            )
    return None


def _check_block(
    therapist: Therapist,
    weekday: int,
    starts_at: time,
    ends_at: time,
    exclude_pk: int | None,
) -> None:
    # Lock the therapist's row: two desks adding overlapping blocks at once are
    # serialised here (the exclusion constraint is the referee besides). The
    # reference data's lock first, as every write to hours takes it before its rows.
    lock_reference_data()
    Therapist.objects.select_for_update().filter(pk=therapist.pk).first()
    problem = working_hours_problem(
        therapist=therapist,
        weekday=weekday,
        starts_at=starts_at,
        ends_at=ends_at,
        exclude_pk=exclude_pk,
    )
    if problem:
        raise ValidationError(problem, code="working_hours")


def _save_block(block: WorkingHours) -> None:
    try:
        with transaction.atomic():
            block.save()
    except IntegrityError as error:
        # Lost a race with another desk: the same sentence as the check gives.
        raise ValidationError(
            "These hours overlap hours just saved for the same therapist and day; "
            "reload the page and try again.",
            code="working_hours",
        ) from error


def _describe_block(block: WorkingHours) -> str:
    return (
        f"{Weekday(block.weekday).label} {_hhmm(block.starts_at)}-"
        f"{_hhmm(block.ends_at)} at {block.location.name}"
    )


@transaction.atomic
def working_hours_add(
    *,
    therapist: Therapist,
    location: Location,
    weekday: int,
    starts_at: time,
    ends_at: time,
    context: AuditContext,
) -> WorkingHours:
    """Add one block to the therapist's week, in the location's wall-clock time."""
    _check_block(therapist, weekday, starts_at, ends_at, None)
    block = WorkingHours(
        therapist=therapist,
        location=location,
        weekday=weekday,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    _save_block(block)
    audit_record(
        context,
        Action.CREATE,
        block,
        client_id=None,
        summary=f"Weekly hours of {therapist.full_name}: {_describe_block(block)}",
    )
    return block


@transaction.atomic
def working_hours_change(
    *,
    block: WorkingHours,
    location: Location,
    weekday: int,
    starts_at: time,
    ends_at: time,
    context: AuditContext,
) -> WorkingHours:
    """Change one block of the week (its place, day or times)."""
    before = _describe_block(block)
    _check_block(block.therapist, weekday, starts_at, ends_at, block.pk)
    block.location, block.weekday = location, weekday
    block.starts_at, block.ends_at = starts_at, ends_at
    _save_block(block)
    audit_record(
        context,
        Action.CHANGE,
        block,
        client_id=None,
        summary=(
            f"Weekly hours of {block.therapist.full_name}: {before} -> "
            f"{_describe_block(block)}"
        ),
    )
    return block


@transaction.atomic
def working_hours_remove(*, block: WorkingHours, context: AuditContext) -> None:
    """Take one block off the week (visits already booked stay; pages list them)."""
    summary = f"Weekly hours of {block.therapist.full_name} removed: " + (
        _describe_block(block)
    )
    audit_record(context, Action.CHANGE, block, client_id=None, summary=summary)
    block.delete()


# --- local time ----------------------------------------------------------------------


def _fmt_local(naive: datetime) -> str:
    return f"{naive:%H:%M} on {naive:%a %d %b %Y}"


def local_instant(naive: datetime, zone: ZoneInfo) -> datetime:
    """A wall-clock date-time typed for `zone`, as the one real instant it names.

    A time the clocks skip (02:30 on 8 March 2026 in New York) or pass twice (01:30
    on 1 November 2026) names no single instant: the person is told so, with the
    times that do work, rather than the software guessing an hour either way.
    """
    if naive.tzinfo is not None:
        naive = naive.replace(tzinfo=None)
    first = naive.replace(tzinfo=zone, fold=0)
    second = naive.replace(tzinfo=zone, fold=1)
    round_trip = first.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise ValidationError(
            f"{_fmt_local(naive)} does not exist in {zone.key}: the clocks go "
            "forward that night. Choose a time before or after the skipped hour.",
            code="missing_time",
        )
    if first.utcoffset() != second.utcoffset():
        raise ValidationError(
            f"{_fmt_local(naive)} happens twice in {zone.key}: the clocks go back "
            "that night. Choose a time outside the repeated hour.",
            code="ambiguous_time",
        )
    return first.astimezone(UTC)


# --- time off --------------------------------------------------------------------------


def time_off_span(
    *, therapist: Therapist, starts: datetime, ends: datetime
) -> tuple[datetime, datetime]:
    """Local date-times typed for the therapist, as a UTC span, or why not."""
    zone = therapist_zone(therapist)
    problems: list[ValidationError] = []
    span: list[datetime] = []
    for moment in (starts, ends):
        try:
            span.append(local_instant(moment, zone))
        except ValidationError as error:
            problems.append(error)
    if problems:
        raise ValidationError(problems)
    start, end = span
    if not start < end:
        raise ValidationError(
            "Time off must end after it starts.", code="time_off_order"
        )
    return start, end


def _describe_off(off: TimeOff, zone: ZoneInfo) -> str:
    start, end = off.starts_at.astimezone(zone), off.ends_at.astimezone(zone)
    reason = f" ({off.reason})" if off.reason else ""
    return f"{start:%a %d %b %Y %H:%M}-{end:%a %d %b %Y %H:%M} {zone.key}{reason}"


@transaction.atomic
def time_off_add(
    *,
    therapist: Therapist,
    starts: datetime,
    ends: datetime,
    reason: str,
    context: AuditContext,
) -> TimeOff:
    """Add time off, typed as local date-times in the therapist's zone.

    Visits already booked inside it are not touched: the schedule pages list them
    for the desk to move or cancel with the client's notice.
    """
    starts_utc, ends_utc = time_off_span(therapist=therapist, starts=starts, ends=ends)
    off = TimeOff.objects.create(
        therapist=therapist,
        starts_at=starts_utc,
        ends_at=ends_utc,
        reason=reason.strip()[:200],
    )
    time_off_audit(time_off=off, context=context, created=True)
    return off


def time_off_audit(*, time_off: TimeOff, context: AuditContext, created: bool) -> None:
    """The audit line of time off added or changed (the admin saves through it too)."""
    therapist = time_off.therapist
    audit_record(
        context,
        Action.CREATE if created else Action.CHANGE,
        time_off,
        client_id=None,
        summary=(
            f"Time off of {therapist.full_name}: "
            f"{_describe_off(time_off, therapist_zone(therapist))}"
        ),
    )


@transaction.atomic
def time_off_remove(*, time_off: TimeOff, context: AuditContext) -> None:
    """Remove time off: the therapist is bookable in that time again."""
    summary = (
        f"Time off of {time_off.therapist.full_name} removed: "
        f"{_describe_off(time_off, therapist_zone(time_off.therapist))}"
    )
    audit_record(context, Action.CHANGE, time_off, client_id=None, summary=summary)
    time_off.delete()
