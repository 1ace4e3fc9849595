"""Delivery end to end: real Redis, a real Celery worker process, a real SMTP server.

The test process plays the beat: it runs the minute sweep with a chosen `now`, so
six weeks of a series pass in seconds; the worker (a subprocess on the test
database and a queue of its own) claims the rows and sends them over SMTP to an
aiosmtpd server on 127.0.0.1, which keeps every message it accepts. Duplicates
are counted as the client would see them: by Message-ID.
"""

from __future__ import annotations

import email
import os
import signal
import socket
import subprocess
import sys
import threading
import time as clock
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from urllib.parse import quote

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from clients.intake_services import history_submit
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.celery import app as celery_app
from massageclinic.clock import local_datetime
from massageclinic.models import clinic_policy
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.messaging.delivery import MAX_ATTEMPTS, messages_dispatch
from sessions.models import Appointment, OutboundMessage
from sessions.scheduling.booking import (
    Confirmation,
    appointment_book,
    appointment_cancel,
    appointment_reschedule,
)
from sessions.scheduling.series import ProposedSeries, SeriesRule, series_book
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

BASE_DIR = Path(__file__).resolve().parents[3]
Status = OutboundMessage.Status
Kind = OutboundMessage.Kind

NOW = datetime(2026, 10, 12, 12, 0, tzinfo=UTC)  # Monday 08:00 in New York
GRACE = timedelta(minutes=3)


# --- the SMTP server ----------------------------------------------------------------------


class Sink:
    """aiosmtpd handler that keeps what it accepts, and whom it talked to."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.received: list[tuple[tuple, EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.received.append((session.peer, message))
        return "250 Message accepted for delivery"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.lock:
            return [m for _, m in self.received]

    @property
    def connections(self) -> int:
        with self.lock:
            return len({peer for peer, _ in self.received})

    def ids(self) -> Counter:
        return Counter(m["Message-ID"] for m in self.messages)

    def clear(self) -> None:
        with self.lock:
            self.received.clear()


class SmtpServer:
    def __init__(self) -> None:
        self.sink = Sink()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.sink, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture(scope="module")
def smtp_server():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp(smtp_server):
    if smtp_server.controller is None:
        smtp_server.start()
    smtp_server.sink.clear()
    yield smtp_server
    smtp_server.sink.clear()


# --- the worker ------------------------------------------------------------------------


def _database_url() -> str:
    db = connection.settings_dict  # the test database, once pytest-django made it
    user = quote(db["USER"] or "")
    password = f":{quote(db['PASSWORD'])}" if db["PASSWORD"] else ""
    socket_dir = db.get("OPTIONS", {}).get("host")
    if not db["HOST"] and socket_dir:  # the embedded server listens on a socket only
        return f"postgres://{user}{password}@/{db['NAME']}?host={quote(socket_dir)}"
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"


class Worker:
    """`python -m celery -A massageclinic worker` on the test database and our queue."""

    def __init__(self, *, queue: str, smtp_port: int, log: Path, concurrency: int):
        env = dict(os.environ)
        env.update(
            DATABASE_URL=_database_url(),
            REDIS_URL=settings.REDIS_URL,
            DJANGO_SECRET_KEY=settings.SECRET_KEY,
            DJANGO_DEBUG="0",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            EMAIL_TIMEOUT="5",
            EMAIL_USE_TLS="0",
            EMAIL_USE_SSL="0",
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            DJANGO_LOG_LEVEL="WARNING",
        )
        self.log = log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "massageclinic",
                "worker",
                "--queues",
                queue,
                "--hostname",
                f"{queue}-{uuid.uuid4().hex[:6]}@127.0.0.1",
                "--concurrency",
                str(concurrency),
                "--pool",
                "prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "INFO",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 takes it all
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 60) -> None:
        deadline = clock.monotonic() + timeout
        while clock.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"The worker exited:\n{self.log.read_text()}")
            if " ready." in self.log.read_text(errors="replace"):
                return
            clock.sleep(0.1)
        raise AssertionError(f"The worker did not start:\n{self.log.read_text()}")

    def kill(self) -> None:
        """kill -9 the worker and its pool processes, mid-batch."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.handle.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.handle.close()


@contextmanager
def _own_queue() -> Iterator[str]:
    """Route our tasks to a queue of our own, so no other worker on this Redis (a
    developer's `make run`, another test) takes them; forget it afterwards."""
    name = f"clinic-test-{uuid.uuid4().hex[:10]}"
    previous = celery_app.conf.task_default_queue
    amqp = celery_app.amqp

    def _forget_routing():
        for cached in ("queues", "default_queue", "router"):
            amqp.__dict__.pop(cached, None)

    celery_app.conf.task_default_queue = name
    _forget_routing()
    try:
        yield name
    finally:
        celery_app.conf.task_default_queue = previous
        _forget_routing()
        broker = redis.Redis.from_url(settings.REDIS_URL)
        broker.delete(name, f"_kombu.binding.{name}")
        for tag, payload in broker.hgetall("unacked").items():
            if name.encode() in payload:  # tasks a killed worker left unacknowledged
                broker.hdel("unacked", tag)
                broker.zrem("unacked_index", tag)


