"""Client messages at volume: 1,000 reminders falling due at one moment.

    DATABASE_URL=... REDIS_URL=... python benchmarks/messages.py

Runs against an already migrated database. It adds a location, a therapist, 100
clients and 1,000 visits whose reminders fall due at one moment, starts a real
Celery worker as production does (`celery -A massageclinic worker -c 2`) on a queue
of its own, runs the sweep on its production cadence (the interval of the
"Send due client messages" beat job, sent as the beat sends it), and receives the
mail on an aiosmtpd server on 127.0.0.1. Then it kills a worker with SIGKILL in the
middle of another 600 reminders and times how long its rows take to arrive.
Everything it added (rows, queue, unacknowledged tasks) is removed at the end.

The sweep's phase is chosen as the worst case: the reminders fall due just after a
tick, so they wait a whole interval for the next one.

Prints markdown, then `MESSAGES-BENCH-OK` or `MESSAGES-BENCH-FAILED: <why>`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import date, timedelta
from email.message import EmailMessage
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(BASE_DIR))
TAG = uuid.uuid4().hex[:8]
QUEUE = f"bench-messages-{TAG}"
# The bench's tasks, and the tasks its worker hands on, stay on its own queue.
os.environ["CELERY_TASK_DEFAULT_QUEUE"] = QUEUE
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "massageclinic.settings")

import django  # noqa: E402

django.setup()

import redis  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402
from django.utils import timezone  # noqa: E402
from django_celery_beat.models import PeriodicTask  # noqa: E402

from clients.models import Client  # noqa: E402
from massageclinic.celery import app as celery_app  # noqa: E402
from massageclinic.models import Location, Room  # noqa: E402
from sessions.models import Appointment, OutboundMessage  # noqa: E402
from therapists.models import Modality, Therapist  # noqa: E402

DUE = 1000
KILLED = 600
TARGET_RATE = 200.0  # messages/s with 2 worker processes
TARGET_LAST = 15.0  # seconds from falling due to the last arrival
TARGET_KILLED = 120.0  # seconds from the kill until the dead worker's rows arrive
SWEEP = "Send due client messages"
Status = OutboundMessage.Status
MESSAGE_ID = re.compile(rb"^Message-ID: *(<[^>\r\n]+>)", re.MULTILINE | re.IGNORECASE)


class Sink:
    """Keeps the Message-ID and arrival time of every message; nothing more, so it is
    never the bottleneck."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.arrivals: list[tuple[float, str]] = []
        # Set: the server takes each message but holds its reply, so a worker's batch
        # stays in the middle of its send (where the killed-worker case kills it).
        self.hold = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        while self.hold.is_set():
            await asyncio.sleep(0.01)
        found = MESSAGE_ID.search(envelope.content)
        with self.lock:
            self.arrivals.append(
                (time.time(), found.group(1).decode() if found else "?")
            )
        return "250 Message accepted for delivery"

    def of(self, ids: set[str]) -> list[tuple[float, str]]:
        with self.lock:
            return [a for a in self.arrivals if a[1] in ids]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sink_rate(port: int, count: int = 300) -> float:
    """The server alone: messages/s over one connection from one client."""
    message = EmailMessage()
    message["From"], message["To"] = "a@example.org", "b@example.org"
    message["Subject"] = "probe"
    message.set_content("x" * 3000)
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        for n in range(count):
            del message["Message-ID"]
            message["Message-ID"] = f"<probe-{n}@bench>"
            smtp.send_message(message)
    return count / (time.perf_counter() - started)


