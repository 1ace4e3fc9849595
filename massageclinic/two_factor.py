"""Two-factor sign-in: an authenticator app (TOTP) and one-time recovery codes.

Who must use it is decided here, once: therapists, managers and anyone with access
to the admin always; the front desk too when the clinic policy asks it of everyone.
The devices are django-otp's; this module enrols, verifies and resets them, and
writes an audit row for each of those events.
"""

from __future__ import annotations

import base64
import re
from typing import Any, cast

import segno
from django.contrib.auth.models import User
from django.contrib.sessions.models import Session
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp import login as otp_login
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from massageclinic.audit import AuditContext, audit_account_event
from massageclinic.models import AuditEvent, clinic_policy
from massageclinic.roles import Role, has_role

RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
# Set at sign-in: whether the clinic asked two factors of everyone at that moment.
EVERYONE_SESSION_KEY = "clinic_two_factor_for_everyone"
# Set at sign-in: whether this person has an authenticator app (then it is asked for).
HAS_APP_SESSION_KEY = "clinic_two_factor_has_app"
# The app being set up in this session: a fresh secret each time the page opens, so
# no one who saw an earlier set-up page (with the password alone) holds the secret.
SETUP_SESSION_KEY = "clinic_two_factor_setup_device"

_ACTION = AuditEvent.Action.TWO_FACTOR


def required_by_role(user: Any) -> bool:
    """Therapists, managers and admin users always sign in with two factors."""
    return bool(
        user.is_superuser
        or user.is_staff
        or has_role(user, Role.THERAPIST, Role.MANAGER)
    )


def required_for_everyone() -> bool:
    return clinic_policy().require_two_factor_for_everyone


def remember_at_sign_in(request: HttpRequest, user: User) -> None:
    """At each sign-in: forget any earlier second factor, and note in the session
    what decides whether one is owed (so no page asks the database again): the
    clinic's 'everyone' setting, and whether this person has an app set up."""
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session[EVERYONE_SESSION_KEY] = required_for_everyone()
    request.session[HAS_APP_SESSION_KEY] = authenticator_of(user) is not None


def second_factor_required(request: HttpRequest) -> bool:
    """Whether this signed-in person must show a second factor: their role, the
    clinic's rule, or an app they set up themselves."""
    return (
        required_by_role(request.user)
        or bool(request.session.get(EVERYONE_SESSION_KEY))
        or bool(request.session.get(HAS_APP_SESSION_KEY))
    )


def _person(request: HttpRequest) -> User:
    """The signed-in person (these pages are never open to anonymous visitors)."""
    return cast(User, request.user)


def verified_in_this_session(request: HttpRequest) -> bool:
    return DEVICE_ID_SESSION_KEY in request.session


def authenticator_of(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def people_with_an_authenticator() -> set[int]:
    """The ids of everyone whose two-step sign-in is set up (one query)."""
    return set(
        TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True)
    )


def start_setup(request: HttpRequest) -> TOTPDevice:
    """A new app with a new secret for this session; earlier unconfirmed ones go."""
    user = _person(request)
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user, confirmed=False).delete()
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_NAME, confirmed=False
        )
    request.session[SETUP_SESSION_KEY] = device.pk
    return device


def setup_in_progress(request: HttpRequest) -> TOTPDevice | None:
    """The app this session started to set up, if it still waits for its code."""
    pk = request.session.get(SETUP_SESSION_KEY)
    if pk is None:
        return None
    return TOTPDevice.objects.filter(
        pk=pk, user=_person(request), confirmed=False
    ).first()


def authenticator_secret(device: TOTPDevice) -> str:
    """The secret as the app asks for it when typed by hand: base32, in groups of 4."""
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def authenticator_qr_data_uri(device: TOTPDevice) -> str:
    """The QR code of the device's otpauth:// address, as an inline SVG image."""
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def _normalised(code: str) -> str:
    return re.sub(r"[\s-]", "", code or "").lower()


