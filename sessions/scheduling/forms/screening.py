"""The six day-of-visit questions: each must be answered yes or no (no default, so a
screening is never skipped by a click); a yes asks for its detail."""

from __future__ import annotations

from datetime import date

from django import forms

from massageclinic.choices import BodyRegion
from sessions.models.screening import MAX_PREGNANCY_WEEKS
from sessions.scheduling.screening import ScreeningAnswers

YES_NO = [("yes", "Yes"), ("no", "No")]


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        choices=YES_NO,
        coerce=lambda value: value == "yes",
        widget=forms.RadioSelect,
        error_messages={"required": "Answer yes or no."},
    )


def _detail(label: str) -> forms.CharField:
    return forms.CharField(label=label, max_length=250, required=False)


class ScreeningForm(forms.Form):
    # (question field, its detail fields): the page shows the details under a yes.
    QUESTIONS = (
        ("unwell", ()),
        ("injury", ("injury_detail",)),
        ("medication", ("medication_detail",)),
        ("surgery", ("surgery_detail", "surgery_on", "surgery_region")),
        ("pregnancy", ("pregnancy_weeks",)),
        ("skin", ("skin_detail",)),
    )

    unwell = _yes_no("Do you have a fever, or are you feeling unwell today?")
    injury = _yes_no("Have you had a new injury since your last visit?")
    injury_detail = _detail("Where is the injury?")
    medication = _yes_no("Have you started a new medication?")
    medication_detail = _detail("Which medication?")
    surgery = _yes_no("Have you had surgery or a procedure since your last visit?")
    surgery_detail = _detail("What was done?")
    surgery_on = forms.DateField(
        label="When?",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    surgery_region = forms.ChoiceField(
        label="Where on the body?",
        choices=[("", "Choose the area"), *BodyRegion.choices],
        required=False,
    )
    pregnancy = _yes_no("Any pregnancy news?")
    pregnancy_weeks = forms.IntegerField(
        label="How many weeks pregnant?",
        min_value=0,
        max_value=MAX_PREGNANCY_WEEKS,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    skin = _yes_no("Do you have a new skin condition (rash, cut, bruise, infection)?")
    skin_detail = _detail("Where on the skin?")

    REQUIRED_WITH_YES = {
        "injury_detail": "Say where the injury is.",
        "medication_detail": "Say which medication (or 'not sure').",
        "surgery_detail": "Say what was done.",
        "surgery_on": "Give the date of the surgery or procedure.",
        "surgery_region": "Choose where on the body it was.",
        "pregnancy_weeks": "Give how many weeks pregnant, or your best guess.",
    }

    def __init__(self, *args, today: date, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def clean(self) -> dict:
        data = super().clean() or {}
        for question, details in self.QUESTIONS:
            if data.get(question) is not True:
                continue
            for name in details:
                message = self.REQUIRED_WITH_YES.get(name)
                if message and data.get(name) in (None, "") and name not in self.errors:
                    self.add_error(name, message)
        when = data.get("surgery_on")
        if data.get("surgery") and when and when > self.today:
            self.add_error("surgery_on", "That date is in the future.")
        return data

    def questions(self) -> list[tuple[forms.BoundField, list[forms.BoundField]]]:
        return [
            (self[question], [self[name] for name in details])
            for question, details in self.QUESTIONS
        ]

    def answers(self) -> ScreeningAnswers:
        data = self.cleaned_data
        return ScreeningAnswers(
            unwell=data["unwell"],
            injury=data["injury"],
            injury_detail=data.get("injury_detail") or "",
            medication=data["medication"],
            medication_detail=data.get("medication_detail") or "",
            surgery=data["surgery"],
            surgery_detail=data.get("surgery_detail") or "",
            surgery_on=data.get("surgery_on"),
            surgery_region=data.get("surgery_region") or "",
            pregnancy=data["pregnancy"],
            pregnancy_weeks=data.get("pregnancy_weeks"),
            skin=data["skin"],
            skin_detail=data.get("skin_detail") or "",
        )
