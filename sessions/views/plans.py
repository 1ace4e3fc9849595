"""Treatment plans, progress pages, the progress report and the superbill.

Access (DESIGN.md section 6): the manager and the therapists who treat the client read
plans, goals and progress; the plan's own therapist and the manager change a plan; the
front desk sees a plan's status and dates (with the visit counts and authorization it
needs to book the series) and nothing clinical. Superbills are for the front desk and
the manager (billing) and the client's therapists. A therapist who does not treat the
client gets 404; a role that may not use a page gets 403. Every read and change of
health data is audited.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST

from clients.access import (
    can_read_health_data,
    can_read_referrals,
    clients_visible_to,
    get_client_for_user,
    require,
    require_visible,
    treats,
)
from clients.intake_services import client_today
from clients.models import Client, Referral
from clients.referral_selectors import (
    AuthorizationStatus,
    ReferralStatus,
    client_referrals,
)
from clients.safety import client_alerts, flags_in_force, modality_safety
from massageclinic.audit import audit
from massageclinic.clock import local_date
from massageclinic.models import AuditEvent, clinic_policy, clinic_today
from massageclinic.roles import Role, user_roles
from massageclinic.validators import parse_id
from sessions.access import can_book, get_appointment_for_user
from sessions.models import ProgressReport, TreatmentPlan
from sessions.pdf import chart_images, pdf_response, render_pdf
from sessions.plan_forms import (
    PlanForm,
    PlanStatusForm,
    ProgressReportForm,
    SuperbillPeriodForm,
    diagnosis_names,
    goal_formset,
    plan_initial,
    plan_initial_from_plan,
)
from sessions.plan_services import (
    CLOSED_STATUSES,
    TRANSITIONS,
    plan_create,
    plan_modality_warnings,
    plan_set_status,
    plan_update,
    progress_report_create,
)
from sessions.progress import (
    client_progress,
    plan_progress,
    plan_visit_counts,
    superbill,
)
from therapists.models import Modality, Therapist

Status = TreatmentPlan.Status
BLANK_GOALS_NEW = 2
BLANK_GOALS_EDIT = 1
STATUS_ACTIONS = {
    Status.ACTIVE: ("Start the plan", "btn-success"),
    Status.COMPLETED: ("Mark the plan completed", "btn-outline-primary"),
    Status.DISCONTINUED: ("Discontinue the plan", "btn-outline-danger"),
}


# --- Access -----------------------------------------------------------------------


def _require_role(request: HttpRequest) -> frozenset[Role]:
    roles = user_roles(request.user)
    if not roles:
        raise PermissionDenied("Your account has no role yet.")
    return roles


def _get_plan(request: HttpRequest, pk: int) -> TreatmentPlan:
    """The plan, if the person may know its client at all; otherwise 404."""
    _require_role(request)
    plan = get_object_or_404(
        TreatmentPlan.objects.select_related(
            "client", "therapist__user", "referral__provider"
        ),
        pk=pk,
    )
    require_visible(clients_visible_to(request.user).filter(pk=plan.client_id).exists())
    return plan


def _require_health(request: HttpRequest, client: Client) -> None:
    """Plan content, progress and reports: the manager and the client's therapists."""
    require(
        can_read_health_data(request.user, client),
        "Treatment plans, goals and progress are for the client's therapists and the "
        "clinic manager.",
    )


def _writes_plan(user, plan: TreatmentPlan) -> bool:
    return Role.MANAGER in user_roles(user) or plan.therapist.user_id == user.pk


def _own_therapist(user) -> Therapist | None:
    return Therapist.objects.filter(user=user, is_active=True).first()


def _today(client: Client) -> date:
    return client_today(client, timezone.now())


def _chart(client: Client, today: date, **extra: Any) -> dict[str, Any]:
    return {
        "client": client,
        "alerts": client_alerts(client, today),
        "chart_tab": "plans",
        "today": today,
    } | extra


