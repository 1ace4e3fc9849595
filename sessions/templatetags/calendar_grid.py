"""`{% grid_body grid grid_by_therapist %}`: the grid's rows, written in Python
(`sessions.scheduling.grid_html`) instead of thousands of template lookups."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from sessions.scheduling.calendar import Grid
from sessions.scheduling.grid_html import grid_body_html

register = template.Library()


@register.simple_tag
def grid_body(grid: Grid, by_therapist: bool = False) -> SafeString:
    return grid_body_html(grid, by_therapist=bool(by_therapist))
