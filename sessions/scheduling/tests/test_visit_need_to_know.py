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
from sessions.models import Appointment, AppointmentEvent
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
PHYSICIAN = "Dr. Quentin Marlowe"
TERMS = "light strokes only above the knee"
PROVIDER = "Dr. Ophelia Brightwater"
AUTHORIZATION = "AUTH-ZEBRA-77"
OVERRIDE = "Payer approval by phone pending"
ANTICOAGULANT = "no firm or deep pressure: anticoagulant"
CLEARANCE = f"cleared by {PHYSICIAN} on 2026-11-20: history of dvt: {TERMS}"
CLEARED = "follow the physician's clearance: history of dvt"
# The history's events as booking (and the technique change) write them.
ACKNOWLEDGED = f"Safety alerts acknowledged: {ANTICOAGULANT}; {CLEARANCE}"
OVERRIDDEN = f"Authorization overridden: {OVERRIDE}"


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
    visit = AppointmentFactory(
        client=grace,
        therapist=therapist,
        referral=ReferralFactory(
            client=grace, provider=ReferringProviderFactory(name=PROVIDER)
        ),
        authorization=AuthorizationFactory(
            policy=InsurancePolicyFactory(client=grace), number=AUTHORIZATION
        ),
        authorization_override_reason=OVERRIDE,
        safety_acknowledgement=f"{ANTICOAGULANT}\n{CLEARANCE}",
    )
    _event(visit, AppointmentEvent.Kind.BOOKED, "Booked Swedish with Tara")
    _event(
        visit,
        AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED,
        ACKNOWLEDGED,
        {"alerts": [ANTICOAGULANT, CLEARANCE]},
    )
    _event(
        visit,
        AppointmentEvent.Kind.AUTHORIZATION_OVERRIDDEN,
        OVERRIDDEN,
        {"warnings": ["The authorization has no visits left."]},
    )
    return visit


def _event(visit, kind, summary, details=None):
    AppointmentEvent.objects.create(
        appointment=visit, at=NOW, kind=kind, summary=summary, details=details or {}
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


# --- the visit's history ---------------------------------------------------------


def _history(page: str) -> str:
    start = page.index('id="history-heading"')
    return page[start : page.index("</section>", start)]


def test_the_front_desk_reads_the_override_but_a_cleared_headline_in_the_history(
    client, front_desk, visit
):
    history = _history(_page(client, front_desk, visit))
    assert OVERRIDDEN in history
    assert (
        f"Safety alerts acknowledged: {ANTICOAGULANT}; "
        "follow the physician&#x27;s clearance: history of dvt"
    ) in history
    assert PHYSICIAN not in history and TERMS not in history
    assert "2026-11-20" not in history


def test_a_therapist_who_does_not_treat_the_client_reads_neither_in_the_history(
    client, other_therapist, visit
):
    history = _history(_page(client, other_therapist.user, visit))
    assert "Booked Swedish with Tara" in history
    assert "Authorization overridden" in history  # that it happened, not why
    assert OVERRIDE not in history
    assert ANTICOAGULANT in history and "physician&#x27;s clearance" in history
    for secret in (PHYSICIAN, TERMS, "2026-11-20"):
        assert secret not in history
    assert _views(visit) == 0


@pytest.mark.parametrize("who", ["therapist", "manager"])
def test_the_clients_therapist_and_the_manager_read_the_whole_history(
    client, request, who, visit
):
    user = request.getfixturevalue(who)
    history = _history(_page(client, getattr(user, "user", user), visit))
    assert OVERRIDDEN in history
    assert f"Safety alerts acknowledged: {ANTICOAGULANT}; {CLEARANCE}" in history


def test_an_acknowledgement_event_without_its_list_shows_only_its_kind(
    client, front_desk, other_therapist, therapist, visit
):
    """An event whose lines cannot be told apart (no list in its details) is shown
    by its kind to those who may not read the clearance."""
    visit.events.filter(kind=AppointmentEvent.Kind.SAFETY_ACKNOWLEDGED).update(
        details={}
    )
    for user in (front_desk, other_therapist.user):
        history = _history(_page(client, user, visit))
        assert "Safety alerts acknowledged" in history
        assert ANTICOAGULANT not in history and PHYSICIAN not in history
        assert TERMS not in history
    assert CLEARANCE in _history(_page(client, therapist.user, visit))


def test_the_history_alone_showing_a_clearance_is_audited(client, therapist, visit):
    """The clearance of a technique change no longer on the visit's acknowledgement
    (nor among today's alerts) is still shown, and audited, from the history."""
    Contraindication.objects.filter(client=visit.client).delete()
    Appointment.objects.filter(pk=visit.pk).update(safety_acknowledgement=ANTICOAGULANT)
    history = _history(_page(client, therapist.user, visit))
    assert CLEARANCE in history
    (row,) = AuditEvent.objects.filter(object_type=Appointment._meta.label)
    assert "physician's clearance" in row.summary
