"""The audit log's filters (a GET form: bookmarkable, shared by the page and its CSV)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.contrib.auth.models import User

from clients.audit_log import AuditFilters, clients_named
from clients.models import Client
from massageclinic.models import AuditEvent

# A date outside these years is a typing slip, not a search (and the day after
# 9999-12-31 does not exist).
_FIRST_YEAR, _LAST_YEAR = 2000, 2999


class _UserChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        name = obj.get_full_name()
        return f"{name} ({obj.get_username()})" if name else obj.get_username()


class AuditLogForm(forms.Form):
    client = forms.IntegerField(
        label="Client id",
        required=False,
        min_value=1,
        max_value=2**63 - 1,
        widget=forms.HiddenInput,
    )
    client_name = forms.CharField(
        label="Client",
        required=False,
        max_length=100,
        help_text="A name, or part of one: every client it matches.",
    )
    user = _UserChoice(
        label="User",
        required=False,
        queryset=User.objects.order_by("last_name", "first_name", "username"),
        empty_label="Anyone",
        error_messages={"invalid_choice": "Pick a user from the list."},
    )
    date_from = forms.DateField(
        label="From",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date like 2026-11-28."},
    )
    date_to = forms.DateField(
        label="To",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a date like 2026-11-28."},
    )
    action = forms.ChoiceField(
        label="Action",
        required=False,
        choices=[("", "Any action"), *AuditEvent.Action.choices],
        error_messages={"invalid_choice": "Pick an action from the list."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.matched_clients: list[Client] = []
        self.client_shown: Client | None = None

    def _clean_day(self, name: str) -> date | None:
        day = self.cleaned_data.get(name)
        if day is not None and not _FIRST_YEAR <= day.year <= _LAST_YEAR:
            raise forms.ValidationError(
                f"Enter a date between {_FIRST_YEAR} and {_LAST_YEAR}."
            )
        return day

    def clean_date_from(self) -> date | None:
        return self._clean_day("date_from")

    def clean_date_to(self) -> date | None:
        return self._clean_day("date_to")

    def clean_client(self) -> int | None:
        pk = self.cleaned_data.get("client")
        if pk is None:
            return None
        self.client_shown = Client.objects.filter(pk=pk).first()
        if self.client_shown is None:
            raise forms.ValidationError("No client has this id.")
        return pk

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "The end date cannot come before the start.")
        name = (cleaned.get("client_name") or "").strip()
        if name and cleaned.get("client") is None and "client" not in self.errors:
            self.matched_clients = clients_named(name)
            if not self.matched_clients:
                self.add_error("client_name", "No client's name matches this.")
        return cleaned

    def filters(self) -> AuditFilters:
        """The valid form as filters (call after is_valid())."""
        data = self.cleaned_data
        client_ids: tuple[int, ...] | None = None
        if data.get("client") is not None:
            client_ids = (data["client"],)
        elif self.matched_clients:
            client_ids = tuple(c.pk for c in self.matched_clients)
        return AuditFilters(
            client_ids=client_ids,
            user=data.get("user"),
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            action=data.get("action") or "",
        )
