"""Delivery: hand due rows to workers, claim them, send them, record what happened.

The message table is the source of truth; the broker only carries work, so losing
a task (a Redis restart) loses nothing: the next minute's sweep finds the rows.

1. The beat job runs `messages_dispatch` every minute. It puts rows left `sending`
   longer than SENDING_TIMEOUT back to `pending` (their worker died), then hands the
   ids of due `pending` rows, in batches, to `send_messages` tasks (on commit).
2. A task calls `messages_send`: it claims those of its rows that are still due and
   pending (status -> `sending`, `claimed_at`, one more attempt) under
   `select_for_update(skip_locked=True)` and commits, so two workers never hold the
   same row. Handing the same id twice is therefore harmless.
3. It opens one SMTP connection for the batch and, per row, locks the row, checks it
   is still the claim it made (a change at the desk may have re-timed or cancelled
   it meanwhile), renders it, sends it, and records `sent` with the time and the
   Message-ID in the same short transaction.
4. An SMTP error puts the row back to `pending` with a growing back-off (1, 2, 4, 8
   minutes); after MAX_ATTEMPTS it is `failed` with the error, for the outbox page.

Exactly once, as the client sees it: each row has one Message-ID for all its
attempts, written before the first one. The only moment a crash causes a second
delivery is between the SMTP server's "250 accepted" and our commit of `sent`
(microseconds per message, since each row commits on its own); that copy carries
the same Message-ID, which mail programs treat as the message they already have.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent
from sessions.messaging.queue import enqueue_send
from sessions.messaging.render import email_for, message_id_for, message_verdict
from sessions.models import OutboundMessage

logger = logging.getLogger(__name__)

Status = OutboundMessage.Status

MAX_ATTEMPTS = 5
SENDING_TIMEOUT = timedelta(minutes=10)
MAX_PER_TICK = 5000  # a larger backlog is handed over in the following minutes


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

    def __str__(self) -> str:
        return (
            f"sent {self.sent}, to retry {self.retried}, failed {self.failed}, "
            f"not sent {self.skipped}, changed meanwhile {self.gone}"
        )


@transaction.atomic
def messages_reclaim(*, now: datetime) -> int:
    """Rows a dead worker left `sending`: back to pending, or failed when worn out.

    A live worker holds the row lock while it sends, so skip_locked passes over it.
    """
    stale = list(
        OutboundMessage.objects.select_for_update(skip_locked=True).filter(
            status=Status.SENDING, claimed_at__lt=now - SENDING_TIMEOUT
        )
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
    for start in range(0, len(due), batch_size):
        batch = due[start : start + batch_size]
        transaction.on_commit(partial(enqueue_send, batch, now), robust=True)
    return len(due)


@transaction.atomic
def messages_claim(*, ids: list[int], now: datetime) -> tuple[list[int], datetime]:
    """Take the rows of `ids` still due and pending; another worker's are skipped."""
    claimed_at = timezone.now()
    rows = list(
        OutboundMessage.objects.select_for_update(skip_locked=True)
        .filter(pk__in=ids, status=Status.PENDING, send_at__lte=now)
        .order_by("send_at", "pk")
    )
    for row in rows:
        row.status = Status.SENDING
        row.claimed_at = claimed_at
        row.attempts = F("attempts") + 1
        row.message_id = row.message_id or message_id_for(row)
        row.save(
            update_fields=[
                "status",
                "claimed_at",
                "attempts",
                "message_id",
                "updated_at",
            ]
        )
    return [row.pk for row in rows], claimed_at


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


def messages_send(*, ids: list[int], now: datetime) -> Report:
    """Claim, then send the claimed rows over one SMTP connection."""
    report = Report()
    claimed, claimed_at = messages_claim(ids=ids, now=now)
    if not claimed:
        return report
    connection = get_connection()
    try:
        for pk in claimed:
            _send_one(pk, claimed_at, now, connection, report)
    finally:
        try:
            connection.close()
        except Exception:
            logger.debug("Closing the SMTP connection failed", exc_info=True)
    logger.info("Messages: %s", report)
    return report


@transaction.atomic
def _send_one(
    pk: int, claimed_at: datetime, now: datetime, connection, report: Report
) -> None:
    row = (
        OutboundMessage.objects.select_for_update(of=("self",))
        .select_related(
            "client__preferred_location",
            "appointment__location",
            "appointment__therapist__user",
            "appointment__room",
            "series__location",
            "intake_invitation",
            "authorization__policy__payer",
        )
        .filter(pk=pk, status=Status.SENDING, claimed_at=claimed_at)
        .first()
    )
    if row is None:  # re-timed, cancelled or reclaimed since we claimed it
        report.gone += 1
        return
    verdict = message_verdict(row, now)
    if verdict is not None:
        row.status, row.skip_reason = verdict
        row.claimed_at = None
        row.save(update_fields=["status", "skip_reason", "claimed_at", "updated_at"])
        report.skipped += 1
        return
    try:
        with transaction.atomic():  # a failed render leaves the row's lock usable
            email = email_for(row, now, connection=connection)
        connection.open()  # no-op while the batch's connection is open
        email.send()
    except Exception as error:
        _attempt_failed(row, error, now, report)
        try:
            connection.close()  # the next row opens a fresh one
        except Exception:
            logger.debug("Closing the SMTP connection failed", exc_info=True)
        return
    row.status = Status.SENT
    row.sent_at = timezone.now()
    row.to_email = email.to[0]
    row.claimed_at = None
    row.save(
        update_fields=["status", "sent_at", "to_email", "claimed_at", "updated_at"]
    )
    if row.kind == OutboundMessage.Kind.AUTHORIZATION_NOTICE and row.authorization:
        # The one message that carries a health record (the authorization's number,
        # payer and visit counts) leaves the clinic's pages: on record, like a read.
        audit_record(
            AuditContext.system("task:send_messages"),
            AuditEvent.Action.VIEW,
            row.authorization,
            client_id=row.client_id,
            summary=f"Authorization notice emailed to {row.to_email}",
        )
    report.sent += 1


def _attempt_failed(
    row: OutboundMessage, error: Exception, now: datetime, report: Report
) -> None:
    row.refresh_from_db(fields=["attempts"])
    row.last_error = _describe(error)
    row.claimed_at = None
    if row.attempts >= MAX_ATTEMPTS or _permanent(error):
        row.status = Status.FAILED
        report.failed += 1
        logger.error("Message %s failed: %s", row.pk, row.last_error)
    else:
        row.status = Status.PENDING
        row.send_at = now + backoff(row.attempts)
        report.retried += 1
        logger.warning(
            "Message %s: attempt %s failed (%s); next at %s",
            row.pk,
            row.attempts,
            row.last_error,
            row.send_at,
        )
    row.save(
        update_fields=["status", "send_at", "last_error", "claimed_at", "updated_at"]
    )
