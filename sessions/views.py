from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from massageclinic.roles import Role, user_roles
from sessions.selectors import appointments_today


def home(request: HttpRequest) -> HttpResponse:
    """Today's visits: all of them for the desk and the manager, their own for a therapist."""
    roles = user_roles(request.user)
    days = appointments_today(user=request.user, now=timezone.now())
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
