"""The error pages in a real Chromium: in the layout, with the way back (issue 13)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from massageclinic.tests.signing_in import sign_in_through_the_page

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def test_a_404_keeps_the_navigation_and_goes_back(page, screenshot, front_desk):
    sign_in_through_the_page(page, "frontdesk")
    page.get_by_role("link", name="Clients", exact=True).click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    page.goto("/clients/999999/")

    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("link", name="Calendar")).to_be_visible()
    screenshot("error-404")

    page.get_by_role("link", name="Go back").click()
    expect(page).to_have_url(re.compile(r"/clients/$"))
    page.goto("/clients/999999/")
    page.get_by_role("link", name="Back to Today").click()
    expect(page.get_by_role("heading", name="Today")).to_be_visible()


def test_an_anonymous_404_offers_the_sign_in(page, screenshot):
    page.goto("/no-such-page/")
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    screenshot("error-404-anonymous")
    page.get_by_role("link", name="Sign in").click()
    expect(page.get_by_label("Username")).to_be_visible()


def test_a_403_says_why_and_goes_back_to_today(page, screenshot, front_desk):
    sign_in_through_the_page(page, "frontdesk")
    page.goto("/notes/to-sign/")
    expect(
        page.get_by_role("heading", name="You cannot open this page")
    ).to_be_visible()
    expect(
        page.get_by_text("Your role does not give access to this page.")
    ).to_be_visible()
    screenshot("error-403")
    page.get_by_role("link", name="Back to Today").click()
    expect(page.get_by_role("link", name="Today", exact=True)).to_have_attribute(
        "aria-current", "page"
    )


def test_a_form_sent_with_a_stale_token_says_what_to_do(page, screenshot, front_desk):
    sign_in_through_the_page(page, "frontdesk")
    # As if the form had stayed open while the token changed in another tab.
    page.locator("form[action='/logout/'] input[name=csrfmiddlewaretoken]").evaluate(
        "input => { input.value = 'x'.repeat(64); }"
    )
    page.get_by_role("button", name="Log out").click()
    expect(
        page.get_by_text(
            "The form was open too long or in another tab: go back, reload and send "
            "it again."
        )
    ).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    screenshot("error-403-csrf")


@pytest.mark.urls("massageclinic.tests.error_urls")
def test_the_500_page_has_the_clinics_look_and_the_way_back(page, screenshot):
    response = page.goto("/test-broken/")
    assert response is not None and response.status == 500
    expect(
        page.get_by_role("heading", name="Something went wrong on our side")
    ).to_be_visible()
    # The clinic's CSS is applied: the card has Bootstrap's rounded white face.
    card = page.locator(".card").first
    expect(card).to_have_css("background-color", "rgb(255, 255, 255)")
    screenshot("error-500")
    page.get_by_role("link", name="Back to Today").click()
    expect(page.get_by_label("Username")).to_be_visible()
