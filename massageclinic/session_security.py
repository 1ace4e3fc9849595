"""Sessions that end on time, and no page before the second factor.

- Idle logoff: a session with no request for `CLINIC_IDLE_LOGOFF_SECONDS` (15 minutes)
  ends; the page warns `CLINIC_IDLE_WARNING_SECONDS` (a minute) before and offers to
  stay signed in (static/js/idle-logoff.js).
- At most `CLINIC_SESSION_MAX_SECONDS` (12 hours) after signing in, whatever happens.
- Two factors: a signed-in person who must use them (massageclinic.two_factor) sees
  only the pages that set up or ask for the second factor until they have.

Times are Unix seconds in the session: elapsed time, whatever the zone.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.http import urlencode

from massageclinic import two_factor
from massageclinic.audit import AuditContext, audit_account_event
from massageclinic.models import AuditEvent

SIGNED_IN_AT = "clinic_signed_in_at"
LAST_ACTIVITY = "clinic_last_activity"
# The last request is written to the session at most this often (a write per page
# would cost a query on every page); the idle limit is kept to within this.
ACTIVITY_WRITE_EVERY = 15
KEEP_ALIVE_URL_NAME = "keep_alive"
# The pages a person who still owes the second factor may open.
SECOND_FACTOR_PAGES = frozenset({"two_factor_setup", "two_factor_verify", "logout"})


def idle_limit() -> int:
    return settings.CLINIC_IDLE_LOGOFF_SECONDS


def idle_warning() -> int:
    return min(settings.CLINIC_IDLE_WARNING_SECONDS, idle_limit())


def session_limit() -> int:
    return settings.CLINIC_SESSION_MAX_SECONDS


@receiver(user_logged_in, dispatch_uid="clinic_session_started")
def _session_started(
    sender: Any, request: HttpRequest, user: Any, **kwargs: Any
) -> None:
    now = time.time()
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_ACTIVITY] = now
    two_factor.remember_at_sign_in(request, user)


def why_session_ends(session: Any, now: float) -> str | None:
    """The sentence to show when this session is over, or None while it runs."""
    signed_in = session.get(SIGNED_IN_AT)
    if signed_in is None:
        return None
    if now - signed_in > session_limit():
        hours = round(session_limit() / 3600)
        return f"You were signed out: a session lasts at most {hours} hours."
    last = session.get(LAST_ACTIVITY, signed_in)
    if now - last > idle_limit():
        minutes = max(1, round(idle_limit() / 60))
        unit = "minute" if minutes == 1 else "minutes"
        return (
            f"You were signed out after {minutes} {unit} without activity, "
            "to keep the clients' records private. Sign in again to go on."
        )
    return None


def _note_activity(request: HttpRequest, now: float) -> None:
    session = request.session
    if SIGNED_IN_AT not in session:  # a session from before these limits
        session[SIGNED_IN_AT] = now
    forced = getattr(request.resolver_match, "url_name", None) == KEEP_ALIVE_URL_NAME
    if forced or now - session.get(LAST_ACTIVITY, 0) >= ACTIVITY_WRITE_EVERY:
        session[LAST_ACTIVITY] = now


def send_browser_to(request: HttpRequest, target: str) -> HttpResponse:
    """Send the browser to `target`; an htmx request is told to load it whole."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


def _with_next(url: str, request: HttpRequest) -> str:
    if request.method != "GET":
        return url
    return f"{url}?{urlencode({'next': request.get_full_path()})}"


class SessionSecurityMiddleware:
    """Ends idle and over-long sessions; holds every page until the second factor."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = time.time()
            reason = why_session_ends(request.session, now)
            if reason is not None:
                return self._end(request, reason)
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
        _note_activity(request, time.time())
        if getattr(view_func, "login_required", True) is False:
            return None  # the sign-in page, a client's own link
        if getattr(request.resolver_match, "url_name", None) in SECOND_FACTOR_PAGES:
            return None
        if not two_factor.second_factor_required(request):
            return None
        if two_factor.verified_in_this_session(request):
            return None
        name = (
            "two_factor_verify"
            if two_factor.authenticator_of(request.user)
            else "two_factor_setup"
        )
        return send_browser_to(request, _with_next(reverse(name), request))

    def _end(self, request: HttpRequest, reason: str) -> HttpResponse:
        user = request.user
        audit_account_event(
            AuditContext.from_request(request),
            AuditEvent.Action.IDLE_LOGOFF,
            user=user,  # type: ignore[arg-type]
            summary=reason,
        )
        logout(request)
        messages.info(request, reason)
        return send_browser_to(
            request, _with_next(resolve_url(settings.LOGIN_URL), request)
        )
