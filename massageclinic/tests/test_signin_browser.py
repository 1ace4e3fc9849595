"""In a real Chromium: five wrong passwords lock the front desk out with a clear page,
the manager unlocks the user name on the lockouts page, and the right password works
again; the own-account page shows those sign-ins and changes the password."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from conftest import PASSWORD, SCREENSHOTS
from massageclinic.tests.factories import LocationFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


def _try(page, username: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


@pytest.fixture
def manager_page(browser, live_server, manager):
    """The manager, signed in already in a browser of their own.

    Every browser here comes from 127.0.0.1, which the front desk's failures lock;
    in the clinic the manager's session predates the lockout just the same.
    """
    client = Client()
    client.force_login(manager)
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(10_000)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda m: (
            refused.append(m.text) if "Content Security Policy" in m.text else None
        ),
    )
    yield page
    context.close()
    assert not refused, "The Content Security Policy blocked: " + "; ".join(refused)


def _shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def test_locked_out_after_five_failures_then_unlocked_by_the_manager(
    page, screenshot, manager_page, front_desk, settings
):
    settings.AXES_FAILURE_LIMIT = 5
    LocationFactory(time_zone="America/New_York")  # times in the clinic's zone
    for attempt in range(4):
        _try(page, "frontdesk", f"wrong {attempt}")
        expect(page.get_by_text("Please enter a correct username")).to_be_visible()

    _try(page, "frontdesk", "wrong again")
    expect(page.get_by_role("heading", name="Sign-in locked")).to_be_visible()
    expect(page.get_by_text("The user name frontdesk is locked")).to_be_visible()
    expect(page.get_by_text("It unlocks by itself at")).to_be_visible()
    expect(page.get_by_text("Ask the clinic manager to unlock it")).to_be_visible()
    screenshot("signin-locked-out")

    _try(page, "frontdesk", PASSWORD)  # the right password: still refused
    expect(page.get_by_role("heading", name="Sign-in locked")).to_be_visible()

    manager_page.goto("/")
    manager_page.get_by_role("button", name="Manage").click()
    manager_page.get_by_role("link", name="Lockouts").click()
    expect(manager_page.get_by_role("heading", name="Sign-in lockouts")).to_be_visible()
    row = manager_page.get_by_role("row").filter(has_text="frontdesk").first
    expect(row).to_contain_text("User name")
    _shot(manager_page, "signin-lockouts-manager")
    manager_page.get_by_role("button", name="Unlock user name frontdesk").click()
    expect(
        manager_page.get_by_text("Unlocked the user name frontdesk.")
    ).to_be_visible()
    expect(
        manager_page.get_by_text("No user name or address is locked right now.")
    ).to_be_visible()
    _shot(manager_page, "signin-lockouts-after-unlock")

    _try(page, "frontdesk", PASSWORD)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()

    page.get_by_role("link", name=re.compile("your account")).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    table = page.get_by_role("table")
    expect(table).to_contain_text("Signed in")
    expect(table).to_contain_text("Refused: locked out")
    expect(table).to_contain_text("Locked out")
    expect(table).to_contain_text("Failed: wrong password")
    screenshot("account-page")


def test_changing_your_own_password(page, screenshot, front_desk):
    _try(page, "frontdesk", PASSWORD)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    page.get_by_role("link", name=re.compile("your account")).click()
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    page.get_by_label("Old password").fill("not it")
    page.get_by_label(re.compile(r"New password\W*$")).fill("a new and long passphrase")
    page.get_by_label("New password confirmation").fill("a new and long passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(
        page.get_by_text("Your old password was entered incorrectly")
    ).to_be_visible()
    screenshot("account-password-error")

    page.get_by_label("Old password").fill(PASSWORD)
    page.get_by_label(re.compile(r"New password\W*$")).fill("a new and long passphrase")
    page.get_by_label("New password confirmation").fill("a new and long passphrase")
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password was changed.")).to_be_visible()
    screenshot("account-password-changed")

    page.get_by_role("button", name="Log out").click()
    _try(page, "frontdesk", "a new and long passphrase")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
