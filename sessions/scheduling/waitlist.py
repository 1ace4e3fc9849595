"""The waitlist: a client's wish for an earlier or another slot, added and closed.

Which entries fit a freed slot is `openings.waitlist_matches` (the scheduling rules
and the safety decision, as booking asks them).
"""

from __future__ import annotations

from datetime import date, datetime, time

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from massageclinic.lengths import minutes_problem
from sessions.models import Appointment, WaitlistEntry


def waitlist_entry_problems(
    *,
    wanted_from: date | None,
    wanted_until: date | None,
    earliest_time: time | None,
    latest_time: time | None,
    duration_minutes: int | None,
) -> dict[str, str]:
    """What is wrong with a waitlist wish, by field (the form and the service ask)."""
    problems = {}
    if wanted_from and wanted_until and wanted_until < wanted_from:
        problems["wanted_until"] = "The last date is before the first one."
    if earliest_time and latest_time and latest_time <= earliest_time:
        problems["latest_time"] = "'Not after' must be later than 'not before'."
    if duration_minutes is not None and (wrong := minutes_problem(duration_minutes)):
        problems["duration_minutes"] = wrong
    return problems


@transaction.atomic
def waitlist_add(*, entry: WaitlistEntry, by: User) -> WaitlistEntry:
    """Put a client on the waitlist with what would suit them."""
    problems = waitlist_entry_problems(
        wanted_from=entry.wanted_from,
        wanted_until=entry.wanted_until,
        earliest_time=entry.earliest_time,
        latest_time=entry.latest_time,
        duration_minutes=entry.duration_minutes,
    )
    if problems:
        raise ValidationError(list(problems.values()))
    entry.created_by = by
    entry.save()
    return entry


@transaction.atomic
def waitlist_close(
    *,
    entry: WaitlistEntry,
    now: datetime,
    appointment: Appointment | None = None,
) -> WaitlistEntry:
    """Close a waitlist entry: taken off by hand, or booked as `appointment`.

    When booking, call it in the booking's transaction: if it raises, the visit is
    not booked either.
    """
    locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.closed_at is not None:
        if appointment is None:
            raise ValidationError("This waitlist entry is already closed.")
        raise ValidationError(
            f"{appointment.client.full_name}'s waitlist entry was closed a moment ago "
            "(booked by someone else?). Check the calendar before booking again."
        )
    if appointment is not None and locked.client_id != appointment.client_id:
        raise ValidationError(
            "The waitlist entry is for another client. Book that client, or start a "
            "new booking without the waitlist."
        )
    locked.closed_at = now
    locked.booked_appointment = appointment
    locked.save(update_fields=["closed_at", "booked_appointment"])
    entry.closed_at, entry.booked_appointment = now, appointment
    return locked
