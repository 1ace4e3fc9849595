"""Import clients from a spreadsheet: upload, watch the check, choose, register.

The rules are `clients.imports.services`'; these views read the form, call them and
show their progress (htmx polls a small fragment; without JavaScript the page has a
Refresh link).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from clients.imports.models import ClientImport
from clients.imports.reading import HEADINGS, MAX_BYTES, MAX_ROWS
from clients.imports.selectors import (
    SHOWN,
    import_counts,
    import_rows,
    matched_clients,
    recent_imports,
)
from clients.imports.services import (
    IMPORTED_FIELDS,
    client_import_choose,
    client_import_discard,
    client_import_start,
    client_import_upload,
    rows_not_imported_csv,
    why_not_imported,
)
from massageclinic.audit import AuditContext
from massageclinic.clock import location_zone
from massageclinic.roles import Role, role_required

ROWS_PER_PAGE = 50
FILTERS = {
    "all": "All rows",
    "register": "To register",
    "duplicates": "Likely already registered",
    "problems": "With problems",
}
DONE_FILTERS = {
    "all": "All rows",
    "registered": "Registered",
    "not_imported": "Not imported",
}


class UploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet saved as CSV",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        error_messages={"required": "Choose the file to import."},
    )


def _refused(request: HttpRequest, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


@require_http_methods(["GET", "POST"])
@role_required(Role.MANAGER)
def client_imports(request: HttpRequest) -> HttpResponse:
    """The imports so far, and the form to upload a file."""
    posted = request.method == "POST"
    form = UploadForm(request.POST, request.FILES) if posted else UploadForm()
    status = 200
    if posted and form.is_valid():
        upload = form.cleaned_data["file"]
        content = upload.read(MAX_BYTES + 1)
        try:
            client_import = client_import_upload(
                file_name=upload.name,
                content=content,
                by=request.user,
                now=timezone.now(),
            )
        except ValidationError as error:
            form.add_error("file", error)
        else:
            return redirect("clients:import", client_import.pk)
    if posted:
        status = 400
    return render(
        request,
        "clients/imports.html",
        {
            "form": form,
            "imports": recent_imports(),
            "headings": [(name, HEADINGS[name]) for name in IMPORTED_FIELDS],
            "max_rows": MAX_ROWS,
            "max_megabytes": MAX_BYTES // (1024 * 1024),
            "here": "client_imports",
            "zone": location_zone(),
        },
        status=status,
    )


def _page_context(request: HttpRequest, client_import: ClientImport) -> dict[str, Any]:
    done = client_import.status in (
        ClientImport.Status.DONE,
        ClientImport.Status.IMPORTING,
    )
    filters = DONE_FILTERS if done else FILTERS
    show = request.GET.get("show", "all")
    show = show if show in filters and show in SHOWN else "all"
    page = Paginator(import_rows(client_import, show), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = list(page.object_list)
    clients = matched_clients(rows)
    for row in rows:
        row.matched = [
            (clients.get(match["client"]), match["why"]) for match in row.matches
        ]
        row.why_not = why_not_imported(row) if done and row.client_id is None else ""
    return {
        "client_import": client_import,
        "counts": import_counts(client_import),
        "filters": filters,
        "show": show,
        "page": page,
        "rows": rows,
        "here": "client_imports",
        "zone": location_zone(),
    }


@role_required(Role.MANAGER)
def client_import_view(request: HttpRequest, pk: int) -> HttpResponse:
    """One import: its progress while a worker is on it, the rows to choose from
    once checked, what was registered once done."""
    client_import = get_object_or_404(
        ClientImport.objects.select_related("uploaded_by", "started_by"), pk=pk
    )
    return render(request, "clients/import.html", _page_context(request, client_import))


@role_required(Role.MANAGER)
def client_import_progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress fragment htmx polls; the whole page reloads when work ends."""
    client_import = get_object_or_404(ClientImport, pk=pk)
    response = render(
        request, "clients/_import_progress.html", {"client_import": client_import}
    )
    if not client_import.is_working:
        response["HX-Refresh"] = "true"
    return response


