"""In Chromium: the New client page offers the existing record; a manager merges a
duplicate into a chart, sees it there, and undoes it."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from clients.models import Client, ClientMerge
from clients.tests.factories import ClientFactory
from clients.tests.test_merge import _history
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.tests.factories import visit_with_note

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]
BORN = date(1975, 3, 9)


def test_the_new_client_page_offers_the_existing_record(page, screenshot, front_desk):
    robert = ClientFactory(
        first_name="Robert",
        last_name="Miller",
        date_of_birth=BORN,
        phone="212 555 0142",
    )
    sign_in_through_the_page(page, "frontdesk")
    page.goto("/clients/new/")
    page.get_by_label("First name").fill("Bob")
    page.get_by_label("Last name").fill("Miller")
    page.get_by_label("Date of birth").fill("1975-03-09")
    page.get_by_label("Phone", exact=True).fill("(518) 555-0100")
    page.get_by_role("button", name="Register client").click()

    warning = page.get_by_role("alert").filter(has_text="may already be registered")
    expect(warning).to_contain_text("Miller, Robert")
    expect(warning).to_contain_text("same birth date and a similar name")
    expect(page.get_by_label("First name")).to_have_value("Bob")
    screenshot("new-client-duplicate-warning")
    assert Client.objects.count() == 1

    page.get_by_label("This is a different person").check()
    page.get_by_role("button", name="Register client").click()
    expect(page.get_by_role("heading", name="Bob Miller")).to_be_visible()
    assert Client.objects.count() == 2

    page.goto("/clients/new/")
    page.get_by_label("First name").fill("Robert")
    page.get_by_label("Last name").fill("Miller")
    page.get_by_label("Date of birth").fill("1975-03-09")
    page.get_by_label("Phone", exact=True).fill("212-555-0142")
    page.get_by_role("button", name="Register client").click()
    page.get_by_role("link", name="Use this client: Robert Miller").click()
    expect(page).to_have_url(re.compile(f"/clients/{robert.pk}/$"))


def test_a_manager_merges_a_duplicate_and_undoes_it(page, screenshot, manager):
    kept = ClientFactory(first_name="Robert", last_name="Miller", date_of_birth=BORN)
    duplicate = ClientFactory(first_name="Bob", last_name="Miller", date_of_birth=BORN)
    visit = visit_with_note(client=duplicate)
    # Both have an intake version 1: the merge numbers them by date.
    _history(kept, submitted_at=datetime(2025, 4, 2, 15, tzinfo=UTC))
    newest = _history(duplicate, submitted_at=datetime(2026, 1, 12, 15, tzinfo=UTC))
    sign_in_through_the_page(page, "manager")
    page.goto(f"/clients/{kept.pk}/")
    page.get_by_role("link", name="Merge a duplicate record").click()
    page.get_by_label(re.compile(r"Bob Miller \(#")).check()
    page.get_by_role("button", name="See what would move").click()
    table = page.get_by_role("table", name="Rows that move")
    expect(table).to_contain_text("Visits")
    expect(table).to_contain_text("Notes")
    expect(page.get_by_role("note")).to_contain_text("one list of 2 versions")
    screenshot("merge-1-preview")
    page.get_by_role("button", name=re.compile("Merge #")).click()
    expect(
        page.get_by_text("a therapist should read the combined safety")
    ).to_be_visible()

    notice = page.get_by_role("status").filter(has_text="was merged into this one")
    expect(notice).to_be_visible()
    screenshot("merge-2-chart-after-merge")
    visit.refresh_from_db()
    assert visit.client_id == kept.pk
    newest.refresh_from_db()
    assert (newest.client_id, newest.version) == (kept.pk, 2)

    page.goto(f"/clients/{duplicate.pk}/")
    expect(page.get_by_text("This record was merged into")).to_be_visible()
    screenshot("merge-3-duplicate-chart")
    page.get_by_role("link", name=re.compile("Robert Miller")).first.click()
    page.get_by_role("button", name="Undo the merge").click()
    expect(page.get_by_text("Undid the merge")).to_be_visible()
    screenshot("merge-4-undone")
    visit.refresh_from_db()
    assert visit.client_id == duplicate.pk
    assert ClientMerge.objects.get().status == ClientMerge.Status.UNDONE
    newest.refresh_from_db()
    assert (newest.client_id, newest.version) == (duplicate.pk, 1)


def test_a_conflict_is_explained_on_the_merge_page(page, screenshot, manager):
    from datetime import UTC, datetime, timedelta

    from sessions.tests.factories import AppointmentFactory

    kept = ClientFactory(first_name="Robert", last_name="Miller", date_of_birth=BORN)
    duplicate = ClientFactory(first_name="Bob", last_name="Miller", date_of_birth=BORN)
    start = datetime(2026, 12, 1, 15, tzinfo=UTC)
    AppointmentFactory(client=kept, starts_at=start)
    AppointmentFactory(
        client=duplicate,
        starts_at=start + timedelta(minutes=30),
        ends_at=start + timedelta(minutes=90),
    )
    sign_in_through_the_page(page, "manager")
    page.goto(f"/clients/{kept.pk}/merge/?duplicate={duplicate.pk}")
    alert = page.get_by_role("alert").filter(has_text="cannot be merged yet")
    expect(alert).to_contain_text("overlaps")
    expect(page.get_by_role("button", name=re.compile("Merge #"))).to_have_count(0)
    screenshot("merge-5-conflict")


def test_an_edit_that_matches_another_record_is_shown_first(
    page, screenshot, front_desk
):
    ClientFactory(first_name="Robert", last_name="Miller", phone="212 555 0142")
    ann = ClientFactory(first_name="Ann", last_name="Ray", phone="518 555 0111")
    sign_in_through_the_page(page, "frontdesk")
    page.goto(f"/clients/{ann.pk}/edit/")
    page.get_by_label("Phone", exact=True).fill("(212) 555-0142")
    page.get_by_role("button", name="Save changes").click()
    warning = page.get_by_role("alert").filter(has_text="this record looks like")
    expect(warning).to_contain_text("Miller, Robert")
    expect(warning).to_contain_text("same phone")
    screenshot("edit-client-duplicate-warning")
    page.get_by_label("This is a different person: save the changes").check()
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved the details of Ann Ray.")).to_be_visible()
