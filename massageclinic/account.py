"""The own-account page (password, recent sign-ins) and the manager's lockouts page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from massageclinic.audit import AuditContext, audit_account_event
from massageclinic.clock import location_zone
from massageclinic.models import AuditEvent
from massageclinic.password_required import password_changed_by_its_owner
from massageclinic.roles import Role, role_required
from massageclinic.signin import (
    ACCOUNT,
    ADDRESS,
    current_lockouts,
    lockout_clear,
    lockout_response,
    recent_sign_ins,
)

RECENT_SIGN_INS = 20


class SignInCheckedPasswordChangeForm(PasswordChangeForm):
    """The password change, its current password checked as a sign-in would be.

    Through `authenticate`, so django-axes counts a wrong one against the user name
    and the address (and refuses every try once they are locked), and the failure is
    audited like any failed sign-in: a signed-in session left open cannot be used to
    guess the password without limit.
    """

    def __init__(self, request: HttpRequest, user: User, *args, **kwargs) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        checked = authenticate(
            request=self.request,
            username=self.user.get_username(),
            password=old_password,
        )
        if checked is None or checked.pk != self.user.pk:
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


def locked_out_by_axes(request: HttpRequest) -> bool:
    """Whether django-axes refused or locked this request's sign-in check.

    Axes marks the request when a failure reaches the limit and when it refuses a
    user name or address already locked.
    """
    return bool(getattr(request, "axes_locked_out", False))


@transaction.atomic
def own_password_change(*, form: PasswordChangeForm, context: AuditContext) -> User:
    """Save a person's new password (validated by the form); audited."""
    user = form.save()
    password_changed_by_its_owner(user)
    audit_account_event(
        context,
        AuditEvent.Action.PASSWORD,
        user=user,
        summary="Changed their own password",
    )
    return user


def account(request: HttpRequest) -> HttpResponse:
    """Every signed-in person: change the password, see the recent sign-ins."""
    person = cast(User, request.user)  # the middleware lets no anonymous visitor in
    form = SignInCheckedPasswordChangeForm(request, person, request.POST or None)
    valid = request.method == "POST" and form.is_valid()
    if locked_out_by_axes(request):
        # Too many wrong current passwords: whoever holds this session is treated
        # as someone guessing, and signed out; the page says what is locked.
        credentials = getattr(request, "axes_credentials", None) or {
            "username": request.user.get_username()
        }
        logout(request)
        return lockout_response(request, None, credentials)
    if valid:
        user = own_password_change(
            form=form, context=AuditContext.from_request(request)
        )
        update_session_auth_hash(request, user)  # stay signed in here
        messages.success(request, "Your password was changed.")
        return redirect("account")
    return render(
        request,
        "account/account.html",
        {
            "form": form,
            "sign_ins": recent_sign_ins(person, limit=RECENT_SIGN_INS),
            "limit": RECENT_SIGN_INS,
            "zone": location_zone(),
        },
    )


@role_required(Role.MANAGER)
def lockouts(request: HttpRequest) -> HttpResponse:
    cool_off = settings.AXES_COOLOFF_TIME
    return render(
        request,
        "account/lockouts.html",
        {
            "lockouts": current_lockouts(),
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cool_off_minutes": int(cool_off.total_seconds() // 60),
            "zone": location_zone(),
        },
    )


class UnlockForm(forms.Form):
    kind = forms.ChoiceField(choices=[(ACCOUNT, "User name"), (ADDRESS, "Address")])
    key = forms.CharField(max_length=255)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == ADDRESS and data.get("key"):
            data["key"] = forms.GenericIPAddressField().clean(data["key"])
        return data


@require_POST
@role_required(Role.MANAGER)
def unlock(request: HttpRequest) -> HttpResponse:
    form = UnlockForm(request.POST)
    if not form.is_valid():
        messages.error(request, "That lockout could not be read; nothing was unlocked.")
        return redirect("account_lockouts")
    kind, key = form.cleaned_data["kind"], form.cleaned_data["key"]
    cleared = lockout_clear(
        kind=kind, key=key, context=AuditContext.from_request(request)
    )
    what = f"the user name {key}" if kind == ACCOUNT else f"the address {key}"
    if cleared:
        messages.success(request, f"Unlocked {what}. They can sign in again.")
    else:
        messages.info(request, f"{what[0].upper()}{what[1:]} was no longer locked.")
    return redirect("account_lockouts")
