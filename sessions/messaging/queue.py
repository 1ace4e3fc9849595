"""Hand message ids to the Celery workers by task name.

The tasks module imports the delivery code; sending by name keeps the outbox and the
delivery free of an import back into it (and the web process need not load tasks).
"""

from __future__ import annotations

from datetime import datetime

from celery import current_app

SEND_MESSAGES = "sessions.tasks.send_messages"


def enqueue_send(ids: list[int], now: datetime, issued: datetime | None = None) -> None:
    """Queue one `send_messages` task for these rows (call it on commit).

    `now` decides what is due; `issued` is the wall-clock moment of handing over, so
    the worker knows how long the task waited in the queue."""
    current_app.send_task(
        SEND_MESSAGES,
        args=[list(ids), now.isoformat()],
        kwargs={"issued": (issued or now).isoformat()},
    )
