"""The client list and the chart's own tabs: overview, edit, archive, plans, notes.

The intake/history tab and the referrals tab live in their own modules.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from clients.access import (
    can_edit_demographics,
    can_read_health_data,
    get_client_for_user,
)
from clients.client_services import (
    client_archive,
    client_create,
    client_unarchive,
    client_update,
)
from clients.duplicates import DuplicateMatch, client_duplicates
from clients.forms.chart import ClientForm, ClientSearchForm
from clients.history_reviews import can_review_history, history_reviews_open
from clients.intake_services import client_today
from clients.merge import can_merge, live_merge_of, merged_with, pending_merges_into
from clients.models import Client
from clients.modification_plans import can_withdraw, modification_plans_section
from clients.safety import client_alerts
from clients.selectors import (
    client_notes_for_reading,
    client_overview_for_reading,
    client_plans_for_reading,
    client_rows,
    clients_for_list,
)
from massageclinic.audit import AuditContext
from massageclinic.clock import local_today
from massageclinic.roles import Role, role_required, user_roles

CLIENTS_PER_PAGE = 25
STAFF = (Role.FRONT_DESK, Role.THERAPIST, Role.MANAGER)
DESK = (Role.FRONT_DESK, Role.MANAGER)


def _chart_context(
    request: HttpRequest, client: Client, tab: str, **extra: Any
) -> dict[str, Any]:
    now = timezone.now()
    today = client_today(client, now)
    return {
        "client": client,
        "alerts": client_alerts(client, today),
        "chart_tab": tab,
        "can_edit": can_edit_demographics(request.user),
        "now": now,
        "today": today,
        **extra,
    }


# --- The list --------------------------------------------------------------------


@role_required(*STAFF)
@vary_on_headers("HX-Request")
def client_list(request: HttpRequest) -> HttpResponse:
    """Search and filter the clients this person may see; htmx swaps only the rows."""
    roles = user_roles(request.user)
    sees_everyone = bool(roles & set(DESK))
    form = ClientSearchForm(request.GET, show_therapists=sees_everyone)
    now = timezone.now()
    today = local_today(now=now)
    filters = form.filters()
    clients = clients_for_list(user=request.user, now=now, today=today, **filters)
    page = Paginator(clients, CLIENTS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page_obj": page,
        "rows": client_rows(list(page.object_list), today=today, now=now),
        "can_create": sees_everyone,
        "sees_everyone": sees_everyone,
        "filtered": ClientSearchForm.is_filtered(filters),
    }
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return render(request, "clients/_chart_list_rows.html", context)
    return render(request, "clients/list.html", context)


# --- The chart -------------------------------------------------------------------


def client_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Overview: contact, preferences, visits, intake status, the active referral."""
    client = get_client_for_user(request, pk)
    context = _chart_context(request, client, "overview")
    reads_health = can_read_health_data(request.user, client)
    context["overview"] = client_overview_for_reading(
        client=client,
        now=context["now"],
        today=context["today"],
        reads_health=reads_health,
        context=AuditContext.from_request(request),
    )
    context["reads_health"] = reads_health
    section = modification_plans_section(client=client, today=context["today"])
    context["plans_section"] = section
    context["can_record_plan"] = reads_health and hasattr(request.user, "therapist")
    context["withdrawable"] = [
        plan.pk for plan in section.plans if can_withdraw(request.user, plan)
    ]
    # Text the safety rules cannot read: its words for those who read the history
    # (the overview's VIEW row covers them), only that a review is needed for the desk.
    context["history_items"] = history_reviews_open(client_ids=[client.pk])
    context["shows_text"] = reads_health
    context["can_review"] = can_review_history(request.user, client)
    # A merged record is always archived; only a manager can undo or confirm.
    context["merged_into"] = live_merge_of(client) if client.is_archived else None
    context["can_merge"] = can_merge(request.user)
    context["merges_in"] = pending_merges_into(client) if context["can_merge"] else []
    return render(request, "clients/detail.html", context)


def _plans_or_notes(request: HttpRequest, pk: int, tab: str) -> HttpResponse:
    client = get_client_for_user(request, pk)
    reads_health = can_read_health_data(request.user, client)
    context = _chart_context(request, client, tab, reads_health=reads_health)
    audit_context = AuditContext.from_request(request)
    if tab == "plans":
        context["plans"] = client_plans_for_reading(
            client, with_goals=reads_health, context=audit_context
        )
    else:
        context["visits"] = client_notes_for_reading(
            client, reads_health=reads_health, context=audit_context
        )
    return render(request, f"clients/{tab}.html", context)


