"""Delivery: hand due rows to workers, claim them, send them, record what happened.

The message table is the source of truth; the broker only carries work, so losing
a task (a Redis restart) loses nothing: the next sweep finds the rows.

1. The beat runs `messages_dispatch` every 5 seconds (the sweep, migration 0015; an
   indexed read of due rows). It puts rows whose worker's lease lapsed back to `pending` (that
   worker died), then hands the ids of due `pending` rows, in batches, to
   `send_messages` tasks (on commit).
2. A task calls `messages_send`: it claims those of its rows that are still due and
   pending in one short transaction (`select_for_update(skip_locked=True)`, then one
   UPDATE: status -> `sending`, one more attempt, the claim's stamp in `claimed_at`,
   the Message-ID if the row has none yet) and commits. Two workers never hold the
   same row, so handing the same id twice is harmless.
3. No transaction and no row lock is open while it talks to the mail server: a
   desk's cancel or move never waits for SMTP. The worker renders each row (shared
   work, such as the clinic's policy and the sender, once per batch) and sends it
   over one SMTP connection for the batch. Each outcome is recorded at once with a
   conditional UPDATE that matches only while the row is still this claim
   (`sending` with this `claimed_at`): a row the desk re-timed or cancelled
   meanwhile is left as the desk made it. The UPDATE is its own transaction and
   does not wait for PostgreSQL's disk flush (`_outcomes_without_fsync`).
4. The claim is a lease: a thread of the worker renews it (touches `updated_at`)
   every third of CLINIC_MESSAGE_LEASE_SECONDS while the batch is in hand, also
   while a slow server keeps it waiting. A killed worker renews nothing, so its rows
   are taken back by the first sweep after the lease lapses (a minute by default).
5. An SMTP error puts the row back to `pending`, due 1, 2, 4, 8 minutes after the
   moment the attempt failed; after MAX_ATTEMPTS it is `failed` with the error,
   for the outbox page. A 5xx refusal fails at once. An error after the server had
   the whole message (its reply to the final "." never came, even after the
   10 minutes RFC 5321 gives it) has an unknown outcome: the server most likely
   stored it, so the row is `failed` with that explanation and is not sent again
   unless someone at the desk retries it.

Exactly once, as the client sees it: each row has one Message-ID for all its
attempts, written when it is first claimed. The only moment a crash causes a second
delivery is between the SMTP server's "250 accepted" and the UPDATE recording `sent`
(one row per worker process at most, since each outcome is recorded on its own);
that copy carries the same Message-ID, which mail programs treat as the message
they already have (so also after a crash of PostgreSQL itself forgets the last
outcomes it had not flushed). A row the desk changes while its message is on the way
out gets a new Message-ID (see outbox.py), so the corrected message is not taken for
a copy.

Where a message's time goes (profiled, one process, loaded 2-core machine): the
mail server's four round trips, about a third; building and serialising the MIME
message (the email package folds every header), about a quarter; the two templates
and three signed links, a fifth; the outcome UPDATE, a sixth (it was the largest
part, with its disk flush and its own BEGIN/COMMIT, before). Claim, load and
policy are once per batch. `benchmarks/messages.py` measures the whole.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, connections, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Left
from django.utils import timezone

from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent
from sessions.messaging.ids import message_id_expression
from sessions.messaging.queue import enqueue_send
from sessions.messaging.render import RenderBatch, email_for, message_verdict
from sessions.messaging.smtp import OutcomeUnknown, backend_for_messages
from sessions.models import OutboundMessage

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status

MAX_ATTEMPTS = 5
# A claim not renewed for this long belongs to a dead worker.
SENDING_TIMEOUT = timedelta(seconds=settings.CLINIC_MESSAGE_LEASE_SECONDS)
MAX_PER_TICK = 5000  # a larger backlog is handed over by the following sweeps

OUTCOME_UNKNOWN = (
    "Outcome unknown: the mail server received the whole message but never "
    "confirmed it ({error}). It was not sent again, since the client most likely "
    "has it; retry only if they did not get it."
)


GONE_OUT_ANYWAY = "; it had already gone out"


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt `attempt` (1-based): 1, 2, 4, 8 minutes."""
    return timedelta(minutes=2 ** (attempt - 1))


