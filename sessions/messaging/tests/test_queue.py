"""A hand-over to the workers expires: the table, not the broker, remembers what is
due, so stale copies of a backlog never pile up in Redis."""

from __future__ import annotations

from datetime import UTC, datetime

from sessions.messaging import queue


def test_a_hand_over_expires_and_names_its_rows(monkeypatch):
    sent = []
    monkeypatch.setattr(
        queue.current_app, "send_task", lambda *args, **kwargs: sent.append(kwargs)
    )
    queue.enqueue_send([3, 4], datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
    (call,) = sent
    assert call["expires"] == queue.SEND_TASK_EXPIRES
    assert call["args"][0] == [3, 4]
