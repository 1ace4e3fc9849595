"""Signing in, for the tests: both factors, as a person would give them.

`force_login` in the test client stands for a complete sign-in (conftest.py marks the
session as verified with the person's authenticator); browser tests sign in through
the pages with `sign_in_through_the_page`, typing the code the app would show.
"""

from __future__ import annotations

import time

from django.contrib.auth.models import User
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

PASSWORD = "correct horse battery staple"


def give_authenticator(user: User) -> TOTPDevice:
    """The person's confirmed authenticator app, set up if they have none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)
    return device


def code_from_the_app(device: TOTPDevice) -> str:
    """What the app shows now; a step later when this step's code was used already.

    A TOTP code works once: signing in twice within 30 seconds takes the next one,
    which the device accepts (one step of tolerance), as a real app would show soon.
    """
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if totp.t() <= device.last_t:
        totp.time += device.step * (device.last_t + 1 - totp.t())
    return f"{totp.token():0{device.digits}d}"


def mark_second_factor_given(client, user: User) -> None:
    """After `force_login`: the session has seen the person's second factor."""
    from massageclinic.two_factor import required_by_role

    has_app = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    if not (required_by_role(user) or has_app):
        return
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = give_authenticator(user).persistent_id
    session.save()


def sign_in_through_the_page(page, username: str, password: str = PASSWORD) -> None:
    """Sign in on /login/ and, when asked, type the code the person's app shows."""
    ready_for_two_steps(username)
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    type_the_code_if_asked(page, username)


def ready_for_two_steps(username: str) -> None:
    """A person who must use two factors has their app set up before signing in."""
    from massageclinic.two_factor import required_by_role

    user = User.objects.get(username=username)
    if required_by_role(user):
        give_authenticator(user)


def type_the_code_if_asked(page, username: str) -> None:
    """After the password: the second step, when the page asks for it."""
    from playwright.sync_api import expect

    page.wait_for_load_state()
    if "/account/two-factor/verify/" not in page.url:
        return
    device = give_authenticator(User.objects.get(username=username))
    expect(page.get_by_role("heading", name="Two-step sign-in")).to_be_visible()
    page.get_by_label("Code").fill(code_from_the_app(device))
    page.get_by_role("button", name="Sign in").click()
