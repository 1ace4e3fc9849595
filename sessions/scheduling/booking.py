"""Business rules for visits: book, reschedule, change status, cancel.

Every service checks first, so the person gets a sentence they can act on, and then
lets the database's exclusion constraints referee a race: the `IntegrityError` of the
desk that lost becomes the same conflict message, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from clients.models import Authorization, Client, Referral
from clients.safety import modality_safety, refusal_sentence
from massageclinic.lengths import length_problem
from massageclinic.models import Location, Room, clinic_policy
from sessions.messaging.outbox import (
    messages_visit_booked,
    messages_visit_cancelled,
    messages_visit_moved,
)
from sessions.models import (
    Appointment,
    AppointmentEvent,
    Place,
    TreatmentPlan,
    WaitlistEntry,
)
from sessions.scheduling.documented import (
    STATUSES_AFTER_DOCUMENTING,
    documented_visit_problem,
)
from sessions.scheduling.rules import (
    ProposedVisit,
    conflict_message,
    conflicting_visits,
    scheduling_problems,
)
from sessions.scheduling.safety_review import acknowledged_lines
from therapists.models import Modality, Therapist

OVERLAP_CONSTRAINTS = {
    "appointment_no_therapist_overlap",
    "appointment_no_room_overlap",
    "appointment_no_client_overlap",
}


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


# --- authorization -----------------------------------------------------------------


def current_referral(client: Client, on: date) -> Referral | None:
    """The referral a visit on `on` falls under: the latest one written by then."""
    return (
        client.referrals.filter(referred_on__lte=on)
        .select_related("provider")
        .order_by("-referred_on", "-pk")
        .first()
    )


def current_authorization(client: Client, on: date) -> Authorization | None:
    """The insurer's authorization covering `on`, else the latest one started by then."""
    authorizations = Authorization.objects.filter(
        policy__client=client, policy__is_active=True, valid_from__lte=on
    ).select_related("policy__payer")
    return (
        authorizations.filter(valid_to__gte=on).order_by("valid_to", "pk").first()
        or authorizations.order_by("-valid_to", "-pk").first()
    )


def _visit_number(queryset, exclude: int | None) -> int:
    booked = queryset.exclude(status__in=Appointment.NON_BLOCKING_STATUSES)
    if exclude is not None:
        booked = booked.exclude(pk=exclude)
    return booked.count() + 1


def authorization_warnings(
    *,
    on: date,
    referral: Referral | None,
    authorization: Authorization | None,
    exclude: int | None = None,
) -> list[str]:
    """Sentences with the numbers when a visit is past expiry or beyond what is authorized."""
    warnings = []
    if referral is not None:
        if on > referral.expires_on:
            warnings.append(
                f"The referral from {referral.provider.name} expired on "
                f"{referral.expires_on:%d %b %Y}."
            )
        number = _visit_number(referral.appointments.all(), exclude)
        if number > referral.visits_authorized:
            warnings.append(
                f"This would be visit {number} of {referral.visits_authorized} "
                f"prescribed by the referral."
            )
    if authorization is not None:
        if not authorization.valid_from <= on <= authorization.valid_to:
            warnings.append(
                f"Authorization {authorization.number} is valid "
                f"{authorization.valid_from:%d %b} to {authorization.valid_to:%d %b %Y}."
            )
        if authorization.visits_authorized is not None:
            number = _visit_number(authorization.appointments.all(), exclude)
            if number > authorization.visits_authorized:
                warnings.append(
                    f"This would be visit {number} of {authorization.visits_authorized} "
                    f"authorized ({authorization.policy.payer.name}, "
                    f"authorization {authorization.number})."
                )
    return warnings


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


def _check_safety(visit: ProposedVisit) -> list[str]:
    # Booking and moving always name the client (only an opening search has none).
    assert visit.client is not None
    verdict = modality_safety(
        client=visit.client, modality=visit.modality, on=visit.local_start.date()
    )
    if verdict.blocked:
        raise ValidationError(refusal_sentence(verdict, therapist=visit.therapist))
    return verdict.reasons


def _save_or_conflict(appointment: Appointment, visit: ProposedVisit) -> None:
    """Save; a lost race with another desk becomes the usual conflict sentence."""
    try:
        with transaction.atomic():
            appointment.save()
    except IntegrityError as error:
        constraint = getattr(
            getattr(error.__cause__, "diag", None), "constraint_name", ""
        )
        if constraint not in OVERLAP_CONSTRAINTS:
            raise
        exclude = [appointment.pk] if appointment.pk else []
        conflicts = conflicting_visits(visit, exclude=exclude)
        if conflicts:
            raise ValidationError(
                [conflict_message(kind, other, visit) for kind, other in conflicts]
            ) from None
        raise ValidationError(
            "Someone booked this time a moment ago. Choose another time."
        ) from None


def _confirmations_needed(
    confirmation: Confirmation, safety: list[str], authorization: list[str]
) -> None:
    missing_safety = safety if not confirmation.safety_acknowledged else []
    missing_override = (
        authorization if not confirmation.authorization_override_reason.strip() else []
    )
    if missing_safety or missing_override:
        raise BookingNeedsConfirmation(safety=safety, authorization=authorization)


