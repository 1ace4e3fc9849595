"""The migration that forbids overlapping weekly hours first names the blocks to fix,
instead of stopping at a bare constraint error."""

from __future__ import annotations

import importlib
from datetime import time
from types import SimpleNamespace

import pytest
from django.apps import apps as real_apps

migration = importlib.import_module(
    "therapists.migrations.0003_working_hours_no_overlap"
)


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def order_by(self, *fields):
        return self

    def values_list(self, *fields):
        return sorted(self.rows, key=lambda r: (r[1], r[2], r[3]))


def _apps(rows):
    model = SimpleNamespace(objects=_Rows(rows))
    return SimpleNamespace(get_model=lambda app, name: model)


def test_overlapping_blocks_are_named_with_what_to_do():
    rows = [
        (7, 1, 0, time(9), time(17)),
        (8, 1, 0, time(13), time(18)),  # overlaps 7, at any location
        (9, 1, 0, time(18), time(19)),  # back to back: fine
        (10, 2, 0, time(9), time(17)),  # another therapist
        (11, 1, 1, time(9), time(17)),  # another day
    ]
    with pytest.raises(
        RuntimeError,
        match=r"1 pair\(s\).*therapist 1 on Mon: blocks 7 and 8.*shorten or delete",
    ):
        migration.hours_do_not_overlap(_apps(rows), None)


def test_a_block_inside_a_long_one_is_found_after_a_short_one():
    rows = [
        (1, 1, 2, time(8), time(20)),
        (2, 1, 2, time(9), time(10)),
        (3, 1, 2, time(12), time(13)),
    ]
    with pytest.raises(RuntimeError, match=r"2 pair\(s\)"):
        migration.hours_do_not_overlap(_apps(rows), None)


@pytest.mark.django_db
def test_a_clinic_without_overlaps_migrates_without_a_word():
    migration.hours_do_not_overlap(real_apps, None)
