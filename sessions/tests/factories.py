from __future__ import annotations

from datetime import UTC, datetime, timedelta

import factory

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment, Place
from therapists.models import Modality
from therapists.tests.factories import TherapistFactory


class AppointmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Appointment

    client = factory.SubFactory(ClientFactory)
    therapist = factory.SubFactory(TherapistFactory)
    modality = factory.LazyFunction(lambda: Modality.objects.get(slug="swedish"))
    location = factory.SubFactory(LocationFactory)
    place = Place.ROOM
    room = factory.SubFactory(RoomFactory, location=factory.SelfAttribute("..location"))
    starts_at = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)
    ends_at = factory.LazyAttribute(lambda a: a.starts_at + timedelta(minutes=60))
    booked_by = factory.SubFactory(UserFactory)
