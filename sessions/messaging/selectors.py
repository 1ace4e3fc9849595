"""The outbox page's rows: messages by the local day they go out, filtered, a page
at a time."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from clients.selectors import clients_matching
from massageclinic.clock import local_day_span
from massageclinic.models import Location
from massageclinic.roles import Role, user_roles
from sessions.models import (
    Appointment,
    AppointmentSeries,
    OutboundMessage,
    TreatmentPlan,
)

Status = OutboundMessage.Status

SHOWN = {
    "open": [Status.FAILED, Status.PENDING, Status.SENDING],
    "failed": [Status.FAILED],
    "pending": [Status.PENDING, Status.SENDING],
    "skipped": [Status.SKIPPED],
    "sent": [Status.SENT],
    "cancelled": [Status.CANCELLED],
    "all": list(Status),
}
PER_PAGE = 50


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


@dataclass(frozen=True)
class OutboxFilters:
    """What the outbox shows; every field comes from the page's GET form."""

    show: str = "open"
    kind: str = ""
    client: str = ""
    sent_from: date | None = None
    sent_to: date | None = None

    @property
    def narrowed(self) -> bool:
        """Anything beyond the status pills: the page offers to clear it."""
        return bool(self.kind or self.client or self.sent_from or self.sent_to)


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
    page: Page
    # The rows every filter lets through, on all pages.
    matching: int


def _zone(message: OutboundMessage, fallback: zoneinfo.ZoneInfo) -> zoneinfo.ZoneInfo:
    if message.appointment is not None:
        return message.appointment.location.zone
    if message.series is not None:
        return message.series.location.zone
    return fallback


def default_zone() -> zoneinfo.ZoneInfo:
    location = Location.objects.filter(is_active=True).order_by("name").first()
    return location.zone if location else zoneinfo.ZoneInfo(settings.TIME_ZONE)


def _sent_between(
    first: date | None, last: date | None, locations: Iterable[Location]
) -> Q:
    """Messages going out from `first` to `last` (inclusive), in the local dates of
    the location whose time the page shows for them (the visit's, the series', else
    the outbox's default). One zone, the usual case, is a plain range on send_at."""
    by_zone: dict[str, Location] = {}
    for location in locations:
        by_zone.setdefault(location.time_zone, location)
    fallback = default_zone()

    def span(location: Location | None) -> Q:
        if location is None:
            location = Location(time_zone=str(fallback))
        condition = Q()
        if first is not None:
            condition &= Q(send_at__gte=local_day_span(first, location)[0])
        if last is not None:
            condition &= Q(send_at__lt=local_day_span(last, location)[1])
        return condition

    if len(by_zone) <= 1:
        only = next(iter(by_zone.values()), None)
        if only is None or only.time_zone == str(fallback):
            return span(only)
    either = Q(appointment__isnull=True, series__isnull=True) & span(
        by_zone.get(str(fallback))
    )
    for zone, location in by_zone.items():
        # By id, not joined: the page must not hash every visit (see outbox_page).
        visit_here = Exists(
            Appointment.objects.filter(
                pk=OuterRef("appointment_id"), location__time_zone=zone
            )
        )
        series_here = Exists(
            AppointmentSeries.objects.filter(
                pk=OuterRef("series_id"), location__time_zone=zone
            )
        )
        where = Q(visit_here) | (Q(appointment__isnull=True) & Q(series_here))
        either |= where & span(location)
    return either


def outbox_messages(*, user, filters: OutboxFilters) -> QuerySet[OutboundMessage]:
    """The messages `user` may read that every filter lets through, in page order."""
    rows = messages_visible_to(user).filter(status__in=SHOWN[filters.show])
    if filters.kind:
        rows = rows.filter(kind=filters.kind)
    query = filters.client.replace("\x00", "").strip()
    if query:
        rows = rows.filter(
            Q(client__in=clients_matching(query).values("pk"))
            | Q(to_email__icontains=query)
        )
    if filters.sent_from or filters.sent_to:
        rows = rows.filter(
            _sent_between(filters.sent_from, filters.sent_to, Location.objects.all())
        )
    newest_first = filters.show in ("sent", "skipped", "cancelled", "all")
    return rows.order_by("-send_at" if newest_first else "send_at", "pk")


def outbox_page(*, user, filters: OutboxFilters, page: str | int | None = 1) -> Outbox:
    """One page of the outbox, by the local day messages go out, in the zone of the
    visit's location. A page number past the end (or not a number) gives the last
    (or the first) page."""
    visible = messages_visible_to(user)
    paginator = Paginator(
        outbox_messages(user=user, filters=filters)
        # Fetched by id for the page's rows only: joined to the whole message list
        # before its LIMIT, they made PostgreSQL hash every visit and client.
        .prefetch_related(
            "client",
            "appointment__location",
            "series__location",
            "authorization",
        ),
        PER_PAGE,
    )
    shown_page = paginator.get_page(page)
    counts = visible.aggregate(
        failed=Count("pk", filter=Q(status=Status.FAILED)),
        pending=Count("pk", filter=Q(status=Status.PENDING)),
    )
    fallback = default_zone()
    shown = []
    for message in shown_page.object_list:
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
        page=shown_page,
        matching=paginator.count,
    )
