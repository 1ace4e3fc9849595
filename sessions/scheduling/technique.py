"""Answering a safety review in place: change a visit's technique, or acknowledge.

A flag added after a visit was booked can rule its technique out, or add a
modification. The desk changes the technique of the booked visit (same time,
therapist and room) through the very checks booking and moving use: the scheduling
rules (the therapist offers the technique), the safety decision (`_check_safety`) and
the refusal of documented visits. Or, when only modifications are new, it
acknowledges them. Each writes the visit's history and an audit row.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.safety import modality_safety, refusal_sentence
from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent
from sessions.models import Appointment, AppointmentEvent
from sessions.scheduling.booking import (
    BookingNeedsConfirmation,
    Confirmation,
    _check_safety,
    _raise_problems,
    _record,
)
from sessions.scheduling.documented import documented_visit_problem
from sessions.scheduling.refused import save_or_conflict
from sessions.scheduling.rules import ProposedVisit, scheduling_problems
from sessions.scheduling.safety_review import (
    REVIEWED_STATUSES,
    acknowledged_lines,
    unacknowledged_reasons,
)
from therapists.models import Modality


def _locked_open_visit(appointment: Appointment, doing: str) -> Appointment:
    locked = Appointment.objects.select_for_update(of=("self",)).get(pk=appointment.pk)
    if documented := documented_visit_problem(locked, lock=True):
        raise ValidationError(documented, code="documented")
    if locked.status not in REVIEWED_STATUSES:
        raise ValidationError(
            f"This visit is {locked.get_status_display().lower()}: only a booked, "
            f"confirmed or checked-in visit can have its {doing}."
        )
    return locked


@transaction.atomic
def appointment_change_technique(
    *,
    appointment: Appointment,
    modality: Modality,
    by: User,
    now: datetime,
    context: AuditContext,
    confirmation: Confirmation | None = None,
) -> Appointment:
    """Give a booked visit another technique, at the same time, with the same
    therapist and room, if booking it so would be allowed.

    Safety reasons for the new technique that the visit has not acknowledged raise
    BookingNeedsConfirmation until the person acknowledges them.
    """
    visit_row = _locked_open_visit(appointment, "technique changed")
    if modality.pk == visit_row.modality_id:
        raise ValidationError(
            f"This visit is already booked for {modality.name}: choose another "
            "technique."
        )
    visit = ProposedVisit(
        client=visit_row.client,
        therapist=visit_row.therapist,
        modality=modality,
        location=visit_row.location,
        starts_at=visit_row.starts_at,
        ends_at=visit_row.ends_at,
        place=visit_row.place,
        room=visit_row.room,
    )
    _raise_problems(scheduling_problems(visit, now=now, exclude=[visit_row.pk]))
    safety = _check_safety(visit)
    seen = acknowledged_lines(visit_row)
    new_safety = [s for s in safety if s not in seen]
    if new_safety and not (confirmation and confirmation.safety_acknowledged):
        raise BookingNeedsConfirmation(safety=new_safety, authorization=[])

    before = visit_row.modality
    visit_row.modality = modality
    # What the desk acknowledged is now what the new technique asks.
    visit_row.safety_acknowledgement = "\n".join(safety)
    save_or_conflict(visit_row, visit)
    _record(
        visit_row,
        kind=AppointmentEvent.Kind.RESCHEDULED,
        by=by,
        now=now,
        summary=f"Technique changed from {before.name} to {modality.name}",
        details={"technique": {"from": before.name, "to": modality.name}},
    )
    if new_safety:
        _record(
            visit_row,
            kind=AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED,
            by=by,
            now=now,
            summary="Safety alerts acknowledged: " + "; ".join(new_safety),
            details={"alerts": new_safety},
        )
    audit_record(
        context,
        AuditEvent.Action.CHANGE,
        visit_row,
        client_id=visit_row.client_id,
        summary=f"Changed the technique of the visit from {before.name} to "
        f"{modality.name} for safety",
    )
    return visit_row


@transaction.atomic
def appointment_safety_acknowledge(
    *,
    appointment: Appointment,
    by: User,
    now: datetime,
    context: AuditContext,
) -> Appointment:
    """Acknowledge the safety reasons that appeared since the visit was booked.

    A ruled-out technique or "no massage" cannot be acknowledged: change the
    technique, record a modification plan, reschedule or cancel.
    """
    visit_row = _locked_open_visit(appointment, "safety alerts acknowledged")
    day = visit_row.starts_at.astimezone(visit_row.location.zone).date()
    verdict = modality_safety(
        client=visit_row.client, modality=visit_row.modality, on=day
    )
    if verdict.blocked:
        raise ValidationError(refusal_sentence(verdict))
    new = unacknowledged_reasons(verdict, visit_row)
    if not new:
        raise ValidationError(
            "Nothing new to acknowledge: this visit's safety alerts were all "
            "acknowledged already."
        )
    lines = [visit_row.safety_acknowledgement.strip(), *new]
    visit_row.safety_acknowledgement = "\n".join(line for line in lines if line)
    visit_row.save(update_fields=["safety_acknowledgement", "updated_at"])
    _record(
        visit_row,
        kind=AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED,
        by=by,
        now=now,
        summary="Safety alerts acknowledged: " + "; ".join(new),
        details={"alerts": new},
    )
    audit_record(
        context,
        AuditEvent.Action.CHANGE,
        visit_row,
        client_id=visit_row.client_id,
        summary="Acknowledged new safety alerts of the visit: " + "; ".join(new),
    )
    return visit_row


def following_in_series(appointment: Appointment) -> list[Appointment]:
    """This visit and the later booked or confirmed ones of its series that have
    the same technique: what "this and the following" changes."""
    if appointment.series_id is None:
        return [appointment]
    return list(
        Appointment.objects.filter(
            series_id=appointment.series_id,
            status__in=REVIEWED_STATUSES,
            modality_id=appointment.modality_id,
            starts_at__gte=appointment.starts_at,
        ).order_by("starts_at", "pk")
    )


@transaction.atomic
def series_change_technique(
    *,
    appointment: Appointment,
    modality: Modality,
    following: bool,
    by: User,
    now: datetime,
    context: AuditContext,
    confirmation: Confirmation | None = None,
) -> list[Appointment]:
    """Change the technique of this visit, or of it and the following visits of its
    series with the same technique: each through `appointment_change_technique`,
    all or none."""
    visits = following_in_series(appointment) if following else [appointment]
    changed = []
    for visit in visits:
        try:
            changed.append(
                appointment_change_technique(
                    appointment=visit,
                    modality=modality,
                    by=by,
                    now=now,
                    context=context,
                    confirmation=confirmation,
                )
            )
        except BookingNeedsConfirmation:
            raise
        except ValidationError as error:
            if len(visits) == 1:
                raise
            local = visit.starts_at.astimezone(visit.location.zone)
            raise ValidationError(
                [f"{local:%a %d %b}: {m}" for m in error.messages]
                + ["Nothing was changed."]
            ) from None
    return changed
