"""Message-IDs: one per message row, the same on every attempt.

Kept apart from rendering so the outbox (which rendering imports) can give a row a
new Message-ID when a change at the desk overtakes a send in flight.
"""

from __future__ import annotations

from datetime import datetime
from email.utils import parseaddr

from django.conf import settings
from django.db.models import CharField, F, Value
from django.db.models.expressions import Case, Combinable, When
from django.db.models.functions import Cast, Concat


def message_domain() -> str:
    """The domain of Message-IDs and calendar UIDs: the sender's own."""
    address = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    return address.rpartition("@")[2] or "clinic.invalid"


def message_id_for(row) -> str:
    """The same Message-ID on every attempt of one row.

    A worker killed after the SMTP server accepted a message, but before the row was
    marked sent, sends it again once the row is reclaimed; the second copy has the
    same Message-ID, which mail programs treat as the same message.
    """
    return f"<clinic-message-{row.pk}@{message_domain()}>"


def message_id_expression() -> Combinable:
    """`message_id_for` in SQL, for claiming a batch in one UPDATE: a row keeps the
    Message-ID it has, a row without one gets its own."""
    return Case(
        When(
            message_id="",
            then=Concat(
                Value("<clinic-message-"),
                Cast("pk", output_field=CharField()),
                Value(f"@{message_domain()}>"),
                output_field=CharField(),
            ),
        ),
        default=F("message_id"),
        output_field=CharField(),
    )


def superseding_message_id(row, now: datetime) -> str:
    """A new Message-ID for a row changed while its message was on the way out: the
    client may have the old one, and the new content must not look like a copy."""
    return f"<clinic-message-{row.pk}.{int(now.timestamp() * 1000)}@{message_domain()}>"
