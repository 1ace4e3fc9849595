"""Forms for treatment plans (with a formset of goals), their status, and the
progress report. They parse what was typed and put each problem on its field; the
rules themselves live in sessions.treatment.plans.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from crispy_forms.bootstrap import InlineCheckboxes
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError

from clients.forms.referrals import parse_icd10_codes
from clients.models import Client, Referral
from clients.referral_selectors import COMMON_DIAGNOSES
from clients.safety import SafetyVerdict
from massageclinic.models import clinic_policy
from massageclinic.validators import validate_clinic_date
from sessions.models import Goal, TreatmentPlan
from sessions.treatment.plans import (
    MAX_VISITS,
    GoalDetails,
    PlanDetails,
    goal_problems,
)
from therapists.models import Modality, Therapist

Measure = Goal.Measure


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class _ReferralChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Referral) -> str:
        return (
            f"{obj.referred_on:%b %-d, %Y}: {', '.join(obj.diagnosis_codes)} "
            f"{obj.diagnosis_text} (from {obj.provider.name})"
        )


class _TherapistChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Therapist) -> str:
        return f"{obj.full_name}, {obj.credentials}"


class _ModalityChoice(forms.ModelMultipleChoiceField):
    """Each modality with its code, and what the safety check says for this client."""

    verdicts: dict[int, SafetyVerdict]

    def label_from_instance(self, obj: Modality) -> str:
        label = f"{obj.name} ({obj.cpt_code})" if obj.cpt_code else obj.name
        verdict = self.verdicts.get(obj.pk)
        if verdict is None or verdict.safe:
            return label
        caution = "ruled out" if verdict.blocked else "needs care"
        return f"{label} — {caution}: {'; '.join(verdict.reasons)}"


def session_length_choices(current: int | None = None) -> list[tuple[int, str]]:
    lengths = set(clinic_policy().session_lengths)
    if current:
        lengths.add(current)
    return [(n, f"{n} minutes") for n in sorted(lengths)]


class PlanForm(forms.Form):
    therapist = _TherapistChoice(
        label="Therapist",
        queryset=Therapist.objects.filter(is_active=True).select_related("user"),
        empty_label="Choose the therapist",
    )
    referral = _ReferralChoice(
        label="Referral",
        queryset=Referral.objects.none(),
        required=False,
        empty_label="No referral (self-referred)",
    )
    problems = forms.CharField(
        label="Problems (ICD-10 codes)",
        max_length=200,
        required=False,
        help_text="Usually the referral's diagnosis codes; separate them with commas, "
        "e.g. M54.50, M62.830.",
    )
    planned_modalities = _ModalityChoice(
        label="Planned modalities",
        queryset=Modality.objects.filter(is_active=True).order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    visits_per_week = forms.IntegerField(
        label="Visits per week", min_value=1, max_value=7, initial=1
    )
    visits_planned = forms.IntegerField(
        label="Number of visits", min_value=1, max_value=MAX_VISITS
    )
    session_minutes = forms.TypedChoiceField(
        label="Session length", coerce=int, initial=60
    )
    starts_on = forms.DateField(label="Starts on", widget=_date_input())
    review_on = forms.DateField(
        label="Review on",
        widget=_date_input(),
        help_text="When you reassess the goals (often the end of the prescribed "
        "weeks).",
    )
    home_care_plan = forms.CharField(
        label="Home-care plan",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Stretches and self-care, each with its instructions, e.g. "
        "“Doorway pectoral stretch: 30 seconds, 3 times a day”.",
    )

    def __init__(
        self,
        *args: Any,
        client: Client,
        choose_therapist: bool,
        verdicts: dict[int, SafetyVerdict] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.client = client
        if not choose_therapist:
            del self.fields["therapist"]
        self.fields["referral"].queryset = (
            Referral.objects.filter(client=client)
            .select_related("provider")
            .order_by("-referred_on", "-pk")
        )
        self.fields["planned_modalities"].verdicts = verdicts or {}
        current = self.initial.get("session_minutes")
        self.fields["session_minutes"].choices = session_length_choices(current)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        who = ["therapist"] if choose_therapist else []
        self.helper.layout = Layout(
            Fieldset(
                "Diagnosis",
                *who,
                "referral",
                Field("problems", css_class="w-auto", size="40"),
            ),
            Fieldset(
                "Treatment",
                InlineCheckboxes("planned_modalities"),
                Row(
                    Column("visits_per_week", css_class="col-sm-6 col-lg-3"),
                    Column("visits_planned", css_class="col-sm-6 col-lg-3"),
                    Column("session_minutes", css_class="col-sm-6 col-lg-3"),
                ),
                Row(
                    Column("starts_on", css_class="col-sm-6 col-lg-3"),
                    Column("review_on", css_class="col-sm-6 col-lg-3"),
                ),
            ),
            Fieldset("Home care", "home_care_plan"),
        )

    def clean_problems(self) -> list[str]:
        raw = self.cleaned_data["problems"].strip()
        return parse_icd10_codes(raw) if raw else []

    def clean(self) -> dict:
        data = super().clean()
        starts_on, review_on = data.get("starts_on"), data.get("review_on")
        if starts_on and review_on and review_on < starts_on:
            self.add_error(
                "review_on",
                f"The review cannot come before the start ({starts_on:%b %-d, %Y}).",
            )
        return data

    def details(self, goals: list[GoalDetails]) -> PlanDetails:
        data = self.cleaned_data
        return PlanDetails(
            starts_on=data["starts_on"],
            review_on=data["review_on"],
            visits_planned=data["visits_planned"],
            visits_per_week=data["visits_per_week"],
            session_minutes=data["session_minutes"],
            problems=data["problems"],
            modalities=list(data["planned_modalities"]),
            referral=data["referral"],
            home_care_plan=data["home_care_plan"],
            goals=goals,
        )


def plan_initial(
    *, referral: Referral | None, today: date, session_lengths: list[int]
) -> dict[str, Any]:
    """A new plan's fields, from the referral when there is one."""
    if referral is None:
        return {
            "starts_on": today,
            "review_on": today + timedelta(weeks=6),
            "visits_per_week": 1,
            "visits_planned": 6,
            "session_minutes": 60 if 60 in session_lengths else session_lengths[0],
        }
    starts_on = max(today, referral.referred_on)
    review_on = min(
        starts_on + timedelta(weeks=referral.duration_weeks),
        max(referral.expires_on, starts_on),
    )
    return {
        "referral": referral,
        "problems": ", ".join(referral.diagnosis_codes),
        "planned_modalities": list(referral.prescribed_modalities.all()),
        "visits_per_week": referral.visits_per_week,
        "visits_planned": referral.visits_authorized,
        "session_minutes": referral.session_minutes,
        "starts_on": starts_on,
        "review_on": review_on,
    }


