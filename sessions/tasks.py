"""Celery tasks for client messages. They take ids, load rows and call a service.

No task is scheduled with an ETA or countdown: the beat job runs every minute and
the message table says what is due (DESIGN.md section 3).
"""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.utils import timezone

from sessions.messaging.delivery import messages_dispatch, messages_send


def _moment(stamp: str | None) -> datetime:
    return datetime.fromisoformat(stamp) if stamp else timezone.now()


@shared_task(name="sessions.tasks.dispatch_messages", ignore_result=True)
def dispatch_messages(now: str | None = None) -> int:
    """The every-minute sweep (django-celery-beat): hand due rows to the workers."""
    return messages_dispatch(now=_moment(now))


@shared_task(name="sessions.tasks.send_messages", ignore_result=True)
def send_messages(ids: list[int], now: str | None = None) -> str:
    """Claim and send these rows, one SMTP connection for the batch."""
    return str(messages_send(ids=[int(pk) for pk in ids], now=_moment(now)))
