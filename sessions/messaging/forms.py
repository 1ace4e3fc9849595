"""The outbox's filters: a GET form, so a filtered page can be bookmarked."""

from __future__ import annotations

from typing import Any

from django import forms

from sessions.messaging.selectors import SHOWN, OutboxFilters
from sessions.models import OutboundMessage

STATUS_CHOICES = [
    ("open", "Failed and pending"),
    ("failed", "Failed"),
    ("pending", "Pending"),
    ("skipped", "Not sent (skipped)"),
    ("sent", "Sent"),
    ("cancelled", "Cancelled"),
    ("all", "Any status"),
]
assert {value for value, _ in STATUS_CHOICES} == set(SHOWN)


class OutboxFilterForm(forms.Form):
    client = forms.CharField(
        label="Client",
        required=False,
        max_length=200,
        help_text="Name or email address.",
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    show = forms.ChoiceField(label="Status", choices=STATUS_CHOICES, required=False)
    kind = forms.ChoiceField(
        label="Message",
        choices=[("", "Any message"), *OutboundMessage.Kind.choices],
        required=False,
    )
    sent_from = forms.DateField(
        label="Going out from",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a real date, e.g. 2026-12-01."},
    )
    sent_to = forms.DateField(
        label="to",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "Enter a real date, e.g. 2026-12-31."},
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        first, last = cleaned.get("sent_from"), cleaned.get("sent_to")
        if first and last and first > last:
            self.add_error(
                "sent_to", "The last day comes before the first: swap the two dates."
            )
        return cleaned

    def filters(self) -> OutboxFilters:
        """What to show: the valid fields; a field with an error is left out (the
        page says so beside it) rather than refusing the whole page."""
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        valid = {name: data.get(name) for name in data if name not in self.errors}
        return OutboxFilters(
            show=valid.get("show") or "open",
            kind=valid.get("kind") or "",
            client=valid.get("client") or "",
            sent_from=valid.get("sent_from"),
            sent_to=valid.get("sent_to"),
        )