# --- New and edit -------------------------------------------------------------------


def _verdicts(client: Client, on: date) -> dict:
    """Safety of every active modality for the client, for the form's labels."""
    flags = flags_in_force(client, on)
    if not flags:
        return {}
    return {
        m.pk: modality_safety(client=client, modality=m, on=on, flags=flags)
        for m in Modality.objects.filter(is_active=True)
    }


def _with_blank_goal(request: HttpRequest) -> Any:
    """The posted data with one more blank goal row ("Add another goal")."""
    data = request.POST.copy()
    total = data.get("goals-TOTAL_FORMS", "0")
    data["goals-TOTAL_FORMS"] = str(int(total) + 1 if total.isdecimal() else 1)
    return data


def _add_service_error(form: PlanForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _warn_about_safety(request: HttpRequest, plan: TreatmentPlan, today: date) -> None:
    on = max(today, plan.starts_on)
    for verdict in plan_modality_warnings(
        client=plan.client, modalities=list(plan.planned_modalities.all()), on=on
    ):
        messages.warning(request, "Safety: " + verdict.summary())


def plan_new(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for_user(request, client_pk)
    roles = user_roles(request.user)
    is_manager = Role.MANAGER in roles
    require(
        is_manager or Role.THERAPIST in roles,
        "Therapists and the clinic manager write treatment plans; the front desk "
        "books the series from them.",
    )
    own = _own_therapist(request.user)
    if not is_manager:
        require_visible(can_read_health_data(request.user, client))
        require(own is not None, "Your therapist profile is not active.")
    today = _today(client)
    referral = None
    raw = request.GET.get("referral", "")
    if raw:
        referral = (
            Referral.objects.filter(client=client, pk=parse_id(raw))
            .prefetch_related("prescribed_modalities")
            .first()
            if parse_id(raw) is not None
            else None
        )
        if referral is None:
            messages.warning(request, "That referral is not on this client's chart.")
    initial = plan_initial(
        referral=referral, today=today, session_lengths=clinic_policy().session_lengths
    )
    if is_manager and own is not None:
        initial["therapist"] = own
    form_kwargs = {
        "client": client,
        "choose_therapist": is_manager,
        "verdicts": _verdicts(client, today),
    }
    if request.method == "POST":
        adding = "add_goal" in request.POST
        data = _with_blank_goal(request) if adding else request.POST
        form = PlanForm(data, initial=initial, **form_kwargs)
        goals = goal_formset(data, blank=BLANK_GOALS_NEW)
        if not adding and form.is_valid() and goals.is_valid():
            therapist = form.cleaned_data["therapist"] if is_manager else own
            try:
                plan = plan_create(
                    client=client,
                    therapist=therapist,
                    details=form.details(goals.goals()),
                    by=request.user,
                )
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                audit(
                    request,
                    AuditEvent.Action.CREATE,
                    plan,
                    client_id=client.pk,
                    summary=f"Created a treatment plan with {plan.goals.count()} goals",
                )
                messages.success(request, "The treatment plan is saved as a draft.")
                _warn_about_safety(request, plan, today)
                return redirect("sessions:plan", plan.pk)
        status = 200 if adding else 400
    else:
        form = PlanForm(initial=initial, **form_kwargs)
        goals = goal_formset(blank=BLANK_GOALS_NEW)
        status = 200
    audit(
        request,
        AuditEvent.Action.VIEW,
        client,
        client_id=client.pk,
        summary="Opened a new treatment plan form",
    )
    return render(
        request,
        "sessions/plan_form.html",
        _chart(
            client,
            today,
            form=form,
            goals=goals,
            plan=None,
            referral=referral,
        ),
        status=status,
    )


def plan_edit(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _get_plan(request, pk)
    client = plan.client
    _require_health(request, client)
    require(
        _writes_plan(request.user, plan),
        "Only the plan's therapist and the clinic manager change a plan.",
    )
    if plan.status in CLOSED_STATUSES:
        messages.error(
            request,
            f"This plan is {plan.get_status_display().lower()}: it can no longer be "
            "changed.",
        )
        return redirect("sessions:plan", plan.pk)
    today = _today(client)
    is_manager = Role.MANAGER in user_roles(request.user)
    existing = list(plan.goals.order_by("pk"))
    form_kwargs = {
        "client": client,
        "choose_therapist": is_manager,
        "verdicts": _verdicts(client, today),
        "initial": plan_initial_from_plan(plan),
    }
    if request.method == "POST":
        adding = "add_goal" in request.POST
        data = _with_blank_goal(request) if adding else request.POST
        form = PlanForm(data, **form_kwargs)
        goals = goal_formset(data, goals=existing, blank=BLANK_GOALS_EDIT)
        if not adding and form.is_valid() and goals.is_valid():
            try:
                plan = plan_update(
                    plan=plan,
                    details=form.details(goals.goals()),
                    by=request.user,
                    therapist=form.cleaned_data["therapist"] if is_manager else None,
                )
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                audit(
                    request,
                    AuditEvent.Action.CHANGE,
                    plan,
                    client_id=client.pk,
                    summary="Changed the treatment plan",
                )
                messages.success(request, "The treatment plan is saved.")
                _warn_about_safety(request, plan, today)
                return redirect("sessions:plan", plan.pk)
        status = 200 if adding else 400
    else:
        form = PlanForm(**form_kwargs)
        goals = goal_formset(goals=existing, blank=BLANK_GOALS_EDIT)
        status = 200
    audit(
        request,
        AuditEvent.Action.VIEW,
        plan,
        client_id=client.pk,
        summary="Opened the treatment plan to edit it",
    )
    return render(
        request,
        "sessions/plan_form.html",
        _chart(client, today, form=form, goals=goals, plan=plan, referral=None),
        status=status,
    )


# --- The plan page ------------------------------------------------------------------


def _referral_and_authorizations(
    plan: TreatmentPlan, today: date
) -> tuple[ReferralStatus | None, list[AuthorizationStatus]]:
    """The plan's referral with its usage, and the authorizations that cover it."""
    data = client_referrals(client=plan.client, today=today)
    referral = next(
        (r for r in data.referrals if r.referral.pk == plan.referral_id), None
    )
    statuses = [a for p in data.policies for a in p.authorizations]
    if plan.referral_id:
        linked = [
            a for a in statuses if a.authorization.referral_id == plan.referral_id
        ]
        if linked:
            return referral, linked
    return referral, [a for a in statuses if not a.expired]


def _plan_page(
    request: HttpRequest,
    plan: TreatmentPlan,
    *,
    status_form: PlanStatusForm | None = None,
    status: int = 200,
) -> HttpResponse:
    client = plan.client
    today = _today(client)
    user = request.user
    reads = can_read_health_data(user, client)
    progress = plan_progress(plan=plan) if reads else None
    referral, authorizations = (
        _referral_and_authorizations(plan, today)
        if can_read_referrals(user, client)
        else (None, [])
    )
    writes = reads and _writes_plan(user, plan)
    context = _chart(
        client,
        today,
        plan=plan,
        reads=reads,
        writes=writes,
        progress=progress,
        counts=plan_visit_counts(plan, progress),
        referral_status=referral,
        authorizations=authorizations,
        can_book_series=can_book(user) and plan.status not in CLOSED_STATUSES,
        transitions=[
            (value, *STATUS_ACTIONS[value]) for value in TRANSITIONS[plan.status]
        ]
        if writes
        else [],
        status_form=status_form or PlanStatusForm(),
        is_own_plan=plan.therapist.user_id == user.pk,
    )
    if reads:
        modalities = list(plan.planned_modalities.all())
        context.update(
            diagnoses=diagnosis_names(plan.problems),
            modalities=modalities,
            safety=plan_modality_warnings(
                client=client, modalities=modalities, on=max(today, plan.starts_on)
            ),
            reports=list(plan.progress_reports.select_related("therapist__user")),
        )
        audit(
            request,
            AuditEvent.Action.VIEW,
            plan,
            client_id=client.pk,
            summary="Viewed the treatment plan",
        )
    return render(request, "sessions/plan.html", context, status=status)


def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, _get_plan(request, pk))


@require_POST
def plan_status(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _get_plan(request, pk)
    _require_health(request, plan.client)
    require(
        _writes_plan(request.user, plan),
        "Only the plan's therapist and the clinic manager change a plan.",
    )
    form = PlanStatusForm(request.POST)
    if form.is_valid():
        before = plan.get_status_display()
        try:
            plan = plan_set_status(
                plan=plan,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            _add_service_error(form, error)
        else:
            audit(
                request,
                AuditEvent.Action.CHANGE,
                plan,
                client_id=plan.client_id,
                summary=f"Plan status: {before} -> {plan.get_status_display()}",
            )
            messages.success(
                request, f"The plan is {plan.get_status_display().lower()}."
            )
            return redirect("sessions:plan", plan.pk)
    return _plan_page(request, plan, status_form=form, status=400)


# --- Progress -----------------------------------------------------------------------


def plan_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _get_plan(request, pk)
    client = plan.client
    _require_health(request, client)
    progress = plan_progress(plan=plan)
    audit(
        request,
        AuditEvent.Action.VIEW,
        plan,
        client_id=client.pk,
        summary=f"Viewed the plan's progress ({len(progress.visits)} visits)",
    )
    today = _today(client)
    return render(
        request,
        "sessions/progress.html",
        _chart(
            client,
            today,
            plan=plan,
            progress=progress,
            plan_groups=None,
            reports=list(plan.progress_reports.select_related("therapist__user")),
            can_report=plan.therapist.user_id == request.user.pk
            and plan.status != Status.DRAFT,
        ),
    )


def client_progress_view(request: HttpRequest, client_pk: int) -> HttpResponse:
    client = get_client_for_user(request, client_pk)
    _require_health(request, client)
    data = client_progress(client=client)
    audit(
        request,
        AuditEvent.Action.VIEW,
        client,
        client_id=client.pk,
        summary=f"Viewed the client's progress ({len(data.progress.visits)} visits)",
    )
    return render(
        request,
        "sessions/progress.html",
        _chart(
            client,
            _today(client),
            plan=None,
            progress=data.progress,
            plan_groups=data.plans,
            reports=[],
            can_report=False,
        ),
    )


# --- Progress report ------------------------------------------------------------------


def progress_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan's therapist writes the assessment and recommendation; then the PDF."""
    plan = _get_plan(request, pk)
    client = plan.client
    _require_health(request, client)
    require(
        plan.therapist.user_id == request.user.pk,
        "Only the plan's therapist writes and signs its progress report.",
    )
    if plan.status == Status.DRAFT:
        messages.error(request, "Start the plan before reporting on it.")
        return redirect("sessions:plan", plan.pk)
    today = _today(client)
    initial = {"period_start": plan.starts_on, "period_end": max(today, plan.starts_on)}
    form = ProgressReportForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = progress_report_create(
                    plan=plan,
                    therapist=plan.therapist,
                    period_start=data["period_start"],
                    period_end=data["period_end"],
                    assessment=data["assessment"],
                    recommendation=data["recommendation"],
                    by=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                audit(
                    request,
                    AuditEvent.Action.CREATE,
                    report,
                    client_id=client.pk,
                    summary="Wrote a progress report for the referring provider",
                )
                messages.success(
                    request,
                    "The progress report is saved. Download the PDF below and send it "
                    "to the referring provider.",
                )
                return redirect("sessions:plan_progress", plan.pk)
    progress = plan_progress(plan=plan)
    audit(
        request,
        AuditEvent.Action.VIEW,
        plan,
        client_id=client.pk,
        summary="Opened the progress report form",
    )
    return render(
        request,
        "sessions/progress_report_form.html",
        _chart(client, today, plan=plan, form=form, progress=progress),
        status=status,
    )


def _report_context(report: ProgressReport) -> dict[str, Any]:
    plan = report.plan
    progress = plan_progress(plan=plan, period=(report.period_start, report.period_end))
    referral = plan.referral
    codes = [*(referral.diagnosis_codes if referral else []), *plan.problems]
    images = chart_images(progress.charts)
    return {
        "report": report,
        "plan": plan,
        "client": plan.client,
        "referral": referral,
        "diagnoses": diagnosis_names(list(dict.fromkeys(codes))),
        "progress": progress,
        "prescribed": referral.visits_authorized if referral else plan.visits_planned,
        "pain_image": images[progress.pain_chart.slug],
        "goal_rows": [
            (item, images.get(item.chart.slug) if item.chart else None)
            for item in progress.goals
        ],
        "clinic_name": clinic_policy().clinic_name,
        # The day it was written where the client is treated, not the UTC date.
        "signed_on": local_date(report.created_at, plan.client.preferred_location),
    }


def progress_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _require_role(request)
    report = get_object_or_404(
        ProgressReport.objects.select_related("therapist__user"), pk=pk
    )
    plan = _get_plan(request, report.plan_id)
    _require_health(request, plan.client)
    report.plan = plan
    pdf = render_pdf("sessions/progress_report_pdf.html", _report_context(report))
    audit(
        request,
        AuditEvent.Action.DOWNLOAD,
        report,
        client_id=plan.client_id,
        summary="Downloaded the progress report (PDF)",
    )
    return pdf_response(
        pdf, f"progress-report-{report.pk}-{report.period_end:%Y-%m-%d}.pdf"
    )


# --- Superbill ----------------------------------------------------------------------


def _require_billing(request: HttpRequest, client: Client) -> None:
    """The desk and the manager bill; a therapist only for clients they treat."""
    roles = _require_role(request)
    if roles & {Role.FRONT_DESK, Role.MANAGER}:
        return
    require_visible(Role.THERAPIST in roles and treats(request.user, client))


def _superbill_pdf(
    request: HttpRequest, bill: Any, *, filename: str, summary: str
) -> HttpResponse:
    pdf = render_pdf(
        "sessions/superbill_pdf.html",
        {"bill": bill, "generated_on": clinic_today()},
    )
    audit(
        request,
        AuditEvent.Action.DOWNLOAD,
        bill.client,
        client_id=bill.client.pk,
        summary=summary,
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
        _chart(client, _today(client), chart_tab="", form=form, message=message),
        status=400 if bound and form.errors else 200,
    )


urlpatterns: list[URLPattern] = [
    path("clients/<int:client_pk>/plans/new/", plan_new, name="plan_new"),
    path("plans/<int:pk>/", plan_detail, name="plan"),
    path("plans/<int:pk>/edit/", plan_edit, name="plan_edit"),
    path("plans/<int:pk>/status/", plan_status, name="plan_status"),
    path("plans/<int:pk>/progress/", plan_progress_view, name="plan_progress"),
    path(
        "clients/<int:client_pk>/progress/",
        client_progress_view,
        name="client_progress",
    ),
    path("plans/<int:pk>/report/", progress_report, name="progress_report"),
    path(
        "progress-reports/<int:pk>/report.pdf",
        progress_report_pdf,
        name="progress_report_pdf",
    ),
    path("visits/<int:pk>/superbill.pdf", visit_superbill, name="superbill"),
    path(
        "clients/<int:client_pk>/superbill.pdf",
        client_superbill,
        name="client_superbill",
    ),
]
