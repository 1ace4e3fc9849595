"""A password someone else gave is changed by its owner before anything else.

A manager types a new staff member's initial password on the staff page; a superuser
may set someone's password in the admin. Whoever gave it knows it, so the person it
belongs to must choose their own at their next sign-in: until they have, every page
but their account page (where they change it), signing out, the two-step sign-in
pages and the idle-logoff ping sends them to the account page (an htmx request is
told to load it whole). Static files never reach a view: whitenoise serves them.

Who must change it is a row of `PasswordChangeRequired`, read once when the person
signs in and kept in the session: a person with nothing to change costs no query on
later pages. Only a session that holds the flag reads the row again on each page, to
see it gone once they have changed their password.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser, User
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.urls import reverse

from massageclinic.models import PasswordChangeRequired
from massageclinic.session_security import send_browser_to

SESSION_KEY = "clinic_password_change_required"
ACCOUNT_PAGE = "account"
# The pages a person who must change their password may still open.
ALLOWED_PAGES = frozenset(
    {ACCOUNT_PAGE, "logout", "two_factor_setup", "two_factor_verify", "keep_alive"}
)
MESSAGE = (
    "Choose a new password before you go on: the one you signed in with was given "
    "to you by someone else."
)


def require_password_change(user: User, *, by: User | None) -> None:
    """`user` must choose a new password at their next sign-in (`by` gave this one)."""
    PasswordChangeRequired.objects.update_or_create(user=user, defaults={"set_by": by})


def password_changed_by_its_owner(user: User) -> None:
    """The person chose their own password: nothing more is asked of them."""
    PasswordChangeRequired.objects.filter(user=user).delete()


def must_change_password(user: AbstractBaseUser | AnonymousUser) -> bool:
    return (
        user.is_authenticated
        and PasswordChangeRequired.objects.filter(user_id=user.pk).exists()
    )


@receiver(user_logged_in, dispatch_uid="clinic_password_change_required")
def _remember_at_sign_in(
    sender: Any, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_KEY] = must_change_password(user)


def _flagged(request: HttpRequest) -> bool:
    session = request.session
    flagged = session.get(SESSION_KEY)
    if flagged is None:
        # A session from before this rule: read once, then kept like a sign-in's.
        flagged = session[SESSION_KEY] = must_change_password(request.user)
    elif flagged and not must_change_password(request.user):
        flagged = session[SESSION_KEY] = False  # changed since: free to go on
    return bool(flagged)


class PasswordChangeRequiredMiddleware:
    """Holds every page but the account page until a given password is changed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: Any,
        view_kwargs: Any,
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        if getattr(view_func, "login_required", True) is False:
            return None  # the sign-in page, a client's own link
        if not _flagged(request):
            return None
        # The full name, namespace included: no app's page called "account" passes.
        name = getattr(request.resolver_match, "view_name", None)
        if name == ACCOUNT_PAGE and request.method == "GET":
            messages.warning(request, MESSAGE)
        if name in ALLOWED_PAGES:
            return None
        return send_browser_to(request, reverse(ACCOUNT_PAGE))
