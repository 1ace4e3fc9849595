"""The bench's data builder makes a valid clinic: at a small size, the rows it writes
in bulk meet every constraint and give the measures what they need."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import call_command
from django.db import transaction

from benchmarks.build import DRAFT_DAYS, RESERVED_HOUR, BenchClinic, Built, Size
from massageclinic.clock import local_datetime
from sessions.models import Appointment, OutboundMessage, SessionNote
from therapists.models import WorkingHours

NOW = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # Friday, 15:00 in New York
# Marked, so that pytest-django sets up the test database before the module's data.
pytestmark = pytest.mark.django_db

SMALL = Size(
    clients=300,
    past_visits=300,
    coming_visits=60,
    busy_therapists=9,
    other_therapists=1,
    past_days=40,
    coming_days=10,
)


@pytest.fixture(scope="module")
def built(django_db_setup, django_db_blocker) -> Iterator[Built]:
    """The demo clinic with a small bench on top, rolled back when the module ends."""
    with django_db_blocker.unblock(), transaction.atomic():
        with time_machine.travel(NOW, tick=False):
            call_command("seed_demo", stdout=StringIO())
            yield BenchClinic(size=SMALL, now=NOW, say=lambda message: None).build()
        transaction.set_rollback(True)


def _bench_visits(built: Built):
    return Appointment.objects.filter(room__in=built.rooms.values())


def test_it_writes_the_visits_asked_for(built):
    past = _bench_visits(built).filter(starts_at__lt=NOW)
    coming = _bench_visits(built).filter(starts_at__gt=NOW)
    assert past.count() == SMALL.past_visits
    assert coming.count() == SMALL.coming_visits
    assert not coming.exclude(location=built.busy).exists()
    statuses = Counter(past.values_list("status", flat=True))
    assert statuses.most_common(1)[0][0] == Appointment.Status.COMPLETED
    assert not past.filter(status__in=Appointment.OPEN_STATUSES).exists()


def test_the_busy_location_has_the_therapists_asked_for(built):
    at_busy = WorkingHours.objects.filter(location=built.busy)
    assert at_busy.values("therapist").distinct().count() == SMALL.busy_therapists
    assert len(built.others) == 2


def test_each_therapist_works_in_their_own_room_within_their_hours(built):
    for visit in _bench_visits(built).select_related("location"):
        assert built.rooms[visit.therapist_id] == visit.room
        local = visit.starts_at.astimezone(visit.location.zone)
        hours = WorkingHours.objects.get(
            therapist_id=visit.therapist_id, weekday=local.weekday()
        )
        assert hours.starts_at <= local.time()
        assert visit.ends_at.astimezone(visit.location.zone).time() <= hours.ends_at


def test_no_client_has_two_visits_on_one_day(built):
    days = Counter(
        (v.client_id, v.starts_at.date()) for v in _bench_visits(built).only("client")
    )
    assert max(days.values()) == 1


def test_the_series_hour_stays_free_and_fresh_clients_have_nothing(built):
    assert built.measured_day > NOW.date()
    assert built.measured_day.weekday() < 5
    for therapist in built.reserved:
        for offset in range(SMALL.coming_days):
            day = built.measured_day + timedelta(days=offset)
            start = local_datetime(day, time(RESERVED_HOUR), built.busy)
            assert not Appointment.objects.filter(
                therapist=therapist,
                starts_at__lt=start + timedelta(hours=1),
                ends_at__gt=start,
            ).exists()
    fresh = built.fresh_clients
    assert not Appointment.objects.filter(client__in=fresh).exists()
    assert all(not c.contraindications.exists() for c in fresh)
    assert all(not c.referrals.exists() for c in fresh)


def test_completed_visits_have_notes_and_coming_ones_have_reminders(built):
    notes = SessionNote.objects.filter(appointment__room__in=built.rooms.values())
    documented = _bench_visits(built).filter(
        status=Appointment.Status.COMPLETED,
        starts_at__lt=NOW - timedelta(days=DRAFT_DAYS),
    )
    assert documented.exists()
    assert not documented.filter(note__isnull=True).exists()
    assert notes.filter(signed_at__isnull=False).exists()
    assert notes.filter(signed_at__isnull=True).exists()
    open_coming = _bench_visits(built).filter(
        starts_at__gt=NOW + timedelta(days=3),
        status__in=Appointment.OPEN_STATUSES,
    )
    armed = OutboundMessage.objects.filter(
        appointment__in=open_coming,
        kind=OutboundMessage.Kind.REMINDER,
        status=OutboundMessage.Status.PENDING,
    )
    assert armed.count() == open_coming.count() > 0
    assert OutboundMessage.objects.filter(
        appointment__room__in=built.rooms.values(),
        status=OutboundMessage.Status.SENT,
    ).exists()


def test_it_counts_what_it_built(built):
    assert built.counts["Appointment"] >= SMALL.past_visits + SMALL.coming_visits
    assert built.counts["Client"] == SMALL.clients
    assert built.seconds > 0
