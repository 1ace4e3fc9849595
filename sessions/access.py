"""Who may see and change which visit (DESIGN.md section 6).

Everyone on the staff reads the whole schedule; the front desk and the manager book
and change visits; a therapist changes the status of their own visits only.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.shortcuts import get_object_or_404

from massageclinic.roles import Role, user_roles
from sessions.models import Appointment


def can_book(user) -> bool:
    return bool(user_roles(user) & {Role.FRONT_DESK, Role.MANAGER})


def can_change_status(user, appointment: Appointment) -> bool:
    if can_book(user):
        return True
    return (
        Role.THERAPIST in user_roles(user) and appointment.therapist.user_id == user.pk
    )


def get_appointment_for_user(request: HttpRequest, pk: int) -> Appointment:
    if not user_roles(request.user):
        raise PermissionDenied("Your account has no role yet.")
    return get_object_or_404(
        Appointment.objects.select_related(
            "client",
            "therapist__user",
            "modality",
            "location",
            "room",
            "series",
            "plan",
        ),
        pk=pk,
    )


def require_booking_rights(user) -> None:
    if not can_book(user):
        raise PermissionDenied(
            "Only the front desk and the clinic manager book visits."
        )
