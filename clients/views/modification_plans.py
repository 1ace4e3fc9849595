"""Therapists' modification plans on the client's chart: record one, withdraw one.

A plan is health data: the manager and the therapists who treat the client open these
pages; the front desk gets 403 (DESIGN.md section 6). The services check who may
record (a licensed therapist) and who may withdraw, and write the audit rows.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.access import (
    can_edit_demographics,
    can_read_health_data,
    get_client_for_user,
    require,
)
from clients.forms.modification_plans import ModificationPlanForm
from clients.intake_services import client_today
from clients.models import Client
from clients.modification_plans import (
    modification_plan_record,
    modification_plan_withdraw,
    ruled_out_techniques,
)
from clients.safety import client_alerts
from massageclinic.audit import AuditContext

_NO_HEALTH_DATA = "Only the clinic manager and the client's therapists see this."


def _plans_client(request: HttpRequest, pk: int) -> Client:
    client = get_client_for_user(request, pk)
    require(can_read_health_data(request.user, client), _NO_HEALTH_DATA)
    return client


def _section_url(client: Client) -> str:
    return reverse("clients:detail", args=[client.pk]) + "#modification-plans"


def _add_errors(form: Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def modification_plan_new(request: HttpRequest, pk: int) -> HttpResponse:
    client = _plans_client(request, pk)
    today = client_today(client, timezone.now())
    techniques = ruled_out_techniques(client=client, on=today)
    chosen = request.GET.get("modality", "")
    initial = {"starts_on": today}
    if chosen.isdigit() and any(m.pk == int(chosen) for m in techniques):
        initial["modality"] = int(chosen)
    form = ModificationPlanForm(
        request.POST or None,
        request.FILES or None,
        techniques=techniques,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = modification_plan_record(
                client=client,
                modality=data["modality"],
                changes=data["changes"],
                reason=data["reason"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                clearance_document=data["clearance_document"] or None,
                by=request.user,
                today=today,
                context=AuditContext.from_request(request),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                f"Modification plan recorded: {plan.modality.name} until "
                f"{plan.ends_on:%d %b %Y}, with changes: {plan.changes}.",
            )
            return redirect(_section_url(client))
    return render(
        request,
        "clients/modification_plan_form.html",
        {
            "client": client,
            "alerts": client_alerts(client, today),
            "chart_tab": "overview",
            "can_edit": can_edit_demographics(request.user),
            "today": today,
            "form": form,
            "techniques": techniques,
        },
    )


@require_POST
def modification_plan_withdraw_view(
    request: HttpRequest, pk: int, plan_pk: int
) -> HttpResponse:
    client = _plans_client(request, pk)
    plan = get_object_or_404(
        client.modification_plans.select_related("modality"), pk=plan_pk
    )
    try:
        modification_plan_withdraw(
            plan=plan,
            by=request.user,
            now=timezone.now(),
            context=AuditContext.from_request(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Modification plan withdrawn: {plan.modality.name} is ruled out again "
            f"for {client.full_name}.",
        )
    return redirect(_section_url(client))


urlpatterns: list[URLPattern] = [
    path(
        "clients/<int:pk>/modification-plans/new/",
        modification_plan_new,
        name="modification_plan_new",
    ),
    path(
        "clients/<int:pk>/modification-plans/<int:plan_pk>/withdraw/",
        modification_plan_withdraw_view,
        name="modification_plan_withdraw",
    ),
]
