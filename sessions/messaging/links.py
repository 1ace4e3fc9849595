"""Signed confirm, cancel and health-question links: one visit each, no login, valid
for the clinic's link lifetime after they were made and never after the visit starts.

A token is the visit's id and the action, signed with the site's secret and the time
it was made (django.core.signing's timestamped `dumps`), so it cannot be altered or
made up, and a link found in an old mailbox stops working `client_link_lifetime`
(clinic policy, 14 days by default) after it was sent. The confirm link also
carries the visit's calendar SEQUENCE: after the visit is moved, an older email's
confirm link no longer confirms a time the client may not have seen. Whether a link
is still usable is decided when it is used (its age, and the visit has not started),
not baked into the token, so moving a visit later keeps its cancel link working.

What a link does to the visit (confirm, cancel) is decided in
`sessions.scheduling.visit_links`, through the booking services.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse

from massageclinic.client_links import client_link_expires_at
from sessions.models import Appointment

SALT = "sessions.messaging.visit-link"


class Action(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    SCREEN = "screen"  # the day-of-visit health questions


class VisitLinkError(Exception):
    """The link cannot be used; `code` is "invalid", "expired" or "outdated"."""

    def __init__(
        self, message: str, *, code: str, appointment: Appointment | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        # The visit, when the link names one: its location's phone number on the page.
        self.appointment = appointment


def visit_link_token(*, appointment: Appointment, action: Action) -> str:
    payload = {"a": appointment.pk, "do": str(action)}
    if action == Action.CONFIRM:
        payload["s"] = appointment.ics_sequence
    return signing.dumps(payload, salt=SALT)


def visit_link_url(*, appointment: Appointment, action: Action) -> str:
    token = visit_link_token(appointment=appointment, action=action)
    return settings.CLINIC_BASE_URL + reverse(f"sessions:link_{action}", args=[token])


def _long(moment: datetime, appointment: Appointment) -> str:
    local = moment.astimezone(appointment.location.zone)
    return f"{local:%A, %B} {local.day}, {local.year}"


def _issued_at(token: str) -> datetime | None:
    """When a token was made: the timestamp `signing.dumps` signed into it."""
    try:
        signed = signing.Signer(salt=SALT).unsign(token)
        return datetime.fromtimestamp(
            signing.b62_decode(signed.rsplit(":", 1)[1]), tz=UTC
        )
    except (signing.BadSignature, IndexError, ValueError):
        return None


def visit_link_visit(
    token: str, action: Action, now: datetime, *, for_update: bool = False
) -> Appointment:
    """The visit a link names, or VisitLinkError saying why the link cannot be used."""
    issued_at = _issued_at(token)
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        payload = None
    if issued_at is None:
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
            appointment=appointment,
        )
    assert issued_at is not None  # a token without its time was refused above
    expires_at = client_link_expires_at(issued_at)
    if now >= expires_at:
        raise VisitLinkError(
            f"This link expired on {_long(expires_at, appointment)}: for your "
            "privacy, the links in our emails stop working a while after we send "
            "them. Nothing was changed.",
            code="expired",
            appointment=appointment,
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
