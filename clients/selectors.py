"""Reads for the client list and the client chart, each a fixed number of queries.

Visits, plans and notes live in the sessions app, above this one in the app chain
(DESIGN.md section 2), so they are read through the reverse relations of `Client`
(`client.appointments`, `client.treatment_plans`) and never imported.

The `*_for_reading` / `*_for_download` functions are the chart's reads of health data:
each takes the reader's `AuditContext` and writes the VIEW or DOWNLOAD row itself, so
every path that shows health data is audited the same way.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, TypedDict, cast

from django.core.files import File
from django.db.models import (
    Exists,
    Model,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404

from clients.access import clients_visible_to
from clients.models import Client, Contraindication, MedicalHistory, Referral
from clients.safety import Alert, alerts_for_clients
from massageclinic.audit import AuditContext, audit_record
from massageclinic.clock import Where, local_date, local_today, location_zone
from massageclinic.models import AuditEvent, clinic_policy

if TYPE_CHECKING:
    # Types only: at run time this app reaches visits through `client.appointments`
    # and never imports the sessions app, which sits above it. WithAnnotations cannot
    # be built at run time.
    from django_stubs_ext import WithAnnotations

    from sessions.models import Appointment

REFERRAL_EXPIRY_WARNING = timedelta(days=14)
PAST_VISITS_SHOWN = 10
UPCOMING_VISITS_SHOWN = 20

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_PHONE_LIKE = re.compile(r"^[\d\s().+-]+$")
_MIN_PHONE_DIGITS = 3


def _appointment_model() -> type[Appointment]:
    # The model behind `client.appointments`, without importing the sessions app.
    # The field's type only says "a model"; this reverse relation is the visit's.
    return cast(
        "type[Appointment]", Client._meta.get_field("appointments").related_model
    )


def open_visit_statuses() -> tuple[str, ...]:
    """Statuses of a visit that is still to happen (booked, confirmed, checked in)."""
    return tuple(str(s) for s in _appointment_model().OPEN_STATUSES)


def non_blocking_visit_statuses() -> tuple[str, ...]:
    """Statuses of a cancelled visit."""
    return tuple(str(s) for s in _appointment_model().NON_BLOCKING_STATUSES)


# --- Intake status -------------------------------------------------------------


class IntakeStatus(StrEnum):
    COMPLETE = "complete"
    MISSING = "missing"
    NEEDS_RENEWAL = "needs_renewal"

    @property
    def label(self) -> str:
        return {
            IntakeStatus.COMPLETE: "Complete",
            IntakeStatus.MISSING: "Missing",
            IntakeStatus.NEEDS_RENEWAL: "Needs renewal",
        }[self]


def renewal_due_on(
    submitted_at: datetime, renewal_months: int, *, location: Where = None
) -> date:
    """The day after which a history counts as too old.

    Counted from the day it was signed where the client is treated (`location`: the
    client's preferred location; the clinic's when None): 9 pm in New York is
    already tomorrow in UTC, and the renewal would fall due a day late.
    `clients.intake_services.history_renewal_due_on` asks this, with the policy.
    """
    day = local_date(submitted_at, location)
    month_index = day.month - 1 + renewal_months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def intake_status(
    submitted_at: datetime | None,
    *,
    today: date,
    renewal_months: int,
    location: Where = None,
) -> IntakeStatus:
    """Complete, missing, or older than the clinic's renewal period."""
    if submitted_at is None:
        return IntakeStatus.MISSING
    if today > renewal_due_on(submitted_at, renewal_months, location=location):
        return IntakeStatus.NEEDS_RENEWAL
    return IntakeStatus.COMPLETE


# --- The client list -------------------------------------------------------------


class ListStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"
    ALL = "all"


def parse_date_of_birth(text: str) -> date | None:
    """A date typed as YYYY-MM-DD or MM/DD/YYYY; None when it is not one."""
    text = text.strip()
    try:
        if _ISO_DATE.match(text):
            return date.fromisoformat(text)
        match = _US_DATE.match(text)
        if match:
            month, day, year = (int(g) for g in match.groups())
            return date(year, month, day)
    except ValueError:
        return None
    return None


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _search(clients: QuerySet[Client], query: str) -> QuerySet[Client]:
    # A NUL cannot be in any name, phone or email, and PostgreSQL refuses it in a
    # query string: typed or pasted into a search box, it is ignored.
    query = query.replace("\x00", "").strip()
    if not query:
        return clients
    born = parse_date_of_birth(query)
    if born is not None:
        return clients.filter(date_of_birth=born)
    digits = _digits(query)
    if _PHONE_LIKE.match(query) and len(digits) >= _MIN_PHONE_DIGITS:
        # The phone's digits are a stored column (Client.phone_digits).
        return clients.filter(phone_digits__contains=digits)
    # Every word must match a name or the email ("grace oka" finds Grace Okafor).
    for word in query.replace(",", " ").split():
        clients = clients.filter(
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(preferred_name__icontains=word)
            | Q(email__icontains=word)
            | Q(phone__icontains=word)
        )
    return clients


