"""The day view of a location and the week view of a therapist or a room."""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import path
from django.utils import timezone

from massageclinic.clock import local_today
from massageclinic.models import Location, Room
from massageclinic.reference import Reference, active_locations, reference
from massageclinic.roles import Role, user_roles
from massageclinic.validators import parse_id
from sessions.access import can_book
from sessions.scheduling.calendar import day_grid, week_grid
from therapists.models import Therapist

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def _active_locations(ref: Reference | None = None) -> list[Location]:
    return (ref or reference()).get(active_locations)


def _location(
    request: HttpRequest, locations: list[Location] | None = None
) -> Location | None:
    """The active location asked for, else the first by name (a few rows: the
    list the page offers anyway, read once)."""
    locations = _active_locations() if locations is None else locations
    wanted = parse_id(request.GET.get("location"))
    if wanted is not None:
        found = next((loc for loc in locations if loc.pk == wanted), None)
        if found:
            return found
        messages.warning(
            request, "That location does not exist; showing the first one."
        )
    return locations[0] if locations else None


def _day(request: HttpRequest, location: Location | None) -> date:
    today = local_today(location=location)
    raw = request.GET.get("date", "")
    if not raw:
        return today
    try:
        wanted = date.fromisoformat(raw)
    except ValueError:
        messages.warning(
            request, f"{raw!r} is not a date (use YYYY-MM-DD); showing today."
        )
        return today
    if not EARLIEST <= wanted <= LATEST:
        messages.warning(request, "Choose a date between 2000 and 2100; showing today.")
        return today
    return wanted


def _require_role(request: HttpRequest) -> None:
    if not user_roles(request.user):
        raise PermissionDenied("Your account has no role yet.")


def day_view(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    ref = reference()
    locations = _active_locations(ref)
    location = _location(request, locations)
    if location is None:
        return render(request, "sessions/no_location.html", status=200)
    day = _day(request, location)
    grid = day_grid(location=location, day=day, now=timezone.now(), ref=ref)
    return render(
        request,
        "sessions/day.html",
        {
            "grid": grid,
            "location": location,
            "locations": locations,
            "day": day,
            "previous_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "today": local_today(location=location),
            "can_book": can_book(request.user),
            "is_therapist": Role.THERAPIST in user_roles(request.user),
        },
    )


def week_view(request: HttpRequest) -> HttpResponse:
    _require_role(request)
    therapist = room = None
    if parse_id(request.GET.get("room")) is not None:
        room = get_object_or_404(
            Room.objects.select_related("location"), pk=parse_id(request.GET["room"])
        )
        location = room.location
    else:
        wanted = parse_id(request.GET.get("therapist"))
        therapists = Therapist.objects.select_related("user")
        if wanted is not None:
            therapist = get_object_or_404(therapists, pk=wanted)
        else:
            therapist = (
                therapists.filter(user=request.user).first()
                or therapists.filter(is_active=True).first()
            )
        location = _therapist_location(request, therapist)
    if location is None or (therapist is None and room is None):
        return render(request, "sessions/no_location.html", status=200)
    day = _day(request, location)
    monday = day - timedelta(days=day.weekday())
    grid = week_grid(
        location=location,
        monday=monday,
        now=timezone.now(),
        therapist=therapist,
        room=room,
    )
    return render(
        request,
        "sessions/week.html",
        {
            "grid": grid,
            "location": location,
            "therapist": therapist,
            "room": room,
            "monday": monday,
            "previous_week": monday - timedelta(days=7),
            "next_week": monday + timedelta(days=7),
            "today": local_today(location=location),
            "therapists": Therapist.objects.filter(is_active=True).select_related(
                "user"
            ),
            "rooms": Room.objects.filter(is_active=True).select_related("location"),
            "can_book": can_book(request.user),
        },
    )


def _therapist_location(
    request: HttpRequest, therapist: Therapist | None
) -> Location | None:
    if parse_id(request.GET.get("location")) is not None:
        return _location(request)
    if therapist is not None:
        hours = therapist.working_hours.select_related("location").first()
        if hours:
            return hours.location
    return _location(request)


urlpatterns = [
    path("calendar/", day_view, name="day"),
    path("calendar/week/", week_view, name="week"),
]
