"""What the admin modules of the app share."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Model
from django.http import HttpRequest

from massageclinic.models import Location


def local_time(moment: datetime | None, location: Location) -> str:
    """A UTC moment as the location's wall-clock time: 'Tue 2026-12-01 10:00 EST'."""
    if moment is None:
        return "-"
    local = moment.astimezone(location.zone)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"


class ViewedHereWrittenOnItsPage:
    """An admin mixin: the records are listed and viewed here, never added or saved.

    Their pages call the services, with the rules, the history and the audit trail;
    the admin must not be a way round them.
    """

    def has_add_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        # The list needs the permission to open; no single record is saved here.
        return obj is None and super().has_change_permission(request)  # type: ignore[misc]  # mixin: the admin class supplies it
