"""Two-factor sign-in: who must use it, setting it up, the code, recovery, reset."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from massageclinic.models import AuditEvent, clinic_policy
from massageclinic.tests.signing_in import (
    PASSWORD,
    code_from_the_app,
    give_authenticator,
)

pytestmark = pytest.mark.django_db

VERIFY = "/account/two-factor/verify/"
SETUP = "/account/two-factor/setup/"


def _password_only(client, user: User):
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "the password was refused"
    return response


def _two_factor_rows(user: User) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.TWO_FACTOR, object_id=user.pk
        )
        .order_by("at", "pk")
        .values_list("summary", flat=True)
    )


@pytest.mark.parametrize("who", ["therapist", "manager"])
def test_a_therapist_or_manager_with_the_password_alone_sees_no_page(
    client, request, who
):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    _password_only(client, user)

    for url in ["/", "/clients/", "/calendar/", "/admin/"]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(SETUP), url
        assert "next=" in response["Location"]


def test_with_an_app_set_up_the_password_leads_to_the_code(client, therapist):
    give_authenticator(therapist.user)
    _password_only(client, therapist.user)

    response = client.get("/clients/")

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fclients%2F"


def test_the_front_desk_signs_in_with_the_password_unless_the_clinic_asks_more(
    client, front_desk
):
    _password_only(client, front_desk)
    assert client.get("/").status_code == 200

    policy = clinic_policy()
    policy.require_two_factor_for_everyone = True
    policy.save()
    client.post("/logout/")
    _password_only(client, front_desk)

    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(SETUP)


def test_setting_up_the_app_confirms_it_with_a_code_and_gives_recovery_codes(
    client, therapist
):
    _password_only(client, therapist.user)

    page = client.get(SETUP)
    assert page.status_code == 200
    assert "Calendar" not in page.content.decode(), "no navigation before the code"
    assert "data:image/svg+xml" in page.content.decode()
    device = TOTPDevice.objects.get(user=therapist.user, confirmed=False)
    assert page.context["secret"].replace(" ", "")  # the key to type by hand

    wrong = client.post(SETUP, {"code": "000000"})
    assert "did not match" in wrong.content.decode()
    assert client.get("/").status_code == 302

    device.throttle_reset()
    done = client.post(SETUP, {"code": code_from_the_app(device), "next": "/clients/"})

    assert done.status_code == 200
    codes = done.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/").status_code == 200
    assert _two_factor_rows(therapist.user) == [
        "Authenticator code refused",
        "Authenticator app set up",
    ]


def test_the_password_alone_cannot_swap_the_app_for_another(client, therapist):
    mine = give_authenticator(therapist.user)
    _password_only(client, therapist.user)

    response = client.get(SETUP)

    assert response.status_code == 302
    assert response["Location"].startswith(VERIFY)
    assert list(TOTPDevice.objects.filter(user=therapist.user)) == [mine]


def test_the_code_signs_in_and_sends_on_to_the_page_asked_for(client, therapist):
    device = give_authenticator(therapist.user)
    _password_only(client, therapist.user)

    wrong = client.post(VERIFY, {"code": "123456", "next": "/clients/"})
    assert "not right" in wrong.content.decode()

    device.throttle_reset()
    right = client.post(
        VERIFY, {"code": code_from_the_app(device), "next": "/clients/"}
    )

    assert right.status_code == 302
    assert right["Location"] == "/clients/"
    assert client.get("/clients/").status_code == 200
    assert _two_factor_rows(therapist.user) == [
        "Second factor refused",
        "Signed in with the authenticator app",
    ]


def test_wrong_codes_make_the_next_try_wait(client, therapist):
    device = give_authenticator(therapist.user)
    _password_only(client, therapist.user)
    client.post(VERIFY, {"code": "111111"})

    # Even the right code waits out the pause that django-otp imposes.
    response = client.post(VERIFY, {"code": code_from_the_app(device)})

    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/").status_code == 302


def test_the_next_page_is_never_another_site(client, therapist):
    device = give_authenticator(therapist.user)
    _password_only(client, therapist.user)

    response = client.post(
        VERIFY, {"code": code_from_the_app(device), "next": "https://evil.example/"}
    )

    assert response["Location"] == "/"


def test_a_recovery_code_signs_in_once(client, therapist):
    _password_only(client, therapist.user)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=therapist.user, confirmed=False)
    codes = client.post(SETUP, {"code": code_from_the_app(device)}).context["codes"]
    client.post("/logout/")

    _password_only(client, therapist.user)
    first = client.post(VERIFY, {"code": codes[0].upper()})
    assert first.status_code == 302
    client.post("/logout/")
    _password_only(client, therapist.user)
    again = client.post(VERIFY, {"code": codes[0]})

    assert again.status_code == 200, "a recovery code works only once"
    assert StaticToken.objects.filter(device__user=therapist.user).count() == 9
    assert "Signed in with a recovery code (9 left)" in _two_factor_rows(therapist.user)


def test_new_recovery_codes_replace_the_old_ones(client, therapist):
    client.force_login(therapist.user)
    old = client.post(reverse("two_factor_recovery_codes")).context["codes"]

    new = client.post(reverse("two_factor_recovery_codes")).context["codes"]

    assert set(old).isdisjoint(new)
    assert set(
        StaticToken.objects.filter(device__user=therapist.user).values_list(
            "token", flat=True
        )
    ) == set(new)


def test_an_htmx_request_is_told_to_load_the_code_page(client, therapist):
    give_authenticator(therapist.user)
    _password_only(client, therapist.user)

    response = client.get("/clients/", headers={"HX-Request": "true"})

    assert response.status_code == 204
    assert response["HX-Redirect"].startswith(VERIFY)


def test_a_manager_resets_a_lost_phone_and_the_person_is_signed_out(
    client, manager, therapist
):
    from django.test import Client

    give_authenticator(therapist.user)
    theirs = Client()
    theirs.force_login(therapist.user)
    assert theirs.get("/").status_code == 200
    client.force_login(manager)

    response = client.post(reverse("two_factor_reset", args=[therapist.user.pk]))

    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=therapist.user).exists()
    assert theirs.get("/").status_code == 302, "their session ended"
    assert _two_factor_rows(therapist.user)[-1].startswith(
        "Two-factor sign-in reset; 1 session(s) ended"
    )


def test_only_a_manager_resets_and_only_a_superuser_resets_a_superuser(
    client, front_desk, manager, therapist
):
    boss = User.objects.create_superuser("boss", "boss@example.org", PASSWORD)
    client.force_login(front_desk)
    url = reverse("two_factor_reset", args=[therapist.user.pk])
    assert client.post(url).status_code == 403

    client.force_login(manager)
    assert client.post(reverse("two_factor_reset", args=[boss.pk])).status_code == 403
    assert client.get(url).status_code == 405


def test_the_account_page_shows_the_two_steps_and_the_codes_left(
    client, therapist, front_desk
):
    client.force_login(therapist.user)
    client.post(reverse("two_factor_recovery_codes"))

    mine = client.get(reverse("account")).content.decode()

    assert "Two-step sign-in" in mine
    assert "Recovery codes left: <strong>10</strong>" in mine
    assert "Move to a new phone" in mine

    client.force_login(front_desk)
    desk = client.get(reverse("account")).content.decode()
    assert "Your password alone signs you in" in desk
    assert reverse("two_factor_setup") in desk


def test_the_manager_finds_the_everyone_setting_in_the_clinic_policy(client, manager):
    clinic_policy()
    client.force_login(manager)

    page = client.get("/admin/clinic/clinicpolicy/1/change/").content.decode()

    assert 'name="require_two_factor_for_everyone"' in page
    assert 'name="client_link_lifetime"' in page


def test_the_staff_page_shows_who_uses_two_steps_and_resets_a_lost_phone(
    client, manager, therapist, front_desk
):
    give_authenticator(therapist.user)
    client.force_login(manager)
    reset = reverse("two_factor_reset", args=[therapist.user.pk])

    page = client.get(reverse("staff:list")).content.decode()

    assert page.count("Two-step sign-in on") == 2  # the therapist and the manager
    assert "Two-step sign-in not set up" in page  # the front desk
    assert f'action="{reset}"' in page
    response = client.post(reset, {"next": reverse("staff:list")}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff:list")
    assert "Two-step sign-in reset for Tara Hands" in response.content.decode()


def test_the_setup_page_says_why_for_this_person(client, therapist, front_desk):
    client.force_login(front_desk)
    optional = client.get(SETUP).content.decode()
    assert "a leaked password alone opens nothing" in optional

    client.post("/logout/")
    _password_only(client, therapist.user)
    required = client.get(SETUP).content.decode()
    assert "your role signs in with two steps" in required


def test_each_setup_page_shows_a_new_secret_so_an_earlier_viewer_holds_none(
    therapist,
):
    """Someone with the password alone who opened the set-up page first must not
    hold the secret of the app the person then sets up."""
    from django.test import Client

    intruder, person = Client(), Client()
    _password_only(intruder, therapist.user)
    seen = intruder.get(SETUP).context["secret"]
    _password_only(person, therapist.user)
    mine = person.get(SETUP).context["secret"]
    device = TOTPDevice.objects.get(user=therapist.user, confirmed=False)
    person.post(SETUP, {"code": code_from_the_app(device)})

    assert seen != mine
    assert list(TOTPDevice.objects.filter(user=therapist.user)) == [device]
    # The intruder's set-up died with its secret: its page starts again.
    assert intruder.post(SETUP, {"code": "123456"}).status_code == 302


def test_signing_in_again_asks_for_the_code_again(client, manager):
    """A second password sign-in (on /admin/login/) never keeps the first sign-in's
    second factor, nor stretches the 12 hours without it."""
    device = give_authenticator(manager)
    _password_only(client, manager)
    client.post(VERIFY, {"code": code_from_the_app(device)})
    assert client.get("/").status_code == 200

    again = client.post(
        "/admin/login/", {"username": manager.username, "password": PASSWORD}
    )

    assert again.status_code == 302
    assert client.get("/").status_code == 302


def test_a_desk_member_who_set_up_an_app_is_asked_for_it(client, front_desk):
    device = give_authenticator(front_desk)
    _password_only(client, front_desk)

    assert client.get("/").status_code == 302
    assert client.post(reverse("two_factor_recovery_codes")).status_code == 302
    client.post(VERIFY, {"code": code_from_the_app(device)})
    assert client.get("/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_recovery_code_sent_many_times_at_once_signs_in_once(
    reference_data, therapist
):
    import threading

    from django.db import connection
    from django.test import Client

    device = give_authenticator(therapist.user)
    from massageclinic.audit import AuditContext
    from massageclinic.two_factor import replace_recovery_codes

    code = replace_recovery_codes(AuditContext.system("test"), therapist.user)[0]
    assert device.confirmed
    clients = [Client() for _ in range(4)]
    for each in clients:
        _password_only(each, therapist.user)
    barrier = threading.Barrier(len(clients))
    answers: list[int] = []

    def send(each) -> None:
        barrier.wait()
        answers.append(each.post(VERIFY, {"code": code}).status_code)
        connection.close()

    threads = [threading.Thread(target=send, args=(each,)) for each in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [200, 200, 200, 302]
