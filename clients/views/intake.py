"""The chart's Medical history tab, the intake forms and the safety flags.

Health detail (the history's content, the flags' detail, clearance documents) is for
the manager and the therapists who treat the client; the front desk sees whether an
intake is complete, the alert headlines, and sends the client their link
(DESIGN.md section 6). Every read and change of health data is audited.
"""

from __future__ import annotations

import mimetypes
from dataclasses import replace
from pathlib import PurePath
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.forms import BaseFormSet, Form
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from clients.access import (
    can_manage_flags,
    can_read_health_data,
    get_client_for_user,
    require,
)
from clients.forms.intake import (
    FlagAddForm,
    FlagClearForm,
    FlagFields,
    FlagResolveForm,
    HistoryForm,
    history_initial,
    surgeries_of,
    surgery_formset,
)
from clients.intake_services import (
    INTAKE_EMAIL_KIND,
    INTAKE_LINK_LIFETIME,
    FlagChangeKind,
    IntakeLinkError,
    client_today,
    client_zone,
    history_current,
    history_diff,
    history_display,
    history_flag_changes,
    history_for_reading,
    history_for_renewal,
    history_needs_renewal,
    history_renewal_due_on,
    history_submit,
    history_version_for_reading,
    history_versions,
    intake_invitation_create,
    intake_invitation_open,
    intake_invitation_status,
    intake_invitation_submit,
    intake_invitation_token,
)
from clients.models import Client, Contraindication, MedicalHistory, Severity
from clients.safety import client_alerts
from clients.selectors import clearance_document_for_download
from clients.services import (
    EDITABLE_FLAG_FIELDS,
    contraindication_add,
    contraindication_clear,
    contraindication_resolve,
    contraindication_update,
    flag_label,
)
from massageclinic.audit import AuditContext
from massageclinic.models import clinic_policy

_NO_HEALTH_DATA = "Only the clinic manager and the client's therapists see this."


# --- Helpers ----------------------------------------------------------------------------


def _chart_context(client: Client, **extra: Any) -> dict[str, Any]:
    zone = client_zone(client)
    today = client_today(client, timezone.now())
    return {
        "client": client,
        "alerts": client_alerts(client, today),
        "chart_tab": "history",
        "today": today,
        "zone_name": zone.key,
        **extra,
    }


def _health_client(request: HttpRequest, pk: int) -> Client:
    """The client, if this person may read and write their health data."""
    client = get_client_for_user(request, pk)
    require(can_read_health_data(request.user, client), _NO_HEALTH_DATA)
    return client


def _flag_client(request: HttpRequest, pk: int) -> Client:
    client = get_client_for_user(request, pk)
    require(can_manage_flags(request.user, client), _NO_HEALTH_DATA)
    return client


def _flag_of(client: Client, flag_pk: int) -> Contraindication:
    return get_object_or_404(
        client.contraindications.select_related("condition"), pk=flag_pk
    )


