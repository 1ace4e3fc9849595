"""Business rules for a client's record: register, update, archive, unarchive.

A client is never deleted: clinical records hang on them. Archiving hides them from
the daily lists and keeps everything. Each change writes its audit row in its own
transaction, from the `AuditContext` it is given.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models, transaction

from clients.models import Client, ClientMerge
from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent

EDITABLE_CLIENT_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "preferred_name",
        "date_of_birth",
        "pronouns",
        "email",
        "phone",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "workplace_name",
        "workplace_address",
        "emergency_contact_name",
        "emergency_contact_phone",
        "email_reminders",
        "preferred_location",
        "preferred_therapist",
        "preferences",
    }
)
OLDEST_BIRTH_YEAR = 1900
MIN_PHONE_DIGITS = 7
MAX_PHONE_DIGITS = 15


def _phone_problem(value: str) -> str | None:
    digits = len(re.sub(r"\D", "", value))
    if value and not MIN_PHONE_DIGITS <= digits <= MAX_PHONE_DIGITS:
        return (
            f"A phone number has {MIN_PHONE_DIGITS} to {MAX_PHONE_DIGITS} digits; "
            "check the number."
        )
    return None


def _check(client: Client, *, today: date) -> None:
    """Every rule a client's record obeys, all problems at once."""
    errors: dict[str, list[str]] = {}

    def add(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    for name in ("first_name", "last_name"):
        setattr(client, name, getattr(client, name).strip())
    client.email = client.email.strip().lower()
    client.phone = client.phone.strip()
    born = client.date_of_birth
    if born is not None and born > today:
        add("date_of_birth", "The date of birth cannot be in the future.")
    elif born is not None and born.year < OLDEST_BIRTH_YEAR:
        add("date_of_birth", f"Check the year: {born.year} is too long ago.")
    if not client.phone and not client.email:
        add(
            "phone",
            "Give at least a phone number or an email address, "
            "so the clinic can reach the client.",
        )
    for name in ("phone", "emergency_contact_phone"):
        problem = _phone_problem(getattr(client, name))
        if problem:
            add(name, problem)
    if client.emergency_contact_phone and not client.emergency_contact_name.strip():
        add("emergency_contact_name", "Name the emergency contact for this number.")
    try:
        client.full_clean(exclude=list(errors))
    except ValidationError as e:
        for name, messages in e.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)


def _unknown(fields: dict[str, Any]) -> None:
    unknown = set(fields) - EDITABLE_CLIENT_FIELDS
    if unknown:
        raise ValueError(f"Not editable on a client: {', '.join(sorted(unknown))}")


def client_check(*, today: date, **fields: Any) -> None:
    """The rules `client_create` applies, without saving: ValidationError naming
    every field to fix (an import checks its rows with it before registering)."""
    _unknown(fields)
    _check(Client(**fields), today=today)


@transaction.atomic
def client_create(
    *,
    by: User,
    today: date,
    context: AuditContext,
    summary: str = "Registered the client",
    **fields: Any,
) -> Client:
    """Register a client; raises ValidationError naming every field to fix."""
    _unknown(fields)
    client = Client(**fields)
    _check(client, today=today)
    client.save()
    audit_record(
        context, AuditEvent.Action.CREATE, client, client_id=client.pk, summary=summary
    )
    return client


def _attname(name: str) -> str:
    field = Client._meta.get_field(name)
    # Only EDITABLE_CLIENT_FIELDS reach here (`_unknown`): concrete fields, never a
    # reverse relation.
    assert isinstance(field, models.Field)
    return field.attname


def _stored_values(client: Client, names: set[str]) -> dict[str, Any]:
    """The record as stored (a bound ModelForm already wrote the typed values onto
    `client`), keyed by field name; foreign keys by id."""
    attnames = {name: _attname(name) for name in names}
    row = Client.objects.values(*attnames.values()).get(pk=client.pk)
    return {name: row[attname] for name, attname in attnames.items()}


@transaction.atomic
def client_update(
    *,
    client: Client,
    by: User,
    today: date,
    context: AuditContext,
    **changes: Any,
) -> Client:
    """Change a client's demographics, contact and preferences.

    The audit row names the fields whose stored value changed (never the values);
    saving without a change writes none.
    """
    _unknown(changes)
    before = _stored_values(client, set(changes))
    for name, value in changes.items():
        setattr(client, name, value)
    _check(client, today=today)
    client.save()
    changed = [
        name for name in changes if getattr(client, _attname(name)) != before[name]
    ]
    if changed:
        audit_record(
            context,
            AuditEvent.Action.CHANGE,
            client,
            client_id=client.pk,
            summary="Changed " + ", ".join(changed),
        )
    return client


def _locked(client: Client) -> Client:
    return Client.objects.select_for_update().get(pk=client.pk)


@transaction.atomic
def client_archive(
    *, client: Client, by: User, now: datetime, context: AuditContext
) -> Client:
    """Hide a client from the daily lists; every record is kept."""
    locked = _locked(client)
    if locked.archived_at is not None:
        raise ValidationError(f"{locked.full_name} is already archived.")
    # Reverse relation: the sessions app sits above this one in the app chain.
    open_statuses = locked.appointments.model.OPEN_STATUSES
    upcoming = locked.appointments.filter(
        starts_at__gte=now, status__in=open_statuses
    ).count()
    if upcoming:
        visits = "visit" if upcoming == 1 else "visits"
        raise ValidationError(
            f"{locked.full_name} has {upcoming} upcoming {visits}. "
            "Cancel them before archiving, so no reminder goes out."
        )
    locked.archived_at = now
    locked.save(update_fields=["archived_at", "updated_at"])
    client.archived_at = locked.archived_at
    audit_record(
        context,
        AuditEvent.Action.CHANGE,
        client,
        client_id=client.pk,
        summary="Archived the client",
    )
    return client


@transaction.atomic
def client_unarchive(*, client: Client, by: User, context: AuditContext) -> Client:
    """Bring an archived client back to the lists."""
    locked = _locked(client)
    if locked.archived_at is None:
        raise ValidationError(f"{locked.full_name} is not archived.")
    merged = (
        ClientMerge.objects.filter(duplicate=locked)
        .exclude(status=ClientMerge.Status.UNDONE)
        .first()
    )
    if merged is not None:
        raise ValidationError(
            f"This record was merged into record #{merged.kept_id}: "
            + (
                "undo the merge on that chart instead."
                if merged.is_pending
                else "the merge is confirmed, so it stays archived."
            )
        )
    locked.archived_at = None
    locked.save(update_fields=["archived_at", "updated_at"])
    client.archived_at = None
    audit_record(
        context,
        AuditEvent.Action.CHANGE,
        client,
        client_id=client.pk,
        summary="Unarchived the client",
    )
    return client
