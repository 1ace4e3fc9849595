"""The own-account page (password, recent sign-ins) and Argon2 password hashes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.hashers import make_password
from django.test import override_settings
from django.urls import reverse

from conftest import PASSWORD
from massageclinic import settings as production_settings
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action
NEW_PASSWORD = "a new and rather long passphrase"
LIMIT = 5  # failed sign-ins before a lockout (stated: no env override)


def _sign_in(client, username: str, password: str, address: str = "203.0.113.7"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


# --- Argon2 ------------------------------------------------------------------------


def test_production_hashes_new_passwords_with_argon2():
    # conftest swaps in MD5 for speed; the settings module itself is what production runs.
    assert production_settings.PASSWORD_HASHERS[0] == (
        "django.contrib.auth.hashers.Argon2PasswordHasher"
    )


def test_a_pbkdf2_hash_is_upgraded_to_argon2_at_sign_in(client):
    with override_settings(PASSWORD_HASHERS=production_settings.PASSWORD_HASHERS):
        user = UserFactory(username="oldhash")
        user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
        user.save(update_fields=["password"])

        assert _sign_in(client, "oldhash", PASSWORD).status_code == 302

    user.refresh_from_db()
    assert user.password.startswith("argon2$")


# --- the page ----------------------------------------------------------------------


def test_an_anonymous_visitor_is_sent_to_log_in(client):
    response = client.get(reverse("account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_every_signed_in_person_has_the_page(client, front_desk, therapist, manager):
    for user in (front_desk, therapist.user, manager, UserFactory()):
        client.force_login(user)
        response = client.get(reverse("account"))
        assert response.status_code == 200
        assert "Change your password" in response.content.decode()


def test_the_password_change_keeps_you_signed_in_and_is_audited(client, front_desk):
    client.force_login(front_desk)

    response = client.post(
        reverse("account"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        REMOTE_ADDR="203.0.113.7",
        follow=True,
    )

    assert "Your password was changed." in response.content.decode()
    assert client.get(reverse("account")).status_code == 200  # still signed in
    front_desk.refresh_from_db()
    assert front_desk.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(action=Action.PASSWORD)
    assert (event.user, event.object_id, event.ip_address, event.summary) == (
        front_desk,
        front_desk.pk,
        "203.0.113.7",
        "Changed their own password",
    )
    assert NEW_PASSWORD not in event.summary and PASSWORD not in event.summary


def test_a_wrong_old_password_is_a_form_error(client, front_desk):
    client.force_login(front_desk)
    response = client.post(
        reverse("account"),
        {
            "old_password": "not my password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "Your old password was entered incorrectly" in response.content.decode()
    front_desk.refresh_from_db()
    assert front_desk.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=Action.PASSWORD).exists()


def _change_password(client, old: str, address: str = "203.0.113.7"):
    return client.post(
        reverse("account"),
        {
            "old_password": old,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        REMOTE_ADDR=address,
    )


def test_each_wrong_current_password_is_a_failed_sign_in(client, front_desk):
    client.force_login(front_desk)
    for _ in range(2):
        assert _change_password(client, "a guess").status_code == 200

    rows = AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).order_by("pk")
    assert [(row.user, row.object_id, row.ip_address, row.summary) for row in rows] == [
        (front_desk, front_desk.pk, "203.0.113.7", 'Sign-in failed as "frontdesk"')
    ] * 2
    assert "a guess" not in " ".join(r.summary for r in rows)


def test_five_wrong_current_passwords_lock_the_name_and_sign_out(
    client, front_desk, settings
):
    settings.AXES_FAILURE_LIMIT = LIMIT
    client.force_login(front_desk)
    for _ in range(LIMIT - 1):
        response = _change_password(client, "a guess")
        assert response.status_code == 200
        assert "Your old password was entered incorrectly" in response.content.decode()
    assert client.get(reverse("account")).status_code == 200  # still signed in

    response = _change_password(client, "a guess")

    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in locked" in body
    assert "The user name <strong>frontdesk</strong> is locked" in body
    assert "_auth_user_id" not in client.session  # signed out
    assert client.get(reverse("account")).status_code == 302  # to the sign-in page
    assert AuditEvent.objects.filter(action=Action.SIGN_IN_FAILED).count() == LIMIT
    assert AuditEvent.objects.filter(action=Action.LOCKED_OUT).count() == 1
    assert AuditEvent.objects.filter(action=Action.SIGN_OUT).count() == 1
    front_desk.refresh_from_db()
    assert front_desk.check_password(PASSWORD)

    # Locked: even the right password signs in no one, from anywhere.
    assert _sign_in(client, "frontdesk", PASSWORD, "192.0.2.99").status_code == 429


def test_a_locked_name_cannot_change_its_password_even_with_the_right_one(
    client, front_desk, settings
):
    settings.AXES_FAILURE_LIMIT = LIMIT
    for _ in range(LIMIT):
        _sign_in(client.__class__(), "frontdesk", "a guess", "192.0.2.99")
    client.force_login(front_desk)  # a session from before the lockout

    response = _change_password(client, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    front_desk.refresh_from_db()
    assert front_desk.check_password(PASSWORD)
    assert not AuditEvent.objects.filter(action=Action.PASSWORD).exists()


def test_a_weak_new_password_is_a_form_error(client, front_desk):
    client.force_login(front_desk)
    response = client.post(
        reverse("account"),
        {"old_password": PASSWORD, "new_password1": "1234", "new_password2": "1234"},
    )
    assert "This password is too short" in response.content.decode()


def test_the_page_lists_your_own_recent_sign_ins_in_the_clinics_time(
    client, front_desk, django_assert_max_num_queries
):
    LocationFactory(time_zone="America/New_York")
    other = UserFactory(username="someone")
    with time_machine.travel(datetime(2026, 12, 1, 14, 5, tzinfo=UTC), tick=False):
        _sign_in(client, "frontdesk", "wrong", "198.51.100.20")
        _sign_in(client, "frontdesk", PASSWORD, "203.0.113.7")
        _sign_in(client.__class__(), "someone", PASSWORD, "192.0.2.1")
    assert other.pk

    with django_assert_max_num_queries(12):
        body = client.get(reverse("account")).content.decode()

    assert "Tue 1 Dec 2026, 9:05 AM EST" in body  # 14:05 UTC in New York
    assert "198.51.100.20" in body and "Failed: wrong password" in body
    assert "203.0.113.7" in body and "Signed in" in body
    assert "192.0.2.1" not in body  # someone else's sign-in


def test_the_page_shows_at_most_twenty_sign_ins(client, front_desk):
    for _ in range(3):
        for _ in range(4):
            _sign_in(client, "frontdesk", "wrong")
        _sign_in(client, "frontdesk", PASSWORD)  # clears the failures: no lockout
        client.post(reverse("logout"))
    _sign_in(client, "frontdesk", PASSWORD)
    for _ in range(4):
        _sign_in(client.__class__(), "frontdesk", "wrong")
    assert (
        AuditEvent.objects.filter(
            action__in=[Action.SIGN_IN, Action.SIGN_IN_FAILED]
        ).count()
        == 20
    )
    _sign_in(client.__class__(), "frontdesk", "wrong", "192.0.2.50")

    body = client.get(reverse("account")).content.decode()
    assert body.count("<tr>") - 1 == 20  # the header row
    assert "192.0.2.50" in body  # the newest is shown
