"""Persona fixtures shared by every app's tests (DESIGN.md section 4, point 8)."""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser, Group

from massageclinic.roles import Role
from massageclinic.tests.factories import UserFactory
from therapists.tests.factories import TherapistFactory

PASSWORD = "correct horse battery staple"


# --- Parallel runs (pytest-xdist): each worker its own Redis database -------------
#
# pytest-django gives each worker its own test database (test_<name>_gw0, _gw1...).
# Redis is shared, so each worker gets its own database number on it: the configured
# one plus one plus the worker's number (REDIS_URL=redis://h:6379/8: gw0 uses 9, gw1
# 10). It must be in the worker's environment before pytest-django reads the settings,
# which happens before this file is imported there; so the controller puts it in as
# soon as the worker's process exists, before pytest starts in it. A Celery worker
# that a test starts inherits it.


def redis_url_for_worker(url: str, worker: str) -> str:
    """REDIS_URL for the xdist worker `gw<n>`: the configured database + 1 + n."""
    index = int(worker.removeprefix("gw"))
    base, _, query = url.partition("?")
    head, _, db = base.rpartition("/")
    if not db.isdigit() or "//" not in head:  # no database in the URL: it is 0
        head, db = base.rstrip("/"), "0"
    return f"{head}/{int(db) + 1 + index}" + (f"?{query}" if query else "")


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_newgateway(gateway):
    url = os.environ.get("REDIS_URL")
    if not url:
        return
    channel = gateway.remote_exec(
        "import os; os.environ['REDIS_URL'] = channel.receive()"
    )
    channel.send(redis_url_for_worker(url, gateway.id))
    channel.waitclose()


@pytest.fixture(scope="session", autouse=True)
def _test_settings():
    """Serve static files straight from their sources, without collectstatic.

    Production uses the manifest storage, which needs collectstatic first. Session
    scope, so that it is in place before the live server builds its middleware.
    """
    from django.conf import settings
    from django.test import override_settings

    override = override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {
                "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
            },
        },
        WHITENOISE_AUTOREFRESH=True,
        WHITENOISE_USE_FINDERS=True,
        # A deliberately slow hash protects real passwords; tests need speed.
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )
    override.enable()
    yield
    override.disable()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The app runs as a least-privileged database role, not as the owner of its
    tables (issue 11): see massageclinic/tests/app_role.py."""
    from massageclinic.tests.app_role import app_role_for_tests

    with app_role_for_tests(django_db_blocker):
        yield


@pytest.fixture
def database_owner(db):
    """`with database_owner():` runs a test's own DDL as the owner of the tables."""
    from massageclinic.tests.app_role import as_database_owner

    return as_database_owner


def restore_reference_data() -> None:
    """Put back what the data migrations seeded (modalities, safety rules, roles).

    Transactional tests (the browser tests, whose live server needs committed data)
    empty every table afterwards; the next one needs the reference data again.
    """
    from django.apps import apps

    importlib.import_module("therapists.migrations.0002_seed_modalities").seed(
        apps, None
    )
    rules = apps.get_model("clients", "ContraindicationRule")
    if not rules.objects.exists():
        # After a flush only: on the migrated data 0006 has split rules by weeks,
        # which 0002's get_or_create would find twice.
        importlib.import_module(
            "clients.migrations.0002_seed_contraindication_rules"
        ).seed(apps, None)
    importlib.import_module("clients.migrations.0006_safety_rules_with_sources").seed(
        apps, None
    )
    importlib.import_module("clients.migrations.0008_rule_body_regions").seed(
        apps, None
    )
    importlib.import_module("sessions.migrations.0002_roles").grant_roles(apps)
    importlib.import_module(
        "sessions.migrations.0008_outbound_message"
    ).grant_outbound_message(apps)


@pytest.fixture
def reference_data(transactional_db):
    restore_reference_data()


def _user_with_role(username: str, role: Role, **extra):
    user = UserFactory(username=username, **extra)
    user.groups.add(Group.objects.get(name=role.value))
    return user


@pytest.fixture
def front_desk(db):
    return _user_with_role(
        "frontdesk", Role.FRONT_DESK, first_name="Fiona", last_name="Desk"
    )


@pytest.fixture
def manager(db):
    return _user_with_role("manager", Role.MANAGER, is_staff=True, first_name="Maria")


@pytest.fixture
def therapist(db):
    user = _user_with_role(
        "therapist", Role.THERAPIST, first_name="Tara", last_name="Hands"
    )
    return TherapistFactory(user=user)


@pytest.fixture
def other_therapist(db):
    user = _user_with_role(
        "other", Role.THERAPIST, first_name="Oscar", last_name="Kneads"
    )
    return TherapistFactory(user=user)


@pytest.fixture
def anonymous():
    return AnonymousUser()


# --- Browser tests: Playwright driving Debian's Chromium --------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent / "test-artifacts" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the session. A missing browser fails the test, never skips it.

    CHROMIUM_PATH when set (CI; `make test` sets it to the one it found), else
    Debian's /usr/bin/chromium, else Playwright's own if it is installed.
    """
    from playwright.sync_api import sync_playwright

    from massageclinic.devstack import SYSTEM_CHROMIUM, choose_browser

    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to
    # run while one is running unless told that this (test-only) use is safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        configured = os.environ.get("CHROMIUM_PATH") or None
        own = playwright.chromium.executable_path
        choice = choose_browser(
            configured=configured,
            usable={
                p for p in (configured, SYSTEM_CHROMIUM, own) if p and Path(p).exists()
            },
            playwright_chromium=own,
            installed=False,  # installing is `make test`'s job, not the fixture's
        )
        if choice.problem:
            pytest.fail(f"{choice.problem} Browser tests are never skipped.")
        chromium = playwright.chromium.launch(
            executable_path=choice.executable, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, live_server, settings):
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1280, "height": 800}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused: list[str] = []
    page.on(
        "console",
        lambda message: (
            refused.append(message.text)
            if "Content Security Policy" in message.text
            else None
        ),
    )
    yield page
    context.close()
    # Every page a browser test opens also proves it works under the strict CSP.
    assert not refused, "The Content Security Policy blocked: " + "; ".join(refused)


@pytest.fixture
def screenshot(page):
    """Save what the person sees under test-artifacts/screenshots/ (git-ignored)."""

    def take(name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


# --- Two-factor sign-in: force_login stands for a complete sign-in ----------------


@pytest.fixture(scope="session", autouse=True)
def _force_login_gives_both_factors():
    """Tests about pages sign in with `force_login`; for a person who must use two
    factors that means password and code, so the session is marked as having seen
    the code. The two-factor pages themselves are tested through the login page."""
    from django.test import Client

    from massageclinic.tests.signing_in import mark_second_factor_given

    password_only = Client.force_login

    def force_login(self, user, backend=None):
        password_only(self, user, backend)
        mark_second_factor_given(self, user)

    Client.force_login = force_login
    yield
    Client.force_login = password_only


@pytest.fixture(autouse=True)
def _reference_data_read_afresh():
    """Each test starts with no reference data kept in the process
    (massageclinic.reference), so what it counts does not depend on the tests
    run before it in the same process."""
    from massageclinic.reference import forget

    forget()
    yield
    forget()
