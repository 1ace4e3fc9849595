"""Hand message ids to the Celery workers by task name.

The tasks module imports the delivery code; sending by name keeps the outbox and the
delivery free of an import back into it (and the web process need not load tasks).
"""

from __future__ import annotations

from datetime import datetime

from celery import current_app

SEND_MESSAGES = "sessions.tasks.send_messages"
# A hand-over not taken by a worker within this long is dropped by the broker: its
# rows are still pending in the table, and the sweep (every 5 s) hands them over
# again, so a backlog while the workers are down does not pile up copies in Redis.
SEND_TASK_EXPIRES = 60


def enqueue_send(ids: list[int], now: datetime, issued: datetime | None = None) -> None:
    """Queue one `send_messages` task for these rows (call it on commit).

    `now` decides what is due; `issued` is the wall-clock moment of handing over, so
    the worker knows how long the task waited in the queue."""
    current_app.send_task(
        SEND_MESSAGES,
        args=[list(ids), now.isoformat()],
        kwargs={"issued": (issued or now).isoformat()},
        expires=SEND_TASK_EXPIRES,
    )
