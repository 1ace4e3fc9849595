"""`{% id_url "app:name" pk %}`: `{% url "app:name" pk %}` for pages that link every
row of a long list (Today's visits, the safety review), from one reverse() a page
(`massageclinic.row_urls`)."""

from __future__ import annotations

from typing import Any

from django import template

from massageclinic.row_urls import id_url_pattern

register = template.Library()


@register.simple_tag(takes_context=True)
def id_url(context: template.Context, name: str, pk: int) -> str:
    # Once per page drawn.
    render_context: Any = context.render_context  # typed narrower than it is
    patterns = render_context.setdefault("id_url_patterns", {})
    if name not in patterns:
        patterns[name] = id_url_pattern(name)
    before, after = patterns[name]
    return f"{before}{int(pk)}{after}"
