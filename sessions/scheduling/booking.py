"""Business rules for visits: book, reschedule, change status, cancel.

Every service checks first, so the person gets a sentence they can act on, and then
lets the database's constraints referee a race: the `IntegrityError` of the desk that
lost becomes the same conflict message (`sessions.scheduling.refused`), never an
error page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from clients.models import Authorization, Client, Contraindication, Referral
from clients.safety import flags_in_force, modality_safety, refusal_sentence
from massageclinic.models import Location, Room, clinic_policy, one_policy_read
from sessions.messaging.outbox import (
    messages_visit_cancelled,
    messages_visit_moved,
    messages_visits_booked,
)
from sessions.models import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    Place,
    TreatmentPlan,
)
from sessions.scheduling.arrival import check_in_time_problem, no_show_time_problem
from sessions.scheduling.batch import BatchSchedule
from sessions.scheduling.documented import (
    STATUSES_AFTER_DOCUMENTING,
    documented_visit_problem,
)
from sessions.scheduling.paperwork import ClientPaperwork
from sessions.scheduling.refused import insert_or_conflict, save_or_conflict
from sessions.scheduling.rules import (
    ProposedVisit,
    scheduling_problems,
)
from sessions.scheduling.safety_review import acknowledged_lines
from therapists.models import Modality, Therapist


class BookingNeedsConfirmation(ValidationError):
    """The visit can be booked once the person acknowledges these warnings."""

    def __init__(self, *, safety: list[str], authorization: list[str]) -> None:
        self.safety = safety
        self.authorization = authorization
        super().__init__(safety + authorization)


@dataclass
class Confirmation:
    """What the person acknowledged or overrode on the booking form."""

    safety_acknowledged: bool = False
    authorization_override_reason: str = ""
    acknowledged: list[str] = field(default_factory=list)


# --- booking -----------------------------------------------------------------------


def _record(
    appointment: Appointment,
    *,
    kind: str,
    by: User | None,
    now: datetime,
    summary: str,
    details: dict | None = None,
) -> None:
    AppointmentEvent.objects.create(
        appointment=appointment,
        at=now,
        by=by,
        kind=kind,
        summary=summary[:250],
        details=details or {},
    )


def _raise_problems(problems: list[str]) -> None:
    if problems:
        raise ValidationError(problems)


def _check_safety(
    visit: ProposedVisit, flags: list[Contraindication] | None = None
) -> list[str]:
    """The safety reasons to acknowledge; ValidationError when the technique is ruled
    out. `flags` (from `flags_in_force`) spares a load per visit of a batch."""
    # Booking and moving always name the client (only an opening search has none).
    assert visit.client is not None
    verdict = modality_safety(
        client=visit.client,
        modality=visit.modality,
        on=visit.local_start.date(),
        flags=flags,
    )
    if verdict.blocked:
        raise ValidationError(
            refusal_sentence(verdict, flags=flags, therapist=visit.therapist)
        )
    return verdict.reasons


def _confirmations_needed(
    confirmation: Confirmation, safety: list[str], authorization: list[str]
) -> None:
    missing_safety = safety if not confirmation.safety_acknowledged else []
    missing_override = (
        authorization if not confirmation.authorization_override_reason.strip() else []
    )
    if missing_safety or missing_override:
        raise BookingNeedsConfirmation(safety=safety, authorization=authorization)


@dataclass(frozen=True)
class BookingTerms:
    """What every visit of one booking shares besides its time and place."""

    booked_by: User
    confirmation: Confirmation = field(default_factory=Confirmation)
    plan: TreatmentPlan | None = None
    referral: Referral | None = None
    authorization: Authorization | None = None
    series: AppointmentSeries | None = None


def _as_loaded(record, loaded):
    """The loaded copy of `record` (with its count and related rows), if there is one."""
    if record is None:
        return None
    return next((known for known in loaded if known.pk == record.pk), record)


def _new_appointment(
    visit: ProposedVisit,
    terms: BookingTerms,
    *,
    referral: Referral | None,
    authorization: Authorization | None,
    safety: list[str],
    override: str,
) -> Appointment:
    assert visit.client is not None
    busy_from, busy_until = visit.busy
    return Appointment(
        client=visit.client,
        therapist=visit.therapist,
        modality=visit.modality,
        location=visit.location,
        place=visit.place,
        room=visit.room if visit.place == Place.ROOM else None,
        visit_address=_visit_address(visit.client, visit.place),
        starts_at=visit.starts_at,
        ends_at=visit.ends_at,
        therapist_busy_from=busy_from,
        therapist_busy_until=busy_until,
        plan=terms.plan,
        series=terms.series,
        referral=referral,
        authorization=authorization,
        booked_by=terms.booked_by,
        safety_acknowledgement="\n".join(safety),
        authorization_override_reason=override,
    )


def _booking_events(
    appointment: Appointment,
    terms: BookingTerms,
    now: datetime,
    safety: list[str],
    warnings: list[str],
) -> list[AppointmentEvent]:
    def event(kind: str, summary: str, details: dict | None = None):
        return AppointmentEvent(
            appointment=appointment,
            at=now,
            by=terms.booked_by,
            kind=kind,
            summary=summary[:250],
            details=details or {},
        )

    events = [
        event(
            AppointmentEvent.Kind.BOOKED,
            f"Booked {appointment.modality.name} with {appointment.therapist.full_name}",
        )
    ]
    if safety:
        events.append(
            event(
                AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED,
                "Safety alerts acknowledged: " + "; ".join(safety),
                {"alerts": safety},
            )
        )
    if warnings:
        events.append(
            event(
                AppointmentEvent.Kind.AUTHORIZATION_OVERRIDDEN,
                "Authorization overridden: "
                + terms.confirmation.authorization_override_reason,
                {"warnings": warnings},
            )
        )
    return events


def visits_book(
    visits: Sequence[ProposedVisit],
    *,
    terms: BookingTerms,
    now: datetime,
    name_visit: Callable[[int, ProposedVisit], str] | None = None,
) -> list[Appointment]:
    """Book every visit of one client, or none: one visit from the booking form, or a
    whole series. Each visit is judged by the same rules in order (the scheduling
    rules, safety, the referral and authorization), against one load of the
    schedule, flags and paperwork that counts the batch's earlier visits too; then
    all are inserted, with their history, in one statement each.

    A refusal raises ValidationError (each sentence prefixed with `name_visit` of
    the visit, when given); warnings not yet acknowledged raise
    BookingNeedsConfirmation. The database's exclusion constraints still referee a
    race with another desk. Call inside a transaction.
    """
    client = visits[0].client
    assert client is not None and all(v.client == client for v in visits)
    schedule = BatchSchedule(visits)
    paperwork = ClientPaperwork.load(client)
    flags = flags_in_force(client, min(v.local_start.date() for v in visits))
    plan_referral = (
        terms.plan.referral if terms.plan and terms.plan.referral_id else None
    )
    chosen_referral = _as_loaded(terms.referral or plan_referral, paperwork.referrals)
    chosen_authorization = _as_loaded(terms.authorization, paperwork.authorizations)
    confirmation = terms.confirmation
    appointments, history = [], []
    for index, visit in enumerate(visits):
        try:
            _raise_problems(schedule.problems(visit, now))
            safety = _check_safety(visit, flags)
        except ValidationError as error:
            if name_visit is None:
                raise
            prefix = name_visit(index, visit)
            raise ValidationError([f"{prefix}: {m}" for m in error.messages]) from None
        day = visit.local_start.date()
        referral = chosen_referral or paperwork.referral_on(day)
        authorization = chosen_authorization or paperwork.authorization_on(day)
        warnings = paperwork.warnings_for(day, referral, authorization)
        _confirmations_needed(confirmation, safety, warnings)
        override = (
            confirmation.authorization_override_reason.strip()[:250] if warnings else ""
        )
        appointment = _new_appointment(
            visit,
            terms,
            referral=referral,
            authorization=authorization,
            safety=safety,
            override=override,
        )
        schedule.add(appointment)  # the batch's later visits are checked against it
        appointments.append(appointment)
        history.append((appointment, safety, warnings))
    insert_or_conflict(appointments, visits, name_visit)
    AppointmentEvent.objects.bulk_create(
        [
            event
            for appointment, safety, warnings in history
            for event in _booking_events(appointment, terms, now, safety, warnings)
        ]
    )
    messages_visits_booked(appointments=appointments, now=now)
    return appointments


@transaction.atomic
@one_policy_read()
def appointment_book(
    *,
    client: Client,
    therapist: Therapist,
    modality: Modality,
    location: Location,
    starts_at: datetime,
    duration_minutes: int,
    booked_by: User,
    now: datetime,
    place: str = Place.ROOM,
    room: Room | None = None,
    confirmation: Confirmation | None = None,
    plan: TreatmentPlan | None = None,
    referral: Referral | None = None,
    authorization: Authorization | None = None,
    series: AppointmentSeries | None = None,
) -> Appointment:
    """Book one visit, or raise ValidationError with every reason it cannot be booked.

    Safety alerts that allow the visit, and authorization warnings, raise
    BookingNeedsConfirmation until the person acknowledges them (and gives a reason
    for overriding the authorization); both are recorded with the visit.
    """
    visit = ProposedVisit.lasting(
        duration_minutes,
        client=client,
        therapist=therapist,
        modality=modality,
        location=location,
        starts_at=starts_at,
        place=place,
        room=room,
    )
    terms = BookingTerms(
        booked_by=booked_by,
        confirmation=confirmation or Confirmation(),
        plan=plan,
        referral=referral,
        authorization=authorization,
        series=series,
    )
    (appointment,) = visits_book([visit], terms=terms, now=now)
    return appointment


def _visit_address(client: Client, place: str) -> str:
    if place == Place.HOME:
        return client.home_address
    if place == Place.WORKPLACE:
        return ", ".join(
            p for p in [client.workplace_name, client.workplace_address] if p
        )
    return ""


# --- changing a visit ----------------------------------------------------------------


@transaction.atomic
def appointment_reschedule(
    *,
    appointment: Appointment,
    by: User,
    now: datetime,
    starts_at: datetime,
    duration_minutes: int | None = None,
    therapist: Therapist | None = None,
    place: str | None = None,
    room: Room | None = None,
    confirmation: Confirmation | None = None,
    modality: Modality | None = None,
) -> Appointment:
    """Move a visit (time, therapist, room, technique); the visit keeps its history.

    A new technique is judged as booking judges it: the scheduling rules (the
    therapist is trained in it) and the safety decision (`_check_safety`).
    """
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if documented := documented_visit_problem(appointment, lock=True):
        raise ValidationError(documented, code="documented")
    if appointment.status not in Appointment.OPEN_STATUSES:
        raise ValidationError(
            f"This visit is {appointment.get_status_display().lower()}; it cannot be moved."
        )
    duration = duration_minutes or appointment.duration_minutes
    place = place or appointment.place
    visit = ProposedVisit.lasting(
        duration,
        client=appointment.client,
        therapist=therapist or appointment.therapist,
        modality=modality or appointment.modality,
        location=appointment.location,
        starts_at=starts_at,
        place=place,
        room=room or appointment.room,
    )
    before_technique = appointment.modality
    technique_changed = visit.modality.pk != before_technique.pk
    _raise_problems(scheduling_problems(visit, now=now, exclude=[appointment.pk]))
    safety = _check_safety(visit)
    seen = acknowledged_lines(appointment)
    new_safety = [s for s in safety if s not in seen]
    if new_safety and not (confirmation and confirmation.safety_acknowledged):
        raise BookingNeedsConfirmation(safety=new_safety, authorization=[])
    if technique_changed:  # what was acknowledged is now what the new one asks
        appointment.safety_acknowledgement = "\n".join(safety)
    elif new_safety:  # what the desk acknowledged for the new time is kept
        lines = [appointment.safety_acknowledgement.strip(), *new_safety]
        appointment.safety_acknowledgement = "\n".join(line for line in lines if line)

    before = _describe_slot(appointment)
    appointment.starts_at, appointment.ends_at = visit.starts_at, visit.ends_at
    appointment.therapist, appointment.place, appointment.room = (
        visit.therapist,
        visit.place,
        visit.room,
    )
    appointment.modality = visit.modality
    appointment.visit_address = _visit_address(appointment.client, visit.place)
    appointment.therapist_busy_from, appointment.therapist_busy_until = visit.busy
    if appointment.status == Appointment.Status.CONFIRMED:
        appointment.status = (
            Appointment.Status.BOOKED
        )  # the client confirms the new time
    save_or_conflict(appointment, visit)
    after = _describe_slot(appointment)
    details: dict = {"from": before, "to": after}
    summary = f"Moved from {before} to {after}"
    if technique_changed:
        details["technique"] = {
            "from": before_technique.name,
            "to": visit.modality.name,
        }
        summary += (
            f"; technique changed from {before_technique.name} to {visit.modality.name}"
        )
    _record(
        appointment,
        kind=AppointmentEvent.Kind.RESCHEDULED,
        by=by,
        now=now,
        summary=summary,
        details=details,
    )
    if new_safety:
        _record(
            appointment,
            kind=AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED,
            by=by,
            now=now,
            summary="Safety alerts acknowledged: " + "; ".join(new_safety),
            details={"alerts": new_safety},
        )
    messages_visit_moved(appointment=appointment, now=now)
    return appointment


def _describe_slot(appointment: Appointment) -> str:
    start = appointment.starts_at.astimezone(appointment.location.zone)
    end = appointment.ends_at.astimezone(appointment.location.zone)
    where = (
        appointment.room.name
        if appointment.room is not None
        else appointment.get_place_display()
    )
    return f"{start:%a %d %b %H:%M}-{end:%H:%M} with {appointment.therapist.full_name} ({where})"


ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    Appointment.Status.BOOKED: {
        Appointment.Status.CONFIRMED,
        Appointment.Status.CHECKED_IN,
        Appointment.Status.NO_SHOW,
    },
    Appointment.Status.CONFIRMED: {
        Appointment.Status.BOOKED,
        Appointment.Status.CHECKED_IN,
        Appointment.Status.NO_SHOW,
    },
    Appointment.Status.CHECKED_IN: {
        Appointment.Status.COMPLETED,
        Appointment.Status.CONFIRMED,
    },
    Appointment.Status.NO_SHOW: {Appointment.Status.CHECKED_IN},
}


@transaction.atomic
def appointment_set_status(
    *, appointment: Appointment, status: str, by: User | None, now: datetime
) -> Appointment:
    """Confirm, check in, complete or mark a no-show (cancelling has its own service)."""
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if appointment.status == status:
        return appointment  # a second click changes nothing
    if status not in STATUSES_AFTER_DOCUMENTING and (
        documented := documented_visit_problem(appointment, lock=True)
    ):
        raise ValidationError(documented, code="documented")
    allowed = ALLOWED_TRANSITIONS.get(appointment.status, set())
    if status not in allowed:
        raise ValidationError(
            f"A {appointment.get_status_display().lower()} visit cannot be marked "
            f"{Appointment.Status(status).label.lower()}."
        )
    if status == Appointment.Status.CHECKED_IN and (
        too_early := check_in_time_problem(appointment, now)
    ):
        raise ValidationError(too_early, code="too_early")
    if status == Appointment.Status.NO_SHOW and (
        too_early := no_show_time_problem(appointment, now)
    ):
        raise ValidationError(too_early, code="too_early")
    if status == Appointment.Status.COMPLETED and appointment.starts_at > now:
        raise ValidationError("A visit can be completed only once it has started.")
    before = appointment.get_status_display()
    appointment.status = status
    appointment.save(update_fields=["status", "updated_at"])
    _record(
        appointment,
        kind=AppointmentEvent.Kind.STATUS,
        by=by,
        now=now,
        summary=f"{before} → {appointment.get_status_display()}",
    )
    return appointment


def is_late_cancellation(appointment: Appointment, now: datetime) -> bool:
    """Cancelling now falls inside the clinic's late-cancel window before the visit."""
    return appointment.starts_at - now < clinic_policy().late_cancel_window


