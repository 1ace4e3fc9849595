"""The progress report to the physician (page and PDF) and the superbill PDFs.

Progress reports are written by the plan's therapist; superbills are for the front
desk and the manager (billing) and the client's therapists. Every read is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path

from clients.access import (
    get_client_for_user,
    require,
    require_visible,
    treats,
)
from clients.models import Client
from massageclinic.audit import AuditContext
from massageclinic.roles import Role
from sessions.access import get_appointment_for_user
from sessions.models import ProgressReport, TreatmentPlan
from sessions.treatment.forms.plans import ProgressReportForm, SuperbillPeriodForm
from sessions.treatment.pdf import pdf_response
from sessions.treatment.plans import progress_report_create
from sessions.treatment.selectors import (
    progress_report_form_read,
    progress_report_pdf,
    superbill_pdf,
)
from sessions.treatment.superbill import Superbill, superbill
from sessions.treatment.views.access import (
    chart_context,
    client_local_today,
    get_plan_for_user,
    require_health,
    require_role,
)

Status = TreatmentPlan.Status


# --- Progress report ------------------------------------------------------------------


def progress_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's therapist writes the assessment and recommendation; then the PDF."""
    plan = get_plan_for_user(request, pk)
    client = plan.client
    require_health(request, client)
    require(
        plan.therapist.user_id == request.user.pk,
        "Only the plan's therapist writes and signs its progress report.",
    )
    if plan.status == Status.DRAFT:
        messages.error(request, "Start the plan before reporting on it.")
        return redirect("sessions:plan", plan.pk)
    today = client_local_today(client)
    initial = {"period_start": plan.starts_on, "period_end": max(today, plan.starts_on)}
    form = ProgressReportForm(request.POST or None, initial=initial)
    context = AuditContext.from_request(request)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                progress_report_create(
                    plan=plan,
                    therapist=plan.therapist,
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    assessment=data["assessment"],
                    recommendation=data["recommendation"],
                    by=request.user,
                    context=context,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(
                    request,
                    "The progress report is saved. Download the PDF below and send it "
                    "to the referring provider.",
                )
                return redirect("sessions:plan_progress", plan.pk)
    progress = progress_report_form_read(plan=plan, context=context)
    return render(
        request,
        "sessions/progress_report_form.html",
        chart_context(client, today, plan=plan, form=form, progress=progress),
        status=status,
    )


def progress_report_download(request: HttpRequest, pk: int) -> HttpResponse:
    require_role(request)
    report = get_object_or_404(
        ProgressReport.objects.select_related("therapist__user"), pk=pk
    )
    plan = get_plan_for_user(request, report.plan_id)
    require_health(request, plan.client)
    report.plan = plan
    pdf = progress_report_pdf(report=report, context=AuditContext.from_request(request))
    return pdf_response(
        pdf, f"progress-report-{report.pk}-{report.period_end:%Y-%m-%d}.pdf"
    )


# --- Superbill ----------------------------------------------------------------------


def _require_billing(request: HttpRequest, client: Client) -> None:
    """The desk and the manager bill; a therapist only for clients they treat."""
    roles = require_role(request)
    if roles & {Role.FRONT_DESK, Role.MANAGER}:
        return
    require_visible(Role.THERAPIST in roles and treats(request.user, client))


def _superbill_pdf(
    request: HttpRequest, bill: Superbill, *, filename: str, summary: str
) -> HttpResponse:
    pdf = superbill_pdf(
        bill=bill, context=AuditContext.from_request(request), summary=summary
    )
    return pdf_response(pdf, filename)


def visit_superbill(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_appointment_for_user(request, pk)
    _require_billing(request, visit.client)
    bill = superbill(client=visit.client, visit=visit)
    if not bill.therapists:
        return render(
            request,
            "sessions/superbill_unavailable.html",
            {
                "client": visit.client,
                "visit": visit,
                "message": "This visit has no signed note yet: a superbill lists only "
                "visits whose note the therapist has signed.",
            },
            status=409,
        )
    day = visit.local_starts_at.date()
    return _superbill_pdf(
        request,
        bill,
        filename=f"superbill-visit-{visit.pk}-{day:%Y-%m-%d}.pdf",
        summary=f"Downloaded the superbill of the visit on {day:%Y-%m-%d}",
    )


def client_superbill(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for_user(request, client_pk)
    _require_billing(request, client)
    bound = "from" in request.GET or "to" in request.GET
    form = SuperbillPeriodForm(request.GET if bound else None)
    message = ""
    if bound and form.is_valid():
        start, end = form.cleaned_data["from"], form.cleaned_data["to"]
        bill = superbill(client=client, period=(start, end))
        if bill.therapists:
            return _superbill_pdf(
                request,
                bill,
                filename=f"superbill-{client.pk}-{start:%Y%m%d}-{end:%Y%m%d}.pdf",
                summary=f"Downloaded the superbill for {start:%Y-%m-%d} to "
                f"{end:%Y-%m-%d}",
            )
        message = (
            f"No signed visits between {start:%b %-d, %Y} and {end:%b %-d, %Y}: a "
            "superbill lists only visits whose note the therapist has signed."
        )
    return render(
        request,
        "sessions/superbill_period.html",
        chart_context(
            client, client_local_today(client), chart_tab="", form=form, message=message
        ),
        status=400 if bound and form.errors else 200,
    )


urlpatterns: list[URLPattern] = [
    path("plans/<int:pk>/report/", progress_report, name="progress_report"),
    path(
        "progress-reports/<int:pk>/report.pdf",
        progress_report_download,
        name="progress_report_pdf",
    ),
    path("visits/<int:pk>/superbill.pdf", visit_superbill, name="superbill"),
    path(
        "clients/<int:client_pk>/superbill.pdf",
        client_superbill,
        name="client_superbill",
    ),
]
