"""Signed confirm and cancel links: one visit each, no login, valid until it starts.

A token is the visit's id and the action, signed with the site's secret
(django.core.signing), so it cannot be altered or made up. The confirm link also
carries the visit's calendar SEQUENCE: after the visit is moved, an older email's
confirm link no longer confirms a time the client may not have seen. Whether a link
is still usable is decided when it is used (the visit has not started), not baked
into the token, so moving a visit later keeps its cancel link working.

Both actions are idempotent: a second use shows the same result and changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from massageclinic.models import clinic_policy
from sessions.models import Appointment
from sessions.services import appointment_cancel, appointment_set_status

SALT = "sessions.messaging.visit-link"
CLIENT_CANCEL_REASON = "Cancelled by the client through the link in their email"


class Action(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"


class Outcome(StrEnum):
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    ASK = "ask"  # the link is good: show the button that does it
    TOO_LATE = "too_late"  # inside the late-cancel window: call the clinic
    CLOSED = "closed"  # checked in, completed, no-show: nothing to do online


class VisitLinkError(Exception):
    """The link cannot be used; `code` is "invalid", "expired" or "outdated"."""

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def visit_link_token(*, appointment: Appointment, action: Action) -> str:
    payload = {"a": appointment.pk, "do": str(action)}
    if action == Action.CONFIRM:
        payload["s"] = appointment.ics_sequence
    return signing.dumps(payload, salt=SALT)


def visit_link_url(*, appointment: Appointment, action: Action) -> str:
    token = visit_link_token(appointment=appointment, action=action)
    return settings.CLINIC_BASE_URL + reverse(f"sessions:link_{action}", args=[token])


@dataclass
class LinkResult:
    outcome: Outcome
    appointment: Appointment


def _long(moment: datetime, appointment: Appointment) -> str:
    local = moment.astimezone(appointment.location.zone)
    return f"{local:%A, %B} {local.day}, {local.year}"


def _open(
    token: str, action: Action, now: datetime, *, for_update: bool = False
) -> Appointment:
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        payload = None
    if (
        not isinstance(payload, dict)
        or payload.get("do") != action
        or not isinstance(payload.get("a"), int)
    ):
        raise VisitLinkError(
            "This link is not valid. Check that it was copied in full, or call the "
            "clinic.",
            code="invalid",
        )
    visits = Appointment.objects.select_related(
        "location", "client", "therapist__user", "room"
    )
    if for_update:
        visits = visits.select_for_update(of=("self",))
    appointment = visits.filter(pk=payload["a"]).first()
    if appointment is None:
        raise VisitLinkError(
            "This link is no longer valid. Please call the clinic.", code="invalid"
        )
    if now >= appointment.starts_at:
        raise VisitLinkError(
            "This link expired when the visit began "
            f"({_long(appointment.starts_at, appointment)}). Nothing was changed.",
            code="expired",
        )
    outdated = payload.get("s") != appointment.ics_sequence
    if (
        action == Action.CONFIRM
        and outdated
        and appointment.status in Appointment.OPEN_STATUSES
    ):
        raise VisitLinkError(
            "This visit was changed after this email was sent, so this link no "
            "longer confirms it. Please use the link in our latest email.",
            code="outdated",
        )
    return appointment


def visit_link_open(*, token: str, action: Action, now: datetime) -> LinkResult:
    """What using the link would do, without doing it (the page before the button)."""
    appointment = _open(token, action, now)
    return LinkResult(_outcome(appointment, action, now), appointment)


def _outcome(appointment: Appointment, action: Action, now: datetime) -> Outcome:
    status = appointment.status
    if status in Appointment.NON_BLOCKING_STATUSES:
        return Outcome.CANCELLED
    if action == Action.CONFIRM:
        if status == Appointment.Status.BOOKED:
            return Outcome.ASK
        if status == Appointment.Status.CONFIRMED:
            return Outcome.CONFIRMED
        return Outcome.CLOSED
    if status not in Appointment.OPEN_STATUSES or status == "checked_in":
        return Outcome.CLOSED
    if appointment.starts_at - now < clinic_policy().late_cancel_window:
        return Outcome.TOO_LATE
    return Outcome.ASK


@transaction.atomic
def visit_link_use(*, token: str, action: Action, now: datetime) -> LinkResult:
    """Confirm or cancel the visit the link names; a second use changes nothing.

    Cancelling inside the clinic's late-cancel window is refused: the client calls.
    Outside it, the visit is cancelled through the desk's own service (by nobody:
    the client), so its history, the waitlist and the messages follow as usual.
    """
    appointment = _open(token, action, now, for_update=True)
    outcome = _outcome(appointment, action, now)
    if outcome != Outcome.ASK:
        return LinkResult(outcome, appointment)
    try:
        if action == Action.CONFIRM:
            appointment = appointment_set_status(
                appointment=appointment,
                status=Appointment.Status.CONFIRMED,
                by=None,
                now=now,
            )
            return LinkResult(Outcome.CONFIRMED, appointment)
        appointment = appointment_cancel(
            appointment=appointment, by=None, reason=CLIENT_CANCEL_REASON, now=now
        )
    except ValidationError:  # pragma: no cover - the row is locked and checked above
        appointment.refresh_from_db()
        return LinkResult(_outcome(appointment, action, now), appointment)
    return LinkResult(Outcome.CANCELLED, appointment)
