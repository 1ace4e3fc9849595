"""How many statements a booking costs, pinned at two sizes: one visit, and a series
of 4 and of 24 visits (the same: a series is one batch, whatever its length).

SAVEPOINT and RELEASE statements are not counted: they are the nesting of
`transaction.atomic` blocks, not reads or writes. The count includes everything the
service does: the rules' reads, the insert, the history and the client's messages.

Counted as a serving process runs them, with the reference data kept (the therapists'
hours and trainings: one statement for their version); the first booking after that
data changed reads it too (`test_the_first_booking_after_a_change_reads_the_parts`).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.models import Client, MedicalHistory
from clients.tests.factories import ClientFactory
from massageclinic.models import Room, clinic_policy
from massageclinic.tests.factories import UserFactory
from massageclinic.tests.kept_reference import (
    keep_reference_data,
    parts_read_after_a_change,
)
from sessions.scheduling.booking import appointment_book
from sessions.scheduling.series import series_book
from sessions.scheduling.tests.test_series import NOW, _request, _setup
from sessions.scheduling.tests.test_series_batch import _weekly
from sessions.tests.factories import AppointmentFactory
from therapists.models import Therapist
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

ONE_BOOKING = 11
SERIES = 14  # the clinic policy read once for the whole series (one_policy_read)
READ_AFTER_A_CHANGE = parts_read_after_a_change()


def _statements(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in queries.captured_queries
        if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
    ]


def _returning_client() -> Client:
    """A client whose intake is done (no intake request to write)."""
    client = ClientFactory()
    now = timezone.now()
    MedicalHistory.objects.create(
        client=client,
        version=1,
        submitted_at=now,
        chief_complaint="Low back pain",
        pain_level=4,
        consent_name=client.full_name,
        consent_signed_at=now,
    )
    return client


@pytest.fixture
def clinic():
    clinic_policy()  # the clinic's policy row exists, as it always does after set-up
    location, therapist, room = _setup("America/New_York")
    # Other visits around, so the rules have something to read.
    for day in range(3):
        AppointmentFactory(
            location=location,
            starts_at=datetime(2026, 2, 10 + day, 15, 0, tzinfo=UTC),
            ends_at=datetime(2026, 2, 10 + day, 16, 0, tzinfo=UTC),
        )
    keep_reference_data()
    return location, therapist, room


def _book_one(location, therapist, room, hour: int = 15) -> list[str]:
    # Fetched as the booking form fetches it, not the factory's cached object.
    therapist = Therapist.objects.select_related("user").get(pk=therapist.pk)
    client, swedish, desk = _returning_client(), modality("swedish"), UserFactory()
    with CaptureQueriesContext(connection) as queries:
        appointment_book(
            client=client,
            therapist=therapist,
            modality=swedish,
            location=location,
            room=room,
            starts_at=datetime(2026, 2, 10, hour, 0, tzinfo=UTC),
            duration_minutes=60,
            booked_by=desk,
            now=NOW,
        )
    return _statements(queries)


def test_one_booking_costs_at_most_eleven_statements(clinic):
    statements = _book_one(*clinic)
    assert len(statements) <= ONE_BOOKING, "\n".join(statements)


def test_the_first_booking_after_a_change_reads_the_parts(clinic):
    location, therapist, room = clinic
    Room.objects.filter(pk=room.pk).update(name="Blue")  # any reference data
    statements = _book_one(location, therapist, room)
    kept = _book_one(location, therapist, room, hour=17)
    assert len(statements) == len(kept) + READ_AFTER_A_CHANGE, "\n".join(statements)


@pytest.mark.parametrize("count", [4, 24])
def test_a_series_costs_the_same_whatever_its_length(clinic, count):
    location, therapist, room = clinic
    request = _request(
        location, therapist, room, _weekly(count), client=_returning_client()
    )
    desk = UserFactory()
    with CaptureQueriesContext(connection) as queries:
        series = series_book(
            proposed=request, choices={}, alternatives={}, created_by=desk, now=NOW
        )
    assert series.appointments.count() == count
    statements = _statements(queries)
    assert len(statements) == SERIES, "\n".join(statements)
