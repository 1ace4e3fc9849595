"""Health data read or written off the staff's pages is audited too (issue 11).

The paths: the client's signed links (intake, health questions), whose rows name no
staff user even when someone is signed in on that browser, and the Celery message
task, whose one message with a health record (the authorization notice) writes a
system row. The other messages carry no clinical detail, and progress reports and
superbills are rendered on request by audited selectors, not by a task.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.utils import timezone

from clients.intake_services import intake_invitation_create, intake_invitation_token
from clients.models import Authorization, InsurancePolicy, Payer
from clients.tests.factories import ClientFactory
from clients.tests.test_intake_views import _form_data
from clients.tests.test_intake_views import _url as _clients_url
from massageclinic.models import AuditEvent, ClinicPolicy
from sessions.messaging.delivery import messages_send
from sessions.models import OutboundMessage, VisitScreening
from sessions.scheduling.tests.test_screening import ALL_NO, TUESDAY_10AM, _book, _link
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db


def test_the_intake_link_records_the_client_not_a_signed_in_desk(client, front_desk):
    ClinicPolicy.objects.update_or_create(pk=1, defaults={"clinic_name": "Clinic"})
    patient = ClientFactory(email="grace@example.org")
    invitation = intake_invitation_create(
        client=patient, by=front_desk, now=timezone.now()
    )
    link = _clients_url("intake_public", intake_invitation_token(invitation))
    client.force_login(front_desk)  # the clinic's tablet, handed to the client

    response = client.post(link, _form_data())

    assert response.status_code == 302
    event = AuditEvent.objects.get(
        action="create", object_type="clients.MedicalHistory"
    )
    assert (event.user, event.client_id) == (None, patient.pk)
    assert event.path == link


def test_the_health_questions_link_records_the_client_not_a_signed_in_desk(
    client, therapist, front_desk
):
    visit = _book(therapist, front_desk)
    url = _link(visit)
    with time_machine.travel(TUESDAY_10AM - timedelta(hours=15), tick=False):
        client.force_login(front_desk)  # signed in then: not yet logged off idle
        response = client.post(url, ALL_NO)

    assert response.status_code == 200
    screening = VisitScreening.objects.get(appointment=visit)
    event = AuditEvent.objects.get(
        object_type="clinic_sessions.VisitScreening", object_id=screening.pk
    )
    assert (event.action, event.user, event.client_id) == (
        "create",
        None,
        visit.client_id,
    )
    assert event.path == url


def _notice() -> OutboundMessage:
    visit = AppointmentFactory()
    policy = InsurancePolicy.objects.create(
        client=visit.client, payer=Payer.objects.create(name="Acme"), member_id="M1"
    )
    authorization = Authorization.objects.create(
        policy=policy,
        number="AUTH-9",
        visits_authorized=3,
        valid_from=date(2026, 10, 1),
        valid_to=date(2026, 12, 31),
    )
    return OutboundMessage.objects.create(
        kind=OutboundMessage.Kind.AUTHORIZATION_NOTICE,
        client=visit.client,
        authorization=authorization,
        appointment=visit,
        to_email="desk@clinic.test",
        send_at=timezone.now() - timedelta(minutes=1),
    )


def test_the_message_task_audits_the_authorization_notice_it_emails(mailoutbox):
    notice = _notice()

    messages_send(ids=[notice.pk], now=timezone.now())

    assert [m.to for m in mailoutbox] == [["desk@clinic.test"]]
    assert "AUTH-9" in mailoutbox[0].body
    event = AuditEvent.objects.get(object_type="clients.Authorization")
    assert (event.action, event.user, event.client_id, event.object_id) == (
        "view",
        None,
        notice.client_id,
        notice.authorization_id,
    )
    assert event.path == "task:send_messages"
    assert event.summary == "Authorization notice emailed to desk@clinic.test"


def test_a_notice_that_is_not_sent_writes_no_row(mailoutbox, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notice = _notice()
    notice.status = OutboundMessage.Status.CANCELLED
    notice.save()

    messages_send(ids=[notice.pk], now=timezone.now())

    assert mailoutbox == []
    assert not AuditEvent.objects.filter(object_type="clients.Authorization").exists()
