"""The waitlist in a real Chromium: the desk finds the client with the search (as on
the booking form), fills in what suits them and adds the entry."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import WaitlistEntry

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def test_the_desk_finds_the_client_and_adds_them_to_the_waitlist(
    page, screenshot, front_desk
):
    location = LocationFactory(name="Riverside Medical Massage")
    wanda = ClientFactory(first_name="Wanda", last_name="Waits")
    ClientFactory(first_name="Walter", last_name="Waite")
    sign_in_through_the_page(page, "frontdesk")
    page.goto("/waitlist/")
    expect(page.get_by_role("heading", name="Waitlist", exact=True)).to_be_visible()
    expect(page.locator("select[name=client]")).to_have_count(0)

    page.get_by_label("Find a client").press_sequentially("wait", delay=40)
    matches = page.get_by_role("list", name="Matching clients")
    expect(matches.get_by_role("button")).to_have_count(2)
    screenshot("waitlist-1-client-search")
    matches.get_by_role("button", name=re.compile("Waits, Wanda")).click()
    expect(page.locator("#chosen-client")).to_have_text("Wanda Waits")

    page.get_by_label("Location").select_option(label=location.name)
    page.get_by_label("Length (minutes)").fill("60")
    page.get_by_label("Until").fill("2027-12-31")
    page.get_by_label("Note").fill("Mornings only")
    screenshot("waitlist-2-client-chosen")
    # Enter adds once a client is chosen, also after htmx swapped the client in.
    page.get_by_label("Note").press("Enter")

    expect(page.get_by_text("Added to the waitlist.")).to_be_visible()
    expect(page.get_by_role("link", name="Wanda Waits")).to_be_visible()
    screenshot("waitlist-3-added")
    entry = WaitlistEntry.objects.get()
    assert entry.client == wanda and entry.note == "Mornings only"
