"""The manager's audit log: who read or changed what, filtered, paged and exported.

The rows live in massageclinic (the bottom of the app chain), which knows clients
only by id; this module sits in clients so that it can name them. A page reads its
rows, their users and their clients' names in a fixed number of queries, however
many rows it shows; the CSV export streams the filtered rows in chunks and is
itself an audited event.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.apps import apps
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse

from clients.models import Client
from massageclinic.audit import AuditContext, audit_record
from massageclinic.clock import location_zone
from massageclinic.models import AuditEvent

EXPORT_CHUNK = 2000
CSV_HEADER = [
    "when (local)",
    "time zone",
    "user",
    "action",
    "record type",
    "record id",
    "client id",
    "client",
    "summary",
    "address",
    "page",
]


@dataclass(frozen=True)
class AuditFilters:
    """What the manager asked for; every field is optional."""

    client_ids: tuple[int, ...] | None = None  # None: any client
    user: User | None = None
    date_from: date | None = None
    date_to: date | None = None
    action: str = ""

    def describe(self) -> str:
        """The filters in words, for the export's own audit row."""
        parts = []
        if self.client_ids is not None:
            ids = ", ".join(map(str, self.client_ids[:10]))
            more = "..." if len(self.client_ids) > 10 else ""
            parts.append(f"client {ids or 'none'}{more}")
        if self.user is not None:
            parts.append(f"user {self.user.get_username()}")
        if self.date_from:
            parts.append(f"from {self.date_from}")
        if self.date_to:
            parts.append(f"to {self.date_to}")
        if self.action:
            parts.append(f"action {self.action}")
        return "; ".join(parts) or "no filters"


@dataclass(frozen=True)
class AuditRow:
    """One line of the page: everything the template shows, already looked up."""

    event: AuditEvent
    when: datetime  # in the clinic's zone
    who: str
    action: str
    what: str
    client_name: str
    client_url: str

    @property
    def when_text(self) -> str:
        return f"{self.when:%a %Y-%m-%d %H:%M:%S} {self.when.tzname()}"


def clients_named(text: str, *, limit: int = 50) -> list[Client]:
    """Clients whose name matches `text` ("Ada", "Ada Stone", "Stone, Ada")."""
    words = [w for w in text.replace(",", " ").split() if w]
    if not words:
        return []
    query = Q()
    for word in words:
        query &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(preferred_name__icontains=word)
        )
    return list(
        Client.objects.filter(query).order_by("last_name", "first_name", "pk")[:limit]
    )


def audit_events(filters: AuditFilters, *, zone: ZoneInfo) -> QuerySet[AuditEvent]:
    """The filtered rows, newest first; the dates are local dates in `zone`."""
    events = AuditEvent.objects.select_related("user").order_by("-at", "-pk")
    if filters.client_ids is not None:
        events = events.filter(client_id__in=filters.client_ids)
    if filters.user is not None:
        events = events.filter(user=filters.user)
    if filters.action:
        events = events.filter(action=filters.action)
    if filters.date_from:
        events = events.filter(at__gte=_local_midnight(filters.date_from, zone))
    if filters.date_to:
        next_day = filters.date_to + timedelta(days=1)
        events = events.filter(at__lt=_local_midnight(next_day, zone))
    return events


def _local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone)


def _who(event: AuditEvent) -> str:
    if event.user is None:
        # A task or command names itself in the path ("task:send_messages"); a page
        # path means someone not signed in (a client's link, a failed sign-in).
        if event.path and not event.path.startswith("/"):
            return f"System ({event.path})"
        return "Not signed in"
    return event.user.get_full_name() or event.user.get_username()


def _what(event: AuditEvent) -> str:
    try:
        kind = str(apps.get_model(event.object_type)._meta.verbose_name)
    except (LookupError, ValueError):
        kind = event.object_type
    name = kind[:1].upper() + kind[1:]
    label = f"{name} #{event.object_id}" if event.object_id is not None else name
    return f"{label}: {event.summary}" if event.summary else label


def _client_names(events: Iterable[AuditEvent]) -> dict[int, str]:
    """The names of the rows' clients, in one query."""
    ids = {e.client_id for e in events if e.client_id is not None}
    if not ids:
        return {}
    return {
        pk: f"{last}, {first}"
        for pk, first, last in Client.objects.filter(pk__in=ids).values_list(
            "pk", "first_name", "last_name"
        )
    }


def audit_rows(events: Iterable[AuditEvent], *, zone: ZoneInfo) -> list[AuditRow]:
    """The rows of one page, with local times and client names (one more query)."""
    events = list(events)
    names = _client_names(events)
    rows = []
    for event in events:
        client_id = event.client_id
        name = names.get(client_id) if client_id is not None else None
        if name is None and client_id is not None:
            name = f"Client #{client_id}"  # no longer on file: the id is kept
        rows.append(
            AuditRow(
                event=event,
                when=event.at.astimezone(zone),
                who=_who(event),
                action=event.get_action_display(),
                what=_what(event),
                client_name=name or "",
                client_url=(
                    reverse("clients:detail", args=[client_id])
                    if client_id in names
                    else ""
                ),
            )
        )
    return rows


class _Echo:
    """A file that hands back what is written to it, for csv.writer to stream."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(events: QuerySet[AuditEvent], zone: ZoneInfo) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_HEADER)
    chunk: list[AuditEvent] = []
    for event in events.iterator(chunk_size=EXPORT_CHUNK):
        chunk.append(event)
        if len(chunk) == EXPORT_CHUNK:
            yield from _csv_chunk(writer, chunk, zone)
            chunk = []
    yield from _csv_chunk(writer, chunk, zone)


def _csv_chunk(writer: Any, chunk: list[AuditEvent], zone: ZoneInfo) -> Iterator[str]:
    for row in audit_rows(chunk, zone=zone):
        event = row.event
        yield writer.writerow(
            [
                f"{row.when:%Y-%m-%d %H:%M:%S}",
                row.when.tzname(),
                _safe_cell(event.user.get_username() if event.user else ""),
                row.action,
                event.object_type,
                event.object_id if event.object_id is not None else "",
                event.client_id if event.client_id is not None else "",
                _safe_cell(row.client_name),
                _safe_cell(event.summary),
                event.ip_address or "",
                _safe_cell(event.path),
            ]
        )


def _safe_cell(value: str) -> str:
    """No spreadsheet formulas: a cell starting =, +, - or @ is text (OWASP CSV)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


@transaction.atomic
def audit_log_export(
    *, filters: AuditFilters, context: AuditContext
) -> tuple[int, Iterator[str]]:
    """The CSV lines of the filtered rows, and their count; the export is audited.

    The EXPORT row is written first and committed with the count, so an export is
    on record even when the download is broken off; the streamed rows are the
    ones that existed when it started (the new EXPORT row included only in the
    next export).
    """
    zone = location_zone()
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    events = audit_events(filters, zone=zone).filter(pk__lte=last or 0)
    count = events.count()
    client_ids = filters.client_ids or ()
    audit_record(
        context,
        AuditEvent.Action.EXPORT,
        AuditEvent(),
        client_id=client_ids[0] if len(client_ids) == 1 else None,
        summary=f"Audit log CSV, {count} rows ({filters.describe()})",
    )
    return count, _csv_lines(events, zone)
