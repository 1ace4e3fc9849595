"""The home page: today's visits and alerts, gathered from every seam."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clients.safety import alerts_for_clients
from massageclinic.clock import local_today
from massageclinic.roles import Role, user_roles
from sessions.scheduling.selectors import appointments_today


def home(request: HttpRequest) -> HttpResponse:
    """Today's visits: all of them for the desk and the manager, their own for a therapist."""
    roles = user_roles(request.user)
    now = timezone.now()
    days = appointments_today(user=request.user, now=now)
    client_ids = {visit.client_id for day in days for visit in day.appointments}
    alerts = alerts_for_clients(client_ids, local_today(now=now)) if client_ids else {}
    for day in days:
        for visit in day.appointments:
            # Headlines only (DESIGN section 6): every role may see them.
            visit.alerts = alerts.get(visit.client_id, [])
    return render(
        request,
        "sessions/home.html",
        {
            "days": days,
            "sees_everyone": bool(roles & {Role.FRONT_DESK, Role.MANAGER}),
            "has_role": bool(roles),
            "total": sum(len(d.appointments) for d in days),
        },
    )
