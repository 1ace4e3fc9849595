"""The pages behind the confirm and cancel links in a client's emails (no login).

Opening a link only shows what it would do and a button: mail scanners and link
previews open links too, and must not confirm or cancel anybody's visit. The button
posts; using it twice shows the same result.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from massageclinic.models import clinic_policy
from sessions.messaging.links import Action, VisitLinkError, visit_link_token
from sessions.messaging.render import long_date, short_time
from sessions.models import Appointment
from sessions.scheduling.screening import screening_link_is_open
from sessions.scheduling.visit_links import (
    LinkResult,
    Outcome,
    visit_link_open,
    visit_link_use,
)


def _link_page(
    request: HttpRequest,
    action: Action,
    result: LinkResult,
    *,
    status: int = 200,
) -> HttpResponse:
    visit = result.appointment
    policy = clinic_policy()
    local = visit.local_starts_at
    return render(
        request,
        f"sessions/link_{action}.html",
        {
            "clinic_name": policy.clinic_name,
            "phone": visit.location.phone,
            "outcome": str(result.outcome),
            "visit": visit,
            "when": f"{long_date(local)} at {short_time(local)} ({local.tzname()})",
            "therapist": visit.therapist.first_name,
            "late_window": policy.late_cancel_window,
            "screen_url": _screen_url(visit),
        },
        status=status,
    )


def _screen_url(visit: Appointment) -> str:
    """The health questions, from the confirm page, while they are open for the
    client (from the day before the visit until it starts, answered once)."""
    if not screening_link_is_open(visit, timezone.now()):
        return ""
    return reverse(
        "sessions:link_screen",
        args=[visit_link_token(appointment=visit, action=Action.SCREEN)],
    )


def link_refused(request: HttpRequest, error: VisitLinkError) -> HttpResponse:
    """Why the link cannot be used, and how to reach the clinic instead."""
    visit = error.appointment
    return render(
        request,
        "sessions/link_invalid.html",
        {
            "clinic_name": clinic_policy().clinic_name,
            "message": error.message,
            "expired": error.code == "expired",
            "location": visit.location if visit is not None else None,
        },
        status=410 if error.code == "expired" else 400,
    )


def _link_view(request: HttpRequest, token: str, action: Action) -> HttpResponse:
    now = timezone.now()
    try:
        if request.method == "POST":
            result = visit_link_use(token=token, action=action, now=now)
        else:
            result = visit_link_open(token=token, action=action, now=now)
    except VisitLinkError as error:
        return link_refused(request, error)
    refused = request.method == "POST" and result.outcome == Outcome.TOO_LATE
    status = 409 if refused else 200
    return _link_page(request, action, result, status=status)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def link_confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _link_view(request, token, Action.CONFIRM)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def link_cancel(request: HttpRequest, token: str) -> HttpResponse:
    return _link_view(request, token, Action.CANCEL)


urlpatterns: list[URLPattern] = [
    path("visit-link/<str:token>/confirm/", link_confirm, name="link_confirm"),
    path("visit-link/<str:token>/cancel/", link_cancel, name="link_cancel"),
]
