"""Factories for referrals, insurance and authorizations, and visits with signed notes.

Shared by the referral and authorization tests (kept here, beside them, so as not to
touch the app's common factories while others work on them).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from itertools import count

import factory
import pytest

from clients.models import (
    Authorization,
    InsurancePolicy,
    Payer,
    Referral,
    ReferringProvider,
)
from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import UserFactory

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


_visit_slots = count()


def visit_with_note(
    *,
    client,
    authorization: Authorization | None = None,
    referral: Referral | None = None,
    minutes: dict[str, int] | None = None,
    signed: bool = True,
    starts_at: datetime | None = None,
):
    """A completed visit with its SOAP note (signed or not) and technique minutes.

    `minutes` maps modality slugs to minutes, e.g. {"swedish": 30, "trigger-point": 23}.
    """
    from sessions.models import Appointment, NoteTechnique, SessionNote
    from sessions.tests.factories import AppointmentFactory
    from therapists.models import Modality

    if starts_at is None:
        # Each visit its own hour, so the client never has two at once.
        starts_at = datetime(2026, 3, 2, 14, tzinfo=UTC) + timedelta(
            hours=next(_visit_slots)
        )
    visit = AppointmentFactory(
        client=client,
        authorization=authorization,
        referral=referral,
        status=Appointment.Status.COMPLETED,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=60),
    )
    signer = visit.therapist.user
    note = SessionNote.objects.create(appointment=visit, therapist=visit.therapist)
    for slug, spent in (minutes or {"swedish": 60}).items():
        NoteTechnique.objects.create(
            note=note, modality=Modality.objects.get(slug=slug), minutes=spent
        )
    if signed:  # signed last: the database refuses changes to a signed note
        note.signed_at = starts_at + timedelta(hours=2)
        note.signed_by = signer
        note.content_sha256 = "ab" * 32
        note.save()
    return visit


@pytest.mark.django_db
def test_the_factories_build_valid_rows():
    referral = ReferralFactory()
    authorization = AuthorizationFactory(
        policy=InsurancePolicyFactory(client=referral.client), referral=referral
    )
    visit = visit_with_note(client=referral.client, authorization=authorization)
    referral.full_clean()
    authorization.full_clean()
    assert visit.note.is_signed
    assert UserFactory._meta.model.objects.filter(pk=visit.booked_by_id).exists()
