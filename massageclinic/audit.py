"""Record every read and change of health data (DESIGN.md section 6)."""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest

from massageclinic.models import AuditEvent


def _client_ip(request: HttpRequest) -> str | None:
    # Behind the proxy, REMOTE_ADDR is the proxy; configure the proxy to set it.
    return request.META.get("REMOTE_ADDR") or None


def audit(
    request: HttpRequest,
    action: str,
    obj: models.Model,
    *,
    client_id: int | None,
    summary: str = "",
) -> AuditEvent:
    """Write one audit line for `obj`, seen or changed by the request's user."""
    user = request.user if request.user.is_authenticated else None
    return AuditEvent.objects.create(
        user=user,
        action=action,
        client_id=client_id,
        object_type=obj._meta.label,
        object_id=obj.pk,
        summary=summary[:250],
        ip_address=_client_ip(request),
        path=request.get_full_path()[:250],
    )
