"""`{% grid_body grid grid_by_therapist %}`: the grid's rows, written in Python
(`sessions.scheduling.grid_html`) instead of thousands of template lookups; and
`{{ moment|clock }}`, a time as the grids write it (`massageclinic.clock.time_label`:
Django's `date:"g:i A"` in the active time zone, without the general date formatter:
Today writes hundreds)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.safestring import SafeString

from massageclinic.clock import time_label
from sessions.scheduling.calendar import Grid
from sessions.scheduling.grid_html import (
    grid_body_html,
    grid_head_html,
    week_links_html,
)

register = template.Library()


@register.simple_tag
def grid_body(grid: Grid, by_therapist: bool = False) -> SafeString:
    return grid_body_html(grid, by_therapist=bool(by_therapist))


@register.simple_tag
def grid_head(grid: Grid) -> SafeString:
    return grid_head_html(grid)


@register.simple_tag
def week_links(grid: Grid, week_url: str, location_id: int, iso_day: str) -> SafeString:
    return week_links_html(grid, week_url, location_id, iso_day)


@register.filter(expects_localtime=True)
def clock(moment: datetime | None) -> str:
    """9:15 AM, in the time zone a `{% timezone %}` block or the request made active."""
    return time_label(moment) if isinstance(moment, datetime) else ""
