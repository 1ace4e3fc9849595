"""Pages of the two-factor sign-in: set up the app, give a code, recovery codes."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_POST

from massageclinic import two_factor
from massageclinic.audit import AuditContext
from massageclinic.roles import Role, role_required
from massageclinic.staff import may_change_account


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=20,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "size": 12}
        ),
    )


def _next_page(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"


def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the code, type what the app shows."""
    user = request.user
    replacing = two_factor.authenticator_of(user) is not None  # type: ignore[arg-type]
    if replacing and not two_factor.verified_in_this_session(request):
        # With the password alone nobody may swap the app for their own.
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('two_factor_verify')}?{query}")
    if request.method == "POST":
        device = two_factor.setup_in_progress(request)
        if device is None:
            messages.info(request, "Set-up started again: scan the new code.")
            return redirect(request.get_full_path())
    else:
        device = two_factor.start_setup(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        waiting = not device.verify_is_allowed()[0]
        codes = two_factor.confirm_authenticator(
            request,
            AuditContext.from_request(request),
            device,
            form.cleaned_data["code"],
        )
        if codes is not None:
            return render(
                request,
                "account/two_factor_codes.html",
                {"codes": codes, "next": _next_page(request), "first_time": True},
            )
        form.add_error(
            "code",
            "Too many wrong codes: wait a few seconds, then type the code the app "
            "shows now."
            if waiting
            else "That code did not match. Check the phone's clock is right and type "
            "the 6 digits the app shows now.",
        )
    return render(
        request,
        "account/two_factor_setup.html",
        {
            "form": form,
            "qr": two_factor.authenticator_qr_data_uri(device),
            "secret": two_factor.authenticator_secret(device),
            "replacing": replacing,
            "by_role": two_factor.required_by_role(user),
            "required": two_factor.second_factor_required(request),
            "next": _next_page(request),
        },
    )


def verify(request: HttpRequest) -> HttpResponse:
    """The second step of signing in: a code from the app, or a recovery code."""
    user = request.user
    if two_factor.authenticator_of(user) is None:  # type: ignore[arg-type]
        return redirect("two_factor_setup")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        waiting = two_factor.too_many_wrong_codes(user)  # type: ignore[arg-type]
        device = two_factor.verify_second_factor(
            request, AuditContext.from_request(request), form.cleaned_data["code"]
        )
        if device is not None:
            return redirect(_next_page(request))
        if waiting:
            form.add_error(
                "code",
                "Too many wrong codes: wait a few seconds, then type the code the "
                "app shows now.",
            )
        else:
            form.add_error(
                "code",
                "That code is not right. Type the 6 digits the app shows now, or one "
                "of your recovery codes.",
            )
    return render(
        request,
        "account/two_factor_verify.html",
        {"form": form, "next": _next_page(request)},
    )


@require_POST
def new_recovery_codes(request: HttpRequest) -> HttpResponse:
    codes = two_factor.replace_recovery_codes(
        AuditContext.from_request(request),
        request.user,  # type: ignore[arg-type]
    )
    return render(
        request,
        "account/two_factor_codes.html",
        {"codes": codes, "next": "/", "first_time": False},
    )


@require_POST
@role_required(Role.MANAGER)
def reset(request: HttpRequest, user_id: int) -> HttpResponse:
    """A manager removes a person's app and codes (a lost phone)."""
    person = get_object_or_404(User, pk=user_id)
    if not may_change_account(user=person, by=request.user):  # type: ignore[arg-type]
        raise PermissionDenied("Only a superuser can reset a superuser's sign-in.")
    ended = two_factor.reset_two_factor(AuditContext.from_request(request), person)
    messages.success(
        request,
        f"Two-step sign-in reset for {person.get_full_name() or person.username}: "
        f"they set up a new app at their next sign-in ({ended} session(s) ended).",
    )
    return redirect(_next_page(request))


def keep_alive(request: HttpRequest) -> HttpResponse:
    """'Stay signed in': a request is activity; the middleware notes it."""
    if request.method != "POST":
        return HttpResponse(status=405)
    return HttpResponse(status=204)


urlpatterns = [
    path("two-factor/setup/", setup, name="two_factor_setup"),
    path("two-factor/verify/", verify, name="two_factor_verify"),
    path(
        "two-factor/recovery-codes/",
        new_recovery_codes,
        name="two_factor_recovery_codes",
    ),
    path("two-factor/reset/<int:user_id>/", reset, name="two_factor_reset"),
    path("keep-alive/", keep_alive, name="keep_alive"),
]