def client_plans_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Treatment plans: status and dates for the desk; goals for those who treat."""
    return _plans_or_notes(request, pk, "plans")


def client_notes_view(request: HttpRequest, pk: int) -> HttpResponse:
    """SOAP notes: only signed / unsigned for the desk; pain scores for clinicians."""
    return _plans_or_notes(request, pk, "notes")


# --- Register, edit, archive ---------------------------------------------------


def _save_form(request: HttpRequest, form: ClientForm, client: Client | None):
    """Call the service; its errors go onto the form. The saved client, or None."""
    # Where the client is treated decides the day (a birth date "in the future").
    location = form.cleaned_data.get("preferred_location")
    today = local_today(location=location)
    context = AuditContext.from_request(request)
    try:
        if client is None:
            return client_create(
                by=request.user, today=today, context=context, **form.service_fields()
            )
        return client_update(
            client=client,
            by=request.user,
            today=today,
            context=context,
            **form.service_fields(),
        )
    except ValidationError as e:
        form.add_error(None, e)
        return None


@role_required(*DESK)
def client_new(request: HttpRequest) -> HttpResponse:
    """Register a client; likely duplicates are offered first, and registering
    anyway needs "This is a different person" ticked."""
    form = ClientForm(request.POST or None)
    duplicates: list[DuplicateMatch] = []
    if request.method == "POST" and form.is_valid():
        if not form.cleaned_data["different_person"]:
            duplicates = client_duplicates(**form.duplicate_fields())
        if not duplicates:
            client = _save_form(request, form, None)
            if client is not None:
                messages.success(request, f"{client.full_name} is registered.")
                return redirect("clients:detail", client.pk)
    return render(
        request,
        "clients/edit.html",
        {"form": form, "client": None, "duplicates": duplicates},
    )


# What `client_duplicates` compares: changing one of these may make the record
# look like another client's.
IDENTIFYING_FIELDS = {"first_name", "last_name", "date_of_birth", "phone", "email"}


@role_required(*DESK)
def client_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Edit a client's details; a change that makes the record look like another
    client's shows that client first, and saving anyway needs "a different person"."""
    client = get_client_for_user(request, pk)
    form = ClientForm(request.POST or None, instance=client)
    duplicates: list[DuplicateMatch] = []
    if request.method == "POST" and form.is_valid():
        identity_changed = IDENTIFYING_FIELDS & set(form.changed_data)
        if identity_changed and not form.cleaned_data["different_person"]:
            known = merged_with(client)
            duplicates = [
                match
                for match in client_duplicates(
                    **form.duplicate_fields(), exclude_pk=client.pk
                )
                if match.client.pk not in known
            ]
        if not duplicates:
            saved = _save_form(request, form, client)
            if saved is not None:
                messages.success(request, f"Saved the details of {saved.full_name}.")
                return redirect("clients:detail", saved.pk)
    if form.is_bound:
        # Validation copied the typed values onto the instance; the page's heading
        # shows the name as stored.
        client.refresh_from_db(fields=["first_name", "last_name", "preferred_name"])
    return render(
        request,
        "clients/edit.html",
        {"form": form, "client": client, "duplicates": duplicates},
    )


@require_POST
@role_required(*DESK)
def client_archive_view(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request, pk)
    try:
        client_archive(
            client=client,
            by=request.user,
            now=timezone.now(),
            context=AuditContext.from_request(request),
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(
            request,
            f"{client.full_name} is archived: hidden from the lists, records kept.",
        )
    return redirect("clients:detail", client.pk)


@require_POST
@role_required(*DESK)
def client_unarchive_view(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request, pk)
    try:
        client_unarchive(
            client=client, by=request.user, context=AuditContext.from_request(request)
        )
    except ValidationError as e:
        messages.error(request, " ".join(e.messages))
    else:
        messages.success(request, f"{client.full_name} is active again.")
    return redirect("clients:detail", client.pk)


urlpatterns: list[URLPattern] = [
    path("clients/", client_list, name="list"),
    path("clients/new/", client_new, name="new"),
    path("clients/<int:pk>/", client_detail, name="detail"),
    path("clients/<int:pk>/edit/", client_edit, name="edit"),
    path("clients/<int:pk>/archive/", client_archive_view, name="archive"),
    path("clients/<int:pk>/unarchive/", client_unarchive_view, name="unarchive"),
    path("clients/<int:pk>/plans/", client_plans_view, name="plans"),
    path("clients/<int:pk>/notes/", client_notes_view, name="notes"),
]
