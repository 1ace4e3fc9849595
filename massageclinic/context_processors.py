"""Template context every page needs: the signed-in person's roles, for the navigation."""

from __future__ import annotations

from django.http import HttpRequest

from massageclinic.roles import Role, user_roles


def roles(request: HttpRequest) -> dict[str, object]:
    mine = user_roles(request.user)
    return {
        "user_roles": sorted(role.value for role in mine),
        "is_front_desk": Role.FRONT_DESK in mine,
        "is_therapist": Role.THERAPIST in mine,
        "is_manager": Role.MANAGER in mine,
    }


def session_limits(request: HttpRequest) -> dict[str, object]:
    """When the page should warn of, and then reach, the idle logoff (seconds)."""
    from massageclinic.session_security import idle_limit, idle_warning

    if not request.user.is_authenticated:
        return {}
    return {"idle_logoff_seconds": idle_limit(), "idle_warning_seconds": idle_warning()}
