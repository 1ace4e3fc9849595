"""Referrals, insurance policies and authorizations: the chart tab, the forms, the scan,
and the front desk's list of active authorizations.

Access (DESIGN.md section 6): front desk and manager read and write; a therapist reads
the referrals of clients they treat; anyone else gets 404 for a client and 403 for a
page. Every read and change is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone

from clients.access import (
    can_read_referrals,
    can_write_referrals,
    get_client_for_user,
    require,
    require_visible,
)
from clients.forms.referrals import (
    AuthorizationForm,
    InsurancePolicyEditForm,
    InsurancePolicyForm,
    ReferralForm,
    authorization_initial,
    referral_initial,
)
from clients.intake_services import client_today
from clients.models import Authorization, Client, InsurancePolicy, Referral
from clients.referral_selectors import (
    SORTS,
    active_authorizations_for_reading,
    authorization_for_editing,
    client_referrals_for_reading,
    insurance_policy_for_editing,
    policy_authorizations_in_force,
    referral_document_for_download,
    referral_for_editing,
)
from clients.referral_services import (
    authorization_create,
    authorization_update,
    insurance_policy_create,
    insurance_policy_update,
    referral_create,
    referral_update,
)
from clients.safety import client_alerts
from massageclinic.audit import AuditContext
from massageclinic.clock import local_today
from massageclinic.roles import Role, role_required

WRITE_DENIED = (
    "Only the front desk and the clinic manager record referrals and insurance."
)


def _client_for_reading(request: HttpRequest, pk: int) -> Client:
    client = get_client_for_user(request, pk)
    require_visible(can_read_referrals(request.user, client))
    return client


def _client_for_writing(request: HttpRequest, pk: int) -> Client:
    client = _client_for_reading(request, pk)
    require(can_write_referrals(request.user), WRITE_DENIED)
    return client


def _chart_context(client: Client, **extra: object) -> dict[str, object]:
    return {
        "client": client,
        "alerts": client_alerts(client, client_today(client, timezone.now())),
        "chart_tab": "referrals",
        **extra,
    }


def _add_service_error(form: Form, error: ValidationError) -> None:
    """Put a service's message on the field it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _file_lost(request: HttpRequest, form: Form) -> bool:
    """A chosen file cannot be put back into a re-rendered form; say so."""
    return bool(request.FILES) and not form.is_valid()


# --- The chart tab ------------------------------------------------------------------


def referrals_tab(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client_for_reading(request, pk)
    today = client_today(client, timezone.now())
    data = client_referrals_for_reading(
        client=client, today=today, context=AuditContext.from_request(request)
    )
    return render(
        request,
        "clients/referrals.html",
        _chart_context(
            client,
            data=data,
            today=today,
            can_write=can_write_referrals(request.user),
        ),
    )


def referral_document(request: HttpRequest, pk: int, referral_pk: int) -> FileResponse:
    client = _client_for_reading(request, pk)
    referral = get_object_or_404(
        Referral.objects.filter(client=client).exclude(document=""), pk=referral_pk
    )
    return referral_document_for_download(
        referral, context=AuditContext.from_request(request)
    )


# --- Referral forms -----------------------------------------------------------------


def _referral_form_page(
    request: HttpRequest, client: Client, referral: Referral | None
) -> HttpResponse:
    context = AuditContext.from_request(request)
    if request.method == "POST":
        form = ReferralForm(request.POST, request.FILES, referral=referral)
        if form.is_valid():
            kwargs = {
                "details": form.details(),
                "provider": form.cleaned_data["provider"],
                "new_provider": form.new_provider(),
                "document": form.cleaned_data["document"] or None,
                "today": client_today(client, timezone.now()),
                "context": context,
            }
            try:
                if referral is None:
                    saved = referral_create(client=client, **kwargs)
                    verb = "recorded"
                else:
                    saved = referral_update(referral=referral, **kwargs)
                    verb = "updated"
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(
                    request,
                    f"Referral from {saved.provider} {verb}.",
                )
                return redirect("clients:referrals", client.pk)
    else:
        initial = {}
        if referral is not None:
            initial = referral_initial(referral_for_editing(referral, context=context))
        form = ReferralForm(initial=initial, referral=referral)
    return render(
        request,
        "clients/referral_form.html",
        _chart_context(
            client,
            form=form,
            referral=referral,
            file_lost=_file_lost(request, form),
        ),
    )


def referral_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _referral_form_page(request, _client_for_writing(request, pk), None)


def referral_edit(request: HttpRequest, pk: int, referral_pk: int) -> HttpResponse:
    client = _client_for_writing(request, pk)
    referral = get_object_or_404(
        Referral.objects.filter(client=client).select_related("provider"),
        pk=referral_pk,
    )
    return _referral_form_page(request, client, referral)


# --- Insurance ----------------------------------------------------------------------


def policy_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client_for_writing(request, pk)
    if request.method == "POST":
        form = InsurancePolicyForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                policy = insurance_policy_create(
                    client=client,
                    payer=data["payer"],
                    new_payer_name=data["new_payer_name"],
                    member_id=data["member_id"],
                    group_number=data["group_number"],
                    subscriber_name=data["subscriber_name"],
                    context=AuditContext.from_request(request),
                )
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, f"Policy with {policy.payer} added.")
                return redirect("clients:referrals", client.pk)
    else:
        form = InsurancePolicyForm()
    return render(
        request,
        "clients/authorization_policy_form.html",
        _chart_context(client, form=form),
    )


