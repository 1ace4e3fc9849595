"""The seeder books through the scheduling rules (its own module: a fresh database)."""

from __future__ import annotations

from datetime import UTC, datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command

from clients.models import Client, ContraindicationRule, MedicalHistory
from massageclinic.choices import Pressure
from massageclinic.models import AuditEvent
from sessions.models import Appointment, SessionNote

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


def _seed() -> None:
    with time_machine.travel(NOW, tick=False):
        call_command("seed_demo", stdout=StringIO())


@pytest.mark.django_db
def test_every_seeded_intake_is_submitted_through_the_intake_service():
    """One history versioning: each version is numbered, flagged and audited by
    `history_submit`, as if the desk had typed it in."""
    _seed()
    histories = MedicalHistory.objects.order_by("client_id", "version")
    assert histories.exists()
    versions: dict[int, list[int]] = {}
    for history in histories:
        versions.setdefault(history.client_id, []).append(history.version)
    assert all(v == list(range(1, len(v) + 1)) for v in versions.values())
    assert any(len(v) > 1 for v in versions.values())
    recorded = AuditEvent.objects.filter(
        object_type="clients.MedicalHistory", action=AuditEvent.Action.CREATE
    )
    assert sorted(recorded.values_list("object_id", flat=True)) == sorted(
        histories.values_list("pk", flat=True)
    )
    assert set(recorded.values_list("summary", flat=True)) == {
        f"Recorded medical history v{n}"
        for n in set(histories.values_list("version", flat=True))
    }


@pytest.mark.django_db
def test_past_clients_are_archived_through_the_archiving_service():
    _seed()
    archived = Client.objects.filter(archived_at__isnull=False)
    assert archived.exists()
    for client in archived:
        assert client.histories.exists()  # their intake came before the archive
        event = AuditEvent.objects.get(
            object_type="clients.Client", object_id=client.pk
        )
        assert event.summary == "Archived the client"


@pytest.mark.django_db
def test_the_seeded_notes_keep_to_the_pressure_the_safety_rules_allow():
    """The seeder reads pressure limits from the rules a manager keeps: make the
    neuropathy rule stricter and the neuropathic client's notes follow it."""
    ContraindicationRule.objects.filter(
        condition__slug="neuropathy", modality__isnull=True
    ).update(pressure_limit=Pressure.LIGHT)
    _seed()
    notes = SessionNote.objects.filter(
        appointment__client__contraindications__condition__slug="neuropathy"
    )
    assert notes.exists()
    assert set(notes.values_list("pressure", flat=True)) == {Pressure.LIGHT}
