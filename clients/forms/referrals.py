"""Forms for referrals (prescriptions), insurance policies and authorizations.

They parse and normalise what was typed (codes upper-cased, lists split on commas or
spaces) and name what is wrong; the services in clients.referral_services hold the
rules and write.
"""

from __future__ import annotations

import re

from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError

from clients.models import (
    Authorization,
    Client,
    InsurancePolicy,
    Payer,
    Referral,
    ReferringProvider,
)
from clients.referral_services import ProviderDetails, ReferralDetails
from clients.uploads import DocumentField
from massageclinic.choices import BodyRegion
from massageclinic.validators import ICD10_PATTERN, npi_is_valid
from therapists.models import Modality

_SEPARATORS = re.compile(r"[\s,;]+")
_CPT = re.compile(r"^[0-9]{5}$")


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def split_codes(raw: str) -> list[str]:
    """Codes typed with commas, semicolons or spaces between them; upper-cased, once each."""
    seen: dict[str, None] = {}
    for part in _SEPARATORS.split(raw or ""):
        if part:
            seen.setdefault(part.upper(), None)
    return list(seen)


def _quoted(codes: list[str]) -> str:
    return ", ".join(f"“{c}”" for c in codes)


def parse_icd10_codes(raw: str) -> list[str]:
    codes = split_codes(raw)
    if not codes:
        raise ValidationError("Enter at least one ICD-10 code, e.g. M54.50.")
    bad = [c for c in codes if not re.match(ICD10_PATTERN, c)]
    if bad:
        raise ValidationError(
            f"{_quoted(bad)} {'is not an ICD-10-CM code' if len(bad) == 1 else 'are not ICD-10-CM codes'}: "
            "a code is a letter, a digit, a digit or letter, then optionally a dot and "
            "1-4 more characters, e.g. M54.50 or S13.4XXA."
        )
    return codes


def parse_cpt_codes(raw: str) -> list[str]:
    codes = split_codes(raw)
    bad = [c for c in codes if not _CPT.match(c)]
    if bad:
        raise ValidationError(
            f"{_quoted(bad)} {'is not a CPT code' if len(bad) == 1 else 'are not CPT codes'}: "
            "a CPT code is five digits, e.g. 97124 or 97140."
        )
    return codes


class _ProviderChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: ReferringProvider) -> str:
        practice = f", {obj.practice}" if obj.practice else ""
        return f"{obj.name}, {obj.credentials}{practice} (NPI {obj.npi})"


class _ModalityChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Modality) -> str:
        return f"{obj.name} ({obj.cpt_code})" if obj.cpt_code else obj.name


_PROVIDER_FIELDS = (
    "provider_name",
    "provider_credentials",
    "provider_npi",
    "provider_practice",
    "provider_phone",
    "provider_fax",
)


