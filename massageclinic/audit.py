"""Record every read and change of health data (DESIGN.md section 6).

A view builds one small `AuditContext` (who, from which address, which page) and
hands it to the service or selector, which writes the audit row itself, inside its
own transaction: a row exists exactly when the change committed. The client's signed
intake link, the admin and the demo seeder build their own context, so every path
that reads or changes health data is audited the same way. (Schedule changes are
not health data: each visit keeps its own history, `AppointmentEvent`.)
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import models
from django.http import HttpRequest

from massageclinic.models import AuditEvent


def client_ip(request: HttpRequest) -> str | None:
    """The client's address: what the audit log records and sign-in lockouts count.

    Behind CLINIC_TRUSTED_PROXIES reverse proxies (each appending the address it got
    the request from to X-Forwarded-For, as nginx's `$proxy_add_x_forwarded_for`
    does), REMOTE_ADDR is the nearest proxy and the client is the entry that many
    hops from the right of the header; entries further left were written by the
    client and prove nothing. With 0 (no proxy), the header is ignored: anyone can
    send one. A header missing, shorter than the proxies or not naming an address
    falls back to REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR") or None
    hops: int = settings.CLINIC_TRUSTED_PROXIES
    if hops < 1:
        return remote
    header = request.META.get("HTTP_X_FORWARDED_FOR", "")
    forwarded = header.split(",")
    if not header.strip() or len(forwarded) < hops:
        return remote
    candidate = forwarded[-hops].strip()
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote


@dataclass(frozen=True)
class AuditContext:
    """Who is acting, from where: what an audit row records besides the record."""

    user: User | None
    ip_address: str | None = None
    path: str = ""

    @classmethod
    def from_request(cls, request: HttpRequest) -> AuditContext:
        user = request.user
        return cls(
            user=None if isinstance(user, AnonymousUser) else user,
            ip_address=client_ip(request),
            path=request.get_full_path()[:250],
        )

    @classmethod
    def system(cls, what: str, user: User | None = None) -> AuditContext:
        """A change made off the web: a Celery task, a command ("task:send", ...)."""
        return cls(user=user, ip_address=None, path=what[:250])


def audit_record(
    context: AuditContext,
    action: str,
    obj: models.Model,
    *,
    client_id: int | None,
    summary: str = "",
) -> AuditEvent:
    """Write one audit line for `obj`, seen or changed in this context."""
    user = context.user if context.user is not None else None
    return AuditEvent.objects.create(
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        client_id=client_id,
        object_type=obj._meta.label,
        object_id=obj.pk,
        summary=summary[:250],
        ip_address=context.ip_address,
        path=context.path,
    )


def audit(
    request: HttpRequest,
    action: str,
    obj: models.Model,
    *,
    client_id: int | None,
    summary: str = "",
) -> AuditEvent:
    """Write one audit line for a page's own read (prefer passing a context on)."""
    return audit_record(
        AuditContext.from_request(request),
        action,
        obj,
        client_id=client_id,
        summary=summary,
    )


def audit_account_event(
    context: AuditContext,
    action: str,
    *,
    user: User | None,
    summary: str = "",
) -> AuditEvent:
    """Write one audit line for a sign-in or account event (no client involved).

    `user` is the account the event is about (the one signing in, locked out,
    enrolling a device), kept in object_id; `context.user` is who acted: the
    signed-in person (themselves, or a manager unlocking an account), or nobody. A
    failed sign-in is made by whoever typed the password, not by the account they
    tried, so its row names no one; a successful one names the person, signed in by
    then. A failed sign-in under an unknown name has no account either: the summary
    names what was typed.
    """
    actor = context.user if getattr(context.user, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        user=actor,
        action=action,
        client_id=None,
        object_type="auth.User",
        object_id=user.pk if user is not None else None,
        summary=summary[:250],
        ip_address=context.ip_address,
        path=context.path,
    )
