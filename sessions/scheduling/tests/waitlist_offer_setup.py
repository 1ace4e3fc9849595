"""A freed Tuesday 10:00 slot and clients waiting for it (shared by the offer tests)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from clients.models import Client, Condition
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import Location, Room
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment, WaitlistEntry
from sessions.scheduling.booking import appointment_book, appointment_cancel
from sessions.scheduling.openings import FreeSlot
from therapists.models import Therapist, Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
SLOT = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)  # Tuesday 10:00 in New York


@dataclass
class Scene:
    location: Location
    room: Room
    ann: Therapist
    freed: Appointment
    desk: object

    @property
    def slot(self) -> FreeSlot:
        return FreeSlot.of_visit(self.freed)

    def wait(self, client: Client, **wishes) -> WaitlistEntry:
        return WaitlistEntry.objects.create(
            client=client,
            location=self.location,
            wanted_from=date(2026, 11, 30),
            wanted_until=date(2026, 12, 31),
            created_by=self.desk,
            **wishes,
        )


def therapist_at(location: Location, name: str) -> Therapist:
    therapist = TherapistFactory(
        user=UserFactory(username=name, first_name=name.title())
    )
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(5):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(9),
            ends_at=time(17),
        )
    return therapist


def freed_tuesday(desk=None) -> Scene:
    """Ann's Tuesday 10:00 visit, booked and then cancelled at NOW."""
    location = LocationFactory(
        name="Riverside Medical Massage", time_zone="America/New_York"
    )
    room = RoomFactory(location=location, name="Room 1")
    ann = therapist_at(location, "ann")
    desk = desk or UserFactory(username="desk")
    visit = appointment_book(
        client=ClientFactory(first_name="Carl", last_name="Cancels"),
        therapist=ann,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=SLOT,
        duration_minutes=60,
        booked_by=desk,
        now=NOW,
    )
    appointment_cancel(appointment=visit, by=desk, reason="sick", now=NOW)
    return Scene(location, room, ann, visit, desk)


def block_all_massage(client: Client, by) -> None:
    """An absolute flag without a physician's clearance: no massage at all."""
    contraindication_add(
        context=AuditContext.system("test"),
        client=client,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        by=by,
    )
