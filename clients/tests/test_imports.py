"""Importing clients from a file: reading, checking, choosing, registering."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.imports.models import ClientImport, ClientImportRow
from clients.imports.reading import read_clients_file
from clients.imports.services import (
    client_import_check,
    client_import_choose,
    client_import_discard,
    client_import_run,
    client_import_start,
    client_import_upload,
    rows_not_imported_csv,
)
from clients.models import Client
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent

NOW = datetime(2026, 11, 30, 15, tzinfo=UTC)
CTX = AuditContext(user=None, ip_address="127.0.0.1", path="test")
Decision = ClientImportRow.Decision
Status = ClientImport.Status


def _csv(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def _upload(manager, content: bytes, name="old-system.csv") -> ClientImport:
    return client_import_upload(file_name=name, content=content, by=manager, now=NOW)


def _checked(manager, content: bytes) -> ClientImport:
    return client_import_check(client_import=_upload(manager, content), now=NOW)


def _row(client_import: ClientImport, line: int) -> ClientImportRow:
    return client_import.rows.get(line=line)


# --- reading --------------------------------------------------------------------------


def test_headings_are_matched_by_their_words_and_unknown_ones_listed():
    read = read_clients_file(
        _csv(
            "First_Name,SURNAME,D.O.B.,Mobile Phone,E-mail,Insurance ID",
            "Jane,Doe,03/09/1975,518-555-0101,jane@example.org,XYZ1",
        )
    )
    assert read.used == {
        "First_Name": "first_name",
        "SURNAME": "last_name",
        "D.O.B.": "date_of_birth",
        "Mobile Phone": "phone",
        "E-mail": "email",
    }
    assert read.ignored == ["Insurance ID"]
    assert read.rows == [
        (
            2,
            {
                "first_name": "Jane",
                "last_name": "Doe",
                "date_of_birth": "03/09/1975",
                "phone": "518-555-0101",
                "email": "jane@example.org",
                "email_reminders": "on",  # no column for it: on, as on the page
            },
        )
    ]


def test_one_name_column_semicolons_windows_text_and_blank_rows():
    content = "Name;Phone\r\nDoe, Zoë;5185550101\r\n;\r\nMary Ann Smith;5185550102\r\n"
    read = read_clients_file(content.encode("cp1252"))
    on = {"email_reminders": "on"}
    assert [values for _, values in read.rows] == [
        {"first_name": "Zoë", "last_name": "Doe", "phone": "5185550101", **on},
        {"first_name": "Mary Ann", "last_name": "Smith", "phone": "5185550102", **on},
    ]
    assert [row for row, _ in read.rows] == [2, 4]  # as the spreadsheet numbers them


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (_csv("Phone,Email", "1,2"), "needs a first name and a last name"),
        (_csv("First name,Last name"), "no clients"),
        (b"PK\x03\x04\x00\x00binary", "not a CSV file"),
        (_csv("First name,Last name", 'Jane,"Doe'), "cannot be read"),
    ],
)
def test_a_file_that_cannot_be_read_is_one_sentence(content, message):
    with pytest.raises(ValidationError, match=message):
        read_clients_file(content)


# --- checking -------------------------------------------------------------------------


def test_rows_are_checked_by_the_new_client_pages_rules(manager):
    client_import = _checked(
        manager,
        _csv(
            "First name,Last name,Date of birth,Phone,Email",
            "Jane,Doe,1975-03-09,518 555 0101,",
            "Sam,Lee,2031-01-01,,sam@example",
            "Ann,Ray,,,",
            ",Stone,,5185550104,",
        ),
    )
    assert client_import.status == Status.CHECKED
    assert client_import.checked_rows == client_import.total_rows == 4
    assert _row(client_import, 2).problems == []
    assert _row(client_import, 2).decision == Decision.REGISTER
    sam = _row(client_import, 3).problems
    assert any(p.startswith("Email: Enter an email address") for p in sam)
    ann = _row(client_import, 4)
    assert ann.problems == [
        "Phone: Give at least a phone number or an email address, so the clinic "
        "can reach the client."
    ]
    assert ann.decision == Decision.SKIP
    assert _row(client_import, 5).problems == [
        "First name: Enter the client's first name."
    ]


def test_a_birth_date_in_the_future_is_the_services_rule(manager):
    client_import = _checked(
        manager,
        _csv("First name,Last name,Date of birth,Phone", "A,B,2031-01-01,5185550101"),
    )
    assert _row(client_import, 2).problems == [
        "Date of birth: The date of birth cannot be in the future."
    ]


def test_likely_duplicates_are_found_in_the_clinic_and_in_the_file(manager):
    robert = ClientFactory(
        first_name="Robert", last_name="Miller", date_of_birth=date(1975, 3, 9)
    )
    client_import = _checked(
        manager,
        _csv(
            "First name,Last name,Date of birth,Phone,Email",
            "Bob,Miller,1975-03-09,5185550199,",
            "Ann,Ray,,5185550150,ann@example.org",
            "Annie,Ray,,,ANN@example.org",
        ),
    )
    bob = _row(client_import, 2)
    assert bob.matches == [
        {"client": robert.pk, "why": "same birth date and a similar name"}
    ]
    assert bob.decision == Decision.SKIP
    assert _row(client_import, 3).decision == Decision.REGISTER
    annie = _row(client_import, 4)
    assert annie.same_as_line == 3 and annie.decision == Decision.SKIP


def test_checking_goes_on_after_a_killed_worker(manager, monkeypatch):
    monkeypatch.setattr("clients.imports.services.BATCH", 2)
    lines = [f"Client{i},Same,,51855501{i:02d}," for i in range(5)]
    client_import = _upload(
        manager,
        _csv("First name,Last name,Date of birth,Phone,Email", *lines, lines[0]),
    )
    calls = 0
    real = ClientImportRow.objects.bulk_update

    def dies_on_the_second_batch(*args, **kwargs):
        nonlocal calls
        calls += 1
        if calls == 2:
            raise SystemExit("killed")
        return real(*args, **kwargs)

    monkeypatch.setattr(
        ClientImportRow.objects, "bulk_update", dies_on_the_second_batch
    )
    with pytest.raises(SystemExit):
        client_import_check(client_import=client_import, now=NOW)
    client_import.refresh_from_db()
    assert client_import.checked_rows == 2 and client_import.status == Status.CHECKING
    monkeypatch.setattr(ClientImportRow.objects, "bulk_update", real)
    client_import = client_import_check(client_import=client_import, now=NOW)
    assert client_import.status == Status.CHECKED and client_import.checked_rows == 6
    # The repeated first line is found even though it was checked in a later run.
    assert _row(client_import, 7).same_as_line == 2


# --- choosing and registering ---------------------------------------------------------


def test_registering_creates_the_chosen_clients_with_their_audit_rows(manager):
    ClientFactory(first_name="Robert", last_name="Miller", phone="5185550199")
    client_import = _checked(
        manager,
        _csv(
            "First name,Last name,Phone,Email reminders",
            "Jane,Doe,5185550101,yes",
            "Bob,Miller,5185550199,no",
            "Ann,Ray,5185550102,no",
        ),
    )
    rows = {row.line: row for row in client_import.rows.all()}
    client_import_choose(
        client_import=client_import,
        shown=[r.pk for r in rows.values()],
        register=[rows[2].pk, rows[3].pk],
        by=manager,
    )
    client_import = client_import_start(
        client_import=client_import, by=manager, now=NOW, context=CTX
    )
    assert client_import.status == Status.IMPORTING
    client_import = client_import_run(client_import=client_import, now=NOW)
    assert client_import.status == Status.DONE and client_import.imported_rows == 2
    jane = Client.objects.get(last_name="Doe")
    assert jane.email_reminders is True
    assert Client.objects.filter(last_name="Miller").count() == 2  # chosen anyway
    assert not Client.objects.filter(last_name="Ray").exists()  # skipped
    event = AuditEvent.objects.get(client_id=jane.pk)
    assert (
        event.summary == f"Registered the client from import #{client_import.pk}, row 2"
    )
    assert event.user == manager and event.ip_address == "127.0.0.1"
    # Running again (a task delivered twice) registers nobody twice.
    client_import.status = Status.IMPORTING
    client_import.save()
    client_import_run(client_import=client_import, now=NOW)
    assert Client.objects.count() == 3


def test_a_client_registered_at_the_desk_since_the_check_is_not_registered_twice(
    manager,
):
    client_import = _checked(
        manager, _csv("First name,Last name,Phone", "Jane,Doe,5185550101")
    )
    desk = ClientFactory(first_name="Janet", last_name="Doe", phone="(518) 555-0101")
    client_import_start(client_import=client_import, by=manager, now=NOW, context=CTX)
    client_import = client_import_run(client_import=client_import, now=NOW)
    assert client_import.imported_rows == 0
    row = _row(client_import, 2)
    assert row.client is None
    assert f"#{desk.pk}" in row.outcome and "since the check" in row.outcome
    assert "since the check" in rows_not_imported_csv(client_import)


def test_clients_from_a_file_without_a_reminders_column_get_reminders(manager):
    client_import = _checked(
        manager, _csv("First name,Last name,Email", "Jo,Ng,jo@ex.org")
    )
    client_import_start(client_import=client_import, by=manager, now=NOW, context=CTX)
    client_import_run(client_import=client_import, now=NOW)
    assert Client.objects.get(last_name="Ng").email_reminders is True


def test_a_row_with_problems_cannot_be_chosen(manager):
    client_import = _checked(manager, _csv("First name,Last name,Phone", "Jane,Doe,12"))
    row = _row(client_import, 2)
    with pytest.raises(ValidationError, match="Row 2 has problems"):
        client_import_choose(
            client_import=client_import, shown=[row.pk], register=[row.pk], by=manager
        )


def test_a_second_start_and_late_choices_are_refused(manager):
    client_import = _checked(
        manager, _csv("First name,Last name,Phone", "Jane,Doe,5185550101")
    )
    client_import_start(client_import=client_import, by=manager, now=NOW, context=CTX)
    with pytest.raises(ValidationError, match="registering the clients"):
        client_import_start(
            client_import=client_import, by=manager, now=NOW, context=CTX
        )
    with pytest.raises(ValidationError, match="can no longer change"):
        client_import_choose(
            client_import=client_import, shown=[], register=[], by=manager
        )
    with pytest.raises(ValidationError, match="can no longer be discarded"):
        client_import_discard(client_import=client_import, by=manager)


def test_a_discarded_import_is_neither_checked_nor_run(manager):
    client_import = _upload(
        manager, _csv("First name,Last name,Phone", "Jane,Doe,5185550101")
    )
    client_import_discard(client_import=client_import, by=manager)
    client_import = client_import_check(client_import=client_import, now=NOW)
    assert client_import.status == Status.DISCARDED and client_import.checked_rows == 0
    client_import_run(client_import=client_import, now=NOW)
    assert not Client.objects.exists()


@pytest.mark.parametrize("persona", ["front_desk", "therapist"])
def test_only_a_manager_imports(db, persona, request):
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    with pytest.raises(PermissionDenied):
        _upload(user, _csv("First name,Last name,Phone", "Jane,Doe,5185550101"))


def test_notes_and_comments_columns_are_left_out():
    read = read_clients_file(
        _csv("First name,Last name,Phone,Notes,Comments", "A,B,5185550101,warfarin,x")
    )
    assert read.ignored == ["Notes", "Comments"]
    assert "preferences" not in read.rows[0][1]


def test_a_row_fixed_in_the_leftover_csv_comes_back_as_it_was(manager):
    client_import = _checked(
        manager,
        _csv("First name,Last name,Phone,Email", "Jane,Doe,+1 518 555 0101,bad"),
    )
    text = rows_not_imported_csv(client_import)
    assert ",'+1 518 555 0101," in text  # kept from running as a formula
    fixed = text.replace(",bad,", ",jane@example.org,")
    again = read_clients_file(fixed.encode())
    assert again.rows[0][1]["phone"] == "+1 518 555 0101"
    assert again.rows[0][1]["email_reminders"] == "on"


def test_the_rows_left_over_are_a_csv_safe_to_open(manager):
    client_import = _checked(
        manager, _csv("First name,Last name,Phone", "=HYPERLINK(1),Doe,12")
    )
    text = rows_not_imported_csv(client_import)
    header, line = text.splitlines()[:2]
    assert header.startswith("First name,Last name,")
    assert line.startswith("'=HYPERLINK(1),Doe,")
    assert "A phone number has 7 to 15 digits" in line and "(row 2)" in line
    again = read_clients_file(text.encode())
    assert again.rows[0][1]["last_name"] == "Doe"


# --- properties -----------------------------------------------------------------------

names = st.sampled_from(["Jane", "Jon", "John", "Ann", "Anne", "Bob", "Robert"])
surnames = st.sampled_from(["Doe", "Roe", "Miller", "Miler"])
phones = st.sampled_from(["", "5185550101", "(518) 555-0101", "5185550102", "12"])
emails = st.sampled_from(["", "a@example.org", "A@Example.org", "b@example.org", "bad"])
births = st.sampled_from(["", "1975-03-09", "03/09/1975", "1980-01-01", "1975-13-01"])
row = st.tuples(names, surnames, births, phones, emails)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(existing=st.lists(row, max_size=3), rows=st.lists(row, min_size=1, max_size=6))
def test_an_import_registers_exactly_the_rows_the_new_client_page_would(
    manager, existing, rows
):
    """Every row without problems and without a likely duplicate (in the clinic or
    earlier in the file) is registered once; every other row is left, with why."""
    from django.db import transaction

    from clients.duplicates import client_duplicates
    from clients.imports.checking import duplicate_fields, row_fields
    from massageclinic.clock import local_today

    with transaction.atomic():
        for first, last, born, phone, email in existing:
            ClientFactory(
                first_name=first,
                last_name=last,
                date_of_birth=date(1975, 3, 9) if born else None,
                phone=phone if len(phone) > 6 else "5185550999",
                email=email if "@" in email else "",
            )
        before = Client.objects.count()
        lines = [",".join(r) for r in rows]
        client_import = _checked(
            manager, _csv("First name,Last name,Date of birth,Phone,Email", *lines)
        )
        today = local_today(now=NOW)
        expected = 0
        earlier: list[dict] = []
        for line, (first, last, born, phone, email) in enumerate(rows, start=2):
            values = {
                "first_name": first,
                "last_name": last,
                "date_of_birth": born,
                "phone": phone,
                "email": email,
            }
            fields, problems = row_fields(values, today=today)
            checked = _row(client_import, line)
            assert checked.problems == problems
            in_clinic = client_duplicates(**duplicate_fields(fields), now=NOW)
            in_file = any(client_duplicates_among(fields, other) for other in earlier)
            earlier.append(fields)
            assert bool(checked.matches) == bool(in_clinic)
            assert (checked.same_as_line is not None) == in_file
            if not (problems or in_clinic or in_file):
                expected += 1
        client_import_start(
            client_import=client_import, by=manager, now=NOW, context=CTX
        )
        client_import = client_import_run(client_import=client_import, now=NOW)
        assert (
            Client.objects.count()
            == before + expected
            == before + client_import.imported_rows
        )
        transaction.set_rollback(True)


def client_duplicates_among(fields: dict, other: dict) -> bool:
    """The rule of `client_duplicates`, for two rows of one file."""
    from clients.duplicates import names_similar, phone_key

    key = phone_key(fields.get("phone") or "")
    if len(key) >= 7 and key == phone_key(other.get("phone") or ""):
        return True
    email = (fields.get("email") or "").lower()
    if email and email == (other.get("email") or "").lower():
        return True
    born = fields.get("date_of_birth")
    return bool(
        born
        and born == other.get("date_of_birth")
        and names_similar(
            fields["first_name"],
            fields["last_name"],
            other["first_name"],
            other["last_name"],
        )
    )


def test_every_field_a_file_may_fill_has_its_headings():
    """A field added to the New client page is read from files too, once it has
    headings (the template and the leftover CSV write its first one)."""
    from clients.imports.checking import IMPORTED_FIELDS
    from clients.imports.reading import HEADINGS

    assert set(IMPORTED_FIELDS) <= set(HEADINGS)
