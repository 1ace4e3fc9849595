"""Import clients from a file: upload, check, choose, register, discard.

Upload stores the rows and hands the checking to a worker; the worker checks rows in
batches, writing its progress with each batch, so a killed worker's task (acked
late, delivered again) goes on from the last batch. Each row is registered in its
own transaction with its audit row and the row's link to the new client, so a row
is registered once however often the task runs. Registering asks
`client_duplicates` again, for clients registered at the desk since the check.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from celery import current_app
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from clients.client_services import client_create
from clients.duplicates import DuplicateMatch, client_duplicates
from clients.imports.checking import (
    IMPORTED_FIELDS,
    FileRows,
    duplicate_fields,
    row_fields,
)
from clients.imports.models import ClientImport, ClientImportRow
from clients.imports.reading import FORMULA_START, HEADINGS, read_clients_file
from massageclinic.audit import AuditContext
from massageclinic.clock import local_today
from massageclinic.roles import Role, user_roles

CHECK_TASK = "clients.tasks.check_client_import"
RUN_TASK = "clients.tasks.run_client_import"
BATCH = 200
Status = ClientImport.Status
Decision = ClientImportRow.Decision


def can_import(user: Any) -> bool:
    return Role.MANAGER in user_roles(user)


def _require_manager(user: Any) -> None:
    if not can_import(user):
        raise PermissionDenied("Only a clinic manager can import clients.")


def _enqueue(task: str, client_import: ClientImport) -> None:
    pk = client_import.pk
    transaction.on_commit(lambda: current_app.send_task(task, args=[pk]))


def _locked(client_import: ClientImport) -> ClientImport:
    return ClientImport.objects.select_for_update().get(pk=client_import.pk)


# --- Upload and check --------------------------------------------------------------


@transaction.atomic
def client_import_upload(
    *, file_name: str, content: bytes, by: User, now: datetime
) -> ClientImport:
    """Store a file's rows and have a worker check them.

    ValidationError with a sentence when the file cannot be read; nothing is kept.
    """
    _require_manager(by)
    read = read_clients_file(content)
    client_import = ClientImport.objects.create(
        file_name=(file_name or "clients.csv")[-255:],
        uploaded_by=by,
        uploaded_at=now,
        columns={"used": read.used, "ignored": read.ignored},
        total_rows=len(read.rows),
    )
    ClientImportRow.objects.bulk_create(
        (
            ClientImportRow(client_import=client_import, line=line, values=values)
            for line, values in read.rows
        ),
        batch_size=1000,
    )
    _enqueue(CHECK_TASK, client_import)
    return client_import


def _check_row(
    row: ClientImportRow, seen: FileRows, *, today: date, now: datetime
) -> None:
    fields, row.problems = row_fields(row.values, today=today)
    wanted = duplicate_fields(fields)
    row.matches = [
        {"client": match.client.pk, "why": match.why}
        for match in client_duplicates(**wanted, now=now)
    ]
    row.same_as_line = seen.same_person(fields)
    seen.add(row.line, fields)
    row.checked = True
    # A likely duplicate is skipped unless the manager says it is someone else.
    row.decision = (
        Decision.SKIP
        if row.problems or row.matches or row.same_as_line
        else Decision.REGISTER
    )


def client_import_check(*, client_import: ClientImport, now: datetime) -> ClientImport:
    """Check every unchecked row (the worker's task), BATCH rows per transaction,
    each writing the progress the page shows."""
    rows = client_import.rows.order_by("line")
    seen = FileRows()
    today = local_today(now=now)
    for row in rows.filter(checked=True):
        seen.add(row.line, row_fields(row.values, today=today)[0])
    while True:
        with transaction.atomic():
            locked = _locked(client_import)
            if locked.status != Status.CHECKING:
                return locked
            batch = list(rows.filter(checked=False)[:BATCH])
            for row in batch:
                _check_row(row, seen, today=today, now=now)
            ClientImportRow.objects.bulk_update(
                batch,
                ["problems", "matches", "same_as_line", "checked", "decision"],
            )
            locked.checked_rows = rows.filter(checked=True).count()
            if not batch:
                locked.status = Status.CHECKED
            locked.save(update_fields=["checked_rows", "status"])
        if not batch:
            return locked


# --- Choose ------------------------------------------------------------------------


def _require_checked(client_import: ClientImport) -> ClientImport:
    locked = _locked(client_import)
    if locked.status != Status.CHECKED:
        raise ValidationError(
            f"This import is {locked.get_status_display().lower()}: its choices "
            "can no longer change."
        )
    return locked


@transaction.atomic
def client_import_choose(
    *,
    client_import: ClientImport,
    shown: Iterable[int],
    register: Iterable[int],
    by: User,
) -> int:
    """Of the rows shown (pks), register those in `register` and skip the others.

    A row with problems cannot be registered: fix it in the file and upload again.
    Returns how many rows will be registered among those shown.
    """
    _require_manager(by)
    client_import = _require_checked(client_import)
    rows = client_import.rows.filter(pk__in=list(shown))
    wanted = set(register)
    bad = rows.filter(pk__in=wanted).exclude(problems=[])
    if bad.exists():
        lines = ", ".join(str(line) for line in bad.values_list("line", flat=True))
        raise ValidationError(
            f"Row {lines} has problems to fix in the file first; it cannot be "
            "registered."
        )
    rows.filter(pk__in=wanted).update(decision=Decision.REGISTER)
    rows.exclude(pk__in=wanted).update(decision=Decision.SKIP)
    return rows.filter(decision=Decision.REGISTER).count()


# --- Register ----------------------------------------------------------------------


@transaction.atomic
def client_import_start(
    *, client_import: ClientImport, by: User, now: datetime, context: AuditContext
) -> ClientImport:
    """Register the chosen rows (in a worker). A second click finds it started."""
    _require_manager(by)
    client_import = _require_checked(client_import)
    client_import.status = Status.IMPORTING
    client_import.started_by = by
    client_import.started_at = now
    client_import.started_from = context.ip_address
    client_import.save(
        update_fields=["status", "started_by", "started_at", "started_from"]
    )
    _enqueue(RUN_TASK, client_import)
    return client_import


def _registered_since(
    row: ClientImportRow, fields: dict[str, Any], now: datetime
) -> DuplicateMatch | None:
    """A client registered since the check who is likely this row's person."""
    if row.matches or row.same_as_line:
        return None  # the manager saw those and chose to register anyway
    found = client_duplicates(**duplicate_fields(fields), now=now)
    return found[0] if found else None


def _register_row(
    row_pk: int, *, by: User, now: datetime, context: AuditContext
) -> None:
    with transaction.atomic():
        row = ClientImportRow.objects.select_for_update().get(pk=row_pk)
        if row.client_id is not None or row.decision != Decision.REGISTER:
            return
        today = local_today(now=now)
        fields, problems = row_fields(row.values, today=today)
        since = None if problems else _registered_since(row, fields, now)
        if problems:
            row.outcome = "; ".join(problems)
        elif since is not None:
            row.outcome = (
                f"Not registered: {since.client.full_name} (#{since.client.pk}) "
                f"was registered since the check ({since.why})."
            )
        if row.outcome:
            row.save(update_fields=["outcome"])
            return
        row.client = client_create(
            by=by,
            today=today,
            context=context,
            summary=f"Registered the client from import #{row.client_import_id}, "
            f"row {row.line}",
            **{name: fields[name] for name in IMPORTED_FIELDS if name in fields},
        )
        row.save(update_fields=["client"])


def client_import_run(*, client_import: ClientImport, now: datetime) -> ClientImport:
    """Register each chosen row (the worker's task), each in its own transaction."""
    client_import.refresh_from_db()
    if client_import.status != Status.IMPORTING or client_import.started_by is None:
        return client_import
    by = client_import.started_by
    context = AuditContext(
        user=by,
        ip_address=client_import.started_from,
        path=f"task:client-import/{client_import.pk}",
    )
    waiting = client_import.rows.filter(
        decision=Decision.REGISTER, client__isnull=True, outcome=""
    )
    pks = list(waiting.order_by("line").values_list("pk", flat=True))
    for start in range(0, len(pks), BATCH // 4):
        for pk in pks[start : start + BATCH // 4]:
            _register_row(pk, by=by, now=now, context=context)
        _count_registered(client_import)
    with transaction.atomic():
        locked = _locked(client_import)
        if locked.status == Status.IMPORTING:
            locked.status = Status.DONE
            locked.finished_at = now
            locked.imported_rows = locked.rows.filter(client__isnull=False).count()
            locked.save(update_fields=["status", "finished_at", "imported_rows"])
    return locked


def _count_registered(client_import: ClientImport) -> None:
    ClientImport.objects.filter(pk=client_import.pk).update(
        imported_rows=client_import.rows.filter(client__isnull=False).count()
    )


# --- Discard, and the rows left over ------------------------------------------------


@transaction.atomic
def client_import_discard(*, client_import: ClientImport, by: User) -> ClientImport:
    """Give up an import not yet started (or still being checked)."""
    _require_manager(by)
    locked = _locked(client_import)
    if locked.status not in (Status.CHECKING, Status.CHECKED):
        raise ValidationError(
            f"This import is {locked.get_status_display().lower()}: it can no "
            "longer be discarded."
        )
    locked.status = Status.DISCARDED
    locked.save(update_fields=["status"])
    return locked


def _cell(value: str) -> str:
    return f"'{value}" if value.startswith(FORMULA_START) else value


def rows_not_imported_csv(client_import: ClientImport) -> str:
    """The rows not registered, as a CSV to fix and upload again, with why."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        [
            *(HEADINGS[name][0].capitalize() for name in IMPORTED_FIELDS),
            "Why not imported (row)",
        ]
    )
    rows = client_import.rows.filter(client__isnull=True).order_by("line")
    for row in rows.iterator():
        values = dict(row.values)
        values["email_reminders"] = "yes" if values.get("email_reminders") else "no"
        writer.writerow(
            [
                *(_cell(str(values.get(name, ""))) for name in IMPORTED_FIELDS),
                _cell(f"{why_not_imported(row)} (row {row.line})"),
            ]
        )
    return out.getvalue()


def why_not_imported(row: ClientImportRow) -> str:
    """In a sentence, why a row was not (or will not be) registered."""
    if row.problems:
        return "; ".join(row.problems)
    if row.outcome:
        return row.outcome
    if row.decision == Decision.SKIP and row.matches:
        return "Likely already registered: " + "; ".join(
            f"#{m['client']} ({m['why']})" for m in row.matches
        )
    if row.decision == Decision.SKIP and row.same_as_line:
        return f"Likely the same person as row {row.same_as_line}"
    if row.decision == Decision.SKIP:
        return "Skipped"
    return "Not registered yet"
