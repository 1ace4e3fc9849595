"""What the admin modules of the app share."""

from __future__ import annotations

from datetime import datetime

from massageclinic.models import Location


def local_time(moment: datetime | None, location: Location) -> str:
    """A UTC moment as the location's wall-clock time: 'Tue 2026-12-01 10:00 EST'."""
    if moment is None:
        return "-"
    local = moment.astimezone(location.zone)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"
