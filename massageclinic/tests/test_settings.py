"""Settings come from the environment; a malformed value stops start-up, naming it."""

from __future__ import annotations

import os
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
