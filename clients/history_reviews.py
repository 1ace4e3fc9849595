"""What a client writes as text needs a therapist's eyes.

The safety rules read the intake's ticked boxes, not its words: "pulmonary embolism"
typed under other conditions, or a new medication, raises no flag by itself. While the
newest history has text under other conditions, or its medications differ from the
version before, it is an open review item on the chart and the home page, until a
therapist treating the client turns it into flags (on the flag page) or marks it
harmless with a note. Recording the review is audited in its own transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import User
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import (
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Coalesce

from clients.access import can_read_health_data
from clients.models import Client, HistoryReview, MedicalHistory
from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent
from massageclinic.roles import Role, user_roles

ONLY_THERAPISTS = (
    "Only a therapist who treats {name} can review what the history says in words."
)


@dataclass(frozen=True)
class HistoryReviewItem:
    """The newest history of a client, with text the rules cannot read."""

    history: MedicalHistory
    other_conditions: str
    medications: str  # the new medications, when they changed; else empty
    medications_changed: bool

    @property
    def client(self) -> Client:
        return self.history.client

    @property
    def text(self) -> str:
        parts = []
        if self.other_conditions:
            parts.append(f"other conditions: {self.other_conditions}")
        if self.medications_changed:
            parts.append(f"medications now: {self.medications or '(none)'}")
        return "; ".join(parts)


def _newest_unreviewed() -> QuerySet[MedicalHistory]:
    newer = MedicalHistory.objects.filter(
        client_id=OuterRef("client_id"), version__gt=OuterRef("version")
    )
    previous = (
        MedicalHistory.objects.filter(
            client_id=OuterRef("client_id"), version__lt=OuterRef("version")
        )
        .order_by("-version")
        .values("medications")[:1]
    )
    return (
        MedicalHistory.objects.filter(~Exists(newer))
        .filter(~Exists(HistoryReview.objects.filter(history_id=OuterRef("pk"))))
        .annotate(
            previous_medications=Coalesce(
                Subquery(previous), Value(""), output_field=TextField()
            )
        )
    )


def history_reviews_open(
    *,
    client_ids: Iterable[int] | None = None,
    clients: QuerySet[Client] | None = None,
) -> list[HistoryReviewItem]:
    """The open review items of current clients (of `client_ids`, or among
    `clients`), newest first: one query."""
    histories = (
        _newest_unreviewed()
        .filter(client__archived_at__isnull=True)
        .filter(
            Q(other_conditions__regex=r"\S") | ~Q(medications=F("previous_medications"))
        )
        .select_related("client")
        .order_by("-submitted_at", "pk")
    )
    if client_ids is not None:
        histories = histories.filter(client_id__in=list(client_ids))
    if clients is not None:
        histories = histories.filter(client__in=clients)
    items = []
    for history in histories:
        previous = getattr(history, "previous_medications", "") or ""
        changed = history.medications.strip() != previous.strip()
        other = history.other_conditions.strip()
        if not (other or changed):
            continue  # only whitespace differs
        items.append(
            HistoryReviewItem(
                history=history,
                other_conditions=other,
                medications=history.medications.strip() if changed else "",
                medications_changed=changed,
            )
        )
    return items


def open_review_of(history: MedicalHistory) -> HistoryReviewItem | None:
    """The review item of this history, if it is open."""
    return next(
        (
            item
            for item in history_reviews_open(client_ids=[history.client_id])
            if item.history.pk == history.pk
        ),
        None,
    )


def can_review_history(user: User, client: Client) -> bool:
    """A therapist (with a therapist's profile) who may read the client's history."""
    if Role.THERAPIST not in user_roles(user):
        return False
    try:
        user.therapist  # noqa: B018  reverse one-to-one: raises when there is none
    except (AttributeError, ObjectDoesNotExist):
        return False
    return can_read_health_data(user, client)


@transaction.atomic
def history_review_record(
    *,
    history: MedicalHistory,
    outcome: str,
    note: str,
    by: User,
    now: datetime,
    context: AuditContext,
) -> HistoryReview:
    """Close a history's review item: flagged (the flags are on the chart) or
    harmless (with a note saying why)."""
    history = MedicalHistory.objects.select_for_update().get(pk=history.pk)
    client = history.client
    if not can_review_history(by, client):
        raise ValidationError(ONLY_THERAPISTS.format(name=client.full_name))
    if outcome not in HistoryReview.Outcome.values:
        raise ValidationError({"outcome": "Choose harmless or flagged."})
    note = note.strip()
    if outcome == HistoryReview.Outcome.HARMLESS and not note:
        raise ValidationError({"note": "Say why it needs no safety flag."})
    if (
        outcome == HistoryReview.Outcome.FLAGGED
        and not client.contraindications.filter(resolved_at__isnull=True).exists()
    ):
        raise ValidationError(
            f"{client.full_name} has no safety flag in force: add the flag it needs "
            "first (Add a safety flag), then record the review."
        )
    if HistoryReview.objects.filter(history=history).exists():
        raise ValidationError(
            f"Version {history.version} of the history was reviewed already."
        )
    item = open_review_of(history)
    if item is None:
        raise ValidationError(
            f"Version {history.version} of the history has nothing to review: a "
            "newer version exists, or it has no text the rules cannot read."
        )
    review = HistoryReview.objects.create(
        history=history,
        reviewed_by=by,
        reviewed_at=now,
        outcome=outcome,
        note=note[:250],
    )
    audit_record(
        context,
        AuditEvent.Action.CREATE,
        review,
        client_id=client.pk,
        summary=f"Reviewed the history v{history.version}: "
        f"{review.get_outcome_display()}" + (f": {note}" if note else ""),
    )
    return review
