"""Settings come from the environment; a malformed value stops start-up, naming it."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from massageclinic.env import env_bool, env_int, env_list, env_url

BASE_DIR = Path(__file__).resolve().parents[2]


def _start_django(**overrides: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SECRET_KEY": "test-key", **overrides}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "massageclinic.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_malformed_debug_flag_stops_start_up_naming_the_variable():
    result = _start_django(DJANGO_DEBUG="maybe")
    assert result.returncode != 0
    assert "DJANGO_DEBUG='maybe' is not a yes/no value" in result.stderr


def test_a_malformed_database_url_stops_start_up_naming_the_variable():
    result = _start_django(DATABASE_URL="mysql://root@localhost/clinic")
    assert result.returncode != 0
    assert "DATABASE_URL=" in result.stderr and "postgres://" in result.stderr


def test_production_without_a_secret_key_refuses_to_start():
    result = _start_django(DJANGO_SECRET_KEY="", DJANGO_DEBUG="0")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in result.stderr


def test_well_formed_settings_start():
    assert _start_django(DJANGO_DEBUG="false").returncode == 0


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("Yes", True), ("off", False)]
)
def test_env_bool_reads_yes_and_no(raw, expected):
    assert env_bool("FLAG", default=not expected, environ={"FLAG": raw}) is expected


def test_env_bool_uses_the_default_when_unset():
    assert env_bool("FLAG", default=True, environ={}) is True


def test_env_int_names_the_variable():
    with pytest.raises(ImproperlyConfigured, match="EMAIL_PORT='abc'"):
        env_int("EMAIL_PORT", default=25, environ={"EMAIL_PORT": "abc"})


def test_env_list_splits_on_commas_and_refuses_an_empty_list():
    assert env_list("HOSTS", [], environ={"HOSTS": "a.org, b.org"}) == [
        "a.org",
        "b.org",
    ]
    with pytest.raises(ImproperlyConfigured, match="HOSTS is set but empty"):
        env_list("HOSTS", [], environ={"HOSTS": " , "})


def test_env_url_checks_the_scheme():
    assert (
        env_url("R", "", ("redis",), environ={"R": "redis://h:1/0"}) == "redis://h:1/0"
    )
    with pytest.raises(ImproperlyConfigured, match="R='http://h' is not a valid URL"):
        env_url("R", "", ("redis",), environ={"R": "http://h"})


def test_check_deploy_is_silent_in_production():
    """HSTS, the HTTPS redirect and secure cookies are on without being asked for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="clinic.example.org",
        DJANGO_SETTINGS_MODULE="massageclinic.settings",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def _production_setting(name: str, **overrides: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(DJANGO_SECRET_KEY="test-key", **overrides)
    result = subprocess.run(  # noqa: S603 (our own interpreter, our own code)
        [
            sys.executable,
            "-c",
            f"import django; django.setup(); from django.conf import settings; "
            f"print(repr(getattr(settings, {name!r}, None)))",
        ],
        cwd=BASE_DIR,
        env={**env, "DJANGO_SETTINGS_MODULE": "massageclinic.settings"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def test_production_redirects_to_https_and_sends_hsts_for_a_year():
    assert _production_setting("SECURE_SSL_REDIRECT") == "True"
    assert _production_setting("SECURE_HSTS_SECONDS") == "31536000"
    assert _production_setting("SECURE_HSTS_INCLUDE_SUBDOMAINS") == "True"


def test_behind_a_tls_proxy_the_redirect_can_trust_its_header_or_be_turned_off():
    header = {"DJANGO_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO=https"}
    assert _production_setting("SECURE_PROXY_SSL_HEADER", **header) == (
        "('HTTP_X_FORWARDED_PROTO', 'https')"
    )
    off = _production_setting("SECURE_SSL_REDIRECT", DJANGO_SSL_REDIRECT="0")
    assert off == "False"


def test_a_malformed_proxy_header_stops_start_up_naming_the_variable():
    result = _start_django(DJANGO_PROXY_SSL_HEADER="X-Forwarded-Proto")
    assert result.returncode != 0
    assert "DJANGO_PROXY_SSL_HEADER='X-Forwarded-Proto'" in result.stderr


def test_development_neither_redirects_nor_sends_hsts():
    assert _production_setting("SECURE_SSL_REDIRECT", DJANGO_DEBUG="1") == "False"
    assert _production_setting("SECURE_HSTS_SECONDS", DJANGO_DEBUG="1") == "0"


@pytest.mark.django_db
def test_the_apps_connections_run_without_postgresqls_jit():
    """A query the planner thinks costly would spend tens of milliseconds in JIT
    compilation, more than it runs (the home page's histories awaiting review)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_the_jit_option_is_added_to_the_options_the_database_url_carries():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; "
            "print(settings.DATABASES['default']['OPTIONS']['options'])",
        ],
        cwd=BASE_DIR,
        env={
            **os.environ,
            "DJANGO_SECRET_KEY": "test-key",
            "DJANGO_SETTINGS_MODULE": "massageclinic.settings",
            "DATABASE_URL": "postgres://clinic@127.0.0.1:5432/clinic?currentSchema=c1",
            "DATABASE_ROLE": "clinic_app",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "-c",
        "search_path=c1",
        "-c",
        "jit=off",
        "-c",
        "role=clinic_app",
    ]
