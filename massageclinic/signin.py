"""Sign-in: lockouts after repeated failures, and an audit row for every sign-in event.

django-axes counts failed sign-ins per user name and per address (settings, "Auth")
and refuses a locked one, even with the right password. This module gives it the
client's address, the page a locked-out person sees, the manager's view of current
lockouts and the unlock; and it writes the audit rows: every sign-in, sign-out,
failed sign-in (the typed user name, never the password) and lockout.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import transaction
from django.db.models import Max, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from massageclinic.audit import AuditContext, audit_account_event, client_ip
from massageclinic.clock import location_zone
from massageclinic.models import AuditEvent

Action = AuditEvent.Action
ACCOUNT, ADDRESS = "account", "address"
# The sign-in history on a person's own page.
SIGN_IN_ACTIONS = (Action.SIGN_IN, Action.SIGN_IN_FAILED, Action.LOCKED_OUT)


def client_address(request: HttpRequest) -> str | None:
    """The address axes counts failures under: the same one the audit log records
    (behind a proxy, the client's, per CLINIC_TRUSTED_PROXIES)."""
    return client_ip(request)


def _cool_off() -> timedelta:
    return settings.AXES_COOLOFF_TIME


def _recent_attempts(now: datetime) -> QuerySet[AccessAttempt]:
    # What axes itself counts: attempts whose last failure is inside the cool-off.
    return AccessAttempt.objects.filter(attempt_time__gte=now - _cool_off())


# --- What is locked ------------------------------------------------------------------


@dataclass(frozen=True)
class LockState:
    """The failures counted against one user name and one address, right now."""

    username: str
    address: str | None
    account_failures: int
    address_failures: int
    until: datetime | None

    @property
    def account_locked(self) -> bool:
        return self.account_failures >= settings.AXES_FAILURE_LIMIT

    @property
    def address_locked(self) -> bool:
        return self.address_failures >= settings.AXES_FAILURE_LIMIT


def lock_state(
    *, username: str, address: str | None, now: datetime | None = None
) -> LockState:
    """How close `username` and `address` are to a lockout, and when it would lift."""
    recent = _recent_attempts(now or timezone.now())
    by_name = recent.filter(username=username).aggregate(
        failures=Sum("failures_since_start"), last=Max("attempt_time")
    )
    by_address = (
        recent.filter(ip_address=address).aggregate(
            failures=Sum("failures_since_start"), last=Max("attempt_time")
        )
        if address
        else {"failures": None, "last": None}
    )
    limit = settings.AXES_FAILURE_LIMIT
    lasts = [
        group["last"]
        for group in (by_name, by_address)
        if group["last"] is not None and (group["failures"] or 0) >= limit
    ]
    return LockState(
        username=username,
        address=address,
        account_failures=by_name["failures"] or 0,
        address_failures=by_address["failures"] or 0,
        until=max(lasts) + _cool_off() if lasts else None,
    )


@dataclass(frozen=True)
class Lockout:
    """One current lockout, as the manager's page lists it."""

    kind: str  # ACCOUNT or ADDRESS
    key: str  # the user name or the address
    others: list[str]  # the addresses it came from, or the names typed there
    failures: int
    last_failure: datetime
    since: datetime | None
    user: User | None = None

    @property
    def until(self) -> datetime:
        return self.last_failure + _cool_off()


def current_lockouts(*, now: datetime | None = None) -> list[Lockout]:
    """Every user name and address locked right now (a fixed number of queries)."""
    now = now or timezone.now()
    limit = settings.AXES_FAILURE_LIMIT
    recent = _recent_attempts(now)
    names = (
        recent.exclude(username=None)
        .values("username")
        .annotate(
            failures=Sum("failures_since_start"),
            last=Max("attempt_time"),
            others=ArrayAgg("ip_address", distinct=True, default=[]),
        )
        .filter(failures__gte=limit)
        .order_by("-last")
    )
    addresses = (
        recent.exclude(ip_address=None)
        .values("ip_address")
        .annotate(
            failures=Sum("failures_since_start"),
            last=Max("attempt_time"),
            others=ArrayAgg("username", distinct=True, default=[]),
        )
        .filter(failures__gte=limit)
        .order_by("-last")
    )
    names, addresses = list(names), list(addresses)
    users = get_user_model().objects.in_bulk(
        [row["username"] for row in names], field_name="username"
    )
    starts = _lock_starts(now)
    lockouts = [
        Lockout(
            kind=ACCOUNT,
            key=row["username"],
            others=[o for o in row["others"] if o],
            failures=row["failures"],
            last_failure=row["last"],
            since=starts.get((ACCOUNT, row["username"])),
            user=users.get(row["username"]),
        )
        for row in names
    ] + [
        Lockout(
            kind=ADDRESS,
            key=row["ip_address"],
            others=[o for o in row["others"] if o],
            failures=row["failures"],
            last_failure=row["last"],
            since=starts.get((ADDRESS, row["ip_address"])),
        )
        for row in addresses
    ]
    return lockouts


def _lock_starts(now: datetime) -> dict[tuple[str, str], datetime]:
    """When each current lock began: its newest LOCKED_OUT row (one query).

    A lock lasts while failures keep coming, so look back a week, not one cool-off.
    """
    rows = AuditEvent.objects.filter(
        action=Action.LOCKED_OUT, at__gte=now - timedelta(days=7)
    ).values_list("at", "summary", "ip_address")[:500]
    starts: dict[tuple[str, str], datetime] = {}
    for at, summary, address in rows:  # newest first (the model's ordering)
        typed = _typed_name_in(summary)
        if typed is not None:
            starts.setdefault((ACCOUNT, typed), at)
        if address and _ADDRESS_LOCKED in summary:
            starts.setdefault((ADDRESS, address), at)
    return starts


# --- The audit rows ------------------------------------------------------------------

_ACCOUNT_LOCKED = "the user name"
_ADDRESS_LOCKED = "the address"
_ACCOUNT_LOCK_IN_SUMMARY = re.compile(r'the user name "(.*)" \(from any address\)')


def _typed(username: str | None) -> str:
    return f'"{(username or "")[:150]}"'


def _typed_name_in(summary: str) -> str | None:
    found = _ACCOUNT_LOCK_IN_SUMMARY.search(summary)
    return found.group(1) if found else None


def _account_named(username: str | None) -> User | None:
    if not username:
        return None
    return get_user_model().objects.filter(username=username).first()


def _made_on_the_site(request: HttpRequest | None) -> bool:
    # A sign-in worth a row arrives as a request. Django's test client `force_login`
    # and `logout` (and a shell) use a bare HttpRequest with no method: nobody signed
    # in or out through the site.
    return request is not None and bool(request.method)


def on_signed_in(sender, request: HttpRequest, user: User, **kwargs) -> None:
    if not _made_on_the_site(request):
        return
    # A success clears the failures typed under this name (and so their share of the
    # address's count); axes' own reset would clear the whole address.
    axes_reset(username=user.get_username())
    audit_account_event(
        AuditContext.from_request(request),
        Action.SIGN_IN,
        user=user,
        summary="Signed in",
    )


def on_signed_out(sender, request: HttpRequest, user: User | None, **kwargs) -> None:
    if user is None or not _made_on_the_site(request):
        return
    audit_account_event(
        AuditContext.from_request(request),
        Action.SIGN_OUT,
        user=user,
        summary="Signed out",
    )


def on_sign_in_failed(
    sender, credentials: dict, request: HttpRequest | None = None, **kwargs
) -> None:
    """One row per failed sign-in: the typed user name, never the password.

    Connected after axes' own receiver, which has counted this failure by now.
    """
    username = get_client_username(request, credentials) if request else None
    username = username or credentials.get("username")
    failures = getattr(request, "axes_failures_since_start", 0) or 0
    limit = settings.AXES_FAILURE_LIMIT
    if failures > limit:
        summary = f"Sign-in refused as {_typed(username)}: locked out"
    elif failures == limit:
        summary = f"Sign-in failed as {_typed(username)}; now locked out"
    else:
        summary = f"Sign-in failed as {_typed(username)}"
    context = (
        AuditContext.from_request(request)
        if request is not None
        else AuditContext.system("sign-in")
    )
    account = _account_named(username)
    audit_account_event(context, Action.SIGN_IN_FAILED, user=account, summary=summary)
    # The lockout this failure caused, after it (see on_locked_out).
    for lockout_summary in getattr(request, "_clinic_lockouts", ()):
        audit_account_event(
            context, Action.LOCKED_OUT, user=account, summary=lockout_summary
        )


def on_locked_out(
    sender, request: HttpRequest, username: str | None, ip_address: str | None, **kw
) -> None:
    """A LOCKED_OUT row when a user name or an address becomes locked.

    Axes signals on every refused attempt too; those are failed sign-ins ("refused:
    locked out"), not new lockouts. Each failure adds one to both counts, so a count
    that equals the limit has just reached it.
    """
    state = lock_state(username=username or "", address=ip_address)
    limit = settings.AXES_FAILURE_LIMIT
    parts = []
    if state.account_failures == limit:
        parts.append(f"{_ACCOUNT_LOCKED} {_typed(username)} (from any address)")
    if state.address_failures == limit:
        parts.append(f"{_ADDRESS_LOCKED} {ip_address} (for any user name)")
    if not parts:
        return
    summary = f"Locked out after {limit} failed sign-ins: " + " and ".join(parts)
    # Axes signals from inside its own failed-sign-in receiver, before ours has
    # written the failure; on_sign_in_failed writes this row just after it.
    request._clinic_lockouts = [*getattr(request, "_clinic_lockouts", ()), summary]  # type: ignore[attr-defined]  # a note for the next receiver


def connect() -> None:
    """Connect the receivers (from the app's ready()), after axes' own."""
    from axes import signals as axes_signals  # its receivers connect on import
    from django.contrib.auth import signals

    signals.user_logged_in.connect(on_signed_in, dispatch_uid="clinic-sign-in")
    signals.user_logged_out.connect(on_signed_out, dispatch_uid="clinic-sign-out")
    signals.user_login_failed.connect(
        on_sign_in_failed, dispatch_uid="clinic-sign-in-failed"
    )
    axes_signals.user_locked_out.connect(on_locked_out, dispatch_uid="clinic-locked")


# --- What a locked-out person sees, and the manager's unlock -------------------------


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict
) -> HttpResponse:
    """The page after a refused sign-in: what is locked, until when, whom to ask."""
    username = get_client_username(request, credentials) or ""
    state = lock_state(username=username, address=client_address(request))
    return render(
        request,
        "registration/locked_out.html",
        {"lock": state, "zone": location_zone()},
        status=getattr(settings, "AXES_HTTP_RESPONSE_CODE", 429),
    )


@transaction.atomic
def lockout_clear(*, kind: str, key: str, context: AuditContext) -> int:
    """Unlock a user name or an address through axes; audited. Returns attempts cleared."""
    if kind == ACCOUNT:
        cleared = axes_reset(username=key)
        what = f"{_ACCOUNT_LOCKED} {_typed(key)}"
        user = _account_named(key)
    elif kind == ADDRESS:
        cleared = axes_reset(ip=key)
        what = f"{_ADDRESS_LOCKED} {key}"
        user = None
    else:
        raise ValueError(f"Unknown lockout kind {kind!r}")
    if cleared:
        audit_account_event(
            context,
            Action.UNLOCKED,
            user=user,
            summary=f"Unlocked {what} ({cleared} failed-attempt records cleared)",
        )
    return cleared


def recent_sign_ins(user: User, *, limit: int = 20) -> QuerySet[AuditEvent]:
    """A person's own latest sign-ins, failed sign-ins and lockouts."""
    return AuditEvent.objects.filter(
        object_type="auth.User", object_id=user.pk, action__in=SIGN_IN_ACTIONS
    ).order_by("-at", "-pk")[:limit]
