"""Turn a message row into the email the client (or the front desk) receives.

Rendered when it is sent, from what the database says then: a confirmation held
back by a quick correction carries the corrected time. HTML and plain-text parts
come from templates/sessions/email/; times are in the visit location's zone.

What a message never contains: diagnosis, condition, medication, notes, safety
alerts, the technique (a modality can reveal a condition: prenatal, lymphatic
drainage), or the reason a visit was cancelled. Only when, where, with whom
(first name), what to bring, and how to reach the clinic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from email.mime.base import MIMEBase
from email.utils import formataddr, parseaddr
from functools import cached_property

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.urls import reverse

from clients.intake_services import INTAKE_LINK_LIFETIME, intake_invitation_token
from clients.models import IntakeInvitation
from massageclinic.models import ClinicPolicy, Location, clinic_policy
from sessions.messaging.ics import calendar_part, visit_calendar
from sessions.messaging.ids import message_domain, message_id_for
from sessions.messaging.links import Action, visit_link_url
from sessions.messaging.outbox import front_desk_address
from sessions.messaging.waitlist_offers import offer_message_verdict, offer_url
from sessions.models import Appointment, OutboundMessage, Place, VisitScreening

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status

WHAT_TO_BRING = [
    "Your insurance card and a photo ID.",
    "Comfortable, loose clothing.",
    "Please arrive 10 minutes early so the visit can start on time.",
]
WHAT_TO_BRING_AT_HOME = [
    "Your insurance card and a photo ID.",
    "A quiet space of about 7 by 10 feet where your therapist can set up the table.",
    "Comfortable, loose clothing.",
]

_VISIT_KINDS = (Kind.CONFIRMATION, Kind.REMINDER, Kind.SECOND_REMINDER, Kind.RESCHEDULE)
# Messages about a visit that no longer takes place: no confirm or cancel links.
_NOTICE_KINDS = (Kind.CANCELLATION, Kind.SAFETY_RESCHEDULE)
_OFFER_KINDS = (Kind.WAITLIST_OFFER, Kind.WAITLIST_GONE)


def long_date(local: datetime) -> str:
    return f"{local:%A, %B} {local.day}, {local.year}"


def short_time(local: datetime) -> str:
    return f"{local:%I:%M %p}".lstrip("0")


def place_of(appointment: Appointment) -> str:
    if appointment.place == Place.HOME:
        return "At your home" + (
            f" ({appointment.visit_address})" if appointment.visit_address else ""
        )
    if appointment.place == Place.WORKPLACE:
        return "At your workplace" + (
            f": {appointment.visit_address}" if appointment.visit_address else ""
        )
    location = appointment.location
    room = f"{appointment.room.name}, " if appointment.room is not None else ""
    return f"{room}{location.name}, {location.address}"


@dataclass
class VisitLine:
    """One visit as the client reads it."""

    appointment: Appointment
    date: str
    time: str
    therapist: str
    place: str
    at_home: bool
    confirm_url: str = ""
    cancel_url: str = ""
    screen_url: str = ""  # the day-of-visit health questions (reminders only)


def _line(appointment: Appointment, *, links: bool) -> VisitLine:
    start = appointment.local_starts_at
    end = appointment.local_ends_at
    line = VisitLine(
        appointment=appointment,
        date=long_date(start),
        time=f"{short_time(start)} to {short_time(end)} ({start.tzname()})",
        therapist=appointment.therapist.first_name,
        place=place_of(appointment),
        at_home=appointment.place == Place.HOME,
    )
    if links:
        if appointment.status == Appointment.Status.BOOKED:
            line.confirm_url = visit_link_url(
                appointment=appointment, action=Action.CONFIRM
            )
        line.cancel_url = visit_link_url(appointment=appointment, action=Action.CANCEL)
    return line


def _series_visits(row: OutboundMessage) -> QuerySet[Appointment]:
    # Called only for a row whose series_id is set.
    assert row.series is not None
    return row.series.appointments.select_related(
        "location", "therapist__user", "room", "client"
    ).order_by("starts_at")


def _open_future(row: OutboundMessage, now: datetime) -> list[Appointment]:
    return list(
        _series_visits(row).filter(
            status__in=Appointment.OPEN_STATUSES, starts_at__gt=now
        )
    )


def _cancelled_future(row: OutboundMessage, now: datetime) -> list[Appointment]:
    return list(
        _series_visits(row).filter(
            status__in=Appointment.NON_BLOCKING_STATUSES, starts_at__gt=now
        )
    )


def _intake_invitation(row: OutboundMessage) -> IntakeInvitation | None:
    if row.intake_invitation_id is not None:
        return row.intake_invitation
    # Rows written before the link was recorded on them: the link was made at the
    # moment the row was (see clients.intake_services).
    assert row.client is not None  # every intake request is written for its client
    return row.client.intake_invitations.filter(
        expires_at=row.send_at + INTAKE_LINK_LIFETIME
    ).first()


def message_verdict(row: OutboundMessage, now: datetime) -> tuple[str, str] | None:
    """Why this row must not be sent now: (status, reason); None when it may."""
    visit = row.appointment
    kind = row.kind
    if kind in _OFFER_KINDS and (verdict := offer_message_verdict(row, now)):
        return verdict
    if visit is not None and kind in _VISIT_KINDS:
        if visit.status not in Appointment.OPEN_STATUSES:
            return Status.CANCELLED, f"the visit is {visit.get_status_display()}"
        if visit.starts_at <= now:
            return Status.CANCELLED, "the visit had already started"
    if kind == Kind.CANCELLATION and visit is not None and visit.starts_at <= now:
        return Status.CANCELLED, "the visit's time had passed"
    if row.series_id is not None:
        if kind == Kind.CANCELLATION and not _cancelled_future(row, now):
            return Status.CANCELLED, "no cancelled visit still ahead"
        if kind != Kind.CANCELLATION and not _open_future(row, now):
            return Status.CANCELLED, "no open visit left in the series"
    if kind == Kind.INTAKE_REQUEST:
        invitation = _intake_invitation(row)
        if invitation is None:
            return Status.CANCELLED, "no intake link to send"
        if invitation.used_at is not None:
            return Status.CANCELLED, "the form was already filled in"
        if invitation.expires_at <= now:
            return Status.CANCELLED, "the intake link expired"
    if kind == Kind.AUTHORIZATION_NOTICE:
        if not (front_desk_address(visit) or row.to_email):
            return Status.SKIPPED, "no front-desk address: set the location's email"
        return None
    client = row.client
    if client is None or not client.email:
        return Status.SKIPPED, "no email address"
    if not client.email_reminders:
        return Status.SKIPPED, "client opted out of email"
    return None


def recipient_of(row: OutboundMessage) -> str:
    if row.kind == Kind.AUTHORIZATION_NOTICE:
        return front_desk_address(row.appointment) or row.to_email
    # Asked only of a row that `_skip_reason` let through: it has a client.
    assert row.client is not None
    return row.client.email


def _location_of(row: OutboundMessage) -> Location | None:
    if row.waitlist_offer is not None:
        return row.waitlist_offer.location
    if row.appointment is not None:
        return row.appointment.location
    if row.series is not None:
        return row.series.location
    if row.client is not None:
        upcoming = (
            row.client.appointments.filter(status__in=Appointment.OPEN_STATUSES)
            .select_related("location")
            .order_by("starts_at")
            .first()
        )
        if upcoming is not None:
            return upcoming.location
        if row.client.preferred_location_id is not None:
            return row.client.preferred_location
    return Location.objects.filter(is_active=True).order_by("name").first()


class RenderBatch:
    """What every message of one batch shares, looked up once: the clinic's policy
    (name, late-cancel window), the sender and the domain."""

    @cached_property
    def policy(self) -> ClinicPolicy:
        return clinic_policy()

    @cached_property
    def sender(self) -> str:
        _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
        return formataddr((self.policy.clinic_name, address))

    @cached_property
    def domain(self) -> str:
        return message_domain()


@dataclass
class Rendered:
    subject: str
    text: str
    html: str
    attachments: list[MIMEBase] = field(default_factory=list)


def _calendar(
    appointments: list[Appointment],
    *,
    method: str,
    clinic_name: str,
    now: datetime,
) -> MIMEBase:
    content = visit_calendar(
        appointments=appointments,
        method=method,
        clinic_name=clinic_name,
        domain=message_domain(),
        organizer_email=parseaddr(settings.DEFAULT_FROM_EMAIL)[1],
        place_of=place_of,
        now=now,
    )
    filename = "cancelled-visits.ics" if method == "CANCEL" else "visits.ics"
    return calendar_part(content, method=method, filename=filename)


def render_message(
    row: OutboundMessage, now: datetime, batch: RenderBatch | None = None
) -> Rendered:
    """Subject, both parts and the calendar attachment of a row, as of `now`."""
    batch = batch or RenderBatch()
    policy = batch.policy
    clinic_name = policy.clinic_name
    location = _location_of(row)
    client = row.client
    context: dict = {
        "kind": row.kind,
        "clinic_name": clinic_name,
        "location": location,
        "phone": location.phone if location else "",
        "client_name": (client.preferred_name or client.first_name) if client else "",
        "late_window": policy.late_cancel_window,
    }
    attachments: list[MIMEBase] = []
    kind = row.kind
    visit = row.appointment
    if kind == Kind.AUTHORIZATION_NOTICE:
        template = "authorization_notice"
        context.update(_authorization_context(row))
        assert client is not None  # the notice is written for the visit's client
        authorization = row.authorization
        subject = (
            f"Authorization {authorization.number} for {client.full_name} nears its end"
            if authorization is not None
            else f"An authorization for {client.full_name} nears its end"
        )
    elif kind in _OFFER_KINDS:
        template, subject = _offer_context(row, context, now)
    elif kind == Kind.INTAKE_REQUEST:
        template = "intake_request"
        invitation = _intake_invitation(row)
        # `message_verdict` cancels a request that has no link before it is rendered.
        assert invitation is not None
        context["intake_url"] = settings.CLINIC_BASE_URL + reverse(
            "clients:intake_public", args=[intake_invitation_token(invitation)]
        )
        expires = invitation.expires_at.astimezone(
            location.zone if location else invitation.expires_at.tzinfo
        )
        context["intake_expires"] = long_date(expires)
        subject = f"Your intake form for {clinic_name}"
    elif row.series_id is not None and kind == Kind.CANCELLATION:
        template = "cancellation"
        cancelled = _cancelled_future(row, now)
        context["visits"] = [_line(a, links=False) for a in cancelled]
        context["remaining"] = [_line(a, links=True) for a in _open_future(row, now)]
        attachments.append(
            _calendar(cancelled, method="CANCEL", clinic_name=clinic_name, now=now)
        )
        subject = f"{len(cancelled)} visits cancelled at {clinic_name}"
    elif row.series_id is not None:
        template = (
            "series_confirmation" if kind == Kind.SERIES_CONFIRMATION else "reschedule"
        )
        visits = _open_future(row, now)
        context["visits"] = [_line(a, links=True) for a in visits]
        context["what_to_bring"] = _what_to_bring(visits)
        attachments.append(
            _calendar(visits, method="PUBLISH", clinic_name=clinic_name, now=now)
        )
        subject = (
            f"Your {len(visits)} visits at {clinic_name} are booked"
            if kind == Kind.SERIES_CONFIRMATION
            else f"Your visits at {clinic_name} have changed"
        )
    else:
        # What is left is a single visit's message, always written for its visit.
        assert visit is not None
        line = _line(visit, links=kind not in _NOTICE_KINDS)
        if kind in (Kind.REMINDER, Kind.SECOND_REMINDER):
            line.screen_url = visit_link_url(appointment=visit, action=Action.SCREEN)
        context["visits"] = [line]
        context["visit"] = line
        context["what_to_bring"] = _what_to_bring([visit])
        when = f"{line.date}, {line.time.split(' to ')[0]}"
        if kind == Kind.SAFETY_RESCHEDULE:
            template = "safety_reschedule"
            context.update(_safety_context(visit, now))
            method = "CANCEL"
            subject = f"For your safety: your visit on {when} is rescheduled"
        elif kind == Kind.CANCELLATION:
            template = "cancellation"
            context["remaining"] = []
            method = "CANCEL"
            subject = f"Cancelled: your visit on {when} at {clinic_name}"
        else:
            method = "PUBLISH"
            templates: dict[str, str] = {
                Kind.CONFIRMATION: "confirmation",
                Kind.RESCHEDULE: "reschedule",
            }
            template = templates.get(kind, "reminder")
            subjects: dict[str, str] = {
                Kind.CONFIRMATION: f"Your visit on {when} at {clinic_name} is booked",
                Kind.RESCHEDULE: f"Your visit at {clinic_name} has moved to {when}",
            }
            subject = subjects.get(
                kind, f"Reminder: your visit on {when} at {clinic_name}"
            )
        if kind != Kind.REMINDER and kind != Kind.SECOND_REMINDER:
            attachments.append(
                _calendar([visit], method=method, clinic_name=clinic_name, now=now)
            )
    context["subject"] = subject
    text = render_to_string(f"sessions/email/{template}.txt", context)
    html = render_to_string(f"sessions/email/{template}.html", context)
    return Rendered(subject=subject, text=text, html=html, attachments=attachments)


def _offer_context(row: OutboundMessage, context: dict, now: datetime):
    """A waitlist offer (when, with whom, where, and the link) or its "taken" notice:
    never the technique, which can reveal a condition."""
    offer = row.waitlist_offer
    assert offer is not None  # `message_verdict` cancels a row without one
    local = offer.local_starts_at
    when = f"{long_date(local)} at {short_time(local)}"
    context["when"] = when
    if row.kind == Kind.WAITLIST_GONE:
        return "waitlist_gone", f"The time on {long_date(local)} has been taken"
    location = offer.location
    if offer.place == Place.ROOM:
        context["place"] = f"{location.name}, {location.address}"
    else:
        context["place"] = "At your home" if offer.place == Place.HOME else "At work"
    context["therapist"] = offer.therapist.first_name
    context["offer_url"] = offer_url(offer)
    expires = offer.expires_at.astimezone(location.zone)
    context["expires"] = f"{long_date(expires)} at {short_time(expires)}"
    return "waitlist_offer", f"A time has opened up: {when}"


def _safety_context(visit: Appointment, now: datetime) -> dict:
    """The clinic's wording when the screening rescheduled a visit for safety: the
    reason in the client's own terms (what they told us), never a condition's name
    from the chart, and what to wait for before booking again."""
    screening = (
        visit.screenings.filter(outcome=VisitScreening.Outcome.RESCHEDULED)
        .order_by("-answered_at", "-pk")
        .first()
    )
    same_day = (
        visit.local_starts_at.date() == now.astimezone(visit.location.zone).date()
    )
    return {
        "visit_phrase": "today's visit" if same_day else "your visit",
        "reason": (screening.client_reason if screening else "")
        or "something on your record needs a check first",
        "until_well": bool(screening and screening.unwell),
    }


def _what_to_bring(appointments: list[Appointment]) -> list[str]:
    if appointments and all(a.place == Place.HOME for a in appointments):
        return WHAT_TO_BRING_AT_HOME
    return WHAT_TO_BRING


def _authorization_context(row: OutboundMessage) -> dict:
    authorization = row.authorization
    if authorization is None:
        return {"authorization": None}
    booked = authorization.appointments.exclude(
        status__in=Appointment.NON_BLOCKING_STATUSES
    ).count()
    return {
        "authorization": authorization,
        "payer": authorization.policy.payer.name,
        "booked": booked,
        "client_full_name": row.client.full_name if row.client else "",
        "client_url": settings.CLINIC_BASE_URL
        + reverse("clients:detail", args=[row.client_id]),
    }


def sender() -> str:
    """DEFAULT_FROM_EMAIL's address under the clinic's name."""
    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((clinic_policy().clinic_name, address))


def email_for(
    row: OutboundMessage,
    now: datetime,
    *,
    connection=None,
    batch: RenderBatch | None = None,
) -> EmailMultiAlternatives:
    """The email itself, with the row's fixed Message-ID."""
    batch = batch or RenderBatch()
    rendered = render_message(row, now, batch)
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=batch.sender,
        to=[recipient_of(row)],
        headers={
            "Message-ID": row.message_id or message_id_for(row),
            "Auto-Submitted": "auto-generated",
            "X-Clinic-Message": f"{row.kind} {row.pk}",
        },
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    for part in rendered.attachments:
        message.attach(part)
    return message