def _new_recovery_codes(user: User) -> list[str]:
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


def confirm_authenticator(
    request: HttpRequest, context: AuditContext, device: TOTPDevice, code: str
) -> list[str] | None:
    """Confirm the app with a code it shows; return fresh recovery codes, or None.

    The confirmed app replaces any earlier one, and the session counts as signed in
    with two factors from here on.
    """
    user = _person(request)
    with transaction.atomic():
        # Locked, so parallel tries are counted one after the other.
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(_normalised(code)):
            audit_account_event(
                context, _ACTION, user=user, summary="Authenticator code refused"
            )
            return None
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _new_recovery_codes(user)
        audit_account_event(
            context, _ACTION, user=user, summary="Authenticator app set up"
        )
    request.session.pop(SETUP_SESSION_KEY, None)
    request.session[HAS_APP_SESSION_KEY] = True
    otp_login(request, device)
    return codes


def enrol_authenticator(
    context: AuditContext, user: User, *, secret_base32: str
) -> TOTPDevice:
    """Give a person a confirmed app with a known secret (the demo's published key)."""
    key = base64.b32decode(secret_base32.replace(" ", "").upper()).hex()
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        device = TOTPDevice.objects.create(
            user=user, name=AUTHENTICATOR_NAME, key=key, confirmed=True
        )
        _new_recovery_codes(user)
        audit_account_event(
            context, _ACTION, user=user, summary="Authenticator app set up"
        )
    return device


def replace_recovery_codes(context: AuditContext, user: User) -> list[str]:
    with transaction.atomic():
        codes = _new_recovery_codes(user)
        audit_account_event(
            context, _ACTION, user=user, summary="New recovery codes made"
        )
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(
        device__user=user, device__name=RECOVERY_NAME
    ).count()


def _device_accepting(user: User, code: str) -> Device | None:
    # Locked (the caller holds a transaction), so parallel tries are counted one
    # after the other and a recovery code is used once.
    devices: list[Device] = []
    if code.isdigit():
        devices.extend(
            TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
        )
    else:
        devices.extend(
            StaticDevice.objects.select_for_update().filter(user=user, confirmed=True)
        )
    # Each device refuses by itself while django-otp makes a person wait after
    # wrong codes (1, 2, 4, 8 ... seconds).
    return next((device for device in devices if device.verify_token(code)), None)


def too_many_wrong_codes(user: User) -> bool:
    """django-otp waits longer after each wrong code; true while it makes us wait."""
    return any(
        not device.verify_is_allowed()[0]
        for device in TOTPDevice.objects.filter(user=user, confirmed=True)
    )


def verify_second_factor(
    request: HttpRequest, context: AuditContext, code: str
) -> Device | None:
    """Check a code from the app, or a recovery code (each works once)."""
    user = _person(request)
    with transaction.atomic():
        device = _device_accepting(user, _normalised(code))
        if device is None:
            audit_account_event(
                context, _ACTION, user=user, summary="Second factor refused"
            )
            return None
        used_recovery = isinstance(device, StaticDevice)
        audit_account_event(
            context,
            _ACTION,
            user=user,
            summary=(
                f"Signed in with a recovery code ({recovery_codes_left(user)} left)"
                if used_recovery
                else "Signed in with the authenticator app"
            ),
        )
    otp_login(request, device)
    return device


def reset_two_factor(context: AuditContext, user: User) -> int:
    """Remove a person's app and recovery codes (a lost phone) and end their sessions.

    At the next sign-in they set up a new app. Returns how many sessions ended.
    """
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user).delete()
        ended = end_sessions_of(user)
        audit_account_event(
            context,
            _ACTION,
            user=user,
            summary=f"Two-factor sign-in reset; {ended} session(s) ended",
        )
    return ended


def end_sessions_of(user: User) -> int:
    """Sign a person out everywhere (database sessions)."""
    ended = 0
    for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            session.delete()
            ended += 1
    return ended
