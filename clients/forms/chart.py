"""Forms of the client list (search and filters) and of a client's record."""

from __future__ import annotations

from typing import Any

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Fieldset, Layout, Row
from django import forms
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.html import format_html

from clients.client_services import EDITABLE_CLIENT_FIELDS
from clients.models import Client
from clients.selectors import ListStatus
from massageclinic.models import Location
from therapists.models import Therapist

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%m/%d/%Y"]


def _legend(text: str) -> str:
    # crispy renders the legend as given; Bootstrap's default legend is heading-sized.
    return format_html('<span class="fs-5">{}</span>', text)


class _TherapistChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Therapist) -> str:
        return obj.full_name


def _therapists() -> Any:
    return Therapist.objects.filter(is_active=True).select_related("user")


class ClientSearchForm(forms.Form):
    """The list's search box and filters (a GET form: bookmarkable, works without JS)."""

    q = forms.CharField(
        label="Search clients",
        required=False,
        max_length=100,
        help_text="Name, phone, email or date of birth (YYYY-MM-DD or MM/DD/YYYY).",
    )
    status = forms.ChoiceField(
        label="Show",
        required=False,
        choices=[
            (ListStatus.ACTIVE, "Active clients"),
            (ListStatus.ARCHIVED, "Archived clients"),
            (ListStatus.ALL, "Active and archived"),
        ],
    )
    therapist = _TherapistChoice(
        label="Therapist",
        required=False,
        queryset=Therapist.objects.none(),
        empty_label="Any therapist",
    )
    referral_expiring = forms.BooleanField(
        label="Referral expiring within 14 days", required=False
    )
    intake_missing = forms.BooleanField(label="Intake missing", required=False)

    def __init__(self, *args: Any, show_therapists: bool = True, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if show_therapists:
            self.fields["therapist"].queryset = _therapists()
        else:
            del self.fields["therapist"]

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for `clients_for_list`; a bad value drops that filter."""
        self.is_valid()  # cleaned_data keeps every field that is valid
        data = self.cleaned_data
        therapist = data.get("therapist")
        return {
            "query": data.get("q", ""),
            "status": data.get("status") or ListStatus.ACTIVE,
            "therapist_id": therapist.pk if therapist else None,
            "referral_expiring": bool(data.get("referral_expiring")),
            "intake_missing": bool(data.get("intake_missing")),
        }

    @staticmethod
    def is_filtered(filters: dict[str, Any]) -> bool:
        """Whether the list is narrowed beyond the default (active clients)."""
        return bool(
            filters["query"]
            or filters["status"] != ListStatus.ACTIVE
            or filters["therapist_id"]
            or filters["referral_expiring"]
            or filters["intake_missing"]
        )


class ClientForm(forms.ModelForm):
    """Demographics, contact, addresses, emergency contact and preferences.

    The rules (a phone or an email, no birth date in the future) live in
    `clients.client_services`; the view adds the service's errors to this form.
    """

    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": "Enter the date of birth as YYYY-MM-DD or MM/DD/YYYY."
        },
    )
    preferred_therapist = _TherapistChoice(
        label="Preferred therapist",
        required=False,
        queryset=Therapist.objects.none(),
        empty_label="No preference",
    )
    preferred_location = forms.ModelChoiceField(
        label="Preferred location",
        required=False,
        queryset=Location.objects.filter(is_active=True),
        empty_label="No preference",
    )
    # Shown only when registering matched existing clients (`client_duplicates`).
    different_person = forms.BooleanField(
        label="This is a different person: register a new record",
        required=False,
    )

    class Meta:
        model = Client
        fields = [
            "first_name",
            "last_name",
            "preferred_name",
            "pronouns",
            "date_of_birth",
            "phone",
            "email",
            "email_reminders",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "postal_code",
            "workplace_name",
            "workplace_address",
            "emergency_contact_name",
            "emergency_contact_phone",
            "preferred_location",
            "preferred_therapist",
            "preferences",
        ]
        labels = {
            "phone": "Phone",
            "email": "Email",
            "email_reminders": "Send confirmations and reminders by email",
            "address_line1": "Home address",
            "address_line2": "Home address (line 2)",
            "postal_code": "ZIP code",
            "workplace_name": "Workplace",
            "workplace_address": "Workplace address",
            "emergency_contact_name": "Emergency contact name",
            "emergency_contact_phone": "Emergency contact phone",
            "preferences": "Other preferences",
        }
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "off"}),
            "preferences": forms.Textarea(attrs={"rows": 3}),
        }
        error_messages = {
            "first_name": {"required": "Enter the client's first name."},
            "last_name": {"required": "Enter the client's last name."},
            "email": {"invalid": "Enter an email address like name@example.org."},
        }

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # A therapist who has left, or a closed location, stays selectable on the
        # clients who chose them, so saving other changes does not drop the choice.
        self.fields["preferred_therapist"].queryset = Therapist.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.preferred_therapist_id)
        ).select_related("user")
        self.fields["preferred_location"].queryset = Location.objects.filter(
            Q(is_active=True) | Q(pk=self.instance.preferred_location_id)
        )

    @cached_property
    def helper(self) -> FormHelper:
        """The page's layout, built when the page is drawn (an import checking
        thousands of rows with this form never draws it)."""
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(
            Fieldset(
                _legend("Name and birth"),
                Row(
                    Column("first_name", css_class="col-md-4"),
                    Column("last_name", css_class="col-md-4"),
                    Column("preferred_name", css_class="col-md-4"),
                ),
                Row(
                    Column("date_of_birth", css_class="col-md-4"),
                    Column("pronouns", css_class="col-md-4"),
                ),
            ),
            Fieldset(
                _legend("Contact"),
                Row(
                    Column("phone", css_class="col-md-4"),
                    Column("email", css_class="col-md-8"),
                ),
                "email_reminders",
            ),
            Fieldset(
                _legend("Home address"),
                Row(
                    Column("address_line1", css_class="col-md-6"),
                    Column("address_line2", css_class="col-md-6"),
                ),
                Row(
                    Column("city", css_class="col-md-6"),
                    Column("state", css_class="col-md-3"),
                    Column("postal_code", css_class="col-md-3"),
                ),
            ),
            Fieldset(
                _legend("Workplace (for chair massage)"),
                Row(
                    Column("workplace_name", css_class="col-md-4"),
                    Column("workplace_address", css_class="col-md-8"),
                ),
            ),
            Fieldset(
                _legend("Emergency contact"),
                Row(
                    Column("emergency_contact_name", css_class="col-md-6"),
                    Column("emergency_contact_phone", css_class="col-md-6"),
                ),
            ),
            Fieldset(
                _legend("Preferences"),
                Row(
                    Column("preferred_location", css_class="col-md-6"),
                    Column("preferred_therapist", css_class="col-md-6"),
                ),
                "preferences",
            ),
        )
        return helper

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_phone(self) -> str:
        return " ".join(self.cleaned_data["phone"].split())

    def duplicate_fields(self) -> dict[str, Any]:
        """The fields `client_duplicates` compares, as typed."""
        data = self.cleaned_data
        return {
            "first_name": data.get("first_name", ""),
            "last_name": data.get("last_name", ""),
            "date_of_birth": data.get("date_of_birth"),
            "phone": data.get("phone", ""),
            "email": data.get("email", ""),
        }

    def service_fields(self) -> dict[str, Any]:
        """The cleaned values, as keyword arguments of the client services."""
        return {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name in EDITABLE_CLIENT_FIELDS
        }
