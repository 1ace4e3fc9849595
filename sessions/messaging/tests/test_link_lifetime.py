"""A client's link stops working the clinic's link lifetime after it was sent, and
always when the visit begins; the page says so and how to reach the clinic."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from django.urls import reverse

from clients.intake_services import intake_invitation_create
from clients.tests.factories import ClientFactory
from massageclinic.models import clinic_policy
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.messaging.links import Action, visit_link_token
from sessions.models import Appointment
from sessions.scheduling.booking import Confirmation, appointment_book
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = pytest.mark.django_db

SENT = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
FAR_VISIT = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)  # 33 days after the email
NEAR_VISIT = datetime(2026, 10, 6, 14, 0, tzinfo=UTC)  # 5 days after the email
LIFETIME = timedelta(days=14)  # the policy's default


def _visit(starts_at: datetime) -> Appointment:
    location = LocationFactory(
        time_zone="America/New_York",
        phone="(518) 555-0142",
        email="desk@riverside.example",
    )
    therapist = TherapistFactory()
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(7),
            ends_at=time(21),
        )
    return appointment_book(
        client=ClientFactory(first_name="Grace"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location),
        starts_at=starts_at,
        duration_minutes=60,
        booked_by=UserFactory(),
        now=SENT - timedelta(days=1),
        confirmation=Confirmation(safety_acknowledged=True),
    )


def _sent_link(visit: Appointment, action: Action) -> str:
    """The link as the email sent at SENT carried it."""
    with time_machine.travel(SENT, tick=False):
        token = visit_link_token(appointment=visit, action=action)
    return reverse(f"sessions:link_{action}", args=[token])


def _open(client, url: str, at: datetime, method: str = "get"):
    with time_machine.travel(at, tick=False):
        return getattr(client, method)(url)


@pytest.mark.parametrize("action", [Action.CONFIRM, Action.CANCEL])
def test_a_link_works_until_just_before_its_lifetime_ends(client, action):
    visit = _visit(FAR_VISIT)
    url = _sent_link(visit, action)
    response = _open(client, url, SENT + LIFETIME - timedelta(minutes=1))
    assert response.status_code == 200
    assert "expired" not in response.content.decode()


@pytest.mark.parametrize("action", [Action.CONFIRM, Action.CANCEL])
def test_a_link_is_refused_after_its_lifetime_and_says_how_to_reach_the_clinic(
    client, action
):
    visit = _visit(FAR_VISIT)
    url = _sent_link(visit, action)
    for method in ("get", "post"):
        response = _open(client, url, SENT + LIFETIME + timedelta(minutes=1), method)
        assert response.status_code == 410
        page = response.content.decode()
        assert "This link has expired" in page
        assert "This link expired on Thursday, October 15, 2026" in page
        assert "Nothing was changed" in page
        assert "(518) 555-0142" in page and "desk@riverside.example" in page
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.BOOKED


def test_a_link_is_refused_after_the_visit_even_within_its_lifetime(client):
    visit = _visit(NEAR_VISIT)
    url = _sent_link(visit, Action.CONFIRM)
    assert _open(client, url, NEAR_VISIT - timedelta(minutes=1)).status_code == 200
    response = _open(client, url, NEAR_VISIT + timedelta(minutes=1), "post")
    assert response.status_code == 410
    assert "This link expired when the visit began" in response.content.decode()
    assert "(518) 555-0142" in response.content.decode()


def test_the_lifetime_follows_the_clinic_policy(client):
    policy = clinic_policy()
    policy.client_link_lifetime = timedelta(days=2)
    policy.save()
    visit = _visit(FAR_VISIT)
    url = _sent_link(visit, Action.CANCEL)
    assert _open(client, url, SENT + timedelta(days=1)).status_code == 200
    assert _open(client, url, SENT + timedelta(days=3)).status_code == 410


def test_the_health_questions_link_follows_the_same_rule(client):
    visit = _visit(FAR_VISIT)
    url = _sent_link(visit, Action.SCREEN)
    # The day before the visit the questions are open, but this link is 32 days old.
    response = _open(client, url, FAR_VISIT - timedelta(hours=20))
    assert response.status_code == 410
    assert "This link has expired" in response.content.decode()
    # The link in the reminder, sent the day before, works.
    with time_machine.travel(FAR_VISIT - timedelta(hours=22), tick=False):
        fresh = visit_link_token(appointment=visit, action=Action.SCREEN)
    fresh_url = reverse("sessions:link_screen", args=[fresh])
    assert _open(client, fresh_url, FAR_VISIT - timedelta(hours=20)).status_code == 200


def test_the_intake_link_never_outlives_the_clinics_link_lifetime(front_desk):
    grace = ClientFactory()
    week = intake_invitation_create(client=grace, by=front_desk, now=SENT)
    assert week.expires_at == SENT + timedelta(days=7)  # its own week, the sooner
    policy = clinic_policy()
    policy.client_link_lifetime = timedelta(days=2)
    policy.save()
    short = intake_invitation_create(client=grace, by=front_desk, now=SENT)
    assert short.expires_at == SENT + timedelta(days=2)
