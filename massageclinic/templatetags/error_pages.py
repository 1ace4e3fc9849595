"""Template tags for the error pages (403, 404, CSRF failure)."""

from __future__ import annotations

from django import template
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

register = template.Library()


@register.simple_tag(takes_context=True)
def go_back_url(context: template.Context) -> str:
    """Where "Go back" leads without JavaScript: the previous page of this site,
    else Today. Another site's address is never offered as the way back."""
    request = context.get("request")
    home = reverse("home")
    if request is None:
        return home
    previous = request.META.get("HTTP_REFERER", "")
    if previous and url_has_allowed_host_and_scheme(
        previous,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return previous
    return home