class ReferralForm(forms.Form):
    provider = _ProviderChoice(
        label="Referring provider on file",
        queryset=ReferringProvider.objects.order_by("name"),
        required=False,
        empty_label="New provider (enter below)",
    )
    provider_name = forms.CharField(label="Name", max_length=160, required=False)
    provider_credentials = forms.CharField(
        label="Credentials",
        max_length=40,
        required=False,
        help_text="MD, DO, DC, NP, PA...",
    )
    provider_npi = forms.CharField(
        label="NPI",
        max_length=20,
        required=False,
        help_text="10 digits; the last is a check digit.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    provider_practice = forms.CharField(
        label="Practice", max_length=160, required=False
    )
    provider_phone = forms.CharField(label="Phone", max_length=30, required=False)
    provider_fax = forms.CharField(label="Fax", max_length=30, required=False)

    referred_on = forms.DateField(label="Referral date", widget=_date_input())
    expires_on = forms.DateField(label="Expires on", widget=_date_input())
    diagnosis_codes = forms.CharField(
        label="ICD-10 codes",
        max_length=200,
        help_text="Separate codes with commas or spaces, e.g. M54.50, M62.830.",
    )
    diagnosis_text = forms.CharField(
        label="Diagnosis",
        max_length=250,
        help_text="As written on the prescription.",
    )
    prescribed_modalities = _ModalityChoice(
        label="Prescribed modalities",
        queryset=Modality.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    prescribed_cpt_codes = forms.CharField(
        label="Prescribed CPT codes",
        max_length=100,
        required=False,
        help_text="If the prescription names codes, e.g. 97124, 97140.",
    )
    body_areas = forms.MultipleChoiceField(
        label="Body areas",
        choices=BodyRegion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    visits_per_week = forms.IntegerField(
        label="Visits per week", min_value=1, max_value=7, initial=2
    )
    duration_weeks = forms.IntegerField(
        label="For how many weeks", min_value=1, max_value=52, initial=6
    )
    session_minutes = forms.IntegerField(
        label="Session length (minutes)",
        min_value=15,
        max_value=180,
        initial=60,
    )
    visits_authorized = forms.IntegerField(
        label="Visits authorized", min_value=1, max_value=365
    )
    precautions = forms.CharField(
        label="Precautions",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the provider asks the therapist to avoid or watch.",
    )
    document = DocumentField(label="Scanned prescription", required=False)

    def __init__(self, *args, referral: Referral | None = None, **kwargs) -> None:
        self.referral = referral
        super().__init__(*args, **kwargs)
        if referral is not None and referral.document:
            self.fields["document"].label = "Replace the scanned prescription"
            self.fields["document"].help_text = (
                "A scan is on file; choosing a new file replaces it. "
                + self.fields["document"].help_text
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                "Referring provider",
                "provider",
                HTML(
                    '<p class="form-text mt-n2">Or, for a provider not on file yet:</p>'
                ),
                Row(
                    Column("provider_name", css_class="col-md-5"),
                    Column("provider_credentials", css_class="col-md-3"),
                    Column("provider_npi", css_class="col-md-4"),
                ),
                Row(
                    Column("provider_practice", css_class="col-md-6"),
                    Column("provider_phone", css_class="col-md-3"),
                    Column("provider_fax", css_class="col-md-3"),
                ),
            ),
            Fieldset(
                "Prescription",
                Row(
                    Column("referred_on", css_class="col-md-3"),
                    Column("expires_on", css_class="col-md-3"),
                    Column("visits_authorized", css_class="col-md-3"),
                ),
                Row(
                    Column("diagnosis_codes", css_class="col-md-4"),
                    Column("diagnosis_text", css_class="col-md-8"),
                ),
            ),
            Fieldset(
                "Treatment prescribed",
                InlineCheckboxes("prescribed_modalities"),
                Field("prescribed_cpt_codes", css_class="w-auto"),
                InlineCheckboxes("body_areas"),
                Row(
                    Column("visits_per_week", css_class="col-md-3"),
                    Column("duration_weeks", css_class="col-md-3"),
                    Column("session_minutes", css_class="col-md-3"),
                ),
            ),
            Fieldset(
                "Precautions and scan",
                "precautions",
                "document",
            ),
        )

    def clean_provider_npi(self) -> str:
        npi = re.sub(r"[\s-]", "", self.cleaned_data["provider_npi"])
        if npi and not npi_is_valid(npi):
            raise ValidationError(
                f"{npi} is not a valid NPI: it must be 10 digits with a correct check "
                "digit. Check it against the prescription."
            )
        if npi:
            existing = ReferringProvider.objects.filter(npi=npi).first()
            if existing is not None:
                raise ValidationError(
                    f"NPI {npi} is already on file for {existing}: choose them from the "
                    "list above instead of entering them again."
                )
        return npi

    def clean_diagnosis_codes(self) -> list[str]:
        return parse_icd10_codes(self.cleaned_data["diagnosis_codes"])

    def clean_prescribed_cpt_codes(self) -> list[str]:
        return parse_cpt_codes(self.cleaned_data["prescribed_cpt_codes"])

    def _typed_new_provider(self) -> bool:
        return any(
            (self.data.get(self.add_prefix(f)) or "").strip() for f in _PROVIDER_FIELDS
        )

    def clean(self) -> dict:
        data = super().clean()
        provider = data.get("provider")
        if provider is not None and self._typed_new_provider():
            raise ValidationError(
                "Choose a referring provider from the list or enter a new one, not "
                "both: clear the new provider's fields or set the list to "
                "“New provider”."
            )
        if provider is None and "provider" not in self.errors:
            if not self._typed_new_provider():
                self.add_error(
                    "provider",
                    "Choose the referring provider from the list, or enter a new "
                    "one's name, credentials and NPI below.",
                )
            else:
                for name, label in (
                    ("provider_name", "name"),
                    ("provider_credentials", "credentials"),
                    ("provider_npi", "NPI"),
                ):
                    if name not in self.errors and not data.get(name):
                        self.add_error(name, f"Enter the new provider's {label}.")
        referred_on, expires_on = data.get("referred_on"), data.get("expires_on")
        if referred_on and expires_on and expires_on < referred_on:
            self.add_error(
                "expires_on",
                f"The referral cannot expire before its date "
                f"({referred_on:%b %-d, %Y}); check both dates.",
            )
        if (
            "prescribed_modalities" not in self.errors
            and "prescribed_cpt_codes" not in self.errors
            and not data.get("prescribed_modalities")
            and not data.get("prescribed_cpt_codes")
        ):
            self.add_error(
                "prescribed_modalities",
                "Tick the prescribed modalities or enter the prescribed CPT codes "
                "(or both).",
            )
        return data

    def new_provider(self) -> ProviderDetails | None:
        data = self.cleaned_data
        if data.get("provider") is not None:
            return None
        return ProviderDetails(
            name=data["provider_name"],
            credentials=data["provider_credentials"],
            npi=data["provider_npi"],
            practice=data["provider_practice"],
            phone=data["provider_phone"],
            fax=data["provider_fax"],
        )

    def details(self) -> ReferralDetails:
        data = self.cleaned_data
        return ReferralDetails(
            referred_on=data["referred_on"],
            expires_on=data["expires_on"],
            diagnosis_codes=data["diagnosis_codes"],
            diagnosis_text=data["diagnosis_text"],
            modalities=list(data["prescribed_modalities"]),
            cpt_codes=data["prescribed_cpt_codes"],
            body_areas=data["body_areas"],
            visits_per_week=data["visits_per_week"],
            duration_weeks=data["duration_weeks"],
            session_minutes=data["session_minutes"],
            visits_authorized=data["visits_authorized"],
            precautions=data["precautions"],
        )


def referral_initial(referral: Referral) -> dict[str, object]:
    """What the edit form starts from."""
    return {
        "provider": referral.provider_id,
        "referred_on": referral.referred_on,
        "expires_on": referral.expires_on,
        "diagnosis_codes": ", ".join(referral.diagnosis_codes),
        "diagnosis_text": referral.diagnosis_text,
        "prescribed_modalities": [m.pk for m in referral.prescribed_modalities.all()],
        "prescribed_cpt_codes": ", ".join(referral.prescribed_cpt_codes),
        "body_areas": list(referral.body_areas),
        "visits_per_week": referral.visits_per_week,
        "duration_weeks": referral.duration_weeks,
        "session_minutes": referral.session_minutes,
        "visits_authorized": referral.visits_authorized,
        "precautions": referral.precautions,
    }


class InsurancePolicyForm(forms.Form):
    payer = forms.ModelChoiceField(
        label="Payer",
        queryset=Payer.objects.order_by("name"),
        required=False,
        empty_label="New payer (enter below)",
    )
    new_payer_name = forms.CharField(
        label="Or a new payer's name",
        max_length=120,
        required=False,
        help_text="Only if the payer is not in the list.",
    )
    member_id = forms.CharField(label="Member id", max_length=60)
    group_number = forms.CharField(label="Group number", max_length=60, required=False)
    subscriber_name = forms.CharField(
        label="Subscriber",
        max_length=160,
        required=False,
        help_text="The policy holder, if not the client.",
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("payer", css_class="col-md-6"),
                Column("new_payer_name", css_class="col-md-6"),
            ),
            Row(
                Column("member_id", css_class="col-md-4"),
                Column("group_number", css_class="col-md-4"),
                Column("subscriber_name", css_class="col-md-4"),
            ),
        )

    def clean(self) -> dict:
        data = super().clean()
        payer, new_name = data.get("payer"), (data.get("new_payer_name") or "").strip()
        if payer is not None and new_name:
            raise ValidationError(
                "Choose a payer from the list or enter a new payer's name, not both."
            )
        if payer is None and not new_name and "payer" not in self.errors:
            self.add_error("payer", "Choose the payer, or enter a new payer's name.")
        return data


