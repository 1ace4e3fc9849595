"""A therapist reviews what a client wrote as text in their newest history.

The page shows the text (health data: the manager and the client's therapists only;
the front desk gets 403) and records the review: flagged, after adding the flags on
the flag page, or harmless, with a note. Opening it writes a VIEW audit row.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone

from clients.access import (
    can_edit_demographics,
    can_read_health_data,
    get_client_for_user,
    require,
)
from clients.forms.history_review import HistoryReviewForm
from clients.history_reviews import (
    can_review_history,
    history_review_record,
    open_review_of,
)
from clients.intake_services import client_today
from clients.safety import client_alerts
from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent

_NO_HEALTH_DATA = "Only the clinic manager and the client's therapists see this."


def history_review(request: HttpRequest, pk: int, history_pk: int) -> HttpResponse:
    client = get_client_for_user(request, pk)
    require(can_read_health_data(request.user, client), _NO_HEALTH_DATA)
    history = get_object_or_404(
        client.histories.select_related("client"), pk=history_pk
    )
    item = open_review_of(history)
    form = HistoryReviewForm(request.POST or None)
    context = AuditContext.from_request(request)
    if request.method == "POST" and form.is_valid() and item is not None:
        try:
            history_review_record(
                history=history,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                by=request.user,
                now=timezone.now(),
                context=context,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict"):
                for field, errors in error.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, error)
        else:
            messages.success(
                request,
                f"The history v{history.version} of {client.full_name} is reviewed.",
            )
            return redirect(reverse("clients:detail", args=[client.pk]))
    if item is not None:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            history,
            client_id=client.pk,
            summary=f"Viewed the history v{history.version} for review",
        )
    today = client_today(client, timezone.now())
    return render(
        request,
        "clients/history_review.html",
        {
            "client": client,
            "alerts": client_alerts(client, today),
            "chart_tab": "history",
            "can_edit": can_edit_demographics(request.user),
            "today": today,
            "history": history,
            "item": item,
            "form": form,
            "can_review": can_review_history(request.user, client),
        },
        status=400 if request.method == "POST" else 200,
    )


urlpatterns: list[URLPattern] = [
    path(
        "clients/<int:pk>/history/<int:history_pk>/review/",
        history_review,
        name="history_review",
    ),
]
