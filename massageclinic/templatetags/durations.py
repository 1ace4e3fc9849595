"""`{{ policy.late_cancel_window|duration_words }}` -> "24 hours"."""

from __future__ import annotations

from django import template

from massageclinic.durations import duration_words as _duration_words

register = template.Library()

register.filter("duration_words", _duration_words)
