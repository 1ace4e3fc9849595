"""Today as the desk's cockpit: what each of the day's visits lets this person do
now, and the column beside them (notes to sign, paperwork near its end, freed times
with waiting clients who fit).

Nothing here decides a rule: each button is offered exactly when the function that
decides it (sessions.scheduling.arrival, sessions.access, the notes' statuses) says
the service would accept it, so a click never meets a refusal the page could have
known. A fixed number of queries, whatever the number of visits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from massageclinic.models import clinic_policy
from massageclinic.roles import Role, user_roles
from sessions.access import can_book, can_change_status
from sessions.models import Appointment, WaitlistEntry
from sessions.scheduling.arrival import (
    check_in_opens_at,
    check_in_time_problem,
    no_show_time_problem,
)
from sessions.scheduling.openings import FreeSlot, waitlist_matches_for
from sessions.scheduling.paperwork import paperwork_notes
from sessions.scheduling.screening import CHECK_IN_FROM
from sessions.scheduling.selectors import LocationDay
from sessions.treatment.note_selectors import WRITABLE_STATUSES, notes_to_sign

Status = Appointment.Status
# Freed times looked up for waiting clients on Today: each is a few queries.
FREED_SHOWN = 5


@dataclass(frozen=True)
class VisitActions:
    check_in: bool = False
    check_in_opens: datetime | None = None  # not open yet: from then
    no_show: bool = False
    complete: bool = False
    note: bool = False  # the therapist's own visit: write or open its note


def visit_actions(
    visit: Appointment, *, user, now: datetime, check_in_lead: timedelta
) -> VisitActions:
    """The buttons this person may press on this visit now."""
    own = visit.therapist.user_id == user.pk
    note = own and visit.status in WRITABLE_STATUSES
    if not can_change_status(user, visit):
        return VisitActions(note=note)
    waiting = visit.status in (Status.BOOKED, Status.CONFIRMED)
    too_early = visit.status in CHECK_IN_FROM and bool(
        check_in_time_problem(visit, now, check_in_lead)
    )
    return VisitActions(
        check_in=visit.status in CHECK_IN_FROM and not too_early,
        check_in_opens=check_in_opens_at(visit, check_in_lead)
        if waiting and too_early
        else None,
        no_show=waiting and no_show_time_problem(visit, now) is None,
        complete=visit.status == Status.CHECKED_IN and visit.starts_at <= now,
        note=note,
    )


@dataclass(frozen=True)
class PaperworkLine:
    visit: Appointment
    notes: list[str]


@dataclass(frozen=True)
class FreedTime:
    visit: Appointment  # the cancelled visit whose time is free again
    matches: list[WaitlistEntry]


@dataclass(frozen=True)
class Cockpit:
    notes_to_sign: int
    notes_overdue: int
    paperwork: list[PaperworkLine]
    freed: list[FreedTime]
    waiting: int  # open waitlist entries at all


def _freed_times(visits: list[Appointment], now: datetime) -> list[FreedTime]:
    freed = [
        v
        for v in visits
        if v.status in Appointment.NON_BLOCKING_STATUSES and v.starts_at > now
    ][:FREED_SHOWN]
    slots = [FreeSlot.of_visit(v) for v in freed]
    found = [
        FreedTime(v, matches)
        for v, matches in zip(freed, waitlist_matches_for(slots, now=now), strict=True)
    ]
    return [f for f in found if f.matches]


def cockpit(*, user, days: list[LocationDay], now: datetime) -> Cockpit:
    """Annotate each visit with its `actions`; gather the column beside them."""
    roles = user_roles(user)
    lead = clinic_policy().check_in_opens
    visits = [v for day in days for v in day.appointments]
    for visit in visits:
        visit.actions = visit_actions(  # type: ignore[attr-defined]
            visit, user=user, now=now, check_in_lead=lead
        )
    open_visits = [v for v in visits if v.status in Appointment.OPEN_STATUSES]
    notes = paperwork_notes(open_visits) if open_visits else {}
    writes_notes = bool(roles & {Role.THERAPIST, Role.MANAGER})
    to_sign = notes_to_sign(user=user, now=now) if writes_notes else []
    desk = can_book(user)
    return Cockpit(
        notes_to_sign=len(to_sign),
        notes_overdue=sum(1 for row in to_sign if row.overdue),
        paperwork=[
            PaperworkLine(v, notes[v.pk]) for v in open_visits if notes.get(v.pk)
        ],
        freed=_freed_times(visits, now) if desk else [],
        waiting=WaitlistEntry.objects.filter(closed_at__isnull=True).count()
        if desk
        else 0,
    )
