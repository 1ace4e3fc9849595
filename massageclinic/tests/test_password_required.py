"""A password someone else gave is changed by its owner before any other page.

A manager types a new staff member's initial password on the staff page; a superuser
may set someone's password in the admin. Whoever gave it knows it: until the person
chooses their own, they see only their account page (massageclinic.password_required).
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import PASSWORD
from massageclinic.models import PasswordChangeRequired
from massageclinic.password_required import MESSAGE, SESSION_KEY
from massageclinic.tests.signing_in import code_from_the_app, give_authenticator

pytestmark = pytest.mark.django_db

INITIAL = "lavender tide 2041"
OWN = "a password only nina knows 7"
VERIFY = reverse("two_factor_verify")


def _add_nina(client, manager) -> User:
    client.force_login(manager)
    response = client.post(
        reverse("staff:add"),
        {
            "first_name": "Nina",
            "last_name": "Reyes",
            "email": "nina.reyes@example.org",
            "username": "nreyes",
            "role": "Therapist",
            "password1": INITIAL,
            "password2": INITIAL,
        },
    )
    assert response.status_code == 302
    client.post(reverse("logout"))
    return User.objects.get(username="nreyes")


def _sign_in(client, username: str, password: str) -> None:
    """Both steps through the pages, as the person would."""
    user = User.objects.get(username=username)
    device = give_authenticator(user)
    response = client.post(
        reverse("login"), {"username": username, "password": password}
    )
    assert response.status_code == 302
    verified = client.post(VERIFY, {"code": code_from_the_app(device)})
    assert verified.status_code == 302


@pytest.fixture
def nina(client, manager) -> User:
    return _add_nina(client, manager)


def test_adding_a_staff_member_requires_them_to_choose_a_password(nina, manager):
    row = PasswordChangeRequired.objects.get(user=nina)
    assert row.set_by == manager


def test_signing_in_with_the_initial_password_leads_only_to_the_account_page(
    client, nina
):
    _sign_in(client, "nreyes", INITIAL)

    for page in (reverse("home"), reverse("clients:list"), reverse("staff:list")):
        response = client.get(page)
        assert response.status_code == 302, page
        assert response["Location"] == reverse("account")
    posted = client.post(reverse("clients:list"), {"q": "x"})
    assert posted["Location"] == reverse("account")
    htmx = client.get(reverse("clients:list"), headers={"HX-Request": "true"})
    assert htmx.status_code == 204
    assert htmx["HX-Redirect"] == reverse("account")

    account = client.get(reverse("account"))
    assert account.status_code == 200
    assert MESSAGE in account.content.decode()


def test_changing_it_lets_them_work_and_clears_the_flag(client, nina):
    _sign_in(client, "nreyes", INITIAL)

    changed = client.post(
        reverse("account"),
        {"old_password": INITIAL, "new_password1": OWN, "new_password2": OWN},
        follow=True,
    )

    assert "Your password was changed." in changed.content.decode()
    assert MESSAGE not in changed.content.decode()
    assert not PasswordChangeRequired.objects.filter(user=nina).exists()
    assert client.session[SESSION_KEY] is False
    assert client.get(reverse("clients:list")).status_code == 200
    # And at the next sign-in too.
    client.post(reverse("logout"))
    _sign_in(client, "nreyes", OWN)
    assert client.get(reverse("clients:list")).status_code == 200


def test_a_wrong_form_keeps_them_on_the_account_page(client, nina):
    _sign_in(client, "nreyes", INITIAL)

    client.post(
        reverse("account"),
        {"old_password": INITIAL, "new_password1": OWN, "new_password2": "other"},
    )

    assert PasswordChangeRequired.objects.filter(user=nina).exists()
    assert client.get(reverse("clients:list"))["Location"] == reverse("account")


def test_signing_out_and_the_second_step_stay_open(client, nina):
    device = give_authenticator(nina)
    client.post(reverse("login"), {"username": "nreyes", "password": INITIAL})

    held = client.get(reverse("home"))
    assert held["Location"].startswith(VERIFY)  # the second step comes first
    assert client.get(VERIFY).status_code == 200  # not sent to the account page
    client.post(VERIFY, {"code": code_from_the_app(device)})
    assert client.get(reverse("home"))["Location"] == reverse("account")
    client.post(reverse("logout"))
    # Signed out: to the sign-in page.
    assert client.get(reverse("account"))["Location"].startswith(reverse("login"))


def test_a_password_a_superuser_sets_must_be_changed_too(
    client, admin_client, admin_user, front_desk
):
    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[front_desk.pk]),
        {"usable_password": "true", "password1": INITIAL, "password2": INITIAL},
    )
    assert response.status_code == 302
    assert PasswordChangeRequired.objects.get(user=front_desk).set_by == admin_user

    _sign_in(client, front_desk.username, INITIAL)

    assert client.get(reverse("clients:list"))["Location"] == reverse("account")


def test_a_superuser_setting_their_own_password_in_the_admin_clears_it(
    admin_client, admin_user
):
    PasswordChangeRequired.objects.create(user=admin_user)

    admin_client.post(
        reverse("admin:auth_user_password_change", args=[admin_user.pk]),
        {"usable_password": "true", "password1": OWN, "password2": OWN},
    )

    assert not PasswordChangeRequired.objects.filter(user=admin_user).exists()


def test_someone_with_nothing_to_change_costs_no_query_for_it(client, front_desk):
    _sign_in(client, front_desk.username, PASSWORD)
    assert client.session[SESSION_KEY] is False

    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("account"))

    assert not [q for q in queries if "passwordchangerequired" in q["sql"]]


def test_a_session_from_before_the_rule_is_checked_once(client, front_desk):
    PasswordChangeRequired.objects.create(user=front_desk)
    client.force_login(front_desk)
    session = client.session
    session.pop(SESSION_KEY, None)
    session.save()

    assert client.get(reverse("clients:list"))["Location"] == reverse("account")
    assert client.session[SESSION_KEY] is True