@pytest.fixture(scope="module")
def queue():
    with _own_queue() as name:
        yield name


@pytest.fixture(scope="module")
def worker(django_db_setup, queue, smtp_server, tmp_path_factory):
    log = tmp_path_factory.mktemp("worker") / "worker.log"
    running = Worker(queue=queue, smtp_port=smtp_server.port, log=log, concurrency=2)
    yield running
    running.stop()


# --- driving time -----------------------------------------------------------------------


def _settle(until: datetime, timeout: float = 30) -> None:
    """Wait until the worker has dealt with every row due by `until`."""
    busy = OutboundMessage.objects.filter(
        Q(status=Status.PENDING, send_at__lte=until) | Q(status=Status.SENDING)
    )
    deadline = clock.monotonic() + timeout
    while busy.exists():
        if clock.monotonic() > deadline:
            raise AssertionError(f"Still busy: {list(busy.values('pk', 'status'))}")
        clock.sleep(0.05)


def tick(now: datetime, **kwargs) -> None:
    """One run of the minute sweep at `now`, and the worker's sending."""
    messages_dispatch(now=now, **kwargs)
    _settle(now)


def run_until(until: datetime) -> None:
    """Every minute sweep that would hand something over, up to `until`."""
    pending = OutboundMessage.objects.filter(status=Status.PENDING, send_at__lte=until)
    while (first := pending.order_by("send_at").first()) is not None:
        tick(first.send_at)


# --- the clinic -------------------------------------------------------------------------


@pytest.fixture
def clinic():
    location = LocationFactory(time_zone="America/New_York", phone="(518) 555-0100")
    therapist = TherapistFactory(user__first_name="Tara", user__last_name="Hands")
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(7),
            ends_at=time(21),
        )
    policy = clinic_policy()
    policy.clinic_name = "Riverside Medical Massage"
    policy.save()
    client = ClientFactory(
        first_name="Grace", last_name="Okafor", email="grace@example.org"
    )
    history_submit(
        context=AuditContext.system("test"),
        client=client,
        data={"chief_complaint": "Tight shoulders", "consent_name": "Grace Okafor"},
        submitted_by=None,
        now=NOW - timedelta(days=30),
    )
    return {
        "location": location,
        "therapist": therapist,
        "room": RoomFactory(location=location, name="Maple Room"),
        "client": client,
        "desk": UserFactory(username="desk"),
    }


def _series(clinic, *, count: int, starts_on: date) -> list[Appointment]:
    request = ProposedSeries(
        client=clinic["client"],
        therapist=clinic["therapist"],
        modality=modality("swedish"),
        location=clinic["location"],
        rule=SeriesRule(
            weekdays=(0,),
            interval_weeks=1,
            starts_on=starts_on,
            local_start_time=time(10),
            count=count,
        ),
        duration_minutes=60,
        room=clinic["room"],
    )
    series = series_book(
        proposed=request,
        choices={},
        alternatives={},
        created_by=clinic["desk"],
        now=NOW,
        confirmation=Confirmation(safety_acknowledged=True),
    )
    return list(series.appointments.order_by("starts_at"))


def _book(clinic, starts_at: datetime, now: datetime = NOW) -> Appointment:
    return appointment_book(
        client=clinic["client"],
        therapist=clinic["therapist"],
        modality=modality("swedish"),
        location=clinic["location"],
        room=clinic["room"],
        starts_at=starts_at,
        duration_minutes=60,
        booked_by=clinic["desk"],
        now=now,
        confirmation=Confirmation(safety_acknowledged=True),
    )


def _text(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def _calendar(message: EmailMessage) -> Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_filename()]
    return Calendar.from_ical(part.get_content())


# --- the tests ---------------------------------------------------------------------------


