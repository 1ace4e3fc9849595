"""The manager's audit log page and its CSV download (DESIGN.md section 6)."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from clients.audit_log import AuditFilters, audit_events, audit_log_export, audit_rows
from clients.forms.audit_log import AuditLogForm
from massageclinic.audit import AuditContext
from massageclinic.clock import location_zone
from massageclinic.roles import Role, role_required

ROWS_PER_PAGE = 50


@never_cache
@require_GET
@role_required(Role.MANAGER)
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditLogForm(request.GET or None)
    filters = form.filters() if form.is_bound and form.is_valid() else AuditFilters()
    if form.is_bound and form.errors:
        # Nothing is shown for a search that could not be read: no rows are better
        # than rows the manager did not ask for.
        filters = AuditFilters(client_ids=())
    zone = location_zone()
    page = Paginator(audit_events(filters, zone=zone), ROWS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "clients/audit_log.html",
        {
            "form": form,
            "page": page,
            "rows": audit_rows(page.object_list, zone=zone),
            "zone_name": timezone.now().astimezone(zone).tzname(),
            "query": query.urlencode(),
        },
    )


@never_cache
@require_GET
@role_required(Role.MANAGER)
def audit_log_csv(request: HttpRequest) -> HttpResponseBase:
    form = AuditLogForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return audit_log(request)  # the page, with the form's errors
    filters = form.filters() if form.is_bound else AuditFilters()
    count, lines = audit_log_export(
        filters=filters, context=AuditContext.from_request(request)
    )
    stamp = timezone.now().astimezone(location_zone()).strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    response["X-Row-Count"] = str(count)
    return response


urlpatterns: list[URLPattern] = [
    path("audit/", audit_log, name="audit_log"),
    path("audit/export.csv", audit_log_csv, name="audit_log_csv"),
]
