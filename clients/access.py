"""Who may see which client, and which parts of the chart (DESIGN.md section 6).

A therapist "treats" a client who has any appointment with them (past or future, any
status) or a treatment plan assigned to them. Deny by default: an object a person may
not know exists is a 404; a page their role may not use is a 403.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import get_object_or_404

from clients.models import Client
from massageclinic.roles import Role, user_roles


def treated_by_q(user) -> Q:
    """Clients with any appointment or plan with this user as therapist."""
    return Q(appointments__therapist__user=user) | Q(
        treatment_plans__therapist__user=user
    )


def _treated_exists(user) -> Exists:
    return Exists(
        Client.objects.filter(pk=OuterRef("pk")).filter(treated_by_q(user)).values("pk")
    )


def clients_visible_to(user) -> QuerySet[Client]:
    """Front desk and manager see every client; a therapist the clients they treat."""
    roles = user_roles(user)
    if roles & {Role.FRONT_DESK, Role.MANAGER}:
        return Client.objects.all()
    if Role.THERAPIST in roles:
        return Client.objects.filter(_treated_exists(user))
    return Client.objects.none()


def treats(user, client: Client) -> bool:
    return Client.objects.filter(pk=client.pk).filter(treated_by_q(user)).exists()


def can_open_chart(user, client: Client) -> bool:
    """The chart opens for this person (get_client_for_user would not answer 404):
    the desk and the manager for everyone, a therapist for the clients they treat.
    Pages link to a chart only when it opens."""
    roles = user_roles(user)
    if roles & {Role.FRONT_DESK, Role.MANAGER}:
        return True
    return Role.THERAPIST in roles and treats(user, client)


def get_client_for_user(request: HttpRequest, pk: int) -> Client:
    """The client, if the person may see them at all; otherwise 404."""
    if not user_roles(request.user):
        raise PermissionDenied("Your account has no role yet.")
    return get_object_or_404(clients_visible_to(request.user), pk=pk)


def can_read_health_data(user, client: Client) -> bool:
    """Intake and history detail: manager, or a therapist who treats the client."""
    roles = user_roles(user)
    if Role.MANAGER in roles:
        return True
    return Role.THERAPIST in roles and treats(user, client)


def can_edit_demographics(user) -> bool:
    return bool(user_roles(user) & {Role.FRONT_DESK, Role.MANAGER})


def can_manage_flags(user, client: Client) -> bool:
    """Add, edit, resolve and clear safety flags: whoever may read the history."""
    return can_read_health_data(user, client)


def can_write_referrals(user) -> bool:
    return bool(user_roles(user) & {Role.FRONT_DESK, Role.MANAGER})


def can_read_referrals(user, client: Client) -> bool:
    roles = user_roles(user)
    if roles & {Role.FRONT_DESK, Role.MANAGER}:
        return True
    return Role.THERAPIST in roles and treats(user, client)


def require(allowed: bool, message: str = "Your role does not allow this.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def require_visible(allowed: bool) -> None:
    """For objects the person may not know exist."""
    if not allowed:
        raise Http404