def test_a_series_of_six_gets_one_confirmation_and_six_reminders_across_dst(
    worker, smtp, clinic
):
    visits = _series(clinic, count=6, starts_on=date(2026, 10, 19))
    # Mondays at 10:00 in New York; summer time ends on Sunday 1 November.
    assert [v.starts_at.hour for v in visits] == [14, 14, 15, 15, 15, 15]

    tick(NOW + GRACE - timedelta(minutes=1))
    assert smtp.sink.messages == []
    tick(NOW + GRACE)
    (confirmation,) = smtp.sink.messages
    assert confirmation["Subject"] == (
        "Your 6 visits at Riverside Medical Massage are booked"
    )
    assert confirmation["To"] == "grace@example.org"
    body = _text(confirmation)
    assert body.count("10:00 AM to 11:00 AM") == 6
    assert "(EDT)" in body and "(EST)" in body
    events = _calendar(confirmation).walk("VEVENT")
    assert [e.decoded("dtstart") for e in events] == [v.starts_at for v in visits]
    assert [str(e["uid"]) for e in events] == [
        f"visit-{v.pk}@localhost" for v in visits
    ]

    for number, visit in enumerate(visits, start=1):
        due = visit.starts_at - timedelta(hours=48)  # 48 real hours, also over DST
        tick(due - timedelta(minutes=1))
        assert len(smtp.sink.messages) == number
        tick(due)
        assert len(smtp.sink.messages) == number + 1
        reminder = smtp.sink.messages[-1]
        local = visit.starts_at.astimezone(visit.location.zone)
        assert reminder["Subject"] == (
            f"Reminder: your visit on {local:%A, %B} {local.day}, 2026, 10:00 AM "
            "at Riverside Medical Massage"
        )

    ids = smtp.sink.ids()
    assert len(ids) == 7 and set(ids.values()) == {1}
    rows = OutboundMessage.objects.filter(client=clinic["client"])
    assert set(rows.values_list("status", flat=True)) == {Status.SENT}
    assert sorted(rows.values_list("message_id", flat=True)) == sorted(ids)


def test_a_visit_cancelled_before_its_reminder_gets_a_notice_instead(
    worker, smtp, clinic
):
    visits = _series(clinic, count=3, starts_on=date(2026, 10, 19))
    tick(NOW + GRACE)
    appointment_cancel(
        appointment=visits[1],
        by=clinic["desk"],
        reason="travel",
        now=NOW + timedelta(days=1),
    )
    run_until(visits[-1].starts_at)

    subjects = [m["Subject"] for m in smtp.sink.messages]
    assert subjects == [
        "Your 3 visits at Riverside Medical Massage are booked",
        "Cancelled: your visit on Monday, October 26, 2026, 10:00 AM at Riverside "
        "Medical Massage",
        "Reminder: your visit on Monday, October 19, 2026, 10:00 AM at Riverside "
        "Medical Massage",
        "Reminder: your visit on Monday, November 2, 2026, 10:00 AM at Riverside "
        "Medical Massage",
    ]
    cancel = _calendar(smtp.sink.messages[1])
    assert cancel["method"] == "CANCEL"
    (event,) = cancel.walk("VEVENT")
    assert str(event["uid"]) == f"visit-{visits[1].pk}@localhost"
    assert int(event["sequence"]) == 1


def test_rescheduling_inside_the_grace_period_sends_only_the_final_confirmation(
    worker, smtp, clinic
):
    visit = _book(clinic, datetime(2026, 10, 20, 14, 0, tzinfo=UTC))
    for minutes, hour in ((1, 15), (2, 16)):
        appointment_reschedule(
            appointment=visit,
            by=clinic["desk"],
            now=NOW + timedelta(minutes=minutes),
            starts_at=datetime(2026, 10, 20, hour, 0, tzinfo=UTC),
        )
    tick(NOW + timedelta(minutes=4))  # the first booking's grace is over
    assert smtp.sink.messages == []
    run_until(NOW + timedelta(days=1))

    (only,) = smtp.sink.messages
    assert only["Subject"] == (
        "Your visit on Tuesday, October 20, 2026, 12:00 PM at Riverside Medical "
        "Massage is booked"
    )
    (event,) = _calendar(only).walk("VEVENT")
    assert int(event["sequence"]) == 2
    assert not OutboundMessage.objects.filter(kind=Kind.RESCHEDULE).exists()


def test_smtp_down_for_a_while_is_retried_and_delivered_once_back(worker, smtp, clinic):
    _book(clinic, datetime(2026, 10, 20, 14, 0, tzinfo=UTC))
    row = OutboundMessage.objects.get(kind=Kind.CONFIRMATION)
    smtp.stop()
    tick(NOW + GRACE)
    tick(NOW + GRACE + timedelta(minutes=1))
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.PENDING, 2)
    assert row.send_at == NOW + GRACE + timedelta(minutes=3)  # waited 1, then 2
    assert "Connection refused" in row.last_error

    smtp.start()
    tick(row.send_at)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.SENT, 3)
    assert smtp.sink.ids() == {row.message_id: 1}


