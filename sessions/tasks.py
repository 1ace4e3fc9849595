"""Celery tasks for client messages. They take ids, load rows and call a service.

No task is scheduled with an ETA or countdown: the beat runs the sweep every few
seconds and the message table says what is due (DESIGN.md section 3).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from celery import shared_task
from django.utils import timezone

from sessions.messaging.delivery import messages_dispatch, messages_send


def _moment(stamp: str | None) -> datetime:
    return datetime.fromisoformat(stamp) if stamp else timezone.now()


@shared_task(name="sessions.tasks.dispatch_messages", ignore_result=True)
def dispatch_messages(now: str | None = None) -> int:
    """The sweep (django-celery-beat, every few seconds): hand due rows over."""
    return messages_dispatch(now=_moment(now))


@shared_task(name="sessions.tasks.send_messages", ignore_result=True)
def send_messages(
    ids: list[int], now: str | None = None, issued: str | None = None
) -> str:
    """Claim and send these rows, one SMTP connection for the batch."""
    queued = timezone.now() - _moment(issued) if issued else timedelta(0)
    return str(
        messages_send(ids=[int(pk) for pk in ids], now=_moment(now), queued=queued)
    )
