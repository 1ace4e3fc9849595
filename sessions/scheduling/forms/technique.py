"""The form that changes a booked visit's technique in place (the service decides)."""

from __future__ import annotations

from django import forms

from therapists.models import Modality


class ChangeTechniqueForm(forms.Form):
    modality = forms.ModelChoiceField(
        label="New technique",
        queryset=Modality.objects.none(),
        empty_label=None,
        help_text="The techniques the safety rules allow for this client on the "
        "visit's day, among those the therapist offers.",
    )
    following = forms.TypedChoiceField(
        label="Apply to",
        choices=[
            ("0", "This visit only"),
            ("1", "This visit and the following visits of the series"),
        ],
        coerce=lambda value: value == "1",
        initial="0",
        required=False,
        empty_value=False,
        widget=forms.RadioSelect,
    )
    acknowledge_safety = forms.BooleanField(
        label="I have read the safety alerts for this technique", required=False
    )

    def __init__(
        self, *args, techniques: list[Modality], in_series: bool, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        if not in_series:
            del self.fields["following"]
        field = self.fields["modality"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Modality.objects.filter(
            pk__in=[m.pk for m in techniques]
        ).order_by("name")
        field.error_messages["invalid_choice"] = (
            "Choose one of the techniques listed: the rules do not allow that one "
            "for this visit."
        )