@transaction.atomic
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
    series=None,
) -> Appointment:
    """Book one visit, or raise ValidationError with every reason it cannot be booked.

    Safety alerts that allow the visit, and authorization warnings, raise
    BookingNeedsConfirmation until the person acknowledges them (and gives a reason
    for overriding the authorization); both are recorded with the visit.
    """
    confirmation = confirmation or Confirmation()
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
    starts_at, ends_at = visit.starts_at, visit.ends_at
    _raise_problems(scheduling_problems(visit, now=now))
    safety = _check_safety(visit)
    day = visit.local_start.date()
    referral = referral or (plan.referral if plan and plan.referral_id else None)
    referral = referral or current_referral(client, day)
    authorization = authorization or current_authorization(client, day)
    auth_warnings = authorization_warnings(
        on=day, referral=referral, authorization=authorization
    )
    _confirmations_needed(confirmation, safety, auth_warnings)

    busy_from, busy_until = visit.busy
    appointment = Appointment(
        client=client,
        therapist=therapist,
        modality=modality,
        location=location,
        place=place,
        room=room if place == Place.ROOM else None,
        visit_address=_visit_address(client, place),
        starts_at=starts_at,
        ends_at=ends_at,
        therapist_busy_from=busy_from,
        therapist_busy_until=busy_until,
        plan=plan,
        series=series,
        referral=referral,
        authorization=authorization,
        booked_by=booked_by,
        safety_acknowledgement="\n".join(safety),
        authorization_override_reason=(
            confirmation.authorization_override_reason.strip()[:250]
            if auth_warnings
            else ""
        ),
    )
    _save_or_conflict(appointment, visit)
    _record(
        appointment,
        kind=AppointmentEvent.Kind.BOOKED,
        by=booked_by,
        now=now,
        summary=f"Booked {modality.name} with {therapist.full_name}",
    )
    if safety:
        _record(
            appointment,
            kind=AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED,
            by=booked_by,
            now=now,
            summary="Safety alerts acknowledged: " + "; ".join(safety),
            details={"alerts": safety},
        )
    if auth_warnings:
        _record(
            appointment,
            kind=AppointmentEvent.Kind.AUTHORIZATION_OVERRIDDEN,
            by=booked_by,
            now=now,
            summary="Authorization overridden: "
            + confirmation.authorization_override_reason,
            details={"warnings": auth_warnings},
        )
    messages_visit_booked(appointment=appointment, now=now)
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
) -> Appointment:
    """Move a visit (time, therapist, room); the visit keeps its history."""
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
        modality=appointment.modality,
        location=appointment.location,
        starts_at=starts_at,
        place=place,
        room=room or appointment.room,
    )
    _raise_problems(scheduling_problems(visit, now=now, exclude=[appointment.pk]))
    safety = _check_safety(visit)
    seen = acknowledged_lines(appointment)
    new_safety = [s for s in safety if s not in seen]
    if new_safety and not (confirmation and confirmation.safety_acknowledged):
        raise BookingNeedsConfirmation(safety=new_safety, authorization=[])
    if new_safety:  # what the desk acknowledged for the new time is kept
        lines = [appointment.safety_acknowledgement.strip(), *new_safety]
        appointment.safety_acknowledgement = "\n".join(line for line in lines if line)

    before = _describe_slot(appointment)
    appointment.starts_at, appointment.ends_at = visit.starts_at, visit.ends_at
    appointment.therapist, appointment.place, appointment.room = (
        visit.therapist,
        visit.place,
        visit.room,
    )
    appointment.visit_address = _visit_address(appointment.client, visit.place)
    appointment.therapist_busy_from, appointment.therapist_busy_until = visit.busy
    if appointment.status == Appointment.Status.CONFIRMED:
        appointment.status = (
            Appointment.Status.BOOKED
        )  # the client confirms the new time
    _save_or_conflict(appointment, visit)
    after = _describe_slot(appointment)
    _record(
        appointment,
        kind=AppointmentEvent.Kind.RESCHEDULED,
        by=by,
        now=now,
        summary=f"Moved from {before} to {after}",
        details={"from": before, "to": after},
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


NOT_ON_THE_DAY = (
    "This visit has not started yet: check in or mark a no-show on the day."
)


def is_on_the_day(appointment: Appointment, now: datetime) -> bool:
    """Close enough to the visit to check the client in (or mark a no-show)."""
    return appointment.starts_at - now <= timedelta(hours=2)


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
    if status in {
        Appointment.Status.CHECKED_IN,
        Appointment.Status.NO_SHOW,
    } and not is_on_the_day(appointment, now):
        raise ValidationError(NOT_ON_THE_DAY)
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
) -> Appointment:
    """Cancel a visit; inside the late-cancel window it counts as a late cancellation.

    `for_safety`: the clinic reschedules it for the client's safety (the day-of-visit
    screening): never a late cancellation (no fee), and the client is told why in
    the clinic's wording.
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
    late = not for_safety and is_late_cancellation(appointment, now)
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


# --- waitlist ------------------------------------------------------------------------


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
    if duration_minutes is not None and (
        wrong := length_problem(timedelta(minutes=duration_minutes))
    ):
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