def test_past_the_limit_it_fails_shows_on_the_outbox_and_can_be_retried(
    worker, smtp, clinic, client, front_desk
):
    # In real time: the desk's Retry sends at once, with the clock on the wall.
    now = timezone.now()
    day = now.astimezone(clinic["location"].zone).date() + timedelta(days=5)
    _book(clinic, local_datetime(day, time(10), clinic["location"]), now=now)
    row = OutboundMessage.objects.get(kind=Kind.CONFIRMATION)
    smtp.stop()
    for _ in range(MAX_ATTEMPTS):
        row.refresh_from_db()
        tick(row.send_at)
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, MAX_ATTEMPTS)

    client.force_login(front_desk)
    page = client.get(reverse("sessions:outbox")).content.decode()
    assert "Grace Okafor" in page and "Connection refused" in page
    assert "1 failed" in page

    smtp.start()
    client.post(reverse("sessions:outbox_retry", args=[row.pk]))  # handed at once
    deadline = clock.monotonic() + 30
    while OutboundMessage.objects.get(pk=row.pk).status != Status.SENT:
        assert clock.monotonic() < deadline, "the retried message was not sent"
        clock.sleep(0.05)
    assert smtp.sink.ids() == {row.message_id: 1}


def _due_reminders(clinic, count: int, now: datetime) -> list[int]:
    """`count` visits, each with its reminder due now, made in bulk."""
    base = now + timedelta(days=3)
    visits = Appointment.objects.bulk_create(
        Appointment(
            client=clinic["client"],
            therapist=clinic["therapist"],
            modality=modality("swedish"),
            location=clinic["location"],
            room=clinic["room"],
            starts_at=base + timedelta(hours=n),
            ends_at=base + timedelta(hours=n, minutes=50),
            therapist_busy_from=base + timedelta(hours=n),
            therapist_busy_until=base + timedelta(hours=n, minutes=50),
            booked_by=clinic["desk"],
        )
        for n in range(count)
    )
    rows = OutboundMessage.objects.bulk_create(
        OutboundMessage(
            kind=Kind.REMINDER,
            appointment=visit,
            client=clinic["client"],
            to_email=clinic["client"].email,
            send_at=now - timedelta(minutes=1),
        )
        for visit in visits
    )
    return [r.pk for r in rows]


def test_a_batch_goes_over_one_smtp_connection(worker, smtp, clinic):
    now = timezone.now()
    _due_reminders(clinic, 20, now)
    tick(now, batch_size=50)
    assert len(smtp.sink.messages) == 20
    assert smtp.sink.connections == 1


@pytest.fixture
def crash_queue():
    """Not the module's queue: its worker must not help the one we kill."""
    with _own_queue() as name:
        yield name


def test_a_worker_killed_half_way_loses_nothing_and_doubles_nothing(
    crash_queue, smtp, clinic, tmp_path
):
    """1,000 due reminders; kill -9 the worker mid-way; another one finishes.

    The test's clock jumps two minutes ahead (the bound a clinic is promised: the
    dead worker's lease lapses one minute after its last renewal) so that the sweep
    reclaims its rows without waiting for real minutes to pass.
    """
    now = timezone.now()
    _due_reminders(clinic, 1000, now)
    first = Worker(
        queue=crash_queue,
        smtp_port=smtp.port,
        log=tmp_path / "first.log",
        concurrency=4,
    )
    try:
        messages_dispatch(now=now, batch_size=25)
        deadline = clock.monotonic() + 60
        while len(smtp.sink.messages) < 500:
            assert clock.monotonic() < deadline, "the first worker sent too little"
            clock.sleep(0.005)
        first.kill()
    finally:
        first.stop()
    at_kill = len(smtp.sink.messages)
    # And the broker forgets the tasks still queued, as a Redis restart would.
    redis.Redis.from_url(settings.REDIS_URL).delete(crash_queue)
    left_sending = OutboundMessage.objects.filter(status=Status.SENDING).count()
    assert 500 <= at_kill < 1000

    second = Worker(
        queue=crash_queue,
        smtp_port=smtp.port,
        log=tmp_path / "second.log",
        concurrency=4,
    )
    try:
        # Within two minutes, the sweep reclaims what the dead worker left `sending`:
        # it renews its lease no more, and the lease lapses after one minute.
        tick(now + timedelta(minutes=2), batch_size=25)
    finally:
        second.stop()

    ids = smtp.sink.ids()
    raw = sum(ids.values())
    print(
        f"\nkilled after {at_kill} delivered, {left_sending} rows left sending; "
        f"{raw} deliveries, {len(ids)} distinct Message-IDs, "
        f"{raw - len(ids)} resent copies"
    )
    assert len(ids) == 1000  # every reminder arrived: nothing lost
    reclaimed = OutboundMessage.objects.filter(
        last_error__startswith="The worker stopped"
    )
    assert reclaimed.count() == left_sending
    assert OutboundMessage.objects.filter(status=Status.SENT).count() == 1000
    # A copy can only be re-sent from the instant between the server's "250" and
    # the row's commit, at most one per killed pool process, and it carries the
    # same Message-ID: the client's mail program shows one message.
    assert raw - len(ids) <= 4