def _back(request: HttpRequest, pk: int) -> str:
    """The review page the choices were made on: its filter and page, rebuilt from
    known values only."""
    query = QueryDict(request.POST.get("back_query", ""))
    show = query.get("show", "all")
    page = query.get("page", "1")
    url = reverse("clients:import", args=[pk])
    if show not in SHOWN or not page.isdecimal() or len(page) > 6:
        return url
    return f"{url}?{urlencode({'show': show, 'page': page})}"


def _pks(values: list[str]) -> list[int]:
    return [int(v) for v in values if v.isdecimal() and len(v) < 12]


@require_POST
@role_required(Role.MANAGER)
def client_import_choose_view(request: HttpRequest, pk: int) -> HttpResponse:
    client_import = get_object_or_404(ClientImport, pk=pk)
    try:
        client_import_choose(
            client_import=client_import,
            shown=_pks(request.POST.getlist("shown")),
            register=_pks(request.POST.getlist("register")),
            by=request.user,
        )
    except ValidationError as error:
        _refused(request, error)
    else:
        messages.success(request, "Your choices for these rows are saved.")
    return redirect(_back(request, pk))


@require_POST
@role_required(Role.MANAGER)
def client_import_start_view(request: HttpRequest, pk: int) -> HttpResponse:
    client_import = get_object_or_404(ClientImport, pk=pk)
    try:
        if request.POST.getlist("shown"):
            # Started from the rows' form: its ticks count, saved or not.
            client_import_choose(
                client_import=client_import,
                shown=_pks(request.POST.getlist("shown")),
                register=_pks(request.POST.getlist("register")),
                by=request.user,
            )
        client_import_start(
            client_import=client_import,
            by=request.user,
            now=timezone.now(),
            context=AuditContext.from_request(request),
        )
    except ValidationError as error:
        _refused(request, error)
    return redirect("clients:import", pk)


@require_POST
@role_required(Role.MANAGER)
def client_import_discard_view(request: HttpRequest, pk: int) -> HttpResponse:
    client_import = get_object_or_404(ClientImport, pk=pk)
    try:
        client_import_discard(client_import=client_import, by=request.user)
    except ValidationError as error:
        _refused(request, error)
        return redirect("clients:import", pk)
    messages.success(request, f"Import #{pk} is discarded; nobody was registered.")
    return redirect("clients:imports")


@role_required(Role.MANAGER)
def client_import_leftover(request: HttpRequest, pk: int) -> HttpResponse:
    """The rows not registered, as a CSV to fix and upload again."""
    client_import = get_object_or_404(ClientImport, pk=pk)
    response = HttpResponse(
        rows_not_imported_csv(client_import), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = (
        f'attachment; filename="import-{pk}-not-imported.csv"'
    )
    return response


@role_required(Role.MANAGER)
def client_import_template(request: HttpRequest) -> HttpResponse:
    """An empty spreadsheet with the headings the import reads."""
    headings = ",".join(HEADINGS[name][0].capitalize() for name in IMPORTED_FIELDS)
    response = HttpResponse(headings + "\r\n", content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="clients-template.csv"'
    return response


urlpatterns: list[URLPattern] = [
    path("clients/imports/", client_imports, name="imports"),
    path(
        "clients/imports/template.csv",
        client_import_template,
        name="import_template",
    ),
    path("clients/imports/<int:pk>/", client_import_view, name="import"),
    path(
        "clients/imports/<int:pk>/progress/",
        client_import_progress,
        name="import_progress",
    ),
    path(
        "clients/imports/<int:pk>/choose/",
        client_import_choose_view,
        name="import_choose",
    ),
    path(
        "clients/imports/<int:pk>/start/", client_import_start_view, name="import_start"
    ),
    path(
        "clients/imports/<int:pk>/discard/",
        client_import_discard_view,
        name="import_discard",
    ),
    path(
        "clients/imports/<int:pk>/not-imported.csv",
        client_import_leftover,
        name="import_leftover",
    ),
]