class Worker:
    """`celery -A massageclinic worker -c 2` on the bench's queue, its own process
    group so SIGKILL takes the pool with it."""

    def __init__(self, smtp_port: int, log: Path) -> None:
        env = dict(os.environ)
        env.update(
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            EMAIL_USE_TLS="0",
            EMAIL_USE_SSL="0",
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            DJANGO_LOG_LEVEL="WARNING",
            CELERY_TASK_DEFAULT_QUEUE=QUEUE,
        )
        self.log = log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own command
            [
                *(sys.executable, "-m", "celery", "-A", "massageclinic", "worker"),
                *(
                    "-c",
                    "2",
                    "-Q",
                    QUEUE,
                    "-n",
                    f"{QUEUE}-{uuid.uuid4().hex[:4]}@bench",
                ),
                *("--without-gossip", "--without-mingle", "--without-heartbeat"),
                *("--loglevel", "INFO"),
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while " ready." not in log.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the worker did not start:\n{log.read_text()}")
            time.sleep(0.1)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.handle.close()


class Sweep(threading.Thread):
    """What the beat does: the sweep task every interval, expiring as the job says."""

    def __init__(self, every: float, expires: float | None) -> None:
        super().__init__(daemon=True)
        self.every, self.expires = every, expires
        self.ticks: list[float] = []
        self.done = threading.Event()
        self.ticked = threading.Event()

    def run(self) -> None:
        next_at = time.time()
        while not self.done.is_set():
            self.ticks.append(time.time())
            celery_app.send_task(
                "sessions.tasks.dispatch_messages", expires=self.expires
            )
            self.ticked.set()
            next_at += self.every
            self.done.wait(max(0.0, next_at - time.time()))


class Clinic:
    """The rows the bench adds, and their removal."""

    def __init__(self) -> None:
        today = date.today()
        self.location = Location.objects.create(
            name=f"Bench messages {TAG}",
            address_line1="1 Bench Street",
            city="Albany",
            state="NY",
            postal_code="12207",
            phone="(518) 555-0100",
            time_zone="America/New_York",
        )
        self.room = Room.objects.create(location=self.location, name="Bench room")
        self.user = User.objects.create(
            username=f"bench-messages-{TAG}", first_name="Tara", last_name="Bench"
        )
        self.therapist = Therapist.objects.create(
            user=self.user,
            license_number=f"BM{TAG}",
            license_state="NY",
            license_expires_on=today + timedelta(days=400),
            colour="#336699",
        )
        self.clients = Client.objects.bulk_create(
            Client(
                first_name=f"Client{n}",
                last_name=f"Bench {TAG}",
                email=f"bench-{TAG}-{n}@example.org",
            )
            for n in range(100)
        )
        self.modality = Modality.objects.order_by("pk").first()
        self.hours = 0

    def reminders(self, count: int, send_at) -> list[int]:
        """`count` visits (an hour apart, days ahead) and their reminders."""
        base = timezone.now().replace(minute=0, second=0, microsecond=0)
        base += timedelta(days=3, hours=self.hours)
        self.hours += count
        visits = Appointment.objects.bulk_create(
            Appointment(
                client=self.clients[n % len(self.clients)],
                therapist=self.therapist,
                modality=self.modality,
                location=self.location,
                room=self.room,
                starts_at=base + timedelta(hours=n),
                ends_at=base + timedelta(hours=n, minutes=50),
                therapist_busy_from=base + timedelta(hours=n),
                therapist_busy_until=base + timedelta(hours=n, minutes=50),
                booked_by=self.user,
            )
            for n in range(count)
        )
        rows = OutboundMessage.objects.bulk_create(
            OutboundMessage(
                kind=OutboundMessage.Kind.REMINDER,
                appointment=visit,
                client=visit.client,
                to_email=visit.client.email,
                send_at=send_at,
            )
            for visit in visits
        )
        return [r.pk for r in rows]

    def remove(self) -> None:
        mine = Appointment.objects.filter(therapist=self.therapist)
        OutboundMessage.objects.filter(appointment__in=mine).delete()
        mine.delete()
        Client.objects.filter(pk__in=[c.pk for c in self.clients]).delete()
        self.therapist.delete()
        self.user.delete()
        self.room.delete()
        self.location.delete()


def forget_queue() -> None:
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete(QUEUE, *broker.scan_iter(match=f"_kombu.binding*.{QUEUE}"))
    for tag, payload in broker.hgetall("unacked").items():
        if QUEUE.encode() in payload:  # tasks the killed worker left unacknowledged
            broker.hdel("unacked", tag)
            broker.zrem("unacked_index", tag)


def message_ids(pks: list[int]) -> dict[int, str]:
    return dict(
        OutboundMessage.objects.filter(pk__in=pks).values_list("pk", "message_id")
    )


def wait_sent(pks: list[int], sink: Sink, timeout: float) -> bool:
    rows = OutboundMessage.objects.filter(pk__in=pks)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not rows.exclude(status=Status.SENT).exists():
            ids = set(message_ids(pks).values())
            if len({i for _, i in sink.of(ids)}) == len(pks):
                return True
        time.sleep(0.1)
    return False


def _drain(timeout: float) -> int:
    """Wait until no message of the database's own is due and unsent; how many
    there were."""
    busy = OutboundMessage.objects.filter(
        status__in=(Status.PENDING, Status.SENDING), send_at__lte=timezone.now()
    )
    found = busy.count()
    deadline = time.monotonic() + timeout
    while found and busy.exists():
        if time.monotonic() > deadline:
            raise RuntimeError(f"{busy.count()} message(s) already due never went")
        time.sleep(0.2)
    return found


def main() -> int:
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    job = PeriodicTask.objects.get(name=SWEEP)
    every = timedelta(**{job.interval.period: job.interval.every}).total_seconds()
    failures: list[str] = []
    lines: list[str] = []
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    clinic = Clinic()
    workdir = Path(tempfile.mkdtemp(prefix="bench-messages-"))
    workers: list[Worker] = []
    sweep: Sweep | None = None
    other_due = 0
    try:
        alone = sink_rate(port)
        workers.append(Worker(port, workdir / "worker-1.log"))
        sweep = Sweep(every, job.expire_seconds)
        sweep.start()
        # Messages of the database's own already due (the demo clinic's, in
        # `make bench`) go out first, so they do not share the measured minute.
        other_due = _drain(timeout=60)
        sweep.ticked.clear()
        sweep.ticked.wait(every + 5)
        # Due just after a tick: the worst case, a whole interval to wait.
        due_at = timezone.now() + timedelta(seconds=0.2)
        pks = clinic.reminders(DUE, due_at)
        due = due_at.timestamp()
        ok = wait_sent(pks, sink, timeout=60)
        ids = message_ids(pks)
        arrivals = sink.of(set(ids.values()))
        copies = Counter(i for _, i in arrivals)
        times = sorted(t for t, _ in arrivals)
        if not ok or len(copies) != DUE:
            failures.append(f"{len(copies)} of {DUE} reminders arrived")
        first, last = (times[0], times[-1]) if times else (due, due)
        rate = len(times) / (last - first) if last > first else 0.0
        to_last = last - due
        picked = min((t for t in sweep.ticks if t >= due), default=first)
        exact = (
            len(copies) == DUE
            and set(copies.values()) == {1}
            and len(set(ids.values())) == DUE
        )
        lines += [
            "| measure | result | target |",
            "|---|---|---|",
            f"| loopback SMTP server alone (one client) | {alone:.0f} messages/s | "
            "well above the rate |",
            f"| sweep cadence | every {every:g} s | |",
            f"| {DUE} due reminders, 2 worker processes | {rate:.0f} messages/s | "
            f">= {TARGET_RATE:.0f} |",
            f"| falling due to the last arrival | {to_last:.1f} s (first tick after "
            f"due: +{picked - due:.1f} s; first arrival +{first - due:.1f} s) | "
            f"<= {TARGET_LAST:.0f} s |",
            f"| exactly once | {len(copies)} rows sent, {sum(copies.values())} "
            f"deliveries, {len(set(ids.values()))} distinct Message-IDs | "
            "each row once |",
        ]
        if rate < TARGET_RATE:
            failures.append(f"{rate:.0f} messages/s < {TARGET_RATE:.0f}")
        if to_last > TARGET_LAST:
            failures.append(f"last arrival {to_last:.1f} s after due")
        if not exact:
            failures.append("not exactly once")

        # A worker killed in the middle of a batch.
        sink.hold.set()  # its batches stay mid-send until the kill
        pks = clinic.reminders(KILLED, timezone.now())
        deadline = time.monotonic() + 60
        while not OutboundMessage.objects.filter(
            pk__in=pks, status=Status.SENDING
        ).exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the worker claimed nothing of the second lot")
            time.sleep(0.05)
        time.sleep(0.5)  # both pool processes into their batch
        workers[0].kill()
        killed_at = time.time()
        stranded = list(
            OutboundMessage.objects.filter(
                pk__in=pks, status=Status.SENDING
            ).values_list("message_id", flat=True)
        )
        sink.hold.clear()
        workers.append(Worker(port, workdir / "worker-2.log"))
        ok = wait_sent(pks, sink, timeout=150)
        ids = set(message_ids(pks).values())
        arrivals = sink.of(ids)
        copies = Counter(i for _, i in arrivals)
        later = [t for t, i in arrivals if i in set(stranded) and t >= killed_at]
        back = (max(later) - killed_at) if later else float("nan")
        lines += [
            f"| worker killed (SIGKILL) mid-batch, {KILLED} due | {len(stranded)} rows "
            f"left sending; all arrived {back:.0f} s after the kill; "
            f"{sum(copies.values()) - len(copies)} resent copies (same Message-ID) | "
            f"<= {TARGET_KILLED:.0f} s |",
        ]
        if not ok or len(copies) != KILLED:
            failures.append(f"after the kill {len(copies)} of {KILLED} arrived")
        if not stranded:
            failures.append("no row was mid-send when the worker was killed")
        elif not back <= TARGET_KILLED:
            failures.append(f"the killed worker's rows took {back:.0f} s")
        if sum(copies.values()) - len(copies) > 2:
            failures.append("more resent copies than killed pool processes")
        if other_due:
            lines.append(
                f"\n{other_due} message(s) of the database's own were due; they went "
                "to the bench's mail server before the measured ones."
            )
    except Exception as error:  # the bench reports, never hides, what broke
        failures.append(f"{type(error).__name__}: {error}")
    finally:
        if sweep is not None:
            sweep.done.set()
        for worker in workers:
            worker.stop()
        controller.stop()
        forget_queue()
        clinic.remove()
    print("## Client messages at volume\n")
    print(
        f"Command: `python benchmarks/messages.py` (worker `-c 2`, batch "
        f"{settings.CLINIC_MESSAGE_BATCH_SIZE}, lease "
        f"{settings.CLINIC_MESSAGE_LEASE_SECONDS} s, {os.cpu_count()} CPUs)\n"
    )
    print("\n".join(lines))
    print()
    if failures:
        print("MESSAGES-BENCH-FAILED: " + "; ".join(failures))
        return 1
    print("MESSAGES-BENCH-OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
