"""The home page: today's visits and alerts, gathered from every seam."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from clients.access import clients_visible_to
from clients.history_reviews import history_reviews_open
from clients.safety import alerts_for_clients
from massageclinic.clock import local_today
from massageclinic.roles import Role, user_roles
from sessions.scheduling.safety_review import visits_needing_safety_review
from sessions.scheduling.selectors import appointments_today
from sessions.today import cockpit


def home(request: HttpRequest) -> HttpResponse:
    """Today's visits: all of them for the desk and the manager, their own for a therapist.

    Above them, the booked visits a new or changed safety flag affects, with what to
    do: every one for the desk and the manager, a therapist's own for them.
    """
    roles = user_roles(request.user)
    now = timezone.now()
    days = appointments_today(user=request.user, now=now)
    client_ids = {visit.client_id for day in days for visit in day.appointments}
    alerts = alerts_for_clients(client_ids, local_today(now=now)) if client_ids else {}
    for day in days:
        for visit in day.appointments:
            # Headlines only (DESIGN section 6): every role may see them.
            visit.alerts = alerts.get(visit.client_id, [])
    sees_everyone = bool(roles & {Role.FRONT_DESK, Role.MANAGER})
    # Only a therapist's own profile is looked up (a query the desk need not pay).
    therapist = (
        getattr(request.user, "therapist", None) if Role.THERAPIST in roles else None
    )
    reviews = []
    if sees_everyone:
        reviews = visits_needing_safety_review(now=now)
    elif Role.THERAPIST in roles and therapist is not None:
        reviews = visits_needing_safety_review(now=now, therapist=therapist)
    return render(
        request,
        "sessions/home.html",
        {
            "days": days,
            # Each visit's buttons (visit.actions) and the column beside the visits.
            "cockpit": cockpit(user=request.user, days=days, now=now)
            if roles
            else None,
            "sees_everyone": sees_everyone,
            "has_role": bool(roles),
            "total": sum(len(d.appointments) for d in days),
            "reviews": reviews,
            "can_book": sees_everyone,
            # A therapist sees only their own visits: they treat those clients.
            "can_record_plan": Role.THERAPIST in roles and therapist is not None,
            "show_client": True,
            "next": request.get_full_path(),
            # Histories whose words need a therapist: no words here, only who.
            "history_items": history_reviews_open(
                clients=clients_visible_to(request.user)
            )
            if roles
            else [],
        },
    )
