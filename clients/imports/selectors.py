"""What the import pages read: counts by kind, a page of rows with their matches."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from clients.imports.models import ClientImport, ClientImportRow
from clients.models import Client

HAS_PROBLEMS = ~Q(problems=[])
LIKELY_DUPLICATE = ~Q(matches=[]) | Q(same_as_line__isnull=False)
# The rows each filter of the review page shows.
SHOWN: dict[str, Q] = {
    "all": Q(),
    "register": Q(decision=ClientImportRow.Decision.REGISTER) & ~HAS_PROBLEMS,
    "duplicates": LIKELY_DUPLICATE & ~HAS_PROBLEMS,
    "problems": HAS_PROBLEMS,
    "registered": Q(client__isnull=False),
    "not_imported": Q(client__isnull=True),
}


@dataclass(frozen=True)
class ImportCounts:
    total: int
    register: int
    duplicates: int
    problems: int
    registered: int
    not_imported: int


def import_counts(client_import: ClientImport) -> ImportCounts:
    """How many rows of each kind: one query."""
    found = client_import.rows.aggregate(
        total=Count("pk"),
        **{name: Count("pk", filter=q) for name, q in SHOWN.items() if name != "all"},
    )
    return ImportCounts(**found)


def import_rows(client_import: ClientImport, show: str) -> QuerySet[ClientImportRow]:
    return (
        client_import.rows.filter(SHOWN.get(show, Q()))
        .select_related("client")
        .order_by("line")
    )


def matched_clients(rows: list[ClientImportRow]) -> dict[int, Client]:
    """The existing clients the rows may be, by pk: one query for the page."""
    pks = {match["client"] for row in rows for match in row.matches}
    return Client.objects.in_bulk(pks) if pks else {}


def recent_imports(limit: int = 20) -> list[ClientImport]:
    return list(
        ClientImport.objects.select_related("uploaded_by").order_by("-uploaded_at")[
            :limit
        ]
    )
