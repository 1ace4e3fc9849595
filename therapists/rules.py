"""The rules about a therapist: licensed on the day, trained, working, not on time off.

Each rule is a pure function of what was read (the caller loads hours, time off and
trainings, one at a time or in bulk) and answers with a sentence for the front desk,
or None when the therapist can take the visit. `sessions.scheduling.rules` asks them
for every visit that booking, moving, the series preview, the next-opening search and
the waitlist matcher consider.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from massageclinic.clock import local_datetime
from massageclinic.models import Location
from therapists.models import Modality, Therapist, TimeOff, WorkingHours

Span = tuple[datetime, datetime]


def _fmt(moment: datetime, location: Location, pattern: str = "%a %d %b %H:%M") -> str:
    return moment.astimezone(location.zone).strftime(pattern)


def active_problem(therapist: Therapist) -> str | None:
    return None if therapist.is_active else f"{therapist.full_name} is not active."


def licence_problem(therapist: Therapist, day: date) -> str | None:
    """A therapist treats only while licensed, judged on the visit's local day."""
    if therapist.license_valid_on(day):
        return None
    return (
        f"{therapist.full_name}'s license expired on "
        f"{therapist.license_expires_on:%d %b %Y}; they cannot treat on {day:%d %b %Y}."
    )


def training_problem(
    therapist: Therapist, modality: Modality, *, trained: bool
) -> str | None:
    """The technique must be offered by the clinic and by this therapist."""
    if not modality.is_active:
        return f"{modality.name} is no longer offered."
    if not trained:
        return f"{therapist.full_name} does not offer {modality.name}."
    return None


def block_span(day: date, block: WorkingHours, location: Location) -> Span:
    """One block of weekly hours (wall-clock times) on a local day, as real instants."""
    return (
        local_datetime(day, block.starts_at, location),
        local_datetime(day, block.ends_at, location),
    )


def hours_spans(
    blocks: Iterable[WorkingHours], day: date, location: Location
) -> list[Span]:
    return [block_span(day, block, location) for block in blocks]


def hours_problem(
    therapist: Therapist,
    location: Location,
    visit: Span,
    blocks: Sequence[WorkingHours],
) -> str | None:
    """The whole visit lies inside one block of the day's hours, in real time.

    `blocks` are the therapist's hours at the location on the weekday of the visit's
    local start. Comparing instants, not wall times, keeps a visit in the repeated
    autumn hour or across the missing spring hour to its true length.
    """
    start, end = visit
    day = start.astimezone(location.zone).date()
    if any(s <= start and end <= e for s, e in hours_spans(blocks, day, location)):
        return None
    weekday = start.astimezone(location.zone).strftime("%A")
    if not blocks:
        return f"{therapist.full_name} does not work at {location.name} on {weekday}s."
    hours = ", ".join(f"{b.starts_at:%H:%M}-{b.ends_at:%H:%M}" for b in blocks)
    return (
        f"{_fmt(start, location, '%H:%M')}-{_fmt(end, location, '%H:%M')} is outside "
        f"{therapist.full_name}'s hours at {location.name} on {weekday}s ({hours})."
    )


def time_off_problem(
    therapist: Therapist, location: Location, busy: Span, off: Sequence[TimeOff]
) -> str | None:
    """No part of the therapist's busy time (travel included) falls in time off."""
    start, end = busy
    clash = next((o for o in off if o.starts_at < end and o.ends_at > start), None)
    if clash is None:
        return None
    reason = f" ({clash.reason})" if clash.reason else ""
    return (
        f"{therapist.full_name} is off from {_fmt(clash.starts_at, location)} "
        f"to {_fmt(clash.ends_at, location)}{reason}."
    )
