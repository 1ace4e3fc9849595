"""The two-factor section of the own-account page."""

from __future__ import annotations

from typing import Any

from django import template

from massageclinic import two_factor
from massageclinic.clock import location_zone

register = template.Library()


@register.inclusion_tag("account/_two_factor_state.html", takes_context=True)
def two_factor_summary(context: dict[str, Any]) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    device = two_factor.authenticator_of(user)
    return {
        "device": device,
        "codes_left": two_factor.recovery_codes_left(user) if device else 0,
        "required": two_factor.second_factor_required(request),
        "csrf_token": context.get("csrf_token"),
        "zone": location_zone(None) if device else None,
    }
