"""Factories for clients, referrals, insurance and authorizations."""

from __future__ import annotations

from datetime import date

import factory

from clients.models import (
    Authorization,
    Client,
    InsurancePolicy,
    Payer,
    Referral,
    ReferringProvider,
)


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


PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _npi(n: int) -> str:
    """The n-th valid NPI of the form 1000000xxC."""
    from massageclinic.validators import npi_is_valid

    base = 100000000 + n * 7
    for check in range(10):
        candidate = f"{base}{check}"
        if npi_is_valid(candidate):
            return candidate
    raise AssertionError("no check digit fits")  # pragma: no cover


class ReferringProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReferringProvider

    name = factory.Sequence(lambda n: f"Dr. Ana Ruiz {n}")
    credentials = "MD"
    npi = factory.Sequence(_npi)
    practice = "Albany Spine & Sports"
    phone = "(518) 555-0142"
    fax = "(518) 555-0143"


class ReferralFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Referral

    client = factory.SubFactory(ClientFactory)
    provider = factory.SubFactory(ReferringProviderFactory)
    referred_on = date(2026, 3, 2)
    diagnosis_codes = factory.LazyFunction(lambda: ["M54.50"])
    diagnosis_text = "Low back pain"
    prescribed_cpt_codes = factory.LazyFunction(lambda: ["97124"])
    body_areas = factory.LazyFunction(lambda: ["lower_back"])
    visits_per_week = 2
    duration_weeks = 6
    session_minutes = 60
    visits_authorized = 12
    expires_on = date(2026, 6, 30)


class PayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payer
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Empire Health {n}")


class InsurancePolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = InsurancePolicy

    client = factory.SubFactory(ClientFactory)
    payer = factory.SubFactory(PayerFactory)
    member_id = factory.Sequence(lambda n: f"XJH{n:07d}")


class AuthorizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Authorization

    policy = factory.SubFactory(InsurancePolicyFactory)
    number = factory.Sequence(lambda n: f"AUTH-{n:05d}")
    visits_authorized = 10
    units_authorized = None
    valid_from = date(2026, 3, 1)
    valid_to = date(2026, 6, 30)
