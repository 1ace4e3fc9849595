"""The form a therapist fills in to record a modification plan."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from clients.uploads import DocumentField
from massageclinic.validators import validate_clinic_date
from therapists.models import Modality


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class ModificationPlanForm(forms.Form):
    modality = forms.ModelChoiceField(
        label="Technique",
        queryset=Modality.objects.none(),
        empty_label="Choose a technique the rules rule out",
        error_messages={"required": "Choose the technique this plan allows."},
    )
    changes = forms.CharField(
        label="What changes",
        max_length=250,
        help_text='e.g. "light pressure only, no friction over the shins".',
        error_messages={
            "required": "Say what changes, e.g. light pressure, no friction."
        },
    )
    reason = forms.CharField(
        label="Why this technique is right for this client",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Say why this technique is right for this client."},
    )
    starts_on = forms.DateField(
        label="From",
        widget=_date_input(),
        validators=[validate_clinic_date],
        error_messages={"required": "Give the first day of the plan."},
    )
    ends_on = forms.DateField(
        label="Until",
        widget=_date_input(),
        validators=[validate_clinic_date],
        help_text="At most a year after it starts.",
        error_messages={"required": "Give the last day of the plan."},
    )
    clearance_document = DocumentField(
        label="Physician's clearance (optional)", required=False
    )

    def __init__(
        self, *args: Any, techniques: Sequence[Modality] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["modality"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Modality.objects.filter(
            pk__in=[m.pk for m in techniques]
        ).order_by("name")
