"""In Chromium, with a real Celery worker: a manager imports a spreadsheet of clients,
watches it checked, keeps a likely duplicate that is someone else, and registers."""

from __future__ import annotations

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from clients.imports.models import ClientImport
from clients.models import Client
from clients.tests.factories import ClientFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.messaging.tests.test_delivery import Worker, _own_queue

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def _spreadsheet(tmp_path) -> str:
    lines = ["First Name,Last Name,DOB,Mobile,E-mail,Insurance ID"]
    lines += [
        f"Client{i},Example,1980-01-{i + 1:02d},(518) 555-{1000 + i},,INS{i}"
        for i in range(24)
    ]
    lines += [
        "Bob,Miller,03/09/1975,518-555-0300,,INS90",  # Robert Miller is registered
        "Kate,Jones,1990-06-01,518-555-0301,,INS91",  # Kate Jonas, a different person
        "Ann,Ray,,518 555 0302,ann@example.org,INS92",
        "Annie,Ray,,,ANN@example.org,INS93",  # row 28 listed again
        "Sam,Lee,,12,,INS94",  # a phone of two digits
    ]
    path = tmp_path / "old-system-clients.csv"
    path.write_text("\r\n".join(lines) + "\r\n")
    return str(path)


def test_a_manager_imports_a_spreadsheet_of_clients(
    page, screenshot, manager, tmp_path
):
    ClientFactory(
        first_name="Robert", last_name="Miller", date_of_birth=date(1975, 3, 9)
    )
    ClientFactory(
        first_name="Kate",
        last_name="Jonas",
        date_of_birth=date(1990, 6, 1),
        phone="(212) 555-0199",
    )
    sign_in_through_the_page(page, "manager")
    page.get_by_role("button", name="Manage").click()
    page.get_by_role("link", name="Import clients").click()
    expect(page.get_by_role("heading", name="Import clients")).to_be_visible()
    screenshot("import-1-upload")

    # The tasks go to a queue of our own; its worker starts after the upload, so
    # the page is seen while the check waits.
    with _own_queue() as queue:
        page.get_by_label("Spreadsheet saved as CSV").set_input_files(
            _spreadsheet(tmp_path)
        )
        page.get_by_role("button", name="Upload and check").click()
        expect(page.get_by_text("Checking row 0 of 29")).to_be_visible()
        expect(
            page.get_by_text(
                "Columns left out (no client field reads them): Insurance ID"
            )
        ).to_be_visible()
        screenshot("import-2-checking")
        worker = Worker(
            queue=queue, smtp_port=1, log=tmp_path / "worker.log", concurrency=1
        )
        try:
            # Nobody reloads: the progress fragment does it when the check ends.
            expect(
                page.get_by_role("heading", name="What the check found")
            ).to_be_visible(timeout=30_000)
            expect(page.get_by_text("25 to register")).to_be_visible()
            expect(page.get_by_text("3 likely already registered")).to_be_visible()
            expect(page.get_by_text("1 with problems")).to_be_visible()
            screenshot("import-3-review")

            page.get_by_role("link", name="With problems").click()
            expect(page.get_by_role("table", name="Rows of the file")).to_contain_text(
                "A phone number has 7 to 15 digits"
            )
            expect(page.get_by_label(re.compile("Register row 30"))).to_be_disabled()

            page.get_by_role("link", name="Likely already registered").click()
            rows = page.get_by_role("table", name="Rows of the file")
            expect(rows).to_contain_text("Robert Miller")
            expect(rows).to_contain_text("Likely the same person as row 28 of the file")
            kate = page.get_by_label(re.compile(r"Register row 27: Kate Jones"))
            expect(kate).not_to_be_checked()
            kate.check()  # a different person; registered without saving first
            screenshot("import-4-choices")
            page.get_by_role(
                "button", name="Register the clients ticked (25 so far)"
            ).click()
            done = page.get_by_role("status").filter(has_text="clients registered")
            expect(done).to_be_visible(timeout=30_000)
            expect(done).to_contain_text("26 clients registered")
            expect(done).to_contain_text("3 rows not imported")
            screenshot("import-5-done")
        finally:
            worker.stop()

    client_import = ClientImport.objects.get()
    assert client_import.status == ClientImport.Status.DONE
    assert Client.objects.count() == 2 + 26
    assert Client.objects.filter(first_name="Kate").count() == 2
    assert not Client.objects.filter(first_name="Annie").exists()
    page.get_by_role("link", name="Registered").click()
    page.get_by_role("link", name=re.compile(r"^#\d+$")).first.click()
    expect(page.get_by_role("heading", name="Client0 Example")).to_be_visible()