def _add_errors(form: Form, error: ValidationError) -> None:
    """Put a service's error next to its field; others above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        form.add_error(field if field in form.fields else None, errors)


_SAVED_FLAG_WORDS = {
    FlagChangeKind.ADDED: "New safety flags",
    FlagChangeKind.UPDATED: "Updated safety flags",
    FlagChangeKind.RESOLVED: "Resolved safety flags",
}


def _saved_message(history: MedicalHistory) -> str:
    message = f"Medical history version {history.version} saved."
    changes = history_flag_changes(history)
    for kind, words in _SAVED_FLAG_WORDS.items():
        names = [flag_label(c.flag) for c in changes if c.kind == kind]
        if names:
            message += f" {words}: {', '.join(names)}."
    return message


def _history_url(client: Client) -> str:
    return reverse("clients:history", args=[client.pk])


def _invitation_rows(request: HttpRequest, client: Client) -> list[dict[str, Any]]:
    """The latest links with their state, and the email that carries each one."""
    now = timezone.now()
    invitations = list(
        client.intake_invitations.select_related("created_by", "history")[:5]
    )
    if not invitations:
        return []
    # The email row is written with send_at = the link's creation time (the service's
    # `now`), which is its expiry minus the lifetime; that pairs them.
    emails = {
        r.send_at: r
        for r in client.reminders.filter(
            kind=INTAKE_EMAIL_KIND,
            send_at__gte=min(i.expires_at for i in invitations) - INTAKE_LINK_LIFETIME,
        )
    }
    rows = []
    for invitation in invitations:
        status = intake_invitation_status(invitation, now)
        url = ""
        if status == "open":
            url = request.build_absolute_uri(
                reverse(
                    "clients:intake_public", args=[intake_invitation_token(invitation)]
                )
            )
        rows.append(
            {
                "invitation": invitation,
                "status": status,
                "url": url,
                "email": emails.get(invitation.expires_at - INTAKE_LINK_LIFETIME),
            }
        )
    return rows


# --- The Medical history tab ------------------------------------------------------------


def history(request: HttpRequest, pk: int) -> HttpResponse:
    client = get_client_for_user(request, pk)
    health = can_read_health_data(request.user, client)
    reading = (
        history_for_reading(client, context=AuditContext.from_request(request))
        if health
        else None
    )
    if reading is not None:
        current = reading.current
    else:
        current = client.histories.only("pk", "version", "submitted_at").first()
    context = _chart_context(
        client,
        health=health,
        current=current,
        invitations=_invitation_rows(request, client),
    )
    months = clinic_policy().intake_renewal_months
    context["renewal_months"] = months
    if current is not None:
        context["needs_renewal"] = history_needs_renewal(
            history=current, today=context["today"], months=months
        )
        context["renewal_due_on"] = history_renewal_due_on(current, months=months)
    if reading is not None:
        previous = reading.previous
        flags = reading.flags
        context.update(
            versions=reading.versions,
            previous=previous,
            changes=history_diff(current=current, previous=previous) if current else [],
            display=history_display(current) if current else {},
            # Read with the history above, whose VIEW row covers it.
            flag_changes=(
                history_flag_changes(current, client_flags=flags) if current else []
            ),
            open_flags=[f for f in flags if f.resolved_at is None],
            resolved_flags=[f for f in flags if f.resolved_at is not None],
            can_manage_flags=can_manage_flags(request.user, client),
        )
    return render(request, "clients/history.html", context)


def history_version(request: HttpRequest, pk: int, version: int) -> HttpResponse:
    client = _health_client(request, pk)
    shown = history_version_for_reading(
        client, version, context=AuditContext.from_request(request)
    )
    if shown is None:
        raise Http404("No such version of the medical history.")
    previous = client.histories.filter(version=version - 1).first()
    return render(
        request,
        "clients/history_version.html",
        _chart_context(
            client,
            shown=shown,
            previous=previous,
            changes=history_diff(current=shown, previous=previous),
            display=history_display(shown),
            versions=history_versions(client),
        ),
    )


def history_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff fill in the intake with the client: every submission is a new version."""
    client = _health_client(request, pk)
    context = AuditContext.from_request(request)
    today = client_today(client, timezone.now())
    if request.method == "POST":
        current = history_current(client)
        form = HistoryForm(request.POST)
        surgeries = surgery_formset(data=request.POST, history=current, today=today)
        if form.is_valid() and surgeries.is_valid():
            try:
                created = history_submit(
                    client=client,
                    data={**form.history_data(), "surgeries": surgeries_of(surgeries)},
                    submitted_by=request.user,
                    now=timezone.now(),
                    context=context,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _saved_message(created))
                return redirect(_history_url(client))
    else:
        current = history_for_renewal(client, context=context)
        form = HistoryForm(initial=history_initial(current))
        surgeries = surgery_formset(history=current, today=today)
    return render(
        request,
        "clients/history_form.html",
        _chart_context(client, form=form, surgeries=surgeries, current=current),
    )


