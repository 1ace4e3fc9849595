"""Who may read and change plans, progress and reports (DESIGN.md section 6).

The manager and the therapists who treat the client read plans, goals and progress;
the plan's own therapist and the manager change a plan. A therapist who does not treat
the client gets 404; a role that may not use a page gets 403.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone

from clients.access import (
    can_read_health_data,
    clients_visible_to,
    require,
    require_visible,
)
from clients.intake_services import client_today
from clients.models import Client
from clients.safety import client_alerts
from massageclinic.roles import Role, user_roles
from sessions.models import TreatmentPlan
from therapists.models import Therapist


def require_role(request: HttpRequest) -> frozenset[Role]:
    roles = user_roles(request.user)
    if not roles:
        raise PermissionDenied("Your account has no role yet.")
    return roles


def get_plan_for_user(request: HttpRequest, pk: int) -> TreatmentPlan:
    """The plan, if the person may know its client at all; otherwise 404."""
    require_role(request)
    plan = get_object_or_404(
        TreatmentPlan.objects.select_related(
            "client", "therapist__user", "referral__provider"
        ),
        pk=pk,
    )
    require_visible(clients_visible_to(request.user).filter(pk=plan.client_id).exists())
    return plan


def require_health(request: HttpRequest, client: Client) -> None:
    """Plan content, progress and reports: the manager and the client's therapists."""
    require(
        can_read_health_data(request.user, client),
        "Treatment plans, goals and progress are for the client's therapists and the "
        "clinic manager.",
    )


def writes_plan(user, plan: TreatmentPlan) -> bool:
    return Role.MANAGER in user_roles(user) or plan.therapist.user_id == user.pk


def own_therapist(user) -> Therapist | None:
    return Therapist.objects.filter(user=user, is_active=True).first()


def client_local_today(client: Client) -> date:
    return client_today(client, timezone.now())


def chart_context(client: Client, today: date, **extra: Any) -> dict[str, Any]:
    return {
        "client": client,
        "alerts": client_alerts(client, today),
        "chart_tab": "plans",
        "today": today,
    } | extra