@transaction.atomic
def appointment_cancel(
    *,
    appointment: Appointment,
    by: User | None,
    reason: str,
    now: datetime,
    for_safety: bool = False,
    by_clinic: bool = False,
) -> Appointment:
    """Cancel a visit; inside the late-cancel window it counts as a late cancellation.

    `for_safety`: the clinic reschedules it for the client's safety (the day-of-visit
    screening): never a late cancellation (no fee), and the client is told why in
    the clinic's wording. `by_clinic`: the clinic cancels for its own reason (the
    therapist's time off): never a late cancellation either.
    """
    appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
    if documented := documented_visit_problem(appointment, lock=True):
        raise ValidationError(documented, code="documented")
    # A client marked no-show who arrives late and unwell is rescheduled for safety
    # like any other: no no-show stays on their record for it.
    arrived_late = for_safety and appointment.status == Appointment.Status.NO_SHOW
    if appointment.status not in Appointment.OPEN_STATUSES and not arrived_late:
        raise ValidationError(
            f"This visit is already {appointment.get_status_display().lower()}."
        )
    if not reason.strip():
        raise ValidationError("Give a reason for the cancellation.")
    late = not (for_safety or by_clinic) and is_late_cancellation(appointment, now)
    appointment.status = (
        Appointment.Status.LATE_CANCELLED if late else Appointment.Status.CANCELLED
    )
    appointment.cancellation_reason = reason.strip()[:250]
    appointment.cancelled_at = now
    appointment.save(
        update_fields=["status", "cancellation_reason", "cancelled_at", "updated_at"]
    )
    _record(
        appointment,
        kind=AppointmentEvent.Kind.STATUS,
        by=by,
        now=now,
        summary=f"{appointment.get_status_display()}: {appointment.cancellation_reason}",
    )
    messages_visit_cancelled(appointment=appointment, now=now, for_safety=for_safety)
    return appointment