def clients_matching(query: str) -> QuerySet[Client]:
    """Clients the client list's search finds for `query` (name, email, phone or
    date of birth), for other pages that search by client (the outbox)."""
    return _search(Client.objects.all(), query)


def _treated_by_therapist(therapist_id: int) -> Exists:
    return Exists(
        Client.objects.filter(pk=OuterRef("pk")).filter(
            Q(appointments__therapist_id=therapist_id)
            | Q(treatment_plans__therapist_id=therapist_id)
        )
    )


def _referral_expiring(today: date) -> Exists:
    return Exists(
        Referral.objects.filter(
            client=OuterRef("pk"),
            expires_on__gte=today,
            expires_on__lte=today + REFERRAL_EXPIRY_WARNING,
        )
    )


def _has_history() -> Exists:
    return Exists(MedicalHistory.objects.filter(client=OuterRef("pk")))


def _next_visits(now: datetime) -> QuerySet:
    return (
        _appointment_model()
        .objects.filter(
            client=OuterRef("pk"),
            starts_at__gte=now,
            status__in=open_visit_statuses(),
        )
        .order_by("starts_at")
    )


class ClientListColumns(TypedDict):
    """The columns `clients_for_list` adds to each client."""

    next_visit_at: datetime | None
    next_visit_zone: str | None
    last_history_at: datetime | None


def clients_for_list(
    *,
    user,
    now: datetime,
    today: date,
    query: str = "",
    status: str = ListStatus.ACTIVE,
    therapist_id: int | None = None,
    referral_expiring: bool = False,
    intake_missing: bool = False,
) -> QuerySet[WithAnnotations[Client, ClientListColumns]]:
    """The clients this person may see, searched and filtered, with list columns.

    Each row carries `next_visit_at` and `next_visit_zone` (the zone of that visit's
    location) and `last_history_at`, all as subqueries of the one list query.
    """
    clients = clients_visible_to(user)
    if status == ListStatus.ACTIVE:
        clients = clients.filter(archived_at__isnull=True)
    elif status == ListStatus.ARCHIVED:
        clients = clients.filter(archived_at__isnull=False)
    clients = _search(clients, query)
    if therapist_id is not None:
        clients = clients.filter(_treated_by_therapist(therapist_id))
    if referral_expiring:
        clients = clients.filter(_referral_expiring(today))
    if intake_missing:
        clients = clients.exclude(_has_history())
    next_visits = _next_visits(now)
    # The preferred location's zone decides the date a history was signed on.
    return (
        clients.select_related("preferred_location")
        .annotate(
            next_visit_at=Subquery(next_visits.values("starts_at")[:1]),
            next_visit_zone=Subquery(next_visits.values("location__time_zone")[:1]),
            last_history_at=Subquery(
                MedicalHistory.objects.filter(client=OuterRef("pk"))
                .order_by("-version")
                .values("submitted_at")[:1]
            ),
        )
        .order_by("last_name", "first_name", "pk")
    )


@dataclass(frozen=True)
class ClientRow:
    client: Client
    alerts: list[Alert]
    intake: IntakeStatus


def client_rows(
    clients: list[WithAnnotations[Client, ClientListColumns]],
    *,
    today: date,
    now: datetime,
) -> list[ClientRow]:
    """Alerts and intake status for a page of clients (four queries, any page size).

    The intake status counts in each client's place (preferred location, else the
    clinic's), as the chart does; the alerts use the list's `today`.
    """
    alerts = alerts_for_clients([c.pk for c in clients], today)
    renewal_months = clinic_policy().intake_renewal_months
    clinic_zone = location_zone()  # once, not once per client without a preference
    rows = []
    for c in clients:
        where = c.preferred_location or clinic_zone
        intake = intake_status(
            c.last_history_at,
            today=local_today(location=where, now=now),
            renewal_months=renewal_months,
            location=where,
        )
        rows.append(ClientRow(client=c, alerts=alerts.get(c.pk, []), intake=intake))
    return rows


