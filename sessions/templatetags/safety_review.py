"""The chart's list of a client's booked visits to review for safety.

The chart is served by the clients app, below this one in the app chain (DESIGN.md
section 2): it never imports the sessions app, and reads this list through its
template (`{% load safety_review %}{% visits_to_review client %}`).
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from sessions.access import can_book
from sessions.scheduling.safety_review import visits_needing_safety_review

register = template.Library()


@register.inclusion_tag("sessions/_safety_review_chart.html", takes_context=True)
def visits_to_review(context: template.Context, client: Any) -> dict[str, Any]:
    request = context["request"]
    return {
        "reviews": visits_needing_safety_review(
            client_ids=[client.pk], now=timezone.now()
        ),
        "can_book": can_book(request.user),
        "can_record_plan": context.get("can_record_plan", False),
        "show_client": False,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
    }