@require_POST
def intake_link(request: HttpRequest, pk: int) -> HttpResponse:
    """Create the client's own intake link and queue the email that carries it."""
    client = get_client_for_user(request, pk)
    try:
        invitation = intake_invitation_create(
            client=client, by=request.user, now=timezone.now()
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_history_url(client))
    if invitation.sent_to:
        messages.success(
            request,
            f"Intake link created; it will be emailed to {invitation.sent_to}. "
            "You can also copy it below.",
        )
    else:
        reason = (
            "the client has no email address"
            if not client.email
            else "the client turned email off"
        )
        messages.warning(
            request,
            f"Intake link created but not emailed: {reason}. Copy it below or read "
            "it out to the client.",
        )
    return redirect(_history_url(client) + "#intake-links")


# --- Safety flags -----------------------------------------------------------------------


def flag_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = _flag_client(request, pk)
    form = FlagAddForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            flag = contraindication_add(
                client=client,
                condition=data["condition"],
                severity=data["severity"],
                by=request.user,
                body_region=data["body_region"],
                detail=data["detail"],
                onset_on=data["onset_on"],
                recheck_on=data["recheck_on"],
                context=AuditContext.from_request(request),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Safety flag added: {flag.condition.name}.")
            return redirect(_history_url(client) + "#flags")
    return render(
        request,
        "clients/flag_form.html",
        _chart_context(client, form=form, flag=None),
    )


def flag_edit(request: HttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    client = _flag_client(request, pk)
    flag = _flag_of(client, flag_pk)
    if flag.resolved_at is not None:
        messages.error(
            request, "This flag is resolved; add a new one instead of editing it."
        )
        return redirect(_history_url(client) + "#flags")
    initial = {name: getattr(flag, name) for name in EDITABLE_FLAG_FIELDS}
    form = FlagFields(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            contraindication_update(
                flag=flag,
                by=request.user,
                context=AuditContext.from_request(request),
                **{name: form.cleaned_data[name] for name in EDITABLE_FLAG_FIELDS},
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Safety flag updated: {flag.condition.name}.")
            return redirect(_history_url(client) + "#flags")
    return render(
        request,
        "clients/flag_form.html",
        _chart_context(client, form=form, flag=flag),
    )


def flag_resolve(request: HttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    client = _flag_client(request, pk)
    flag = _flag_of(client, flag_pk)
    form = FlagResolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            contraindication_resolve(
                flag=flag,
                by=request.user,
                now=timezone.now(),
                note=form.cleaned_data["note"],
                context=AuditContext.from_request(request),
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, f"Safety flag resolved: {flag.condition.name}.")
            return redirect(_history_url(client) + "#flags")
    return render(
        request,
        "clients/flag_resolve.html",
        _chart_context(client, form=form, flag=flag),
    )


def flag_clear(request: HttpRequest, pk: int, flag_pk: int) -> HttpResponse:
    """Record a physician's clearance of an absolute flag, with the signed document."""
    client = _flag_client(request, pk)
    flag = _flag_of(client, flag_pk)
    if flag.severity != Severity.ABSOLUTE:
        messages.error(request, "Only an absolute flag needs a physician's clearance.")
        return redirect(_history_url(client) + "#flags")
    form = FlagClearForm(
        request.POST or None,
        request.FILES or None,
        has_document=bool(flag.clearance_document),
        initial={
            "cleared_on": flag.cleared_on,
            "physician": flag.cleared_by_physician,
            "conditions": flag.clearance_conditions,
            "expires_on": flag.clearance_expires_on,
        },
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            contraindication_clear(
                flag=flag,
                by=request.user,
                cleared_on=data["cleared_on"],
                physician=data["physician"],
                document=data["document"],
                today=client_today(client, timezone.now()),
                context=AuditContext.from_request(request),
                conditions=data["conditions"],
                expires_on=data["expires_on"],
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            until = flag.clearance_expires_on
            messages.success(
                request,
                f"Clearance recorded: {flag.condition.name} no longer blocks massage "
                f"from {flag.cleared_on:%b} {flag.cleared_on.day}, {flag.cleared_on.year}"
                + (f" until {until:%b} {until.day}, {until.year}" if until else "")
                + ". Every visit shows its terms as a modification.",
            )
            return redirect(_history_url(client) + "#flags")
    return render(
        request,
        "clients/flag_clear.html",
        _chart_context(client, form=form, flag=flag),
    )


def clearance_document(request: HttpRequest, pk: int, flag_pk: int) -> FileResponse:
    """The clearance scan, to those who may read the history; never from MEDIA_URL."""
    client = _health_client(request, pk)
    flag = _flag_of(client, flag_pk)
    handle = clearance_document_for_download(
        flag, context=AuditContext.from_request(request)
    )
    filename = PurePath(flag.clearance_document.name).name
    content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"
    return response


# --- The client's own link (no login) -------------------------------------------------


def _link_refused(request: HttpRequest, error: IntakeLinkError) -> HttpResponse:
    status = {"expired": 410, "used": 410}.get(error.code or "", 404)
    return render(
        request,
        "clients/intake_invalid.html",
        {"message": error.messages[0], "clinic_name": clinic_policy().clinic_name},
        status=status,
    )


def _public_form_page(
    request: HttpRequest, first_name: str, form: Form, surgeries: BaseFormSet
) -> HttpResponse:
    return render(
        request,
        "clients/intake_public.html",
        {
            "clinic_name": clinic_policy().clinic_name,
            "first_name": first_name,
            "form": form,
            "surgeries": surgeries,
        },
    )


@login_not_required
@never_cache
def intake_public(request: HttpRequest, token: str) -> HttpResponse:
    """The client fills in their intake on their phone. Shows no earlier answers."""
    now = timezone.now()
    try:
        invitation = intake_invitation_open(token=token, now=now)
    except IntakeLinkError as error:
        return _link_refused(request, error)
    client = invitation.client
    today = client_today(client, now)
    if request.method != "POST":
        return _public_form_page(
            request,
            client.first_name,
            HistoryForm(),
            surgery_formset(history=None, today=today),
        )
    form = HistoryForm(request.POST)
    surgeries = surgery_formset(data=request.POST, history=None, today=today)
    if form.is_valid() and surgeries.is_valid():
        try:
            intake_invitation_submit(
                token=token,
                data={**form.history_data(), "surgeries": surgeries_of(surgeries)},
                now=now,
                # The client, not whoever may be logged in on this browser.
                context=replace(AuditContext.from_request(request), user=None),
            )
        except IntakeLinkError as error:
            return _link_refused(request, error)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect("clients:intake_thanks")
    return _public_form_page(request, client.first_name, form, surgeries)


@login_not_required
def intake_thanks(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "clients/intake_thanks.html",
        {"clinic_name": clinic_policy().clinic_name},
    )


urlpatterns = [
    path("clients/<int:pk>/history/", history, name="history"),
    path(
        "clients/<int:pk>/history/v<int:version>/",
        history_version,
        name="history_version",
    ),
    path("clients/<int:pk>/history/new/", history_new, name="history_new"),
    path("clients/<int:pk>/intake-link/", intake_link, name="intake_link"),
    path("clients/<int:pk>/flags/add/", flag_add, name="flag_add"),
    path("clients/<int:pk>/flags/<int:flag_pk>/edit/", flag_edit, name="flag_edit"),
    path(
        "clients/<int:pk>/flags/<int:flag_pk>/resolve/",
        flag_resolve,
        name="flag_resolve",
    ),
    path(
        "clients/<int:pk>/flags/<int:flag_pk>/clearance/",
        flag_clear,
        name="flag_clear",
    ),
    path(
        "clients/<int:pk>/flags/<int:flag_pk>/clearance/document/",
        clearance_document,
        name="clearance_document",
    ),
    path("intake/thanks/", intake_thanks, name="intake_thanks"),
    path("intake/<str:token>/", intake_public, name="intake_public"),
]