@dataclass
class Report:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    skipped: int = 0
    gone: int = 0  # changed or taken over since the claim
    unknown: int = 0  # handed over, never confirmed: not sent again

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, to retry {self.retried}, failed {self.failed}, "
            f"outcome unknown {self.unknown}, not sent {self.skipped}, "
            f"changed meanwhile {self.gone}"
        )


class Clock:
    """The task's own time: the sweep's `now` plus the time since the sweep.

    The sweep's `now` decides what is due; a failure is dated when it happened
    (after the task waited in the queue and sent the rows before it), so the next
    attempt is spaced from the failure. Tests drive `now` by hand, so the time since
    the sweep is measured, not read off the wall clock.
    """

    def __init__(self, now: datetime, queued: timedelta = timedelta(0)) -> None:
        self.now = now
        self.queued = max(queued, timedelta(0))
        self._started = time.monotonic()

    def moment(self) -> datetime:
        elapsed = timedelta(seconds=time.monotonic() - self._started)
        # To the second: a retry "1 minute later" reads as such on the outbox page.
        return (self.now + self.queued + elapsed).replace(microsecond=0)


def messages_reclaim(*, now: datetime) -> int:
    """Rows whose worker stopped renewing its lease: back to pending, or failed when
    worn out. A live worker renews its lease, so its rows are never taken."""
    with transaction.atomic():
        stale = list(
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(status=Status.SENDING, updated_at__lt=now - SENDING_TIMEOUT)
            .only("pk", "attempts", "status", "claimed_at", "last_error")
        )
        for row in stale:
            row.claimed_at = None
            if row.attempts >= MAX_ATTEMPTS:
                row.status = Status.FAILED
                row.last_error = (
                    f"The worker stopped while sending it, {row.attempts} times."
                )
            else:
                row.status = Status.PENDING
                row.last_error = (
                    "The worker stopped while sending it; sent again with the same "
                    "Message-ID."
                )
            row.save(update_fields=["status", "claimed_at", "last_error", "updated_at"])
    if stale:
        logger.warning("Reclaimed %d message(s) left sending", len(stale))
    return len(stale)


@transaction.atomic
def messages_dispatch(*, now: datetime, batch_size: int | None = None) -> int:
    """Hand every due row to the workers, `batch_size` ids per task."""
    batch_size = batch_size or settings.CLINIC_MESSAGE_BATCH_SIZE
    messages_reclaim(now=now)
    due = list(
        OutboundMessage.objects.filter(status=Status.PENDING, send_at__lte=now)
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)[:MAX_PER_TICK]
    )
    issued = timezone.now()
    for start in range(0, len(due), batch_size):
        batch = due[start : start + batch_size]
        transaction.on_commit(partial(enqueue_send, batch, now, issued), robust=True)
    return len(due)


@transaction.atomic
def messages_claim(*, ids: list[int], now: datetime) -> tuple[list[int], datetime]:
    """Take the rows of `ids` still due and pending; another worker's are skipped.

    Returns the claimed ids and the claim's stamp (their `claimed_at`)."""
    claimed_at = timezone.now()
    pks = list(
        OutboundMessage.objects.select_for_update(skip_locked=True)
        .filter(pk__in=ids, status=Status.PENDING, send_at__lte=now)
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)
    )
    if pks:
        OutboundMessage.objects.filter(pk__in=pks).update(
            status=Status.SENDING,
            claimed_at=claimed_at,
            attempts=F("attempts") + 1,
            message_id=message_id_expression(),
            updated_at=claimed_at,
        )
    return pks, claimed_at


