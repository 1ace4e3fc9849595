"""The outbox page: failed and pending messages per local day, and Retry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory
from sessions.models import OutboundMessage
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

Status = OutboundMessage.Status
URL = reverse("sessions:outbox")


def _message(appointment, *, status=Status.PENDING, send_at=None, **extra):
    return OutboundMessage.objects.create(
        kind=extra.pop("kind", OutboundMessage.Kind.REMINDER),
        appointment=appointment,
        client=appointment.client,
        to_email=appointment.client.email,
        send_at=send_at or appointment.starts_at - timedelta(hours=48),
        status=status,
        **extra,
    )


@pytest.fixture
def visits(therapist, other_therapist):
    location = LocationFactory(time_zone="America/New_York")
    mine = AppointmentFactory(
        therapist=therapist,
        location=location,
        client=ClientFactory(first_name="Mina", last_name="Mine"),
        starts_at=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
    )
    theirs = AppointmentFactory(
        therapist=other_therapist,
        location=location,
        client=ClientFactory(first_name="Theo", last_name="Theirs"),
        starts_at=datetime(2026, 12, 4, 15, 0, tzinfo=UTC),
    )
    return mine, theirs


def test_the_desk_sees_failed_and_pending_by_local_day(client, front_desk, visits):
    mine, theirs = visits
    # 02:30 UTC on 2 December is still 1 December in New York.
    _message(
        mine,
        status=Status.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        send_at=datetime(2026, 12, 2, 2, 30, tzinfo=UTC),
    )
    _message(theirs)
    _message(
        theirs,
        kind=OutboundMessage.Kind.CONFIRMATION,
        status=Status.SENT,
        sent_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    client.force_login(front_desk)

    page = client.get(URL).content.decode()

    assert "1 failed · 1 pending" in page
    assert page.index("Tuesday, December 1, 2026") < page.index(
        "Wednesday, December 2, 2026"
    )
    assert "9:30 PM" in page and "Connection unexpectedly closed" in page
    assert "Mina Mine" in page and "Theo Theirs" in page
    assert page.count(">Retry</button>") == 1


def test_a_therapist_reads_their_own_clients_messages_only(client, therapist, visits):
    mine, theirs = visits
    _message(mine, status=Status.FAILED, last_error="boom")
    _message(theirs, status=Status.FAILED, last_error="boom")
    client.force_login(therapist.user)

    page = client.get(URL).content.decode()

    assert "Mina Mine" in page and "Theo Theirs" not in page
    assert "Retry" not in page


def test_a_therapist_cannot_retry(client, therapist, visits):
    mine, _ = visits
    message = _message(mine, status=Status.FAILED)
    client.force_login(therapist.user)
    response = client.post(reverse("sessions:outbox_retry", args=[message.pk]))
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Status.FAILED


def test_another_therapists_message_is_not_found(client, therapist, visits):
    _, theirs = visits
    message = _message(theirs, status=Status.FAILED)
    client.force_login(therapist.user)
    response = client.post(reverse("sessions:outbox_retry", args=[message.pk]))
    assert response.status_code == 404


def test_the_desk_retries_a_failed_message(
    client, front_desk, visits, django_capture_on_commit_callbacks
):
    mine, _ = visits
    message = _message(mine, status=Status.FAILED, attempts=5, last_error="down")
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks() as handed_over:
        response = client.post(
            reverse("sessions:outbox_retry", args=[message.pk]), follow=True
        )
    assert "The reminder to Mina Mine is being sent again." in (
        response.content.decode()
    )
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 0)
    assert len(handed_over) == 1


def test_retrying_a_message_that_is_not_failed_says_why(client, front_desk, visits):
    mine, _ = visits
    message = _message(mine, status=Status.SENT, sent_at=mine.starts_at)
    client.force_login(front_desk)
    response = client.post(
        reverse("sessions:outbox_retry", args=[message.pk]), follow=True
    )
    assert "only a failed message can be retried" in response.content.decode()


def test_retry_is_a_post(client, front_desk, visits):
    message = _message(visits[0], status=Status.FAILED)
    client.force_login(front_desk)
    response = client.get(reverse("sessions:outbox_retry", args=[message.pk]))
    assert response.status_code == 405


def test_anonymous_people_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_reads_a_fixed_number_of_queries(
    client, front_desk, visits, django_assert_max_num_queries
):
    mine, theirs = visits
    client.force_login(front_desk)
    client.get(URL)
    for n in range(30):
        visit = AppointmentFactory(
            location=mine.location,
            starts_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC) + timedelta(days=n),
        )
        _message(visit, status=Status.FAILED if n % 2 else Status.PENDING)
    with django_assert_max_num_queries(10):
        response = client.get(URL)
    assert response.content.decode().count("<td>Reminder</td>") == 30


@pytest.mark.parametrize("show", ["failed", "pending", "skipped", "sent", "bogus"])
def test_every_filter_answers(client, manager, visits, show):
    client.force_login(manager)
    assert client.get(URL, {"show": show}).status_code == 200


def test_a_sent_message_shows_its_old_error_as_history(client, front_desk, visits):
    mine, _ = visits
    _message(
        mine,
        status=Status.SENT,
        sent_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        attempts=2,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    client.force_login(front_desk)

    page = client.get(URL, {"show": "sent"}).content.decode()

    assert (
        "Sent after an earlier attempt failed (SMTPServerDisconnected: Connection "
        "unexpectedly closed)" in page
    )
    assert 'class="text-danger"' not in page


def test_the_admin_list_marks_a_sent_messages_error_as_earlier(visits):
    from django.contrib import admin

    from sessions.admin.messaging import OutboundMessageAdmin

    mine, _ = visits
    sent = _message(
        mine,
        status=Status.SENT,
        sent_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        last_error="SMTP down",
    )
    failed = _message(mine, status=Status.FAILED, last_error="SMTP down")
    listing = OutboundMessageAdmin(OutboundMessage, admin.site)
    assert listing.short_error(sent) == "(before it was sent) SMTP down"
    assert listing.short_error(failed) == "SMTP down"


def test_the_page_reads_its_rows_visits_by_id_not_by_joining_every_visit(
    client, front_desk, visits
):
    """Joined before the LIMIT, the visits (and clients) of every message were hashed
    whole: a sequential scan of the visit table at a busy practice's size."""
    mine, _ = visits
    _message(mine, status=Status.PENDING)
    client.force_login(front_desk)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if "clinic_sessions_reminder" in q["sql"]
    ]
    assert reads and not any(
        'JOIN "clinic_sessions_appointment"' in sql for sql in reads
    )
    assert any(
        'FROM "clinic_sessions_appointment" WHERE ("clinic_sessions_appointment"."id") IN'
        in q["sql"]
        for q in queries.captured_queries
    )
