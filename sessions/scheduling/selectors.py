"""Reads of visits that pages need, each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.db.models import Q, QuerySet

from massageclinic.clock import local_day_span, local_today
from massageclinic.models import Location
from massageclinic.roles import Role, user_roles
from sessions.models import Appointment


@dataclass
class LocationDay:
    location: Location
    day: date
    appointments: list[Appointment] = field(default_factory=list)


def _local_day_bounds(
    location: Location, now: datetime
) -> tuple[date, datetime, datetime]:
    day = local_today(location=location, now=now)
    start, end = local_day_span(day, location)
    return day, start, end


def _appointments_visible_to(user) -> QuerySet[Appointment]:
    """Front desk and manager see every visit; a therapist their own."""
    roles = user_roles(user)
    visits = Appointment.objects.select_related(
        "client", "therapist__user", "modality", "room", "location"
    )
    if roles & {Role.FRONT_DESK, Role.MANAGER}:
        return visits
    if Role.THERAPIST in roles:
        return visits.filter(therapist__user=user)
    return visits.none()


def appointments_today(*, user, now: datetime) -> list[LocationDay]:
    """Today's visits per location, "today" being each location's own local date."""
    locations = list(Location.objects.filter(is_active=True))
    days = {
        loc.pk: LocationDay(loc, _local_day_bounds(loc, now)[0]) for loc in locations
    }
    if not locations:
        return []
    window = Q()
    for loc in locations:
        _, start, end = _local_day_bounds(loc, now)
        window |= Q(location=loc, starts_at__gte=start, starts_at__lt=end)
    for visit in (
        _appointments_visible_to(user).filter(window).order_by("starts_at", "therapist")
    ):
        days[visit.location_id].appointments.append(visit)
    return [days[loc.pk] for loc in locations]
