"""The visits as the grids read them: plain values (`GridVisit`) with the names they
print, each visit's therapist shared from the columns' load, and the cancelled ones
listed under the day's grid (`CancelledLine`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from clients.models import Client
from massageclinic.clock import time_label
from massageclinic.models import Location
from massageclinic.row_urls import id_url_pattern
from sessions.models import Appointment, Place
from sessions.models.scheduling import minutes_between
from therapists.models import Therapist


@dataclass(slots=True)
class GridVisit:
    """A visit as the grids draw it, read as plain values: building an Appointment
    with its client, technique and room for each of a busy day's visits cost more
    than drawing them. The therapist is shared from the columns' load (`share_therapists`)."""

    pk: int
    status: str
    place: str
    starts_at: datetime
    ends_at: datetime
    therapist_busy_from: datetime
    therapist_busy_until: datetime
    therapist_id: int
    referral_id: int | None
    authorization_id: int | None
    client_id: int
    client_name: str
    technique: str
    room_name: str | None
    location: Location
    therapist: Therapist | None = None

    @property
    def is_blocking(self) -> bool:
        return self.status not in Appointment.NON_BLOCKING_STATUSES

    @property
    def duration_minutes(self) -> int:
        return minutes_between(self.starts_at, self.ends_at)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


# What the grids read of a visit: GridVisit's own fields, and the names it prints
# (read_visits unpacks each row in this order).
_VISIT_VALUES = (
    "pk",
    "status",
    "place",
    "starts_at",
    "ends_at",
    "therapist_busy_from",
    "therapist_busy_until",
    "therapist_id",
    "referral_id",
    "authorization_id",
    "client_id",
)
_VISIT_NAMES = (
    "client__first_name",
    "client__last_name",
    "modality__name",
    "room__name",
)
STATUS_LABELS = dict(Appointment.Status.choices)
PLACE_LABELS = dict(Place.choices)


def read_visits(
    filters: Q, start: datetime, end: datetime, location: Location
) -> list[GridVisit]:
    # Bounded on both sides of starts_at (`overlapping`), so PostgreSQL scans an index
    # range instead of every visit that ever ended later.
    rows = (
        Appointment.objects.overlapping(start, end)
        .filter(filters)
        .order_by("starts_at")
        .values_list(*_VISIT_VALUES, *_VISIT_NAMES)
    )
    return [
        GridVisit(
            pk=pk,
            status=status,
            place=place,
            starts_at=starts_at,
            ends_at=ends_at,
            therapist_busy_from=busy_from,
            therapist_busy_until=busy_until,
            therapist_id=therapist_id,
            referral_id=referral_id,
            authorization_id=authorization_id,
            client_id=client_id,
            client_name=Client.name_of(first, last),
            technique=technique,
            room_name=room_name,
            location=location,
        )
        for (
            pk,
            status,
            place,
            starts_at,
            ends_at,
            busy_from,
            busy_until,
            therapist_id,
            referral_id,
            authorization_id,
            client_id,
            first,
            last,
            technique,
            room_name,
        ) in rows
    ]


def share_therapists(visits: list[GridVisit], therapists: dict[int, Therapist]) -> None:
    """Give the visits their therapist from the columns' load: a few dozen rows
    shared by hundreds of visits instead of a copy joined to each."""
    missing = {v.therapist_id for v in visits} - therapists.keys()
    if missing:
        therapists = {
            **therapists,
            **Therapist.objects.select_related("user").in_bulk(missing),
        }
    for v in visits:
        v.therapist = therapists[v.therapist_id]


def visit_url() -> Callable[[int], str]:
    """The visit page's URL for any id: one reverse() a grid, not one a visit."""
    before, after = id_url_pattern("sessions:visit")
    return lambda pk: f"{before}{pk}{after}"


@dataclass(frozen=True, slots=True)
class CancelledLine:
    """A cancelled visit listed under the day's grid, its link and time written once."""

    url: str
    time_label: str
    client_name: str
    therapist_name: str
    status_label: str


def cancelled_lines(visits: list[GridVisit], location: Location) -> list[CancelledLine]:
    url_of = visit_url()
    zone = location.zone
    return [
        CancelledLine(
            url=url_of(v.pk),
            time_label=time_label(v.starts_at.astimezone(zone)),
            client_name=v.client_name,
            therapist_name=v.therapist.full_name if v.therapist else "",
            status_label=v.status_label,
        )
        for v in visits
    ]
