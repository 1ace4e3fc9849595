"""The referral, insurance and authorization factories build valid rows."""

from __future__ import annotations

import pytest

from clients.tests.factories import (
    AuthorizationFactory,
    InsurancePolicyFactory,
    ReferralFactory,
)
from massageclinic.tests.factories import UserFactory
from sessions.tests.factories import visit_with_note


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