def plan_initial_from_plan(plan: TreatmentPlan) -> dict[str, Any]:
    return {
        "therapist": plan.therapist,
        "referral": plan.referral,
        "problems": ", ".join(plan.problems),
        "planned_modalities": list(plan.planned_modalities.all()),
        "visits_per_week": plan.visits_per_week,
        "visits_planned": plan.visits_planned,
        "session_minutes": plan.session_minutes,
        "starts_on": plan.starts_on,
        "review_on": plan.review_on,
        "home_care_plan": plan.home_care_plan,
    }


def diagnosis_names(codes: list[str]) -> list[tuple[str, str]]:
    return [(code, COMMON_DIAGNOSES.get(code, "")) for code in codes]


# --- Goals ----------------------------------------------------------------------------


class GoalForm(forms.Form):
    goal_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(
        label="Goal",
        max_length=250,
        required=False,
        help_text="What the client wants to be able to do, e.g. “Reach the top shelf”.",
    )
    measure = forms.ChoiceField(
        label="Measured as",
        choices=[("", "Choose how it is measured")] + list(Measure.choices),
        required=False,
    )
    movement = forms.CharField(
        label="Movement",
        max_length=80,
        required=False,
        help_text="For range of motion, e.g. right shoulder flexion.",
    )
    unit = forms.CharField(
        label="Unit",
        max_length=30,
        required=False,
        help_text="Empty: /10 for pain, ° for range of motion.",
    )
    baseline = forms.DecimalField(
        label="Baseline", max_digits=6, decimal_places=1, required=False
    )
    target = forms.DecimalField(
        label="Target", max_digits=6, decimal_places=1, required=False
    )
    baseline_text = forms.CharField(
        label="Baseline in words",
        max_length=250,
        required=False,
        help_text="For a free-text goal, e.g. “Wakes 3 times a night”.",
    )
    target_text = forms.CharField(
        label="Target in words",
        max_length=250,
        required=False,
        help_text="For a free-text goal, e.g. “Sleeps through the night”.",
    )
    achieved_on = forms.DateField(
        label="Achieved on", required=False, widget=_date_input()
    )
    remove = forms.BooleanField(label="Remove this goal", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        existing = bool(self.initial.get("goal_id"))
        if not existing:
            del self.fields["remove"]
            del self.fields["achieved_on"]
        number = (self.prefix or "").rsplit("-", 1)[-1]
        legend = f"Goal {int(number) + 1}" if number.isdecimal() else "Goal"
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        last_row = [Column("baseline_text", css_class="col-md-6")]
        last_row.append(Column("target_text", css_class="col-md-6"))
        extra = (
            [Row(Column("achieved_on", css_class="col-md-4")), "remove"]
            if existing
            else []
        )
        self.helper.layout = Layout(
            Fieldset(
                legend,
                "goal_id",
                Row(
                    Column("description", css_class="col-md-8"),
                    Column("measure", css_class="col-md-4"),
                ),
                Row(
                    Column("movement", css_class="col-md-4"),
                    Column("unit", css_class="col-md-2"),
                    Column("baseline", css_class="col-md-3"),
                    Column("target", css_class="col-md-3"),
                ),
                Row(*last_row),
                *extra,
                css_class="border rounded p-3 mb-3 bg-white",
            )
        )

    def has_changed(self) -> bool:
        # A blank extra goal row is left out, not flagged; an existing goal never is.
        return bool(self.initial.get("goal_id")) or super().has_changed()

    def clean(self) -> dict:
        data = super().clean()
        if data.get("remove") or self.errors:
            return data
        for field_name, message in goal_problems(self._details(data)):
            self.add_error(field_name, message)
        return data

    def _details(self, data: dict) -> GoalDetails:
        return GoalDetails(
            goal_id=data.get("goal_id") or None,
            description=data.get("description", "") or "",
            measure=data.get("measure", "") or "",
            unit=data.get("unit", "") or "",
            movement=data.get("movement", "") or "",
            baseline=data.get("baseline"),
            target=data.get("target"),
            baseline_text=data.get("baseline_text", "") or "",
            target_text=data.get("target_text", "") or "",
            achieved_on=data.get("achieved_on"),
            remove=bool(data.get("remove")),
        )

    def details(self) -> GoalDetails:
        return self._details(self.cleaned_data)


class _GoalFormSet(forms.BaseFormSet):
    def goals(self) -> list[GoalDetails]:
        return [
            form.details()
            for form in self.forms
            if form.has_changed() and form.cleaned_data
        ]

    def clean(self) -> None:
        if any(self.errors):
            return
        ids = [
            form.cleaned_data.get("goal_id")
            for form in self.forms
            if form.cleaned_data.get("goal_id")
        ]
        if len(ids) != len(set(ids)):
            raise ValidationError("A goal appears twice on the form: reload the page.")


def goal_initial(goals: list[Goal]) -> list[dict[str, Any]]:
    return [
        {
            "goal_id": goal.pk,
            "description": goal.description,
            "measure": goal.measure,
            "movement": goal.movement,
            "unit": goal.unit,
            "baseline": goal.baseline,
            "target": goal.target,
            "baseline_text": goal.baseline_text,
            "target_text": goal.target_text,
            "achieved_on": goal.achieved_on,
        }
        for goal in goals
    ]


def goal_formset(
    data: Any = None, *, goals: list[Goal] | None = None, blank: int = 2
) -> _GoalFormSet:
    """The goals of the plan, then `blank` empty rows for new goals."""
    initial = goal_initial(goals or [])
    formset_class = forms.formset_factory(
        GoalForm,
        formset=_GoalFormSet,
        extra=blank,
        max_num=20,
        validate_max=True,
    )
    return formset_class(data, initial=initial, prefix="goals")


# --- Status and report -------------------------------------------------------------


class PlanStatusForm(forms.Form):
    status = forms.ChoiceField(choices=TreatmentPlan.Status.choices)
    reason = forms.CharField(
        label="Reason",
        max_length=250,
        required=False,
        help_text="Required to discontinue, e.g. “client moved away”.",
    )


class ProgressReportForm(forms.Form):
    period_start = forms.DateField(
        label="From", widget=_date_input(), validators=[validate_clinic_date]
    )
    period_end = forms.DateField(
        label="To", widget=_date_input(), validators=[validate_clinic_date]
    )
    assessment = forms.CharField(
        label="Assessment",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="How the client responded to treatment: changes in pain, range of "
        "motion, function and tissue.",
    )
    recommendation = forms.CharField(
        label="Recommendation",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What you advise next: continue, change frequency, discharge, refer.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True
        self.helper.layout = Layout(
            HTML('<p class="form-text mt-0">The period the report covers.</p>'),
            Row(
                Column("period_start", css_class="col-sm-6 col-lg-4"),
                Column("period_end", css_class="col-sm-6 col-lg-4"),
            ),
            "assessment",
            "recommendation",
        )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "The period must end on or after its start.")
        return data


class SuperbillPeriodForm(forms.Form):
    """?from=YYYY-MM-DD&to=YYYY-MM-DD, the names the address uses."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(
            label="From", widget=_date_input(), validators=[validate_clinic_date]
        )
        self.fields["to"] = forms.DateField(
            label="To", widget=_date_input(), validators=[validate_clinic_date]
        )

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error("to", "The period must end on or after its start.")
        elif start and end and (end - start).days > 366:
            self.add_error("to", "Choose a period of at most a year.")
        return data
