"""A slow mail server on loopback: the desk never waits for it, and a message it
stored but confirmed late is not sent twice.

The worker's code runs in a thread of the test process (`messages_send`, the very
function the Celery task calls) against an aiosmtpd server on 127.0.0.1 whose reply
to the end of the message is held back until the test lets it go. Meanwhile the
test acts as the front desk on its own database connection.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from datetime import UTC, datetime, time, timedelta
from email.policy import default as default_policy

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.db import connection, connections, transaction
from django.utils import timezone

from clients.intake_services import history_submit
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.messaging import delivery
from sessions.messaging.delivery import Report, messages_reclaim, messages_send
from sessions.models import Appointment, OutboundMessage
from sessions.scheduling.booking import (
    Confirmation,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

Kind = OutboundMessage.Kind
Status = OutboundMessage.Status


class StallingSink:
    """Keeps each message it is given, then holds its "250" until released."""

    def __init__(self) -> None:
        self.received: list[email.message.EmailMessage] = []
        self.stored = threading.Event()  # a message has been handed over
        self.release = threading.Event()
        self.stall = True

    async def handle_DATA(self, server, session, envelope):
        self.received.append(
            email.message_from_bytes(envelope.content, policy=default_policy)
        )
        self.stored.set()
        while self.stall and not self.release.is_set():
            await asyncio.sleep(0.01)
        return "250 Message accepted for delivery"

    def ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.received]


@pytest.fixture
def sink(settings):
    handler = StallingSink()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    yield handler
    handler.release.set()
    controller.stop()


class Sending(threading.Thread):
    """The worker: `messages_send` on its own database connection."""

    def __init__(self, ids: list[int], now: datetime) -> None:
        super().__init__(daemon=True)
        self.ids, self.now = ids, now
        self.report: Report | None = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.report = messages_send(ids=self.ids, now=self.now)
        except BaseException as error:  # handed to the test
            self.error = error
        finally:
            connections.close_all()

    def finish(self) -> Report:
        self.join(30)
        assert not self.is_alive(), "the worker never finished"
        if self.error is not None:
            raise self.error
        assert self.report is not None
        return self.report


NOW = timezone.now().replace(microsecond=0)


@pytest.fixture
def visit():
    location = LocationFactory(time_zone="America/New_York", email="desk@clinic.test")
    therapist = TherapistFactory(user__first_name="Tara")
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(0),
            ends_at=time(23, 59),
        )
    client = ClientFactory(first_name="Grace", email="grace@example.org")
    history_submit(
        context=AuditContext.system("test"),
        client=client,
        data={"chief_complaint": "Tight shoulders", "consent_name": "Grace"},
        submitted_by=None,
        now=NOW - timedelta(days=30),
    )
    day = NOW.astimezone(location.zone).date() + timedelta(days=5)
    starts_at = local_datetime(day, time(10), location)
    return appointment_book(
        client=client,
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location),
        starts_at=starts_at,
        duration_minutes=60,
        booked_by=UserFactory(username="desk"),
        now=NOW,
        confirmation=Confirmation(safety_acknowledged=True),
    )


def _confirmation(visit: Appointment) -> OutboundMessage:
    return OutboundMessage.objects.get(appointment=visit, kind=Kind.CONFIRMATION)


def _send_and_stall(sink: StallingSink, row: OutboundMessage) -> Sending:
    """Start the worker on `row`; return once the server holds its message."""
    worker = Sending([row.pk], row.send_at)
    worker.start()
    assert sink.stored.wait(10), "the server never got the message"
    assert worker.is_alive()
    return worker


def test_no_row_is_locked_while_the_mail_server_is_slow(sink, visit):
    row = _confirmation(visit)
    worker = _send_and_stall(sink, row)

    # Another connection takes the row's lock at once: nothing holds it.
    with transaction.atomic():
        locked = (
            OutboundMessage.objects.select_for_update(nowait=True)
            .filter(pk=row.pk)
            .values_list("status", flat=True)
        )
        assert list(locked) == [Status.SENDING]
    assert connection.in_atomic_block is False

    sink.release.set()
    assert worker.finish().sent == 1
    row.refresh_from_db()
    assert row.status == Status.SENT


def test_a_cancel_during_the_send_returns_at_once_and_stands(sink, visit):
    row = _confirmation(visit)
    worker = _send_and_stall(sink, row)

    with connection.cursor() as cursor:  # would raise at once if it had to wait
        cursor.execute("SET lock_timeout = '1s'")
    try:
        appointment_cancel(
            appointment=visit, by=visit.booked_by, reason="flu", now=row.send_at
        )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")

    sink.release.set()
    report = worker.finish()
    assert (report.sent, report.gone) == (0, 1)
    row.refresh_from_db()
    assert row.status == Status.CANCELLED  # the desk's change stands
    # ...and the outbox says the confirmation went out all the same.
    assert row.skip_reason == "the visit was cancelled; it had already gone out"
    assert row.sent_at is not None
    # The confirmation may have reached her: she is told of the cancellation.
    notice = OutboundMessage.objects.get(appointment=visit, kind=Kind.CANCELLATION)
    assert notice.status == Status.PENDING


def test_a_move_during_the_send_gets_a_new_message_id(sink, visit):
    row = _confirmation(visit)
    worker = _send_and_stall(sink, row)
    first_id = OutboundMessage.objects.get(pk=row.pk).message_id

    appointment_reschedule(
        appointment=visit,
        by=visit.booked_by,
        now=row.send_at,
        starts_at=visit.starts_at + timedelta(hours=2),
    )
    sink.release.set()
    assert worker.finish().gone == 1

    row.refresh_from_db()
    assert row.status == Status.PENDING and row.send_at > NOW
    assert row.message_id != first_id  # the corrected one is not taken for a copy
    sink.stall = False
    messages_send(ids=[row.pk], now=row.send_at)
    assert sink.ids() == [first_id, row.message_id]


def test_a_message_stored_but_confirmed_too_late_is_not_sent_again(
    sink, visit, settings
):
    settings.CLINIC_MESSAGE_DATA_REPLY_TIMEOUT = 1
    row = _confirmation(visit)

    report = messages_send(ids=[row.pk], now=row.send_at)  # the reply never comes
    assert report.unknown == 1
    row.refresh_from_db()
    assert row.status == Status.FAILED and row.attempts == 1
    assert row.last_error.startswith("Outcome unknown")
    assert row.sent_at is not None  # handed over: it may have reached the client

    # Later sweeps leave it alone: the server most likely delivered it.
    sink.release.set()
    later = row.send_at + timedelta(minutes=30)
    assert messages_send(ids=[row.pk], now=later).sent == 0
    assert sink.ids() == [row.message_id]


def test_a_slow_reply_to_the_end_of_the_message_is_waited_for(sink, visit, settings):
    settings.EMAIL_TIMEOUT = 1  # every other command
    settings.CLINIC_MESSAGE_DATA_REPLY_TIMEOUT = 20
    row = _confirmation(visit)
    threading.Timer(2.5, sink.release.set).start()  # answers after 2.5 seconds

    assert messages_send(ids=[row.pk], now=row.send_at).sent == 1
    row.refresh_from_db()
    assert row.status == Status.SENT
    assert sink.ids() == [row.message_id]


def test_a_live_worker_keeps_its_claim_and_a_dead_one_loses_it(
    sink, visit, monkeypatch
):
    monkeypatch.setattr(delivery, "SENDING_TIMEOUT", timedelta(seconds=0.6))
    row = _confirmation(visit)
    worker = _send_and_stall(sink, row)

    # The server keeps the worker waiting for three leases; it renews its claim.
    for _ in range(6):
        threading.Event().wait(0.3)
        assert messages_reclaim(now=timezone.now()) == 0
    sink.release.set()
    assert worker.finish().sent == 1

    # A claim nobody renews (its worker was killed) lapses.
    other = OutboundMessage.objects.filter(appointment=visit, kind=Kind.REMINDER)
    delivery.messages_claim(ids=[other.get().pk], now=visit.starts_at)
    threading.Event().wait(0.8)
    assert messages_reclaim(now=timezone.now()) == 1
    assert other.get().status == Status.PENDING


def test_a_retry_is_spaced_from_the_failure_not_from_the_sweep(visit, settings):
    settings.EMAIL_BACKEND = "sessions.messaging.tests.test_messaging.RefusingBackend"
    row = _confirmation(visit)
    sweep = datetime(2026, 10, 12, 12, 0, tzinfo=UTC)
    OutboundMessage.objects.filter(pk=row.pk).update(send_at=sweep)

    # The task waited 40 seconds in the queue behind others before it ran.
    messages_send(ids=[row.pk], now=sweep, queued=timedelta(seconds=40))
    row.refresh_from_db()
    assert row.status == Status.PENDING
    assert row.send_at == sweep + timedelta(seconds=40) + timedelta(minutes=1)


def test_the_task_counts_its_wait_in_the_queue(visit, settings):
    from sessions.tasks import send_messages

    settings.EMAIL_BACKEND = "sessions.messaging.tests.test_messaging.RefusingBackend"
    row = _confirmation(visit)
    sweep = datetime(2026, 10, 12, 12, 0, tzinfo=UTC)
    OutboundMessage.objects.filter(pk=row.pk).update(send_at=sweep)
    wall = timezone.now().replace(microsecond=0)

    with time_machine.travel(wall, tick=False):  # the worker runs 40 s after
        send_messages(
            [row.pk],
            sweep.isoformat(),
            issued=(wall - timedelta(seconds=40)).isoformat(),
        )
    row.refresh_from_db()
    assert row.send_at == sweep + timedelta(seconds=40) + timedelta(minutes=1)
