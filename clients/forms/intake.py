"""Forms of the intake (staff and the client's own link) and of the safety flags."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.forms import formset_factory

from clients.intake_services import HISTORY_CONTENT_FIELDS
from clients.models import Condition, IntakeCondition, MedicalHistory, Severity
from massageclinic.choices import BodyRegion
from massageclinic.validators import validate_clinic_date, validate_life_event_date

MAX_SURGERIES = 12
MAX_CLEARANCE_BYTES = 10 * 1024 * 1024
_DOCUMENT_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}

_TEXTAREA = {"rows": 2}


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HistoryForm(forms.Form):
    """The intake questions; the surgeries are a formset beside it (SurgeryFormSet)."""

    chief_complaint = forms.CharField(
        label="What brings you in?",
        help_text="Your main complaint, in your own words.",
        widget=forms.Textarea(attrs=_TEXTAREA),
        max_length=2000,
        error_messages={"required": "Say what brings you in."},
    )
    pain_areas = forms.MultipleChoiceField(
        label="Where does it hurt?",
        choices=BodyRegion.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
    )
    pain_level = forms.IntegerField(
        label="Pain right now, from 0 (none) to 10 (worst)",
        min_value=0,
        max_value=10,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Give the pain as a whole number from 0 to 10.",
            "min_value": "Give the pain as a number from 0 (none) to 10 (worst).",
            "max_value": "Give the pain as a number from 0 (none) to 10 (worst).",
        },
    )
    onset = forms.CharField(
        label="When and how did it start?",
        max_length=200,
        required=False,
    )
    conditions = forms.MultipleChoiceField(
        label="Do you have any of these conditions?",
        choices=IntakeCondition.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        required=False,
    )
    other_conditions = forms.CharField(
        label="Other conditions",
        widget=forms.Textarea(attrs=_TEXTAREA),
        required=False,
    )
    medications = forms.CharField(
        label="Medications you take",
        widget=forms.Textarea(attrs=_TEXTAREA),
        required=False,
    )
    allergies = forms.CharField(
        label="Allergies",
        help_text="Including oils, lotions, nuts and latex.",
        widget=forms.Textarea(attrs=_TEXTAREA),
        required=False,
    )
    allergic_to_oils = forms.BooleanField(
        label="I am allergic to massage oils or lotions", required=False
    )
    pregnant = forms.BooleanField(label="I am pregnant", required=False)
    pregnancy_weeks = forms.IntegerField(
        label="Weeks of pregnancy",
        min_value=1,
        max_value=42,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "invalid": "Give the weeks of pregnancy as a whole number.",
            "min_value": "Give the weeks of pregnancy, from 1 to 42.",
            "max_value": "Give the weeks of pregnancy, from 1 to 42.",
        },
    )
    takes_anticoagulants = forms.BooleanField(
        label="I take anticoagulants (blood thinners such as warfarin or apixaban)",
        required=False,
    )
    clotting_disorder = forms.BooleanField(
        label="I have a clotting or bleeding disorder", required=False
    )
    dvt_history = forms.BooleanField(
        label="I have had a deep vein thrombosis (DVT, a blood clot in a vein)",
        required=False,
    )
    long_term_corticosteroids = forms.BooleanField(
        label="I take corticosteroids (e.g. prednisone) long-term", required=False
    )
    fragile_skin = forms.BooleanField(
        label="My skin tears or bruises easily", required=False
    )
    skin_conditions = forms.CharField(
        label="Skin conditions",
        help_text="Rashes, eczema, psoriasis, open wounds.",
        widget=forms.Textarea(attrs=_TEXTAREA),
        required=False,
    )
    implanted_devices = forms.CharField(
        label="Implanted devices",
        help_text="Pacemaker, port, pump, breast or joint implants, and where.",
        widget=forms.Textarea(attrs=_TEXTAREA),
        required=False,
    )
    goals = forms.CharField(
        label="What would you like to get back to doing?",
        widget=forms.Textarea(attrs=_TEXTAREA),
        required=False,
    )
    consent_name = forms.CharField(
        label="Type your full name to sign",
        max_length=160,
        error_messages={"required": "Type your full name to sign the consent."},
    )
    consent_agreed = forms.BooleanField(
        label=(
            "The information above is true to the best of my knowledge, I will tell "
            "my therapist about any change, and I consent to massage therapy."
        ),
        error_messages={"required": "Tick the box to give your consent."},
    )

    def clean_consent_name(self) -> str:
        name = self.cleaned_data["consent_name"].strip()
        if not name:
            raise ValidationError("Type your full name to sign the consent.")
        return name

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("pregnancy_weeks") is not None and not cleaned.get("pregnant"):
            self.add_error(
                "pregnancy_weeks",
                'Weeks of pregnancy only apply when pregnant: tick "I am pregnant" '
                "or clear the weeks.",
            )
        return cleaned

    def history_data(self) -> dict[str, Any]:
        """The cleaned answers, as clients.intake_services.history_submit takes them."""
        return {
            name: self.cleaned_data.get(name)
            for name in (*HISTORY_CONTENT_FIELDS, "consent_name")
            if name != "surgeries"
        }


class SurgeryForm(forms.Form):
    procedure = forms.CharField(label="Operation", max_length=200, required=False)
    date = forms.DateField(
        label="Date",
        required=False,
        widget=_date_input(),
        validators=[validate_life_event_date],
        error_messages={"invalid": "Give the date of the operation (YYYY-MM-DD)."},
    )
    site = forms.ChoiceField(
        label="Site",
        choices=[("", "(not specific)"), *BodyRegion.choices],
        required=False,
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        when = cleaned.get("date")
        filled = cleaned.get("procedure") or when or cleaned.get("site")
        if filled and not cleaned.get("procedure"):
            self.add_error("procedure", "Say what the operation was.")
        if when and when > self.today:
            self.add_error(
                "date", "This date is in the future; give the date it took place."
            )
        return cleaned

    def surgery(self) -> dict[str, str] | None:
        data = self.cleaned_data
        if not data.get("procedure"):
            return None
        when = data.get("date")
        return {
            "procedure": data["procedure"].strip(),
            "date": when.isoformat() if when else "",
            "site": data.get("site") or "",
        }


SurgeryFormSet = formset_factory(
    SurgeryForm,
    extra=0,
    max_num=MAX_SURGERIES,
    validate_max=True,
    absolute_max=MAX_SURGERIES,
)


def surgery_formset(
    *, data: Any = None, history: MedicalHistory | None, today: date
) -> forms.BaseFormSet:
    """Rows for the known surgeries, plus empty ones to add more (three at least)."""
    initial: list[dict[str, Any]] = []
    for surgery in (history.surgeries if history else None) or []:
        try:
            when = date.fromisoformat(str(surgery.get("date") or ""))
        except ValueError:
            when = None
        initial.append(
            {
                "procedure": surgery.get("procedure", ""),
                "date": when,
                "site": surgery.get("site", ""),
            }
        )
    rows = min(max(3, len(initial) + 1), MAX_SURGERIES)
    initial += [{} for _ in range(rows - len(initial))]
    return SurgeryFormSet(
        data=data, initial=initial, prefix="surgeries", form_kwargs={"today": today}
    )


def surgeries_of(formset: forms.BaseFormSet) -> list[dict[str, str]]:
    return [s for form in formset.forms if (s := form.surgery()) is not None]


def history_initial(history: MedicalHistory | None) -> dict[str, Any]:
    """Pre-fill from the current version; the consent is signed anew every time."""
    if history is None:
        return {}
    return {
        name: getattr(history, name)
        for name in HISTORY_CONTENT_FIELDS
        if name != "surgeries"
    }


# --- Safety flags -----------------------------------------------------------------------


class FlagFields(forms.Form):
    severity = forms.ChoiceField(choices=Severity.choices)
    body_region = forms.ChoiceField(
        label="Body region",
        choices=[("", "(whole body / not specific)"), *BodyRegion.choices],
        required=False,
        help_text="Needed for a regional flag: the area to avoid.",
    )
    detail = forms.CharField(max_length=250, required=False)
    onset_on = forms.DateField(
        label="Onset",
        required=False,
        widget=_date_input(),
        validators=[validate_clinic_date],
    )
    recheck_on = forms.DateField(
        label="Recheck on",
        required=False,
        widget=_date_input(),
        validators=[validate_clinic_date],
        help_text='From this date the flag shows "needs recheck".',
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        onset, recheck = cleaned.get("onset_on"), cleaned.get("recheck_on")
        if onset and recheck and recheck < onset:
            self.add_error("recheck_on", "The recheck date cannot be before the onset.")
        if cleaned.get("severity") == Severity.REGIONAL and not cleaned.get(
            "body_region"
        ):
            self.add_error(
                "body_region", "A regional flag needs the body region to avoid."
            )
        return cleaned


class FlagAddForm(FlagFields):
    condition = forms.ModelChoiceField(
        queryset=Condition.objects.all(), empty_label="Choose a condition"
    )
    severity = forms.ChoiceField(
        choices=[("", "The condition's usual severity"), *Severity.choices],
        required=False,
    )
    field_order = ["condition", "severity", "body_region", "detail"]

    def clean(self) -> dict[str, Any]:
        condition = self.cleaned_data.get("condition")
        if condition is not None and not self.cleaned_data.get("severity"):
            self.cleaned_data["severity"] = condition.default_severity
        return super().clean()


class FlagResolveForm(forms.Form):
    note = forms.CharField(
        label="Why is it resolved?",
        max_length=250,
        required=False,
        help_text="E.g. surgical site healed; no longer takes the medication.",
    )


class FlagClearForm(forms.Form):
    cleared_on = forms.DateField(
        label="Date of the clearance",
        widget=_date_input(),
        validators=[validate_clinic_date],
        error_messages={"required": "Give the date the physician signed it."},
    )
    physician = forms.CharField(
        label="Physician",
        max_length=160,
        error_messages={"required": "Name the physician who gave the clearance."},
    )
    conditions = forms.CharField(
        label="What was cleared, and on what terms",
        max_length=250,
        required=False,
        help_text='As the physician wrote it, e.g. "light pressure only, no work on '
        'the left calf". The therapist sees it before every visit.',
    )
    expires_on = forms.DateField(
        label="Valid until",
        required=False,
        widget=_date_input(),
        validators=[validate_clinic_date],
        help_text="If the clearance has an end date; after it, massage is blocked "
        "again until a new clearance.",
    )
    document = forms.FileField(
        label="Clearance document (PDF, JPEG or PNG, up to 10 MB)",
        required=False,
    )

    def __init__(self, *args: Any, has_document: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["document"].required = not has_document
        self.fields["document"].error_messages["required"] = (
            "Attach the physician's clearance (a scan or photo)."
        )

    def clean_document(self) -> UploadedFile | None:
        document = self.cleaned_data.get("document")
        if not document:
            return None
        if document.size > MAX_CLEARANCE_BYTES:
            raise ValidationError(
                "This file is larger than 10 MB; scan it at a lower resolution."
            )
        name = document.name.lower()
        extension = name[name.rfind(".") :] if "." in name else ""
        signatures = _DOCUMENT_SIGNATURES.get(extension)
        if signatures is None:
            raise ValidationError("Attach a PDF, JPEG or PNG file.")
        document.seek(0)
        head = document.read(16)
        document.seek(0)
        if not any(head.startswith(s) for s in signatures):
            raise ValidationError(
                f"This file is not really a {extension[1:].upper()}; attach the "
                "scan itself."
            )
        return document
