"""The seeder books through the scheduling rules (its own module: a fresh database)."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from sessions.models import Appointment

NOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # Monday, 9:00 in New York


@pytest.mark.django_db
def test_every_visit_the_seeder_makes_is_judged_by_the_schedulings_rules(monkeypatch):
    """The seeder asks the app's therapist rules before each visit: with the rules
    refusing everything, it makes none (and with them, every visit passes)."""
    monkeypatch.setattr(
        "sessions.demo.schedule.therapist_problems", lambda *a, **k: ["refused"]
    )
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=StringIO())
    assert not Appointment.objects.exists()
