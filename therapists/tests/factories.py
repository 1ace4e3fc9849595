from __future__ import annotations

from datetime import date

import factory

from massageclinic.tests.factories import UserFactory
from therapists.models import Modality, Therapist


class TherapistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Therapist

    user = factory.SubFactory(UserFactory)
    license_number = factory.Sequence(lambda n: f"LMT-{n:06d}")
    license_state = "NY"
    license_expires_on = date(2030, 12, 31)


def modality(slug: str = "swedish") -> Modality:
    """The seeded modalities exist in every database (data migration)."""
    return Modality.objects.get(slug=slug)
