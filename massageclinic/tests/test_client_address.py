"""The client's address behind the reverse proxy: one rule for the audit log and the
sign-in lockouts (CLINIC_TRUSTED_PROXIES)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from conftest import PASSWORD
from massageclinic.audit import AuditContext, client_ip
from massageclinic.models import AuditEvent
from massageclinic.signin import client_address

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
LIMIT = 5
PROXY = "127.0.0.1"
ALICE, BOB = "203.0.113.7", "198.51.100.20"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT


@pytest.fixture
def behind_one_proxy(settings):
    settings.CLINIC_TRUSTED_PROXIES = 1


def _request(remote: str = PROXY, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **extra)
    request.user = AnonymousUser()
    return request


# --- the rule ------------------------------------------------------------------------


def test_without_a_trusted_proxy_a_spoofed_header_is_ignored(settings):
    settings.CLINIC_TRUSTED_PROXIES = 0
    request = _request(remote=ALICE, forwarded="192.0.2.1")
    assert client_ip(request) == ALICE
    assert client_address(request) == ALICE  # what axes counts under
    assert AuditContext.from_request(request).ip_address == ALICE


def test_the_default_trusts_no_proxy():
    from massageclinic import settings as production_settings

    assert production_settings.CLINIC_TRUSTED_PROXIES == 0


def test_behind_one_proxy_the_right_most_entry_is_the_client(behind_one_proxy):
    # The client sent "192.0.2.1" itself; nginx appended the address it saw.
    request = _request(forwarded=f"192.0.2.1, {ALICE}")
    assert client_ip(request) == ALICE
    assert client_address(request) == ALICE
    assert AuditContext.from_request(request).ip_address == ALICE


def test_two_proxies_take_the_second_entry_from_the_right(settings):
    settings.CLINIC_TRUSTED_PROXIES = 2
    request = _request(forwarded=f"192.0.2.1,{ALICE}, 10.0.0.5")
    assert client_ip(request) == ALICE


@pytest.mark.parametrize("forwarded", [None, "", "  "])
def test_without_the_header_the_connections_address_is_used(
    behind_one_proxy, forwarded
):
    assert client_ip(_request(forwarded=forwarded)) == PROXY


def test_a_header_shorter_than_the_proxies_falls_back(settings):
    settings.CLINIC_TRUSTED_PROXIES = 2
    assert client_ip(_request(forwarded=ALICE)) == PROXY


def test_an_entry_that_is_no_address_falls_back(behind_one_proxy):
    assert client_ip(_request(forwarded="192.0.2.1, not-an-address")) == PROXY


def test_the_settings_refuse_a_negative_count():
    from massageclinic.tests.test_settings import _start_django

    result = _start_django(DJANGO_DEBUG="1", CLINIC_TRUSTED_PROXIES="-1")
    assert result.returncode != 0
    assert "CLINIC_TRUSTED_PROXIES must be 0 or more" in result.stderr


# --- lockouts and the audit log, per real client -----------------------------------


def _sign_in(client, username: str, password: str, forwarded: str):
    # Every request reaches gunicorn from the proxy; nginx appends the client.
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_one_clients_failures_do_not_lock_another_behind_the_proxy(
    client, front_desk, behind_one_proxy
):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        _sign_in(client, name, "guess", ALICE)
    # Alice's address is locked now, even when she claims to be someone else.
    refused = _sign_in(client, "frontdesk", PASSWORD, f"{BOB}, {ALICE}")
    assert refused.status_code == 429
    assert "Sign-ins from this computer" in refused.content.decode()

    # Bob, behind the same proxy, signs in.
    response = _sign_in(client.__class__(), "frontdesk", PASSWORD, BOB)
    assert response.status_code == 302

    addresses = AuditEvent.objects.filter(
        action__in=[Action.SIGN_IN_FAILED, Action.LOCKED_OUT, Action.SIGN_IN]
    ).values_list("action", "ip_address")
    assert PROXY not in {address for _, address in addresses}
    assert (Action.SIGN_IN, BOB) in set(addresses)
    assert (Action.LOCKED_OUT, ALICE) in set(addresses)


def test_without_the_setting_the_proxy_is_everyone(client, front_desk, settings):
    # What the setting fixes: every client shares the proxy's address.
    settings.CLINIC_TRUSTED_PROXIES = 0
    for name in ("alice", "bob", "carol", "dave", "erin"):
        _sign_in(client, name, "guess", ALICE)
    assert _sign_in(client.__class__(), "frontdesk", PASSWORD, BOB).status_code == 429
