"""`make test` finds a Chromium for the browser tests, installs one, or stops at once."""

from __future__ import annotations

import pytest

from massageclinic import devstack
from massageclinic.devstack import SYSTEM_CHROMIUM, BrowserChoice, choose_browser

OWN = "/home/newcomer/.cache/ms-playwright/chromium-1200/chrome-linux/chrome"
CI = "/usr/bin/chromium"


def _choose(*, configured=None, usable=(), own=OWN, installed=None) -> BrowserChoice:
    return choose_browser(
        configured=configured,
        usable=set(usable),
        playwright_chromium=own,
        installed=installed,
    )


def test_it_uses_the_configured_browser_when_it_runs():
    assert _choose(configured=CI, usable={CI, OWN}) == BrowserChoice(executable=CI)


def test_a_configured_browser_that_is_missing_is_a_failure_not_an_install():
    choice = _choose(configured="/opt/chromium/chrome", usable={SYSTEM_CHROMIUM, OWN})
    assert choice.executable is None
    assert not choice.install
    assert "CHROMIUM_PATH=/opt/chromium/chrome" in choice.problem
    assert "apt-get install chromium" in choice.problem


def test_it_prefers_debians_chromium_to_playwrights():
    assert _choose(usable={SYSTEM_CHROMIUM, OWN}).executable == SYSTEM_CHROMIUM


def test_it_uses_playwrights_chromium_when_debians_is_missing():
    assert _choose(usable={OWN}).executable == OWN


def test_with_no_browser_it_asks_to_install_playwrights_once():
    assert _choose() == BrowserChoice(install=True)


def test_after_a_successful_install_it_uses_playwrights_chromium():
    assert _choose(usable={OWN}, installed=True).executable == OWN


def test_when_the_install_fails_it_says_what_to_install_in_one_line():
    choice = _choose(installed=False)
    assert choice.executable is None
    assert not choice.install
    assert "\n" not in choice.problem
    assert "apt-get install chromium" in choice.problem
    assert "playwright install --with-deps chromium" in choice.problem


def test_an_installed_browser_that_does_not_start_points_at_its_libraries():
    choice = _choose(installed=True)
    assert not choice.install
    assert "\n" not in choice.problem
    assert "install-deps" in choice.problem


def test_without_playwright_it_does_not_try_to_install():
    choice = _choose(own=None)
    assert not choice.install
    assert choice.problem == devstack.INSTALL_HINT


@pytest.fixture
def no_browser_anywhere(monkeypatch):
    """A fresh laptop: no CHROMIUM_PATH, nothing runs, and installing fails."""
    calls: list[list[str]] = []

    def fake_run(args, **kwargs):
        calls.append(list(args))

        class Done:
            returncode = 1

        return Done()

    monkeypatch.delenv("CHROMIUM_PATH", raising=False)
    monkeypatch.setattr(devstack, "_playwright_chromium", lambda: OWN)
    monkeypatch.setattr(devstack, "_runs", lambda path: False)
    monkeypatch.setattr(devstack.subprocess, "run", fake_run)
    return calls


def test_make_test_stops_before_pytest_with_one_line(
    no_browser_anywhere, monkeypatch, capsys
):
    def must_not_start():
        raise AssertionError("no database or pytest without a browser")

    monkeypatch.setattr(devstack, "services", must_not_start)
    assert devstack.test(["-q"]) == 1
    # It tried Playwright's install once, and ran nothing else (no pytest).
    assert no_browser_anywhere == [
        [devstack.PYTHON, "-m", "playwright", "install", "chromium"]
    ]
    err = capsys.readouterr().err
    assert err.strip() == devstack.INSTALL_HINT
    assert err.count("\n") == 1
