"""A visit is never booked on a record archived or merged a moment ago.

The booking reads the client before it writes; the database's trigger (migration
0017) reads it again at the insert, waiting for a merge that holds the row, and the
booking turns its refusal into a sentence.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, connections, transaction

from clients.merge import client_merge, client_merge_undo
from clients.models import Client
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment, Place
from sessions.scheduling.booking import appointment_book
from sessions.tests.factories import AppointmentFactory
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
TUESDAY_10AM = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
CTX = AuditContext(user=None, path="test")


def _clinic():
    location = LocationFactory(name="Riverside", time_zone="America/New_York")
    therapist = TherapistFactory()
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    WorkingHours.objects.create(
        therapist=therapist,
        location=location,
        weekday=1,
        starts_at=time(9),
        ends_at=time(17),
    )
    return location, therapist, RoomFactory(location=location)


def _book(client, location, therapist, room):
    return appointment_book(
        client=client,
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        starts_at=TUESDAY_10AM,
        duration_minutes=60,
        place=Place.ROOM,
        room=room,
        booked_by=UserFactory(),
        now=NOW,
    )


@pytest.mark.django_db
def test_the_database_refuses_a_visit_for_an_archived_client():
    client = ClientFactory(archived_at=NOW)
    with pytest.raises(IntegrityError) as caught, transaction.atomic():
        AppointmentFactory(client=client)
    assert caught.value.__cause__.diag.constraint_name == (
        "appointment_client_not_archived"
    )
    visit = AppointmentFactory()
    own_client = visit.client
    visit.client = client
    with pytest.raises(IntegrityError), transaction.atomic():
        visit.save()
    # An archived client's own visit still changes (a status, a note), even by a
    # full save, which names the client column too.
    Client.objects.filter(pk=own_client.pk).update(archived_at=NOW)
    visit.refresh_from_db()
    assert visit.client_id == own_client.pk
    visit.status = Appointment.Status.CANCELLED
    visit.cancelled_at = NOW
    visit.save()
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CANCELLED


@pytest.mark.django_db
def test_a_booking_that_read_the_client_before_it_was_archived_is_a_sentence():
    location, therapist, room = _clinic()
    client = ClientFactory(first_name="Grace", last_name="Okafor")
    Client.objects.filter(pk=client.pk).update(archived_at=NOW)  # another desk
    assert client.archived_at is None  # what the booking page read
    with pytest.raises(ValidationError) as caught:
        _book(client, location, therapist, room)
    assert caught.value.messages == [
        "Grace Okafor's record was archived or merged into another a moment ago: "
        "open their chart and book on the record it points to. Nothing was booked."
    ]
    assert not Appointment.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_booking_racing_a_merge_waits_and_is_refused(reference_data, manager):
    """The merge holds both records; the booking for the duplicate waits for it and
    then finds the duplicate archived, instead of leaving a visit on it."""
    location, therapist, room = _clinic()
    kept = ClientFactory(first_name="Robert", last_name="Miller")
    duplicate = ClientFactory(first_name="Bob", last_name="Miller")
    merging = threading.Event()
    release = threading.Event()
    outcome: dict[str, object] = {}

    def merge_and_hold():
        try:
            with transaction.atomic():
                client_merge(
                    kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
                )
                merging.set()
                release.wait(10)
        finally:
            connections.close_all()

    def book():
        try:
            _book(duplicate, location, therapist, room)
            outcome["booked"] = True
        except ValidationError as error:
            outcome["refused"] = error.messages
        finally:
            connections.close_all()

    merger = threading.Thread(target=merge_and_hold)
    merger.start()
    assert merging.wait(10)
    booker = threading.Thread(target=book)
    booker.start()
    booker.join(1.5)
    assert booker.is_alive(), "the booking should wait for the merge"
    release.set()
    merger.join(10)
    booker.join(10)
    assert "booked" not in outcome
    assert "merged into another a moment ago" in outcome["refused"][0]
    assert not Appointment.objects.filter(client=duplicate).exists()
    connection.close()


@pytest.mark.django_db
def test_undoing_a_merge_gives_an_archived_duplicate_its_visits_back(manager):
    kept = ClientFactory()
    duplicate = ClientFactory(archived_at=None)
    visit = AppointmentFactory(client=duplicate)
    Client.objects.filter(pk=duplicate.pk).update(archived_at=NOW)  # archived later
    duplicate.refresh_from_db()
    merge = client_merge(
        kept=kept, duplicate=duplicate, by=manager, now=NOW, context=CTX
    )
    client_merge_undo(merge=merge, by=manager, now=NOW, context=CTX)
    visit.refresh_from_db()
    duplicate.refresh_from_db()
    assert visit.client_id == duplicate.pk and duplicate.archived_at == NOW
