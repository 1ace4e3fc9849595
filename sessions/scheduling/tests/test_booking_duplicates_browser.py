"""In Chromium: the booking page carries the searched name into the new-client
fields and, when the caller is already registered, offers the existing record."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from clients.models import Client
from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def test_a_returning_client_is_offered_instead_of_registered_again(
    page, screenshot, front_desk
):
    location = LocationFactory(name="Riverside", time_zone="America/New_York")
    RoomFactory(location=location, name="Maple Room")
    grace = ClientFactory(
        first_name="Grace",
        last_name="Okafor",
        phone="(518) 555-0101",
        email="grace.okafor@example.org",
    )
    sign_in_through_the_page(page, "frontdesk")
    page.goto(f"/book/?location={location.pk}")
    page.get_by_label("Find a client").press_sequentially("Gracie Okafor", delay=30)
    expect(page.get_by_text("No client matches")).to_be_visible()
    page.get_by_text("Register a new client").click()
    # What was searched for is already in the new-client fields.
    expect(page.get_by_label("First name")).to_have_value("Gracie")
    expect(page.get_by_label("Last name")).to_have_value("Okafor")
    page.get_by_label("Phone").fill("518.555.0101")
    screenshot("booking-dup-1-carried-name")
    page.get_by_role("button", name="Register and choose").click()

    warning = page.get_by_role("alert").filter(has_text="may already be registered")
    expect(warning).to_contain_text("Okafor, Grace")
    expect(warning).to_contain_text("same phone")
    expect(warning).to_contain_text("••• ••• 0101")
    expect(page.get_by_label("First name")).to_have_value("Gracie")  # nothing lost
    expect(page.get_by_label("This is a different person")).not_to_be_checked()
    screenshot("booking-dup-2-warning")
    assert Client.objects.count() == 1

    warning.get_by_role("button", name=re.compile("Use this client")).click()
    card = page.get_by_role("region", name="Client")
    expect(card).to_contain_text("Grace Okafor")
    expect(page.locator("input[name=client]")).to_have_value(str(grace.pk))
    screenshot("booking-dup-3-existing-chosen")
    assert Client.objects.count() == 1


def test_a_different_person_is_registered_once_ticked(page, screenshot, front_desk):
    location = LocationFactory(name="Riverside", time_zone="America/New_York")
    RoomFactory(location=location, name="Maple Room")
    ClientFactory(first_name="Anna", last_name="Smith", email="smiths@example.org")
    sign_in_through_the_page(page, "frontdesk")
    page.goto(f"/book/?location={location.pk}")
    page.get_by_label("Find a client").press_sequentially("Emma Smith", delay=30)
    expect(page.get_by_text("No client matches")).to_be_visible()
    page.get_by_text("Register a new client").click()
    page.get_by_label("Email").fill("smiths@example.org")
    # Whatever answer to the typing came first, the name follows the whole search.
    expect(page.get_by_label("Last name")).to_have_value("Smith")
    expect(page.get_by_label("Email")).to_have_value("smiths@example.org")
    page.get_by_role("button", name="Register and choose").click()
    expect(page.get_by_role("alert")).to_contain_text("Smith, Anna")
    page.get_by_label("This is a different person").check()
    screenshot("booking-dup-4-different-person")
    page.get_by_role("button", name="Register and choose").click()
    expect(page.get_by_role("region", name="Client")).to_contain_text("Emma Smith")
    assert Client.objects.filter(first_name="Emma").count() == 1


def test_the_name_follows_the_search_while_the_email_is_typed(
    page, screenshot, front_desk
):
    location = LocationFactory(name="Riverside", time_zone="America/New_York")
    RoomFactory(location=location, name="Maple Room")
    sign_in_through_the_page(page, "frontdesk")
    page.goto(f"/book/?location={location.pk}")
    search = page.get_by_label("Find a client")
    search.press_sequentially("Emma Smi", delay=30)
    expect(page.get_by_text("No client matches “Emma Smi”")).to_be_visible()
    page.get_by_text("Register a new client").click()
    expect(page.get_by_label("Last name")).to_have_value("Smi")
    search.press("End")
    search.press_sequentially("th", delay=30)
    email = page.get_by_label("Email")
    email.fill("emma@example.org")
    expect(page.get_by_text("No client matches “Emma Smith”")).to_be_visible()
    expect(page.get_by_label("Last name")).to_have_value("Smith")
    expect(email).to_have_value("emma@example.org")
    expect(email).to_be_focused()
    screenshot("booking-dup-5-name-follows-search")
    page.get_by_role("button", name="Register and choose").click()
    expect(page.get_by_role("region", name="Client")).to_contain_text("Emma Smith")
