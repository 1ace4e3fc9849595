from __future__ import annotations

from datetime import time

import factory
from django.contrib.auth import get_user_model

from massageclinic.models import Location, Room


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("correct horse battery staple")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Riverside Clinic {n}")
    address_line1 = "120 Main Street"
    city = "Albany"
    state = "NY"
    postal_code = "12207"
    phone = "(518) 555-0100"
    time_zone = "America/New_York"
    opens_at = time(8, 0)
    closes_at = time(20, 0)


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
