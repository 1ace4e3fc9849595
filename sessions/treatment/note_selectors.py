"""Reads for the SOAP-note pages, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, Q

from massageclinic.models import clinic_policy
from massageclinic.roles import Role, user_roles
from sessions.models import (
    Appointment,
    Goal,
    NoteAddendum,
    NoteTechnique,
    SessionNote,
    TreatmentPlan,
)

WRITABLE_STATUSES = (Appointment.Status.CHECKED_IN, Appointment.Status.COMPLETED)


def visit_for_note(pk: int) -> Appointment | None:
    return (
        Appointment.objects.select_related(
            "client",
            "therapist__user",
            "modality",
            "location",
            "room",
            "plan",
            "authorization__policy__payer",
        )
        .filter(pk=pk)
        .first()
    )


def note_of_visit(appointment: Appointment) -> SessionNote | None:
    """The visit's note with what its page shows: techniques, addenda, signer."""
    return (
        SessionNote.objects.filter(appointment=appointment)
        .select_related("signed_by")
        .prefetch_related(
            Prefetch(
                "techniques",
                queryset=NoteTechnique.objects.select_related("modality").order_by(
                    "pk"
                ),
            ),
            Prefetch(
                "addenda",
                queryset=NoteAddendum.objects.select_related("author").order_by(
                    "created_at", "pk"
                ),
            ),
        )
        .first()
    )


def previous_signed_note(note: SessionNote) -> SessionNote | None:
    """The client's latest signed note from a visit before this one."""
    appointment = note.appointment
    return (
        SessionNote.objects.filter(
            appointment__client_id=appointment.client_id,
            appointment__starts_at__lt=appointment.starts_at,
            signed_at__isnull=False,
        )
        .exclude(pk=note.pk)
        .select_related("appointment")
        .order_by("-appointment__starts_at")
        .first()
    )


def plan_for_visit(appointment: Appointment) -> TreatmentPlan | None:
    """The visit's own plan, else the client's active plan (the latest one)."""
    if appointment.plan_id:
        return appointment.plan
    return (
        TreatmentPlan.objects.filter(
            client_id=appointment.client_id, status=TreatmentPlan.Status.ACTIVE
        )
        .order_by("-starts_on", "-pk")
        .first()
    )


def goals_for_visit(appointment: Appointment) -> list[Goal]:
    plan = plan_for_visit(appointment)
    if plan is None:
        return []
    return list(plan.goals.filter(achieved_on__isnull=True).order_by("pk"))


@dataclass(frozen=True)
class NoteToSign:
    visit: Appointment
    note: SessionNote | None
    due_at: datetime
    overdue: bool


def notes_to_sign(
    *, user, now: datetime, deadline: timedelta | None = None
) -> list[NoteToSign]:
    """A therapist's unsigned notes and their checked-in or completed visits without
    a note (the manager: everyone's), oldest first. Overdue once unsigned longer
    than `deadline` (the clinic's policy) after the visit ended. One query for the
    rows (and one for the policy unless given), whatever their number.
    """
    roles = user_roles(user)
    visits = Appointment.objects.select_related(
        "client", "location", "therapist__user", "note"
    ).filter(
        Q(note__isnull=True, status__in=WRITABLE_STATUSES)
        | Q(note__isnull=False, note__signed_at__isnull=True)
    )
    if Role.MANAGER not in roles:
        visits = visits.filter(therapist__user=user)
    if deadline is None:
        deadline = clinic_policy().note_sign_deadline
    rows = []
    for visit in visits.order_by("ends_at", "pk"):
        note = getattr(visit, "note", None)
        due_at = visit.ends_at + deadline
        rows.append(
            NoteToSign(visit=visit, note=note, due_at=due_at, overdue=now > due_at)
        )
    return rows