class Lease(threading.Thread):
    """Renews the claim on a batch while the worker holds it (a daemon thread: it
    dies with the worker, which is what lets the sweep tell a dead one)."""

    def __init__(self, pks: list[int], claimed_at: datetime) -> None:
        super().__init__(name="message-lease", daemon=True)
        self.pks = pks
        self.claimed_at = claimed_at
        self.every = SENDING_TIMEOUT.total_seconds() / 3
        self._done = threading.Event()

    def run(self) -> None:
        try:
            while not self._done.wait(self.every):
                self.renew()
        finally:
            connections.close_all()  # this thread's own connection

    def renew(self) -> int:
        try:
            return OutboundMessage.objects.filter(
                pk__in=self.pks, status=Status.SENDING, claimed_at=self.claimed_at
            ).update(updated_at=timezone.now())
        except Exception:
            logger.warning(
                "Renewing the lease of a message batch failed", exc_info=True
            )
            return 0

    def __enter__(self) -> Lease:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self.join(timeout=30)


def _permanent(error: Exception) -> bool:
    """A 5xx refusal of this message: trying again would get the same answer."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPAuthenticationError | smtplib.SMTPConnectError):
        return False  # the server or our settings: fixed there, then retried
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500
    return False


def _describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"[:1000] or type(error).__name__


_RELATED = (
    "client__preferred_location",
    "appointment__location",
    "appointment__therapist__user",
    "appointment__room",
    "series__location",
    "intake_invitation",
    "authorization__policy__payer",
    "waitlist_offer__location",
    "waitlist_offer__therapist__user",
)


def messages_send(
    *, ids: list[int], now: datetime, queued: timedelta = timedelta(0)
) -> Report:
    """Claim, then send the claimed rows over one SMTP connection, holding no lock.

    `queued` is how long the task waited since the sweep handed it over."""
    report = Report()
    clock = Clock(now, queued)
    claimed, claimed_at = messages_claim(ids=ids, now=now)
    if not claimed:
        return report
    with Lease(claimed, claimed_at):
        rows = list(
            OutboundMessage.objects.select_related(*_RELATED)
            .filter(pk__in=claimed, status=Status.SENDING, claimed_at=claimed_at)
            .order_by("send_at", "pk")
        )
        report.gone += len(claimed) - len(rows)
        batch = RenderBatch()
        smtp = get_connection(backend_for_messages())
        try:
            with _outcomes_without_fsync():
                for row in rows:
                    _send_one(row, claimed_at, clock, smtp, batch, report)
        finally:
            _close(smtp)
    logger.info("Messages: %s", report)
    return report


def _close(connection) -> None:
    try:
        connection.close()  # the next row (or batch) opens a fresh one
    except Exception:
        logger.debug("Closing the SMTP connection failed", exc_info=True)


def _this_claim(row: OutboundMessage, claimed_at: datetime):
    return OutboundMessage.objects.filter(
        pk=row.pk, status=Status.SENDING, claimed_at=claimed_at
    )


def _send_one(
    row: OutboundMessage,
    claimed_at: datetime,
    clock: Clock,
    connection,
    batch: RenderBatch,
    report: Report,
) -> None:
    verdict = message_verdict(row, clock.now)
    if verdict is not None:
        status, reason = verdict
        done = _this_claim(row, claimed_at).update(
            status=status,
            skip_reason=reason,
            claimed_at=None,
            updated_at=timezone.now(),
        )
        if done:
            report.skipped += 1
        else:
            report.gone += 1
        return
    try:
        email = email_for(row, clock.now, connection=connection, batch=batch)
        connection.open()  # no-op while the batch's connection is open
        email.send()
    except OutcomeUnknown as error:
        _close(connection)
        _outcome_unknown(row, claimed_at, error, report)
        return
    except Exception as error:
        _close(connection)
        _attempt_failed(row, claimed_at, error, clock, report)
        return
    _sent(row, claimed_at, email.to[0], report)


def _sent(
    row: OutboundMessage, claimed_at: datetime, to_email: str, report: Report
) -> None:
    sent_at = timezone.now()
    authorization = (
        row.authorization
        if row.kind == OutboundMessage.Kind.AUTHORIZATION_NOTICE
        else None
    )
    audited = authorization is not None
    # One UPDATE, its own transaction (a single round trip), unless an audit row
    # must commit with it. A failed attempt's error stays on the row as history;
    # the outbox shows it as an earlier attempt's, not as the row's state.
    with transaction.atomic() if audited else nullcontext():
        done = _this_claim(row, claimed_at).update(
            status=Status.SENT,
            sent_at=sent_at,
            to_email=to_email,
            claimed_at=None,
            updated_at=sent_at,
        )
        if not done:
            # The desk changed the row while it was on the way out; its change
            # stands (a cancelled visit's client, told, gets the notice). A
            # cancelled row says that it went out all the same, for the outbox.
            OutboundMessage.objects.filter(
                pk=row.pk, status=Status.CANCELLED, sent_at__isnull=True
            ).update(
                sent_at=sent_at,
                skip_reason=Left(Concat("skip_reason", Value(GONE_OUT_ANYWAY)), 120),
            )
            logger.warning("Message %s went out as the desk changed it", row.pk)
            report.gone += 1
            return
        if authorization is not None:
            # The one message that carries a health record (the authorization's
            # number, payer and visit counts) leaves the clinic's pages: on record,
            # like a read.
            audit_record(
                AuditContext.system("task:send_messages"),
                AuditEvent.Action.VIEW,
                authorization,
                client_id=row.client_id,
                summary=f"Authorization notice emailed to {to_email}",
            )
    report.sent += 1


@contextmanager
def _outcomes_without_fsync() -> Iterator[None]:
    """The batch's outcomes commit without waiting for the disk (PostgreSQL's
    `synchronous_commit = off`, for this connection while the batch lasts).

    A killed worker loses nothing by it: the commit is in PostgreSQL's hands when
    the UPDATE returns. Only a crash of PostgreSQL itself may forget the last
    fraction of a second of outcomes; those rows are then reclaimed and sent again
    with the same Message-ID, as after a worker killed between "250" and the
    record. The wait saved is one disk flush per message, the largest single cost
    of a message after the mail server's round trips."""
    if connection.in_atomic_block:  # a caller's transaction (tests): leave it be
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _outcome_unknown(
    row: OutboundMessage, claimed_at: datetime, error: Exception, report: Report
) -> None:
    """Handed over, never confirmed: the clinic would rather not send it twice."""
    message = OUTCOME_UNKNOWN.format(error=error)[:1000]
    handed_over = timezone.now()
    done = _this_claim(row, claimed_at).update(
        status=Status.FAILED,
        last_error=message,
        claimed_at=None,
        # When it was handed over: the client may have it (`outbox.possibly_told`).
        sent_at=handed_over,
        updated_at=handed_over,
    )
    if done:
        report.unknown += 1
        logger.error("Message %s: %s", row.pk, message)
    else:
        report.gone += 1


def _attempt_failed(
    row: OutboundMessage,
    claimed_at: datetime,
    error: Exception,
    clock: Clock,
    report: Report,
) -> None:
    attempts = row.attempts  # loaded after the claim counted this attempt
    last_error = _describe(error)
    failed_at = clock.moment()
    if attempts >= MAX_ATTEMPTS or _permanent(error):
        done = _this_claim(row, claimed_at).update(
            status=Status.FAILED,
            last_error=last_error,
            claimed_at=None,
            updated_at=timezone.now(),
        )
        if done:
            report.failed += 1
            logger.error("Message %s failed: %s", row.pk, last_error)
    else:
        send_at = failed_at + backoff(attempts)
        done = _this_claim(row, claimed_at).update(
            status=Status.PENDING,
            send_at=send_at,
            last_error=last_error,
            claimed_at=None,
            updated_at=timezone.now(),
        )
        if done:
            report.retried += 1
            logger.warning(
                "Message %s: attempt %s failed (%s); next at %s",
                row.pk,
                attempts,
                last_error,
                send_at,
            )
    if not done:
        report.gone += 1
