"""The chart's list of every day-of-visit screening of a client.

The chart is served by the clients app, below this one in the app chain: it reads the
list through its template (`{% load screenings %}{% client_screenings client %}`). The
chart shows when, how and what came of each screening; the answers themselves are read
on the visit and note pages, where the read is recorded.
"""

from __future__ import annotations

from typing import Any

from django import template

from sessions.scheduling.screening import screenings_for_client

register = template.Library()


@register.inclusion_tag("sessions/_screenings_chart.html")
def client_screenings(client: Any) -> dict[str, Any]:
    return {"screenings": screenings_for_client(client)}
