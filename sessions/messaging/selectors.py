"""The outbox page's rows: failed and pending messages, grouped by local day."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from massageclinic.models import Location
from massageclinic.roles import Role, user_roles
from sessions.models import Appointment, OutboundMessage, TreatmentPlan

Status = OutboundMessage.Status

SHOWN = {
    "open": [Status.FAILED, Status.PENDING, Status.SENDING],
    "failed": [Status.FAILED],
    "pending": [Status.PENDING, Status.SENDING],
    "skipped": [Status.SKIPPED],
    "sent": [Status.SENT],
}
LIMIT = 300


def messages_visible_to(user) -> QuerySet[OutboundMessage]:
    """All messages for the desk and the manager; a therapist's own clients' only."""
    rows = OutboundMessage.objects.all()
    roles = user_roles(user)
    if roles & {Role.FRONT_DESK, Role.MANAGER}:
        return rows
    if Role.THERAPIST in roles:
        treats = Exists(
            Appointment.objects.filter(client=OuterRef("client"), therapist__user=user)
        ) | Exists(
            TreatmentPlan.objects.filter(
                client=OuterRef("client"), therapist__user=user
            )
        )
        return rows.filter(Q(client__isnull=False) & treats)
    return rows.none()


@dataclass
class OutboxRow:
    message: OutboundMessage
    local_send_at: datetime
    visit_local: datetime | None


@dataclass
class OutboxDay:
    day: date
    rows: list[OutboxRow] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(1 for r in self.rows if r.message.status == Status.FAILED)


@dataclass
class Outbox:
    days: list[OutboxDay]
    failed: int
    pending: int
    truncated: bool


def _zone(message: OutboundMessage, fallback: zoneinfo.ZoneInfo) -> zoneinfo.ZoneInfo:
    if message.appointment is not None:
        return message.appointment.location.zone
    if message.series is not None:
        return message.series.location.zone
    return fallback


def default_zone() -> zoneinfo.ZoneInfo:
    location = Location.objects.filter(is_active=True).order_by("name").first()
    return location.zone if location else zoneinfo.ZoneInfo(settings.TIME_ZONE)


def outbox_for(*, user, show: str) -> Outbox:
    """Messages by the local day they go out, in the zone of the visit's location."""
    visible = messages_visible_to(user)
    rows = list(
        visible.filter(status__in=SHOWN[show])
        # Fetched by id for the page's rows only: joined to the whole message list
        # before its LIMIT, they made PostgreSQL hash every visit and client.
        .prefetch_related(
            "client",
            "appointment__location",
            "series__location",
            "authorization",
        )
        .order_by("-send_at" if show in ("sent", "skipped") else "send_at", "pk")[
            : LIMIT + 1
        ]
    )
    counts = visible.aggregate(
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        pending=Count("pk", filter=Q(status=Status.PENDING)),
    )
    fallback = default_zone()
    shown = []
    for message in rows[:LIMIT]:
        zone = _zone(message, fallback)
        visit = message.appointment
        shown.append(
            OutboxRow(
                message=message,
                local_send_at=message.send_at.astimezone(zone),
                visit_local=visit.starts_at.astimezone(zone) if visit else None,
            )
        )
    days = [
        OutboxDay(day=day, rows=list(group))
        for day, group in groupby(shown, key=lambda r: r.local_send_at.date())
    ]
    return Outbox(
        days=days,
        failed=counts["failed"],
        pending=counts["pending"],
        truncated=len(rows) > LIMIT,
    )
