"""The outbox page: the desk (and a therapist, for their own clients) sees every
message, why it was not sent, and can retry a failed one. The client's confirm and
cancel link pages are in `sessions.scheduling.views.links`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from massageclinic.roles import Role, role_required, user_roles
from sessions.messaging.outbox import message_retry
from sessions.messaging.selectors import SHOWN, messages_visible_to, outbox_for

# --- the outbox -------------------------------------------------------------------------


@role_required(Role.FRONT_DESK, Role.MANAGER, Role.THERAPIST)
def outbox(request: HttpRequest) -> HttpResponse:
    show = request.GET.get("show", "open")
    if show not in SHOWN:
        show = "open"
    can_retry = bool(user_roles(request.user) & {Role.FRONT_DESK, Role.MANAGER})
    return render(
        request,
        "sessions/outbox.html",
        {
            "outbox": outbox_for(user=request.user, show=show),
            "show": show,
            "can_retry": can_retry,
            "filters": [
                ("open", "Failed and pending"),
                ("failed", "Failed"),
                ("pending", "Pending"),
                ("skipped", "Not sent (skipped)"),
                ("sent", "Sent"),
            ],
        },
    )


@require_POST
@role_required(Role.FRONT_DESK, Role.MANAGER, Role.THERAPIST)
def outbox_retry(request: HttpRequest, pk: int) -> HttpResponse:
    message = get_object_or_404(messages_visible_to(request.user), pk=pk)
    if not user_roles(request.user) & {Role.FRONT_DESK, Role.MANAGER}:
        raise PermissionDenied("Only the front desk and the manager retry messages.")
    try:
        message_retry(message=message, by=request.user, now=timezone.now())
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        who = message.client.full_name if message.client else "the front desk"
        messages.success(
            request,
            f"The {message.get_kind_display().lower()} to {who} is being sent again.",
        )
    return redirect("sessions:outbox")


urlpatterns: list[URLPattern] = [
    path("messages/", outbox, name="outbox"),
    path("messages/<int:pk>/retry/", outbox_retry, name="outbox_retry"),
]
