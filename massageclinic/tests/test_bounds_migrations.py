"""The migrations that add the visit and travel bounds say what to fix on a clinic
whose data breaks them, instead of stopping at a bare constraint error."""

from __future__ import annotations

import importlib
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps as real_apps

policy_bounds = importlib.import_module(
    "massageclinic.migrations.0008_travel_buffer_bounded"
)
visit_bounds = importlib.import_module("sessions.migrations.0014_visit_ranges_bounded")


class _Rows:
    """What the checks ask of a queryset, holding the rows given."""

    def __init__(self, rows):
        self.rows = rows

    def filter(self, *args, **kwargs):
        return self

    def order_by(self, *fields):
        return self

    def first(self):
        return self.rows[0] if self.rows else None

    def values_list(self, *fields, flat=False):
        return [row.pk for row in self.rows]

    def count(self):
        return len(self.rows)


def _apps(rows):
    model = SimpleNamespace(objects=_Rows(rows))
    return SimpleNamespace(get_model=lambda app, name: model)


def test_a_travel_buffer_over_two_hours_is_named_with_what_to_do():
    long_travel = SimpleNamespace(pk=1, travel_buffer=timedelta(hours=3))
    with pytest.raises(RuntimeError, match="Set it to 2 hours or less"):
        policy_bounds.travel_buffer_within_bounds(_apps([long_travel]), None)


def test_visits_beyond_the_bounds_are_named_by_id():
    with pytest.raises(RuntimeError, match=r"2 visit\(s\).*ids 7, 9"):
        visit_bounds.visits_within_bounds(
            _apps([SimpleNamespace(pk=7), SimpleNamespace(pk=9)]), None
        )


@pytest.mark.django_db
def test_a_clinic_within_the_bounds_migrates_without_a_word(reference_data):
    policy_bounds.travel_buffer_within_bounds(real_apps, None)
    visit_bounds.visits_within_bounds(real_apps, None)
