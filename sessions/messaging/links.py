"""Signed confirm, cancel and health-question links: one visit each, no login, valid
until it starts.

A token is the visit's id and the action, signed with the site's secret
(django.core.signing), so it cannot be altered or made up. The confirm link also
carries the visit's calendar SEQUENCE: after the visit is moved, an older email's
confirm link no longer confirms a time the client may not have seen. Whether a link
is still usable is decided when it is used (the visit has not started), not baked
into the token, so moving a visit later keeps its cancel link working.

What a link does to the visit (confirm, cancel) is decided in
`sessions.scheduling.visit_links`, through the booking services.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from django.conf import settings
from django.core import signing
from django.urls import reverse

from sessions.models import Appointment

SALT = "sessions.messaging.visit-link"


class Action(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    SCREEN = "screen"  # the day-of-visit health questions


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


def _long(moment: datetime, appointment: Appointment) -> str:
    local = moment.astimezone(appointment.location.zone)
    return f"{local:%A, %B} {local.day}, {local.year}"


def visit_link_visit(
    token: str, action: Action, now: datetime, *, for_update: bool = False
) -> Appointment:
    """The visit a link names, or VisitLinkError saying why the link cannot be used."""
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
