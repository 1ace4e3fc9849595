"""Lockout after repeated failed sign-ins, per user name and per address, the manager's
unlock, and the audit row of every sign-in event."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse

from conftest import PASSWORD
from massageclinic.models import AuditEvent
from massageclinic.signin import current_lockouts
from massageclinic.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
LIMIT = 5
HOME, OFFICE = "203.0.113.7", "198.51.100.20"


@pytest.fixture(autouse=True)
def _limits(settings):
    # The production defaults, stated: the tests do not follow an env override.
    settings.AXES_FAILURE_LIMIT = LIMIT


def _sign_in(client, username: str, password: str, address: str = HOME):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def _fail(client, username: str, times: int, address: str = HOME) -> None:
    for _ in range(times):
        _sign_in(client, username, "wrong password", address)


@pytest.fixture
def desk(front_desk):
    return front_desk


# --- lockout -----------------------------------------------------------------------


def test_four_failures_still_let_the_right_password_in(client, desk):
    _fail(client, "frontdesk", LIMIT - 1)
    response = _sign_in(client, "frontdesk", PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_a_user_name_is_locked_after_five_failures_from_two_addresses(client, desk):
    _fail(client, "frontdesk", 3, HOME)
    _fail(client, "frontdesk", 2, OFFICE)

    # A third address, never used before: the name itself is locked.
    response = _sign_in(client, "frontdesk", PASSWORD, "192.0.2.99")

    assert response.status_code == 429
    assert not _signed_in(client)
    body = response.content.decode()
    assert "Sign-in locked" in body
    assert "The user name <strong>frontdesk</strong> is locked" in body
    assert "Ask the clinic manager to unlock it" in body
    assert "It unlocks by itself at" in body
    assert '<nav class="navbar' in body  # inside the site's layout


def test_an_address_is_locked_after_five_failures_with_different_names(client, desk):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        _sign_in(client, name, "guess", OFFICE)

    response = _sign_in(client, "frontdesk", PASSWORD, OFFICE)
    assert response.status_code == 429
    assert "Sign-ins from this computer" in response.content.decode()
    assert not _signed_in(client)

    # The same person from another address is not locked: the name has no failures.
    assert _sign_in(client, "frontdesk", PASSWORD, HOME).status_code == 302
    assert _signed_in(client)


def test_the_fifth_failure_already_shows_the_lockout_page(client, desk):
    _fail(client, "frontdesk", LIMIT - 1)
    response = _sign_in(client, "frontdesk", "still wrong")
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()


def test_a_success_clears_only_that_names_failures(client, desk):
    other = UserFactory(username="reception2")
    _fail(client, "frontdesk", 2)
    _fail(client, "reception2", 2)

    assert _sign_in(client, "reception2", PASSWORD).status_code == 302

    # frontdesk's failures from this address still count; reception2's are gone.
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {
        "frontdesk"
    }
    assert other.pk


def test_attempts_do_not_leak_between_tests(client):
    # Every test runs in its own transaction: the failures above are gone.
    assert not AccessAttempt.objects.exists()


# --- the manager's unlock ----------------------------------------------------------


def test_only_managers_may_open_the_lockouts_page(
    client, front_desk, therapist, manager
):
    url = reverse("account_lockouts")
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    for user in (front_desk, therapist.user):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert (
            client.post(
                reverse("account_unlock"), {"kind": "account", "key": "x"}
            ).status_code
            == 403
        )
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_the_manager_sees_the_lockouts_and_unlocks_a_user_name(
    client, desk, manager, django_assert_max_num_queries
):
    _fail(client, "frontdesk", 3, HOME)
    _fail(client, "frontdesk", 2, OFFICE)
    assert _sign_in(client, "frontdesk", PASSWORD, HOME).status_code == 429

    manager_client = client.__class__()
    manager_client.force_login(manager)
    with django_assert_max_num_queries(12):
        page = manager_client.get(reverse("account_lockouts"))
    body = page.content.decode()
    assert "<strong>frontdesk</strong>" in body
    assert HOME in body and OFFICE in body
    [lock] = current_lockouts()
    assert (lock.kind, lock.key, lock.failures) == ("account", "frontdesk", 6)
    assert lock.since is not None
    assert lock.user == desk

    response = manager_client.post(
        reverse("account_unlock"), {"kind": "account", "key": "frontdesk"}
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="frontdesk").exists()
    unlocked = AuditEvent.objects.get(action=Action.UNLOCKED)
    assert unlocked.user == manager  # who unlocked
    assert unlocked.object_id == desk.pk  # whose account
    assert unlocked.summary.startswith('Unlocked the user name "frontdesk"')

    assert _sign_in(client, "frontdesk", PASSWORD, HOME).status_code == 302
    assert _signed_in(client)


def test_the_manager_unlocks_an_address(client, desk, manager):
    for name in ("alice", "bob", "carol", "dave", "erin"):
        _sign_in(client, name, "guess", OFFICE)
    client.force_login(manager)
    page = client.get(reverse("account_lockouts")).content.decode()
    assert f"<strong>{OFFICE}</strong>" in page

    client.post(reverse("account_unlock"), {"kind": "address", "key": OFFICE})

    assert not AccessAttempt.objects.exists()
    unlocked = AuditEvent.objects.get(action=Action.UNLOCKED)
    assert unlocked.summary.startswith(f"Unlocked the address {OFFICE}")
    client.logout()
    assert _sign_in(client, "frontdesk", PASSWORD, OFFICE).status_code == 302


def test_an_unlock_of_nothing_writes_no_row_and_says_so(client, manager):
    client.force_login(manager)
    response = client.post(
        reverse("account_unlock"), {"kind": "account", "key": "nobody"}, follow=True
    )
    assert "The user name nobody was no longer locked." in response.content.decode()
    assert not AuditEvent.objects.filter(action=Action.UNLOCKED).exists()


@pytest.mark.parametrize(
    "data",
    [{}, {"kind": "everything", "key": "x"}, {"kind": "address", "key": "not-an-ip"}],
)
def test_a_bad_unlock_request_is_a_message_not_an_error(client, manager, data):
    client.force_login(manager)
    response = client.post(reverse("account_unlock"), data, follow=True)
    assert response.status_code == 200
    assert "nothing was unlocked" in response.content.decode()


def test_the_unlock_is_post_only(client, manager):
    client.force_login(manager)
    assert client.get(reverse("account_unlock")).status_code == 405


def test_a_manager_cannot_alter_or_delete_attempts_in_the_admin(manager):
    model_admin = admin.site._registry[AccessAttempt]
    request = RequestFactory().get("/admin/axes/accessattempt/")
    request.user = manager
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.get_actions(request) == {}
    assert not model_admin.has_add_permission(request)


def test_a_manager_gets_no_admin_page_for_attempts(client, manager):
    client.force_login(manager)
    assert client.get("/admin/axes/accessattempt/").status_code == 403


# --- the audit rows ----------------------------------------------------------------


def _rows(*actions):
    return list(
        AuditEvent.objects.filter(action__in=actions)
        .order_by("pk")
        .values_list("action", "user__username", "object_id", "ip_address", "summary")
    )


def test_a_sign_in_and_a_sign_out_are_audited(client, desk):
    _sign_in(client, "frontdesk", PASSWORD)
    client.post(reverse("logout"), REMOTE_ADDR=HOME)

    assert _rows(Action.SIGN_IN, Action.SIGN_OUT) == [
        (Action.SIGN_IN, "frontdesk", desk.pk, HOME, "Signed in"),
        (Action.SIGN_OUT, "frontdesk", desk.pk, HOME, "Signed out"),
    ]


def test_a_failed_sign_in_names_what_was_typed_never_the_password(client, desk):
    _sign_in(client, "frontdesk", "hunter2-secret")
    _sign_in(client, "no-such-person", "another-secret")

    rows = _rows(Action.SIGN_IN_FAILED)
    # Made by whoever typed it, not by the account tried: no actor; the account
    # concerned is the row's object.
    assert rows == [
        (
            Action.SIGN_IN_FAILED,
            None,
            desk.pk,
            HOME,
            'Sign-in failed as "frontdesk"',
        ),
        (
            Action.SIGN_IN_FAILED,
            None,
            None,
            HOME,
            'Sign-in failed as "no-such-person"',
        ),
    ]
    everything = " ".join(AuditEvent.objects.values_list("summary", flat=True))
    assert "secret" not in everything


def test_a_lockout_is_audited_once_and_refusals_after_it_as_failures(client, desk):
    _fail(client, "frontdesk", LIMIT)
    _sign_in(client, "frontdesk", PASSWORD)  # the right password, refused

    [locked] = _rows(Action.LOCKED_OUT)
    assert locked == (
        Action.LOCKED_OUT,
        None,
        desk.pk,
        HOME,
        "Locked out after 5 failed sign-ins: the user name "
        '"frontdesk" (from any address) and the address 203.0.113.7 '
        "(for any user name)",
    )
    failures = [row[4] for row in _rows(Action.SIGN_IN_FAILED)]
    assert failures == [
        *['Sign-in failed as "frontdesk"'] * (LIMIT - 1),
        'Sign-in failed as "frontdesk"; now locked out',
        'Sign-in refused as "frontdesk": locked out',
    ]
    assert not _rows(Action.SIGN_IN)


def test_force_login_in_tests_writes_no_sign_in_row(client, desk):
    client.force_login(desk)
    assert not AuditEvent.objects.exists()