class InsurancePolicyEditForm(forms.Form):
    """Correct a policy on file; its payer is shown, not changed."""

    payer = forms.CharField(
        label="Payer",
        required=False,
        disabled=True,
        help_text="The payer cannot be changed: a different payer is a new policy. "
        "Add it with “Add a policy” on the referrals tab, and untick “Active” here "
        "if this one has ended.",
    )
    member_id = forms.CharField(label="Member id", max_length=60)
    group_number = forms.CharField(label="Group number", max_length=60, required=False)
    subscriber_name = forms.CharField(
        label="Subscriber",
        max_length=160,
        required=False,
        help_text="The policy holder, if not the client.",
    )
    is_active = forms.BooleanField(
        label="Active",
        required=False,
        help_text="Untick when the policy has ended: new visits are then not billed "
        "to it. Its authorizations stay on file.",
    )

    def __init__(self, *args, policy: InsurancePolicy, **kwargs) -> None:
        kwargs.setdefault(
            "initial",
            {
                "member_id": policy.member_id,
                "group_number": policy.group_number,
                "subscriber_name": policy.subscriber_name,
                "is_active": policy.is_active,
            },
        )
        super().__init__(*args, **kwargs)
        self.fields["payer"].initial = policy.payer.name
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(Column("payer", css_class="col-md-6")),
            Row(
                Column("member_id", css_class="col-md-4"),
                Column("group_number", css_class="col-md-4"),
                Column("subscriber_name", css_class="col-md-4"),
            ),
            "is_active",
        )

    def service_kwargs(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "member_id": data["member_id"],
            "group_number": data["group_number"],
            "subscriber_name": data["subscriber_name"],
            "is_active": data["is_active"],
        }


