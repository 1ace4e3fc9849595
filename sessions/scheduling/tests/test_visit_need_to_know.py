"""The visit page shows health data on a need-to-know basis (DESIGN.md section 6).

Everyone on the staff sees the schedule facts and the alert headlines; the referral
and authorization go to the desk, the manager and the client's therapists; the
physician's clearance (who cleared, on which terms) only to the client's therapists
and the manager. Showing any of it writes an audit row.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from clients.models import Condition, Contraindication
from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
    ReferralFactory,
    ReferringProviderFactory,
)
from massageclinic.models import AuditEvent
from sessions.models import Appointment
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
PHYSICIAN = "Dr. Quentin Marlowe"
TERMS = "light strokes only above the knee"
PROVIDER = "Dr. Ophelia Brightwater"
AUTHORIZATION = "AUTH-ZEBRA-77"
OVERRIDE = "Payer approval by phone pending"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def visit(therapist):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    Contraindication.objects.create(
        client=grace,
        condition=Condition.objects.get(slug="dvt-history"),
        severity="absolute",
        cleared_on=date(2026, 11, 20),
        cleared_by_physician=PHYSICIAN,
        clearance_conditions=TERMS,
    )
    return AppointmentFactory(
        client=grace,
        therapist=therapist,
        referral=ReferralFactory(
            client=grace, provider=ReferringProviderFactory(name=PROVIDER)
        ),
        authorization=AuthorizationFactory(
            policy=InsurancePolicyFactory(client=grace), number=AUTHORIZATION
        ),
        authorization_override_reason=OVERRIDE,
        safety_acknowledgement=(
            "no firm or deep pressure: anticoagulant\n"
            f"cleared by {PHYSICIAN} on 2026-11-20: history of dvt: {TERMS}"
        ),
    )


def _page(client, user, visit) -> str:
    client.force_login(user)
    response = client.get(reverse("sessions:visit", args=[visit.pk]))
    assert response.status_code == 200
    return response.content.decode()


def _views(visit) -> int:
    return AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW,
        client_id=visit.client_id,
        object_type=Appointment._meta.label,
    ).count()


def test_the_front_desk_sees_the_referral_but_not_the_clearance(
    client, front_desk, visit
):
    page = _page(client, front_desk, visit)
    assert "Grace Okafor" in page and "Swedish" in page
    assert "follow the physician&#x27;s clearance" in page  # the headline
    assert "no firm or deep pressure: anticoagulant" in page
    assert PROVIDER in page and AUTHORIZATION in page and OVERRIDE in page
    assert PHYSICIAN not in page and TERMS not in page
    assert _views(visit) == 1


def test_a_therapist_who_does_not_treat_the_client_sees_only_the_schedule(
    client, other_therapist, visit
):
    page = _page(client, other_therapist.user, visit)
    assert "Grace Okafor" in page and "Swedish" in page
    assert "follow the physician&#x27;s clearance" in page
    for secret in (PROVIDER, AUTHORIZATION, OVERRIDE, PHYSICIAN, TERMS):
        assert secret not in page
    assert _views(visit) == 0


@pytest.mark.parametrize("who", ["therapist", "manager"])
def test_the_clients_therapist_and_the_manager_see_everything_and_it_is_audited(
    client, request, who, visit
):
    user = request.getfixturevalue(who)
    page = _page(client, getattr(user, "user", user), visit)
    for detail in (PROVIDER, AUTHORIZATION, OVERRIDE, PHYSICIAN, TERMS):
        assert detail in page
    (row,) = AuditEvent.objects.filter(object_type=Appointment._meta.label)
    assert row.action == AuditEvent.Action.VIEW and row.object_id == visit.pk
    assert "physician's clearance" in row.summary
    assert "referral" in row.summary
