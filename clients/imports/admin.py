"""The client imports in the admin: listed and read, never written here.

Uploaded, checked and registered only on the import page, by a manager
(`clients.imports.services`), which applies the New client page's rules, asks about
likely duplicates and writes the audit rows.
"""

from __future__ import annotations

from django.contrib import admin

from clients.imports.models import ClientImport, ClientImportRow
from massageclinic.admin import ClinicalRecordAdmin, ViewedHereWrittenOnItsPage


@admin.register(ClientImport)
class ClientImportAdmin(ViewedHereWrittenOnItsPage, ClinicalRecordAdmin):
    """Imports are listed here; uploaded, checked and registered only on the import
    page, by a manager (clients.imports), which applies the New client page's rules,
    asks about likely duplicates and writes the audit rows."""

    list_display = ["__str__", "status", "total_rows", "imported_rows", "uploaded_at"]
    list_filter = ["status"]
    list_select_related = ["uploaded_by"]
    readonly_fields = [
        "file_name",
        "uploaded_by",
        "uploaded_at",
        "status",
        "columns",
        "total_rows",
        "checked_rows",
        "imported_rows",
        "started_by",
        "started_at",
        "finished_at",
    ]
    exclude = ["started_from"]


@admin.register(ClientImportRow)
class ClientImportRowAdmin(ViewedHereWrittenOnItsPage, ClinicalRecordAdmin):
    """The rows of the imports, as the check left them; chosen on the import page."""

    list_display = ["__str__", "decision", "client"]
    list_filter = ["decision"]
    list_select_related = ["client"]
    readonly_fields = [
        "client_import",
        "line",
        "values",
        "problems",
        "matches",
        "same_as_line",
        "decision",
        "client",
        "outcome",
    ]
    exclude = ["checked"]
