"""The import pages: upload, progress, review and choices, start, leftovers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.imports.models import ClientImport, ClientImportRow
from clients.imports.services import client_import_check, client_import_run
from clients.models import Client
from clients.tests.factories import ClientFactory

NOW = datetime(2026, 11, 30, 15, tzinfo=UTC)
FILE = (
    "First name,Last name,Date of birth,Phone,Email,Insurance ID\r\n"
    "Jane,Doe,1975-03-09,518 555 0101,,A1\r\n"
    "Bob,Miller,1975-03-09,5185550199,,A2\r\n"
    "Sam,Lee,,12,,A3\r\n"
)


def _post_file(client, content: str | bytes, name="clients.csv"):
    data = content.encode() if isinstance(content, str) else content
    return client.post(
        reverse("clients:imports"),
        {"file": SimpleUploadedFile(name, data, content_type="text/csv")},
    )


@pytest.fixture
def checked(client, manager, django_capture_on_commit_callbacks):
    ClientFactory(
        first_name="Robert", last_name="Miller", date_of_birth=date(1975, 3, 9)
    )
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _post_file(client, FILE)
    assert len(callbacks) == 1  # the check is handed to a worker
    client_import = ClientImport.objects.get()
    assert response.url == reverse("clients:import", args=[client_import.pk])
    return client_import_check(client_import=client_import, now=NOW)


@pytest.mark.parametrize("persona", ["front_desk", "therapist"])
def test_the_import_pages_are_for_the_manager_only(db, client, persona, request):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    assert client.get(reverse("clients:imports")).status_code == 403
    assert _post_file(client, FILE).status_code == 403
    assert not ClientImport.objects.exists()


def test_a_file_that_cannot_be_read_is_a_sentence_on_the_form(client, manager):
    client.force_login(manager)
    response = _post_file(client, "Phone,Email\r\n1,2\r\n")
    assert response.status_code == 400
    assert "needs a first name and a last name column" in response.content.decode()
    assert not ClientImport.objects.exists()
    response = client.post(reverse("clients:imports"), {})
    assert "Choose the file to import." in response.content.decode()


def test_while_checking_the_page_shows_progress_and_polls(client, manager):
    client.force_login(manager)
    _post_file(client, FILE)
    client_import = ClientImport.objects.get()
    page = client.get(reverse("clients:import", args=[client_import.pk])).content
    assert b"Checking row 0 of 3" in page and b'hx-trigger="every 1s"' in page
    fragment = client.get(reverse("clients:import_progress", args=[client_import.pk]))
    assert "HX-Refresh" not in fragment
    client_import_check(client_import=client_import, now=NOW)
    fragment = client.get(reverse("clients:import_progress", args=[client_import.pk]))
    assert fragment["HX-Refresh"] == "true"


def test_the_review_shows_each_kind_and_the_columns_left_out(client, checked):
    url = reverse("clients:import", args=[checked.pk])
    page = client.get(url).content.decode()
    assert "Columns left out (no client field reads them): Insurance ID." in page
    assert "<strong>1</strong> to register" in page
    assert "Likely already registered: <a" in page and "Robert Miller" in page
    assert "A phone number has 7 to 15 digits" in page
    assert "Register the clients ticked (1 so far)" in page
    problems = client.get(url, {"show": "problems"}).content.decode()
    assert "Sam" in problems and "Jane" not in problems


def test_the_review_page_costs_the_same_queries_at_3_and_60_rows(client, manager):
    client.force_login(manager)
    counts = []
    for rows in (3, 60):
        lines = [f"P{i},Q{i},,51855{i:05d},\r\n" for i in range(rows)]
        _post_file(
            client,
            "First name,Last name,Date of birth,Phone,Email\r\n" + "".join(lines),
        )
        client_import = ClientImport.objects.order_by("-pk").first()
        client_import_check(client_import=client_import, now=NOW)
        with CaptureQueriesContext(connection) as queries:
            assert (
                client.get(
                    reverse("clients:import", args=[client_import.pk])
                ).status_code
                == 200
            )
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


def test_choices_are_saved_and_a_row_with_problems_is_refused(client, checked):
    bob = checked.rows.get(line=3)
    sam = checked.rows.get(line=4)
    jane = checked.rows.get(line=2)
    url = reverse("clients:import_choose", args=[checked.pk])
    response = client.post(
        url,
        {
            "shown": [jane.pk, bob.pk],
            "register": [bob.pk],
            "back_query": "show=all&page=1",
        },
    )
    assert response.url.endswith("?show=all&page=1")
    jane.refresh_from_db()
    bob.refresh_from_db()
    assert (jane.decision, bob.decision) == ("skip", "register")
    response = client.post(url, {"shown": [sam.pk], "register": [sam.pk]}, follow=True)
    assert "Row 4 has problems to fix in the file first" in response.content.decode()
    odd = client.post(url, {"shown": [], "back_query": "show=x\r\nSet-Cookie: a=b"})
    assert odd.url == reverse("clients:import", args=[checked.pk])


def test_start_registers_in_a_worker_and_the_page_shows_what_was_done(
    client, checked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("clients:import_start", args=[checked.pk]))
    assert len(callbacks) == 1
    checked.refresh_from_db()
    assert checked.status == ClientImport.Status.IMPORTING
    again = client.post(reverse("clients:import_start", args=[checked.pk]), follow=True)
    assert "registering the clients: its choices can no longer change" in (
        again.content.decode()
    )
    client_import_run(client_import=checked, now=NOW)
    page = client.get(reverse("clients:import", args=[checked.pk])).content.decode()
    assert "<strong>1</strong> client registered" in page
    assert "<strong>2</strong> rows not imported" in page
    jane = Client.objects.get(last_name="Doe")
    assert f'href="/clients/{jane.pk}/"' in page
    leftover = client.get(reverse("clients:import_leftover", args=[checked.pk]))
    text = leftover.content.decode()
    assert leftover["Content-Type"].startswith("text/csv")
    assert (
        "Miller" in text and "Likely already registered" in text and "Doe" not in text
    )


def test_register_counts_the_ticks_not_yet_saved(
    client, checked, django_capture_on_commit_callbacks
):
    jane, bob = checked.rows.get(line=2), checked.rows.get(line=3)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(
            reverse("clients:import_start", args=[checked.pk]),
            {"shown": [jane.pk, bob.pk], "register": [jane.pk, bob.pk]},
        )
    assert len(callbacks) == 1
    checked.refresh_from_db()
    assert checked.status == ClientImport.Status.IMPORTING
    bob.refresh_from_db()
    assert bob.decision == ClientImportRow.Decision.REGISTER


def test_discard_and_the_template(client, checked):
    template = client.get(reverse("clients:import_template")).content.decode()
    assert template.startswith("First name,Last name,Preferred name,")
    response = client.post(reverse("clients:import_discard", args=[checked.pk]))
    assert response.url == reverse("clients:imports")
    checked.refresh_from_db()
    assert checked.status == ClientImport.Status.DISCARDED
    assert ClientImportRow.objects.filter(client__isnull=False).count() == 0
