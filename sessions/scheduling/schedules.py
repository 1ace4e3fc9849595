"""Booked visits a therapist's schedule no longer covers: in time off, or outside hours.

Time off and weekly hours are saved even when visits are already booked in the time
they take away (the therapist is off whatever the book says); the schedule pages list
those visits, read here, until each is moved or cancelled. Only open visits (booked,
confirmed, checked in) are listed: they are the ones the desk can still act on.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef

from sessions.models import Appointment
from therapists.models import Therapist, TimeOff, WorkingHours
from therapists.rules import hours_problem, time_off_problem


@dataclass(frozen=True)
class AffectedVisit:
    visit: Appointment
    why: str  # the rule's own sentence: "Tara Hands is off from ..."

    @property
    def cancel_reason(self) -> str:
        return self.why


def _open_future(therapist: Therapist, now: datetime):
    return (
        Appointment.objects.filter(
            therapist=therapist,
            status__in=Appointment.OPEN_STATUSES,
            therapist_busy_until__gt=now,
        )
        .select_related("client", "room", "location", "therapist__user")
        .order_by("starts_at")
    )


def visits_in_time_off(
    *, therapist: Therapist, now: datetime, time_off: list[TimeOff] | None = None
) -> list[AffectedVisit]:
    """Open visits not yet over whose busy time (travel included) meets time off."""
    overlapping = TimeOff.objects.filter(
        therapist=therapist,
        starts_at__lt=OuterRef("therapist_busy_until"),
        ends_at__gt=OuterRef("therapist_busy_from"),
    )
    visits = list(_open_future(therapist, now).filter(Exists(overlapping)))
    if not visits:
        return []
    if time_off is None:
        time_off = list(
            TimeOff.objects.filter(therapist=therapist, ends_at__gt=now).order_by(
                "starts_at"
            )
        )
    found = []
    for visit in visits:
        busy = (visit.therapist_busy_from, visit.therapist_busy_until)
        why = time_off_problem(therapist, visit.location, busy, time_off)
        found.append(AffectedVisit(visit, why or "In the therapist's time off."))
    return found


def visits_outside_hours(
    *, therapist: Therapist, now: datetime, blocks: list[WorkingHours] | None = None
) -> list[AffectedVisit]:
    """Open visits not yet over that no block of the weekly hours holds any more."""
    if blocks is None:
        blocks = list(WorkingHours.objects.filter(therapist=therapist))
    by_day: dict[tuple[int, int], list[WorkingHours]] = defaultdict(list)
    for block in sorted(blocks, key=lambda b: b.starts_at):
        by_day[(block.location_id, block.weekday)].append(block)
    found = []
    for visit in _open_future(therapist, now).filter(ends_at__gt=now):
        weekday = visit.starts_at.astimezone(visit.location.zone).weekday()
        why = hours_problem(
            therapist,
            visit.location,
            (visit.starts_at, visit.ends_at),
            by_day.get((visit.location_id, weekday), []),
        )
        if why:
            found.append(AffectedVisit(visit, why))
    return found


def affected_visit(
    *, therapist: Therapist, visit_pk: int, now: datetime
) -> AffectedVisit | None:
    """The one visit, if the therapist's time off or hours still leave it out."""
    for affected in visits_in_time_off(therapist=therapist, now=now):
        if affected.visit.pk == visit_pk:
            return affected
    for affected in visits_outside_hours(therapist=therapist, now=now):
        if affected.visit.pk == visit_pk:
            return affected
    return None
