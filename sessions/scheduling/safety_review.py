"""Visits already booked that a new or changed safety flag now affects.

A flag appears or changes after a visit was booked (a new intake, a screening, staff
on the chart): the visit may now be ruled out for its technique, be "no massage", or
carry a modification nobody acknowledged. `visits_needing_safety_review()` asks the
one safety decision (`clients.safety.modality_safety`) for every open future visit,
on its own local day, and lists those that need the desk: nothing is silently left
as booked. It loads in bulk: a fixed number of queries whatever the number of visits.

What each item asks for:

- *no massage*: reschedule after a physician's clearance is recorded, or cancel;
- *not this technique*: change the technique in place to one the rules allow (and
  the therapist offers), have a therapist record a modification plan, or reschedule;
- *new modifications only*: acknowledge them (the visit's `safety_acknowledgement`).

The reasons of a flag that a therapist's modification plan answers for the visit's
technique need no acknowledgement from the desk: the therapist who will treat
weighed that condition and wrote the changes (the note shows them again).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from django.db.models import Exists, OuterRef, Q

from clients.models import Contraindication
from clients.safety import (
    SafetyVerdict,
    flags_in_force_for_clients,
    in_force_on,
    modality_safety,
    safe_techniques,
    shared_line,
)
from massageclinic.models import Location
from sessions.models import Appointment
from therapists.models import Modality, Therapist, Training

# A checked-in visit too: a screening at check-in may rule its technique out, and
# it is changed before the session (a signed note ends it: `documented`).
REVIEWED_STATUSES = (
    Appointment.Status.BOOKED,
    Appointment.Status.CONFIRMED,
    Appointment.Status.CHECKED_IN,
)


class ReviewAction(StrEnum):
    NO_MASSAGE = "no_massage"
    CHANGE_TECHNIQUE = "change_technique"
    ACKNOWLEDGE = "acknowledge"


def acknowledged_lines(appointment: Appointment) -> set[str]:
    """The reasons the desk acknowledged for this visit, one a line, as they compare
    with today's headlines: a physician's clearance stored in the older form (who,
    when, the condition, its terms) counts as the cleared headline of its condition
    (`clients.safety.shared_line`)."""
    return {
        shared_line(line.strip())
        for line in appointment.safety_acknowledgement.splitlines()
        if line.strip()
    }


def unacknowledged_reasons(
    verdict: SafetyVerdict, appointment: Appointment
) -> list[str]:
    """The verdict's reasons this visit's acknowledgement does not cover.

    A therapist's modification plan for the technique covers the reasons of the
    flag it answers: the therapist who will treat weighed that condition.
    """
    seen = acknowledged_lines(appointment)
    planned = {c.flag.pk for c in verdict.concerns if c.plan is not None}
    reasons: list[str] = []
    for concern in verdict.concerns:
        covered = concern.flag.pk in planned or concern.headline in seen
        if not covered and concern.headline not in reasons:
            reasons.append(concern.headline)
    return reasons


@dataclass(frozen=True)
class VisitReview:
    """One booked visit the safety rules now speak about, and what to do."""

    appointment: Appointment
    verdict: SafetyVerdict
    new_reasons: list[str]
    allowed_techniques: list[Modality]

    @property
    def action(self) -> ReviewAction:
        if self.verdict.no_massage:
            return ReviewAction.NO_MASSAGE
        if self.verdict.blocked:
            return ReviewAction.CHANGE_TECHNIQUE
        return ReviewAction.ACKNOWLEDGE

    @property
    def local_day(self) -> date:
        return self.verdict.on

    @property
    def what_changed(self) -> str:
        if self.new_reasons:
            return "new since booking: " + "; ".join(self.new_reasons)
        return self.verdict.summary()

    @property
    def what_to_do(self) -> str:
        name = self.appointment.modality.name
        if self.action == ReviewAction.NO_MASSAGE:
            return (
                "No massage until a physician's clearance is recorded on the chart: "
                "reschedule the visit to after the clearance, or cancel it."
            )
        if self.action == ReviewAction.CHANGE_TECHNIQUE:
            allowed = ", ".join(m.name for m in self.allowed_techniques)
            change = (
                f"change the technique to one the rules allow ({allowed})"
                if allowed
                else "change the technique (the therapist offers none the rules "
                "allow: book another therapist)"
            )
            return (
                f"{name} is ruled out: {change}, have a therapist record a "
                f"modification plan for {name}, or reschedule."
            )
        return (
            "Tell the therapist, then acknowledge the modification so the visit "
            "stays booked with it."
        )


def visits_needing_safety_review(
    *,
    client_ids: Iterable[int] | None = None,
    now: datetime,
    location: Location | None = None,
    therapist: Therapist | None = None,
) -> list[VisitReview]:
    """Every booked, confirmed or checked-in visit not over by `now` whose safety verdict, on its local
    day and for its technique, is blocked or has reasons its booking did not
    acknowledge; soonest first. At most five queries, whatever the number of visits.
    """
    # Only clients with a flag not yet resolved can have a visit to review: the
    # others' visits are never loaded.
    flagged = Contraindication.objects.filter(client_id=OuterRef("client_id")).filter(
        Q(resolved_at__isnull=True) | Q(resolved_at__gt=now)
    )
    visits = Appointment.objects.not_over_by(now).filter(
        Exists(flagged), status__in=REVIEWED_STATUSES
    )
    if client_ids is not None:
        visits = visits.filter(client_id__in=list(client_ids))
    if location is not None:
        visits = visits.filter(location=location)
    if therapist is not None:
        visits = visits.filter(therapist=therapist)
    found = list(
        visits.select_related(
            "client", "therapist__user", "modality", "location", "room"
        ).order_by("starts_at", "pk")
    )
    if not found:
        return []
    days = {v.pk: v.starts_at.astimezone(v.location.zone).date() for v in found}
    # Loaded once, in the clients' own calendars, from two days before the earliest
    # visit's day: zones differ by up to 26 hours, so a flag resolved by then where the
    # client lives can still be in force where a visit is. Each visit's own day and
    # place decide below (`in_force_on`).
    flags = flags_in_force_for_clients(
        {v.client_id for v in found}, min(days.values()) - timedelta(days=2)
    )
    if not flags:
        return []
    techniques = list(Modality.objects.filter(is_active=True).order_by("name"))
    trained = set(
        Training.objects.filter(
            therapist_id__in={v.therapist_id for v in found}
        ).values_list("therapist_id", "modality_id")
    )
    reviews = []
    for visit in found:
        day = days[visit.pk]
        own = [
            f
            for f in flags.get(visit.client_id, [])
            if in_force_on(f, day, visit.location)
        ]
        if not own:
            continue
        verdict = modality_safety(
            client=visit.client, modality=visit.modality, on=day, flags=own
        )
        new = unacknowledged_reasons(verdict, visit)
        if not (verdict.blocked or new):
            continue
        allowed: list[Modality] = []
        if verdict.blocked and not verdict.no_massage:
            offered = [
                m
                for m in techniques
                if m.pk != visit.modality_id and (visit.therapist_id, m.pk) in trained
            ]
            allowed = safe_techniques(
                client=visit.client, on=day, flags=own, among=offered
            )
        reviews.append(
            VisitReview(
                appointment=visit,
                verdict=verdict,
                new_reasons=new,
                allowed_techniques=allowed,
            )
        )
    return reviews