def _policy_updated_message(
    policy: InsurancePolicy, *, was_active: bool, in_force: int
) -> str:
    if was_active and not policy.is_active:
        message = (
            f"Policy with {policy.payer} updated and marked inactive: new visits are "
            "no longer billed to it."
        )
        if in_force:
            message += (
                f" It has {in_force} authorization{'s' if in_force != 1 else ''} "
                "still valid today: its authorizations stay on file, and visits "
                "already linked to them are still billed under them."
            )
        return message
    return f"Policy with {policy.payer} updated."


def policy_edit(request: HttpRequest, pk: int, policy_pk: int) -> HttpResponse:
    client = _client_for_writing(request, pk)
    policy = get_object_or_404(
        InsurancePolicy.objects.filter(client=client).select_related("payer"),
        pk=policy_pk,
    )
    context = AuditContext.from_request(request)
    if request.method == "POST":
        form = InsurancePolicyEditForm(request.POST, policy=policy)
        if form.is_valid():
            data = form.cleaned_data
            was_active = policy.is_active
            try:
                saved = insurance_policy_update(
                    policy=policy,
                    member_id=data["member_id"],
                    group_number=data["group_number"],
                    subscriber_name=data["subscriber_name"],
                    is_active=data["is_active"],
                    context=context,
                )
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                if not form.has_changed():
                    messages.info(
                        request, f"Nothing changed on the policy with {saved.payer}."
                    )
                else:
                    messages.success(
                        request,
                        _policy_updated_message(
                            saved,
                            was_active=was_active,
                            in_force=policy_authorizations_in_force(
                                policy=saved,
                                today=client_today(client, timezone.now()),
                            ),
                        ),
                    )
                return redirect(
                    f"{reverse('clients:referrals', args=[client.pk])}"
                    f"#policy-{saved.pk}"
                )
    else:
        form = InsurancePolicyEditForm(
            policy=insurance_policy_for_editing(policy, context=context)
        )
    return render(
        request,
        "clients/authorization_policy_form.html",
        _chart_context(client, form=form, policy=policy),
    )


def _authorization_form_page(
    request: HttpRequest, client: Client, authorization: Authorization | None
) -> HttpResponse:
    context = AuditContext.from_request(request)
    if request.method == "POST":
        form = AuthorizationForm(request.POST, client=client)
        if form.is_valid():
            try:
                if authorization is None:
                    saved = authorization_create(
                        context=context, **form.service_kwargs()
                    )
                    verb = "recorded"
                else:
                    saved = authorization_update(
                        authorization=authorization,
                        context=context,
                        **form.service_kwargs(),
                    )
                    verb = "updated"
            except ValidationError as error:
                _add_service_error(form, error)
            else:
                messages.success(request, f"Authorization {saved.number} {verb}.")
                return redirect("clients:referrals", client.pk)
    else:
        initial = {}
        if authorization is not None:
            initial = authorization_initial(
                authorization_for_editing(authorization, context=context)
            )
        form = AuthorizationForm(initial=initial, client=client)
    return render(
        request,
        "clients/authorization_form.html",
        _chart_context(
            client,
            form=form,
            authorization=authorization,
            has_policies=client.insurance_policies.exists(),
        ),
    )


def authorization_add(request: HttpRequest, pk: int) -> HttpResponse:
    return _authorization_form_page(request, _client_for_writing(request, pk), None)


def authorization_edit(request: HttpRequest, pk: int, auth_pk: int) -> HttpResponse:
    client = _client_for_writing(request, pk)
    authorization = get_object_or_404(
        Authorization.objects.filter(policy__client=client).select_related("policy"),
        pk=auth_pk,
    )
    return _authorization_form_page(request, client, authorization)


# --- The front desk's list ----------------------------------------------------------


@role_required(Role.FRONT_DESK, Role.MANAGER)
def authorizations(request: HttpRequest) -> HttpResponse:
    today = local_today()
    sort = request.GET.get("sort", "expiry")
    if sort not in SORTS:
        sort = "expiry"
    needs_attention = request.GET.get("attention") == "1"
    rows = active_authorizations_for_reading(
        today=today,
        sort=sort,
        needs_attention=needs_attention,
        context=AuditContext.from_request(request),
    )
    return render(
        request,
        "clients/authorizations.html",
        {
            "rows": rows,
            "today": today,
            "sort": sort,
            "needs_attention": needs_attention,
        },
    )


urlpatterns = [
    path("clients/<int:pk>/referrals/", referrals_tab, name="referrals"),
    path("clients/<int:pk>/referrals/new/", referral_add, name="referral_add"),
    path(
        "clients/<int:pk>/referrals/<int:referral_pk>/edit/",
        referral_edit,
        name="referral_edit",
    ),
    path(
        "clients/<int:pk>/referrals/<int:referral_pk>/document/",
        referral_document,
        name="referral_document",
    ),
    path("clients/<int:pk>/policies/new/", policy_add, name="policy_add"),
    path(
        "clients/<int:pk>/policies/<int:policy_pk>/edit/",
        policy_edit,
        name="policy_edit",
    ),
    path(
        "clients/<int:pk>/authorizations/new/",
        authorization_add,
        name="authorization_add",
    ),
    path(
        "clients/<int:pk>/authorizations/<int:auth_pk>/edit/",
        authorization_edit,
        name="authorization_edit",
    ),
    path("authorizations/", authorizations, name="authorizations"),
]
