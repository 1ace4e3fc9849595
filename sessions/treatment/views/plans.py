"""Treatment plans and progress pages (reports and superbills: `reports.py`).

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
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.views.decorators.http import require_POST

from clients.access import (
    can_read_health_data,
    can_read_referrals,
    get_client_for_user,
    require,
    require_visible,
)
from clients.models import Client, Referral
from clients.referral_selectors import (
    AuthorizationStatus,
    ReferralStatus,
    client_referrals,
)
from clients.safety import flags_in_force, modality_safety
from massageclinic.audit import AuditContext
from massageclinic.models import clinic_policy
from massageclinic.roles import Role, user_roles
from massageclinic.validators import parse_id
from sessions.access import can_book
from sessions.models import TreatmentPlan
from sessions.treatment.forms.plans import (
    PlanForm,
    PlanStatusForm,
    diagnosis_names,
    goal_formset,
    plan_initial,
    plan_initial_from_plan,
)
from sessions.treatment.plans import (
    CLOSED_STATUSES,
    TRANSITIONS,
    plan_create,
    plan_modality_warnings,
    plan_set_status,
    plan_update,
)
from sessions.treatment.progress import plan_visit_counts
from sessions.treatment.selectors import (
    client_progress_read,
    plan_form_read,
    plan_progress_read,
    plan_read,
)
from sessions.treatment.views.access import (
    chart_context,
    client_local_today,
    get_plan_for_user,
    own_therapist,
    require_health,
    writes_plan,
)
from therapists.models import Modality

Status = TreatmentPlan.Status
BLANK_GOALS_NEW = 2
BLANK_GOALS_EDIT = 1
STATUS_ACTIONS = {
    Status.ACTIVE: ("Start the plan", "btn-success"),
    Status.COMPLETED: ("Mark the plan completed", "btn-outline-primary"),
    Status.DISCONTINUED: ("Discontinue the plan", "btn-outline-danger"),
}


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
    own = own_therapist(request.user)
    if not is_manager:
        require_visible(can_read_health_data(request.user, client))
        require(own is not None, "Your therapist profile is not active.")
    today = client_local_today(client)
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
    context = AuditContext.from_request(request)
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
                    context=context,
                )
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, "The treatment plan is saved as a draft.")
                _warn_about_safety(request, plan, today)
                return redirect("sessions:plan", plan.pk)
        status = 200 if adding else 400
    else:
        form = PlanForm(initial=initial, **form_kwargs)
        goals = goal_formset(blank=BLANK_GOALS_NEW)
        status = 200
    plan_form_read(client=client, plan=None, context=context)
    return render(
        request,
        "sessions/plan_form.html",
        chart_context(
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
    plan = get_plan_for_user(request, pk)
    client = plan.client
    require_health(request, client)
    require(
        writes_plan(request.user, plan),
        "Only the plan's therapist and the clinic manager change a plan.",
    )
    if plan.status in CLOSED_STATUSES:
        messages.error(
            request,
            f"This plan is {plan.get_status_display().lower()}: it can no longer be "
            "changed.",
        )
        return redirect("sessions:plan", plan.pk)
    today = client_local_today(client)
    is_manager = Role.MANAGER in user_roles(request.user)
    existing = list(plan.goals.order_by("pk"))
    form_kwargs = {
        "client": client,
        "choose_therapist": is_manager,
        "verdicts": _verdicts(client, today),
        "initial": plan_initial_from_plan(plan),
    }
    context = AuditContext.from_request(request)
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
                    context=context,
                    therapist=form.cleaned_data["therapist"] if is_manager else None,
                )
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, "The treatment plan is saved.")
                _warn_about_safety(request, plan, today)
                return redirect("sessions:plan", plan.pk)
        status = 200 if adding else 400
    else:
        form = PlanForm(**form_kwargs)
        goals = goal_formset(goals=existing, blank=BLANK_GOALS_EDIT)
        status = 200
    plan_form_read(client=client, plan=plan, context=context)
    return render(
        request,
        "sessions/plan_form.html",
        chart_context(client, today, form=form, goals=goals, plan=plan, referral=None),
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
    context: AuditContext,
    *,
    status_form: PlanStatusForm | None = None,
    status: int = 200,
) -> HttpResponse:
    client = plan.client
    today = client_local_today(client)
    user = request.user
    reads = can_read_health_data(user, client)
    progress = plan_read(plan=plan, context=context) if reads else None
    referral, authorizations = (
        _referral_and_authorizations(plan, today)
        if can_read_referrals(user, client)
        else (None, [])
    )
    writes = reads and writes_plan(user, plan)
    page = chart_context(
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
        page.update(
            diagnoses=diagnosis_names(plan.problems),
            modalities=modalities,
            safety=plan_modality_warnings(
                client=client, modalities=modalities, on=max(today, plan.starts_on)
            ),
            reports=list(plan.progress_reports.select_related("therapist__user")),
        )
    return render(request, "sessions/plan.html", page, status=status)


def plan_detail(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    return _plan_page(request, plan, AuditContext.from_request(request))


@require_POST
def plan_status(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    require_health(request, plan.client)
    require(
        writes_plan(request.user, plan),
        "Only the plan's therapist and the clinic manager change a plan.",
    )
    form = PlanStatusForm(request.POST)
    context = AuditContext.from_request(request)
    if form.is_valid():
        try:
            plan = plan_set_status(
                plan=plan,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                context=context,
            )
        except ValidationError as error:
            _add_service_error(form, error)
        else:
            messages.success(
                request, f"The plan is {plan.get_status_display().lower()}."
            )
            return redirect("sessions:plan", plan.pk)
    return _plan_page(request, plan, context, status_form=form, status=400)


# --- Progress -----------------------------------------------------------------------


def plan_progress_view(request: HttpRequest, pk: int) -> HttpResponse:
    plan = get_plan_for_user(request, pk)
    client = plan.client
    require_health(request, client)
    progress = plan_progress_read(plan=plan, context=AuditContext.from_request(request))
    today = client_local_today(client)
    return render(
        request,
        "sessions/progress.html",
        chart_context(
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
    require_health(request, client)
    data = client_progress_read(
        client=client, context=AuditContext.from_request(request)
    )
    return render(
        request,
        "sessions/progress.html",
        chart_context(
            client,
            client_local_today(client),
            plan=None,
            progress=data.progress,
            plan_groups=data.plans,
            reports=[],
            can_report=False,
        ),
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
]
