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
    """The idle logoff's timing (seconds), and whether the second factor is owed."""
    from massageclinic import two_factor
    from massageclinic.session_security import idle_limit, idle_warning

    if not request.user.is_authenticated:
        return {}
    return {
        "idle_logoff_seconds": idle_limit(),
        "idle_warning_seconds": idle_warning(),
        # Signed in with the password, the code still to come: no navigation yet.
        "second_factor_pending": two_factor.second_factor_required(request)
        and not two_factor.verified_in_this_session(request),
    }
