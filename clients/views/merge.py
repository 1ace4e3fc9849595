"""Merge a duplicate record into a client's chart, then undo or confirm (manager).

The rules (who may, what moves, what conflicts) are `clients.merge`'s; these views
choose, show the preview, and call the services.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clients.access import get_client_for_user
from clients.duplicates import client_duplicates
from clients.merge import (
    client_merge,
    client_merge_confirm,
    client_merge_preview,
    client_merge_undo,
    live_merge_of,
)
from clients.models import Client, ClientMerge
from massageclinic.audit import AuditContext
from massageclinic.roles import Role, role_required


def _chosen(raw: str | None, kept: Client) -> tuple[Client | None, str]:
    """The duplicate named by its record number, or a sentence saying what is wrong."""
    raw = (raw or "").strip().lstrip("#")
    if not raw:
        return None, ""
    if not raw.isdecimal() or len(raw) > 12:
        return None, "Enter the record number of the other client, like 1234."
    duplicate = Client.objects.filter(pk=int(raw)).first()
    if duplicate is None:
        return None, f"There is no client with the record number {raw}."
    if duplicate.pk == kept.pk:
        return None, "That is this client's own record: choose the other one."
    return duplicate, ""


@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER)
def client_merge_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose the duplicate, see what would move and what stops it, then merge."""
    kept = get_client_for_user(request, pk)
    raw = (
        request.POST.get("duplicate")
        or request.GET.get("number")
        or request.GET.get("duplicate")
    )
    duplicate, problem = _chosen(raw, kept)
    preview = None
    if duplicate is not None:
        preview = client_merge_preview(kept=kept, duplicate=duplicate)
    if request.method == "POST" and duplicate is not None and preview is not None:
        try:
            merge = client_merge(
                kept=kept,
                duplicate=duplicate,
                by=request.user,
                now=timezone.now(),
                context=AuditContext.from_request(request),
            )
        except ValidationError as error:
            preview = client_merge_preview(kept=kept, duplicate=duplicate)
            conflicts = [*error.messages]
            return render(
                request,
                "clients/merge.html",
                _context(kept, duplicate, preview, conflicts=conflicts),
                status=409,
            )
        messages.success(
            request,
            f"Merged record #{duplicate.pk} into {kept.full_name}'s. "
            + (
                "Their medical histories are one list now, numbered by date: a "
                "therapist should read the combined safety flags. "
                if merge.history_versions
                else ""
            )
            + "You can undo it on this page until you confirm it.",
        )
        return redirect("clients:detail", merge.kept_id)
    context = _context(kept, duplicate, preview, problem=problem)
    return render(
        request, "clients/merge.html", context, status=400 if problem else 200
    )


def _context(kept, duplicate, preview, *, problem="", conflicts=None):
    likely = [
        m
        for m in client_duplicates(
            first_name=kept.first_name,
            last_name=kept.last_name,
            date_of_birth=kept.date_of_birth,
            phone=kept.phone,
            email=kept.email,
            exclude_pk=kept.pk,
        )
        if live_merge_of(m.client) is None
    ]
    return {
        "client": kept,
        "duplicate": duplicate,
        "preview": preview,
        "likely": likely,
        "problem": problem,
        "conflicts": conflicts
        if conflicts is not None
        else (preview.conflicts if preview else []),
    }


def _settle(request: HttpRequest, pk: int, *, undo: bool) -> HttpResponse:
    merge = get_object_or_404(ClientMerge, pk=pk)
    get_client_for_user(request, merge.kept_id)
    service = client_merge_undo if undo else client_merge_confirm
    try:
        service(
            merge=merge,
            by=request.user,
            now=timezone.now(),
            context=AuditContext.from_request(request),
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            f"Undid the merge: record #{merge.duplicate_id} has its own rows again."
            if undo
            else f"Confirmed the merge of record #{merge.duplicate_id}: it is final.",
        )
    return redirect("clients:detail", merge.kept_id)


@require_POST
@role_required(Role.MANAGER)
def client_merge_undo_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _settle(request, pk, undo=True)


@require_POST
@role_required(Role.MANAGER)
def client_merge_confirm_view(request: HttpRequest, pk: int) -> HttpResponse:
    return _settle(request, pk, undo=False)


urlpatterns: list[URLPattern] = [
    path("clients/<int:pk>/merge/", client_merge_view, name="merge"),
    path("clients/merges/<int:pk>/undo/", client_merge_undo_view, name="merge_undo"),
    path(
        "clients/merges/<int:pk>/confirm/",
        client_merge_confirm_view,
        name="merge_confirm",
    ),
]
