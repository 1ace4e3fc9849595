"""Calendar attachments (.ics): one VEVENT per visit.

Each visit's UID is made from its id and never changes, so a calendar program
updates or removes the entry it already has; SEQUENCE is the visit's
`ics_sequence`, which grows with every change the client is told of. Times are
written in UTC (the "Z" form), which every calendar shows in its own zone.

The clinic is the ORGANIZER of every event (RFC 5546 requires one for PUBLISH and
CANCEL): the visit location's name, at the address the clinic sends from.

Nothing clinical goes in: the summary names the clinic, not the technique.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.mime.base import MIMEBase
from email.mime.text import MIMEText

from icalendar import Calendar, Event, vCalAddress, vText

from sessions.models import Appointment

PRODID = "-//Clinic//Visits//EN"


def visit_uid(appointment: Appointment, domain: str) -> str:
    return f"visit-{appointment.pk}@{domain}"


def visit_calendar(
    *,
    appointments: Iterable[Appointment],
    method: str,
    clinic_name: str,
    domain: str,
    place_of,
    now: datetime,
    organizer_email: str = "",
) -> bytes:
    """PUBLISH (new or changed visits) or CANCEL (cancelled ones)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", method)
    for appointment in appointments:
        event = Event()
        event.add("uid", visit_uid(appointment, domain))
        event.add("sequence", appointment.ics_sequence)
        if organizer_email:
            organizer = vCalAddress(f"mailto:{organizer_email}")
            organizer.params["cn"] = vText(appointment.location.name)
            event.add("organizer", organizer)
        event.add("dtstamp", now)
        event.add("dtstart", appointment.starts_at)
        event.add("dtend", appointment.ends_at)
        event.add("summary", f"Massage therapy visit at {clinic_name}")
        event.add("location", place_of(appointment))
        event.add(
            "description",
            f"With {appointment.therapist.first_name}. To change or cancel, call "
            f"{appointment.location.phone}.",
        )
        event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


def calendar_part(content: bytes, *, method: str, filename: str) -> MIMEBase:
    """The attachment, with the iTIP method in its content type as mail programs expect."""
    part = MIMEText(content.decode("utf-8"), "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part
