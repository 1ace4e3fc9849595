"""One row of an import, read as the New client page reads its form.

The page's form (`ClientForm`) parses the text (dates as YYYY-MM-DD or MM/DD/YYYY,
email and phone as typed there) and `client_check` applies the rules `client_create`
applies; the problems come back as sentences naming the column. Rows of one file
are also compared with each other, by the same evidence `client_duplicates` uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

from clients.client_services import client_check
from clients.duplicates import MIN_PHONE_KEY, names_similar, phone_key
from clients.forms.chart import ClientForm

# The page's fields a file may fill: all but the choices of a location or therapist,
# which the previous system's ids would not name.
NOT_IMPORTED = frozenset({"preferred_location", "preferred_therapist"})
IMPORTED_FIELDS = tuple(
    name for name in ClientForm.Meta.fields if name not in NOT_IMPORTED
)


def _label(form: ClientForm, name: str) -> str:
    if name in form.fields:
        return str(form.fields[name].label or name.replace("_", " ").capitalize())
    return ""


def _sentences(form: ClientForm, errors: Mapping[str, Iterable[str]]) -> list[str]:
    problems = []
    for name, messages in errors.items():
        label = _label(form, name)
        for message in messages:
            problems.append(f"{label}: {message}" if label else str(message))
    return problems


def row_fields(
    values: dict[str, str], *, today: date
) -> tuple[dict[str, Any], list[str]]:
    """The client's fields from a row's text, and what stops registering it.

    The fields are returned even with problems (as far as they parse), so that a
    row with a bad email is still compared with the existing clients.
    """
    data = {name: values.get(name, "") for name in IMPORTED_FIELDS}
    form = ClientForm(data=data)
    form.is_valid()
    fields = {
        name: form.cleaned_data[name]
        for name in IMPORTED_FIELDS
        if name in form.cleaned_data
    }
    if form.errors:
        return fields, _sentences(
            form, {k: [str(m) for m in v] for k, v in form.errors.items()}
        )
    try:
        client_check(today=today, **fields)
    except ValidationError as error:
        return fields, _sentences(form, error.message_dict)
    return fields, []


def duplicate_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The fields `client_duplicates` compares."""
    return {
        "first_name": fields.get("first_name") or "",
        "last_name": fields.get("last_name") or "",
        "date_of_birth": fields.get("date_of_birth"),
        "phone": fields.get("phone") or "",
        "email": fields.get("email") or "",
    }


@dataclass
class FileRows:
    """The rows of a file seen so far, to find a person listed twice in it."""

    by_phone: dict[str, int] = field(default_factory=dict)
    by_email: dict[str, int] = field(default_factory=dict)
    by_birth: dict[date, list[tuple[int, str, str]]] = field(default_factory=dict)

    def same_person(self, fields: dict[str, Any]) -> int | None:
        """The first earlier row likely the same person, by the rules of
        `client_duplicates`: the same phone, the same email, or the same birth
        date and a similar name."""
        key = phone_key(fields.get("phone") or "")
        if len(key) >= MIN_PHONE_KEY and key in self.by_phone:
            return self.by_phone[key]
        email = (fields.get("email") or "").strip().lower()
        if email and email in self.by_email:
            return self.by_email[email]
        born = fields.get("date_of_birth")
        for row, first, last in self.by_birth.get(born, []) if born else []:
            if names_similar(
                fields.get("first_name") or "",
                fields.get("last_name") or "",
                first,
                last,
            ):
                return row
        return None

    def add(self, row: int, fields: dict[str, Any]) -> None:
        key = phone_key(fields.get("phone") or "")
        if len(key) >= MIN_PHONE_KEY:
            self.by_phone.setdefault(key, row)
        email = (fields.get("email") or "").strip().lower()
        if email:
            self.by_email.setdefault(email, row)
        born = fields.get("date_of_birth")
        if born:
            self.by_birth.setdefault(born, []).append(
                (row, fields.get("first_name") or "", fields.get("last_name") or "")
            )
