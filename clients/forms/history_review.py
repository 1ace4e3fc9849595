"""The therapist's review of what a history says in words (the service decides)."""

from __future__ import annotations

from django import forms

from clients.models import HistoryReview


class HistoryReviewForm(forms.Form):
    outcome = forms.ChoiceField(
        label="Outcome",
        choices=HistoryReview.Outcome.choices,
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label="Note",
        max_length=250,
        required=False,
        help_text="Why it needs no flag (required for harmless), or which flags "
        "you added.",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
