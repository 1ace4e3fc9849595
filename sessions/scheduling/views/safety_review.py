"""Answering the safety review of a booked visit: change its technique in place, or
acknowledge new modifications. The desk and the manager only (they book visits)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.safety import flags_in_force, modality_safety, safe_techniques
from massageclinic.audit import AuditContext
from sessions.access import get_appointment_for_user, require_booking_rights
from sessions.models import Appointment
from sessions.scheduling.booking import BookingNeedsConfirmation, Confirmation
from sessions.scheduling.forms.technique import ChangeTechniqueForm
from sessions.scheduling.technique import (
    appointment_safety_acknowledge,
    following_in_series,
    series_change_technique,
)
from sessions.scheduling.views.back import back_to
from therapists.models import Modality


def _back(request: HttpRequest, visit: Appointment) -> str:
    """Where the person came from (the home page or the chart), else the visit."""
    return back_to(request, reverse("sessions:visit", args=[visit.pk]))


def _allowed_techniques(visit: Appointment) -> list[Modality]:
    day = visit.starts_at.astimezone(visit.location.zone).date()
    offered = Modality.objects.filter(
        is_active=True, trainings__therapist=visit.therapist
    ).exclude(pk=visit.modality_id)
    return safe_techniques(
        client=visit.client,
        on=day,
        flags=flags_in_force(visit.client, day),
        among=offered.order_by("name").distinct(),
    )


def visit_change_technique(request: HttpRequest, pk: int) -> HttpResponse:
    """Change a booked visit's technique to one the safety rules allow."""
    visit = get_appointment_for_user(request, pk)
    require_booking_rights(request.user)
    techniques = _allowed_techniques(visit)
    in_series = len(following_in_series(visit)) > 1
    form = ChangeTechniqueForm(
        request.POST or None, techniques=techniques, in_series=in_series
    )
    warnings: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            changed = series_change_technique(
                appointment=visit,
                modality=data["modality"],
                following=bool(data.get("following")),
                by=request.user,
                now=timezone.now(),
                context=AuditContext.from_request(request),
                confirmation=Confirmation(
                    safety_acknowledged=data["acknowledge_safety"]
                ),
            )
        except BookingNeedsConfirmation as needs:
            warnings = needs.safety
            form.add_error(
                "acknowledge_safety", "Read the safety alerts above and tick the box."
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            visits = "visit is" if len(changed) == 1 else f"{len(changed)} visits are"
            messages.success(
                request,
                f"{visit.client.full_name}'s {visits} now {data['modality'].name}.",
            )
            return redirect(_back(request, visit))
    day = visit.starts_at.astimezone(visit.location.zone).date()
    verdict = modality_safety(client=visit.client, modality=visit.modality, on=day)
    return render(
        request,
        "sessions/change_technique.html",
        {
            "visit": visit,
            "form": form,
            "warnings": warnings,
            "verdict": verdict,
            "next": _back(request, visit),
        },
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def visit_safety_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    """Acknowledge the safety alerts that appeared since the visit was booked."""
    visit = get_appointment_for_user(request, pk)
    require_booking_rights(request.user)
    try:
        appointment_safety_acknowledge(
            appointment=visit,
            by=request.user,
            now=timezone.now(),
            context=AuditContext.from_request(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"The new safety alerts of {visit.client.full_name}'s visit are "
            "acknowledged.",
        )
    return redirect(_back(request, visit))


urlpatterns = [
    path(
        "visits/<int:pk>/technique/",
        visit_change_technique,
        name="visit_change_technique",
    ),
    path(
        "visits/<int:pk>/safety-acknowledge/",
        visit_safety_acknowledge,
        name="visit_safety_acknowledge",
    ),
]
