"""An import of clients and its rows (loaded by `clients.models`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class ClientImport(models.Model):
    """One uploaded file: checked row by row, then registered as the manager chose."""

    class Status(models.TextChoices):
        CHECKING = "checking", "Checking the rows"
        CHECKED = "checked", "Checked: waiting for your choices"
        IMPORTING = "importing", "Registering the clients"
        DONE = "done", "Imported"
        DISCARDED = "discarded", "Discarded"

    file_name = models.CharField(max_length=255)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.CHECKING
    )
    columns = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"used": {heading: field}, "ignored": [heading, ...]}',
    )
    total_rows = models.PositiveIntegerField(default=0)
    checked_rows = models.PositiveIntegerField(default=0)
    imported_rows = models.PositiveIntegerField(default=0)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who started the registering.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    started_from = models.GenericIPAddressField(
        null=True, blank=True, help_text="The address the registering was started from."
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        verbose_name = "client import"
        constraints = [
            models.CheckConstraint(
                condition=Q(checked_rows__lte=F("total_rows"))
                & Q(imported_rows__lte=F("total_rows")),
                name="client_import_progress_within_rows",
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.pk}: {self.file_name}"

    @property
    def is_working(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)


class ClientImportRow(models.Model):
    """One line of the file: its values, what stops it, who it may already be."""

    class Decision(models.TextChoices):
        REGISTER = "register", "Register as a new client"
        SKIP = "skip", "Skip"

    client_import = models.ForeignKey(
        ClientImport, on_delete=models.CASCADE, related_name="rows"
    )
    line = models.PositiveIntegerField(
        help_text="The row in the spreadsheet (1 = headings)."
    )
    values = models.JSONField(
        default=dict, help_text="The New client page's fields, as the file has them."
    )
    checked = models.BooleanField(default=False)
    problems = models.JSONField(
        default=list, blank=True, help_text="Sentences: what to fix in the file."
    )
    matches = models.JSONField(
        default=list,
        blank=True,
        help_text='Existing clients likely the same: [{"client": pk, "why": "..."}].',
    )
    same_as_line = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="An earlier row of the file that is likely the same person.",
    )
    decision = models.CharField(
        max_length=10, choices=Decision.choices, default=Decision.REGISTER
    )
    client = models.ForeignKey(
        "clients.Client",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The client registered from this row.",
    )
    outcome = models.CharField(
        max_length=300,
        blank=True,
        help_text="Why a row meant to be registered was not, when it was not.",
    )

    class Meta:
        ordering = ["client_import", "line"]
        constraints = [
            models.UniqueConstraint(
                fields=["client_import", "line"], name="client_import_row_line_once"
            ),
            models.CheckConstraint(
                condition=Q(client__isnull=True) | Q(decision="register"),
                name="client_import_row_registered_only_when_chosen",
            ),
        ]
        indexes = [
            models.Index(
                fields=["client_import", "checked"], name="client_import_row_checked"
            ),
        ]

    def __str__(self) -> str:
        return f"Import #{self.client_import_id}, line {self.line}"

    @property
    def is_likely_duplicate(self) -> bool:
        return bool(self.matches) or self.same_as_line is not None
