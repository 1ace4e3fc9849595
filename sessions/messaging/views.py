"""The outbox page: the desk (and a therapist, for their own clients) sees every
message, why it was not sent, and can retry a failed one. The client's confirm and
cancel link pages are in `sessions.scheduling.views.links`.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from massageclinic.roles import Role, role_required, user_roles
from sessions.messaging.forms import OutboxFilterForm
from sessions.messaging.outbox import message_retry
from sessions.messaging.selectors import messages_visible_to, outbox_page

# --- the outbox -------------------------------------------------------------------------


@role_required(Role.FRONT_DESK, Role.MANAGER, Role.THERAPIST)
def outbox(request: HttpRequest) -> HttpResponse:
    form = OutboxFilterForm(request.GET)
    form.is_valid()
    filters = form.filters()
    asked = request.GET.get("page", "1")
    box = outbox_page(user=request.user, filters=filters, page=asked)
    page_note = ""
    if asked != str(box.page.number) and "page" in request.GET:
        page_note = (
            f"There is no page {asked[:20]}; this is page {box.page.number} "
            f"of {box.page.paginator.num_pages}."
        )
    # The filters without the page: the page links and the pills add their own.
    kept = request.GET.copy()
    kept.pop("page", None)
    return render(
        request,
        "sessions/outbox.html",
        {
            "outbox": box,
            "form": form,
            "show": filters.show,
            "filters": filters,
            "can_retry": bool(
                user_roles(request.user) & {Role.FRONT_DESK, Role.MANAGER}
            ),
            "kept": kept.urlencode(),
            "page_numbers": list(
                box.page.paginator.get_elided_page_range(
                    box.page.number, on_each_side=2, on_ends=1
                )
            ),
            "ellipsis": Paginator.ELLIPSIS,
            "page_note": page_note,
            "clear_url": f"{reverse('sessions:outbox')}?show={filters.show}",
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
    # Back to the same filtered page the retry was pressed on.
    back = request.POST.get("next", "")
    if back.startswith(reverse("sessions:outbox")) and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}
    ):
        return redirect(back)
    return redirect("sessions:outbox")


urlpatterns: list[URLPattern] = [
    path("messages/", outbox, name="outbox"),
    path("messages/<int:pk>/retry/", outbox_retry, name="outbox_retry"),
]
