from __future__ import annotations

from datetime import date

import factory

from clients.models import Client


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = date(1980, 5, 17)
    email = factory.LazyAttributeSequence(
        lambda c, n: f"{c.first_name.lower()}.{c.last_name.lower()}{n}@example.org"
    )
    phone = factory.Sequence(lambda n: f"(518) 555-{n % 10000:04d}")
