"""What the database refused in a race, as the sentence a person can act on.

The services check first; when another desk wins the moment between the check and
the write, the database's exclusion constraints (two visits at once) or the trigger
on the client (archived or merged a moment ago, migration 0017) refuse the write,
and these turn the refusal into the sentence the check would have given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from sessions.models import Appointment
from sessions.scheduling.rules import (
    ProposedVisit,
    conflict_message,
    conflicting_visits,
)

OVERLAP_CONSTRAINTS = {
    "appointment_no_therapist_overlap",
    "appointment_no_room_overlap",
    "appointment_no_client_overlap",
}
ARCHIVED_CLIENT = "appointment_client_not_archived"


def _constraint(error: IntegrityError) -> str:
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", "") or ""


def _archived_error(visits: Sequence[ProposedVisit]) -> ValidationError:
    client = visits[0].client if visits else None
    name = client.full_name if client is not None else "The client"
    return ValidationError(
        f"{name}'s record was archived or merged into another a moment ago: open "
        "their chart and book on the record it points to. Nothing was booked."
    )


def _refusal(
    error: IntegrityError,
    visits: Sequence[ProposedVisit],
    exclude: list[int],
    name_visit: Callable[[int, ProposedVisit], str] | None = None,
) -> ValidationError:
    """The sentence for a refusal of ours; the error itself for anything else."""
    constraint = _constraint(error)
    if constraint == ARCHIVED_CLIENT:
        return _archived_error(visits)
    if constraint in OVERLAP_CONSTRAINTS:
        return _conflict_error(visits, exclude, name_visit)
    raise error


def _conflict_error(
    visits: Sequence[ProposedVisit],
    exclude: list[int],
    name_visit: Callable[[int, ProposedVisit], str] | None = None,
) -> ValidationError:
    """The sentence for a race lost to another desk (the database's exclusion
    constraint refused the insert): who holds the time now, read afresh, prefixed
    with `name_visit` of the visit when given (a series names its visit)."""
    for index, visit in enumerate(visits):
        conflicts = conflicting_visits(visit, exclude=exclude)
        if conflicts:
            prefix = f"{name_visit(index, visit)}: " if name_visit else ""
            return ValidationError(
                [
                    prefix + conflict_message(kind, other, visit)
                    for kind, other in conflicts
                ]
            )
    return ValidationError(
        "Someone booked this time a moment ago. Choose another time."
    )


def save_or_conflict(appointment: Appointment, visit: ProposedVisit) -> None:
    """Save; a lost race with another desk becomes the usual conflict sentence."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        exclude = [appointment.pk] if appointment.pk else []
        raise _refusal(error, [visit], exclude) from None


def insert_or_conflict(
    appointments: list[Appointment],
    visits: Sequence[ProposedVisit],
    name_visit: Callable[[int, ProposedVisit], str] | None = None,
) -> None:
    """Insert a batch in one statement; a lost race becomes the conflict sentence."""
    try:
        with transaction.atomic():
            Appointment.objects.bulk_create(appointments)
    except IntegrityError as error:
        raise _refusal(error, visits, [], name_visit) from None
