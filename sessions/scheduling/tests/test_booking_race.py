"""Twenty desks book the same slot at the same moment: one wins, nineteen are told why."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment
from sessions.scheduling.booking import appointment_book
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

DESKS = 20


def test_twenty_simultaneous_bookings_of_one_slot_give_one_success():
    location = LocationFactory(time_zone="America/New_York")
    room = RoomFactory(location=location)
    therapist = TherapistFactory()
    swedish = modality("swedish")
    Training.objects.create(therapist=therapist, modality=swedish)
    WorkingHours.objects.create(
        therapist=therapist,
        location=location,
        weekday=1,
        starts_at=time(9),
        ends_at=time(17),
    )
    clients = [ClientFactory() for _ in range(DESKS)]
    desk = UserFactory()
    now = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
    slot = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)

    start = threading.Barrier(DESKS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def book(client) -> None:
        try:
            start.wait()
            appointment_book(
                client=client,
                therapist=therapist,
                modality=swedish,
                location=location,
                room=room,
                starts_at=slot,
                duration_minutes=60,
                booked_by=desk,
                now=now,
            )
            outcome = "booked"
        except ValidationError as error:
            outcome = " ".join(error.messages)
        finally:
            connection.close()  # each thread had its own connection
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=book, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert outcomes.count("booked") == 1
    conflicts = [o for o in outcomes if o != "booked"]
    assert len(conflicts) == DESKS - 1
    assert all("already booked then" in o or "a moment ago" in o for o in conflicts)
    assert Appointment.objects.count() == 1
