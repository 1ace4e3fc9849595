"""When a visit may be checked in, and when it may be marked a no-show.

One place for both rules, asked by the status service, the desk's check-in with the
health questions and every page that offers the buttons (Today, the visit page), so a
button is shown exactly when the service would accept it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from massageclinic.models import clinic_policy
from sessions.models import Appointment


def _at(moment: datetime, appointment: Appointment) -> str:
    local = moment.astimezone(appointment.location.zone)
    return f"{local:%I:%M %p}".lstrip("0") + f" on {local:%a} {local.day} {local:%b}"


def check_in_opens_at(
    appointment: Appointment, lead: timedelta | None = None
) -> datetime:
    """The clinic's check-in lead (ClinicPolicy.check_in_opens) before the start;
    `lead` given by a page asking about many visits (the policy read once)."""
    if lead is None:
        lead = clinic_policy().check_in_opens
    return appointment.starts_at - lead


def check_in_time_problem(
    appointment: Appointment, now: datetime, lead: timedelta | None = None
) -> str | None:
    """Too early to check the client in, said with the time it opens."""
    opens = check_in_opens_at(appointment, lead)
    if now >= opens:
        return None
    return (
        f"Check-in for this visit opens at {_at(opens, appointment)}; "
        f"the visit starts at {_at(appointment.starts_at, appointment)}."
    )


def no_show_time_problem(appointment: Appointment, now: datetime) -> str | None:
    """A client is a no-show only once their visit has started."""
    if now >= appointment.starts_at:
        return None
    return (
        "A client can be marked a no-show only once the visit has started: this one "
        f"starts at {_at(appointment.starts_at, appointment)}."
    )