# --- The chart -------------------------------------------------------------------


@dataclass
class Overview:
    upcoming: list[Model] = field(default_factory=list)
    past: list[Model] = field(default_factory=list)
    latest_history: MedicalHistory | None = None
    intake: IntakeStatus = IntakeStatus.MISSING
    active_referral: Referral | None = None
    renewal_months: int = 12


def _visits(client: Client) -> QuerySet:
    return client.appointments.select_related(
        "therapist__user", "modality", "location", "room"
    )


def client_overview(*, client: Client, now: datetime, today: date) -> Overview:
    """Upcoming and recent visits, intake status and the active referral."""
    upcoming = list(
        _visits(client)
        .filter(starts_at__gte=now)
        .exclude(status__in=non_blocking_visit_statuses())
        .order_by("starts_at")[:UPCOMING_VISITS_SHOWN]
    )
    past = list(
        _visits(client)
        .select_related("note")
        .filter(starts_at__lt=now)
        .order_by("-starts_at")[:PAST_VISITS_SHOWN]
    )
    latest = (
        client.histories.only("id", "client_id", "version", "submitted_at")
        .order_by("-version")
        .first()
    )
    renewal_months = clinic_policy().intake_renewal_months
    referral = (
        client.referrals.select_related("provider")
        .filter(referred_on__lte=today, expires_on__gte=today)
        .order_by("-referred_on", "-pk")
        .first()
    )
    return Overview(
        upcoming=upcoming,
        past=past,
        latest_history=latest,
        intake=intake_status(
            latest.submitted_at if latest else None,
            today=today,
            renewal_months=renewal_months,
            location=client.preferred_location,
        ),
        active_referral=referral,
        renewal_months=renewal_months,
    )


def client_plans(client: Client, *, with_goals: bool) -> list[Model]:
    """The client's treatment plans, newest first; goals only when they are shown."""
    plans = client.treatment_plans.select_related("therapist__user").order_by(
        "-starts_on", "-pk"
    )
    if with_goals:
        plans = plans.prefetch_related("goals", "planned_modalities")
    return list(plans)


def client_notes(client: Client) -> list[Model]:
    """Visits with a SOAP note, and completed visits still waiting for one."""
    completed = _appointment_model().Status.COMPLETED
    return list(
        _visits(client)
        .select_related("note", "note__therapist__user")
        .filter(Q(note__isnull=False) | Q(status=completed))
        .order_by("-starts_at", "-pk")
    )


# --- Reads of health data: each records that it was read -------------------------------


def client_overview_for_reading(
    *,
    client: Client,
    now: datetime,
    today: date,
    reads_health: bool,
    context: AuditContext,
) -> Overview:
    """The chart's overview; recorded as a read of health data for those who see it."""
    overview = client_overview(client=client, now=now, today=today)
    if reads_health:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            client,
            client_id=client.pk,
            summary="Opened the chart overview",
        )
    return overview


def client_plans_for_reading(
    client: Client, *, with_goals: bool, context: AuditContext
) -> list[Model]:
    """The plans tab; the goals are health data, so reading them is recorded."""
    plans = client_plans(client, with_goals=with_goals)
    if with_goals:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            client,
            client_id=client.pk,
            summary="Viewed the treatment plans",
        )
    return plans


def client_notes_for_reading(
    client: Client, *, reads_health: bool, context: AuditContext
) -> list[Model]:
    """The notes tab; recorded as a read of health data for those who see it."""
    visits = client_notes(client)
    if reads_health:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            client,
            client_id=client.pk,
            summary="Viewed the SOAP notes",
        )
    return visits


def clearance_document_for_download(
    flag: Contraindication, *, context: AuditContext
) -> File:
    """The physician's clearance scan, opened for reading; records the download."""
    if not flag.clearance_document:
        raise Http404("No clearance document on file.")
    try:
        handle = flag.clearance_document.open("rb")
    except FileNotFoundError:
        raise Http404("The clearance document is missing from storage.") from None
    audit_record(
        context,
        AuditEvent.Action.DOWNLOAD,
        flag,
        client_id=flag.client_id,
        summary=f"Downloaded clearance: {flag.condition.name}",
    )
    return handle