class _PolicyChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: InsurancePolicy) -> str:
        return f"{obj.payer.name}, member {obj.member_id}"


class _ReferralChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Referral) -> str:
        return (
            f"{obj.referred_on:%b %-d, %Y}: {', '.join(obj.diagnosis_codes)} "
            f"from {obj.provider.name}"
        )


class AuthorizationForm(forms.Form):
    policy = _PolicyChoice(label="Insurance policy", queryset=InsurancePolicy.objects)
    referral = _ReferralChoice(
        label="Referral",
        queryset=Referral.objects,
        required=False,
        empty_label="None",
        help_text="The prescription this authorization covers, if any.",
    )
    number = forms.CharField(label="Authorization number", max_length=60)
    visits_authorized = forms.IntegerField(
        label="Visits authorized", min_value=1, max_value=32767, required=False
    )
    units_authorized = forms.IntegerField(
        label="Units authorized",
        min_value=1,
        max_value=32767,
        required=False,
        help_text="15-minute billing units.",
    )
    valid_from = forms.DateField(label="Valid from", widget=_date_input())
    valid_to = forms.DateField(label="Valid to", widget=_date_input())

    def __init__(self, *args, client: Client, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["policy"].queryset = (
            InsurancePolicy.objects.filter(client=client)
            .select_related("payer")
            .order_by("-is_active", "payer__name")
        )
        self.fields["referral"].queryset = (
            Referral.objects.filter(client=client)
            .select_related("provider")
            .order_by("-referred_on")
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Row(
                Column("policy", css_class="col-md-6"),
                Column("referral", css_class="col-md-6"),
            ),
            Row(
                Column("number", css_class="col-md-4"),
                Column("visits_authorized", css_class="col-md-4"),
                Column("units_authorized", css_class="col-md-4"),
            ),
            Row(
                Column("valid_from", css_class="col-md-4"),
                Column("valid_to", css_class="col-md-4"),
            ),
        )

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip()

    def clean(self) -> dict:
        data = super().clean()
        if (
            "visits_authorized" not in self.errors
            and "units_authorized" not in self.errors
            and data.get("visits_authorized") is None
            and data.get("units_authorized") is None
        ):
            self.add_error(
                "visits_authorized",
                "Enter the visits authorized, the units authorized, or both.",
            )
        valid_from, valid_to = data.get("valid_from"), data.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error(
                "valid_to",
                f"The authorization cannot end before it starts "
                f"({valid_from:%b %-d, %Y}); check both dates.",
            )
        return data

    def service_kwargs(self) -> dict[str, object]:
        data = self.cleaned_data
        return {
            "policy": data["policy"],
            "referral": data.get("referral"),
            "number": data["number"],
            "visits_authorized": data.get("visits_authorized"),
            "units_authorized": data.get("units_authorized"),
            "valid_from": data["valid_from"],
            "valid_to": data["valid_to"],
        }


def authorization_initial(authorization: Authorization) -> dict[str, object]:
    return {
        "policy": authorization.policy_id,
        "referral": authorization.referral_id,
        "number": authorization.number,
        "visits_authorized": authorization.visits_authorized,
        "units_authorized": authorization.units_authorized,
        "valid_from": authorization.valid_from,
        "valid_to": authorization.valid_to,
    }
