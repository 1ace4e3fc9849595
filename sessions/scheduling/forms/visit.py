"""Forms for visits: they parse and check shape; the services decide."""

from __future__ import annotations

from datetime import date, datetime, time

from django import forms
from django.core.exceptions import ValidationError

from massageclinic.clock import local_datetime
from massageclinic.form_fields import ListedModelChoiceField
from massageclinic.models import Location, Room
from sessions.models import Appointment, Place
from therapists.models import Modality, Therapist

EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)


def duration_choices(lengths: list[int]) -> list[tuple[int, str]]:
    return [(m, f"{m} minutes") for m in sorted(set(lengths))]


class LocalStartMixin(forms.Form):
    """A date and a local time, turned into an aware start at `self.location`."""

    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start_time = forms.TimeField(
        label="Start time",
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}, format="%H:%M"),
    )
    # 1: the second time of a wall time the autumn change repeats (01:30 EST rather
    # than 01:30 EDT); set by the links of the grid and the openings, kept hidden.
    fold = forms.TypedChoiceField(
        choices=[(0, "first"), (1, "second")],
        coerce=int,
        required=False,
        empty_value=0,
        widget=forms.HiddenInput,
    )

    location: Location

    def clean_day(self) -> date:
        day = self.cleaned_data["day"]
        if not EARLIEST <= day <= LATEST:
            raise ValidationError("Choose a date between 2000 and 2100.")
        return day

    def clean_start_time(self) -> time:
        value = self.cleaned_data["start_time"]
        if value.minute % 15 or value.second:
            raise ValidationError(
                "Visits start on the quarter hour (e.g. 10:00, 10:15)."
            )
        return value

    def local_start(self) -> datetime:
        return local_datetime(
            self.cleaned_data["day"],
            self.cleaned_data["start_time"],
            self.location,
            fold=self.cleaned_data.get("fold") or 0,
        )


class CancelForm(forms.Form):
    reason = forms.CharField(
        label="Reason for cancelling",
        max_length=250,
        widget=forms.TextInput(attrs={"placeholder": "e.g. client is unwell"}),
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        choices=[
            (s, s.label)
            for s in (
                Appointment.Status.BOOKED,
                Appointment.Status.CONFIRMED,
                Appointment.Status.CHECKED_IN,
                Appointment.Status.COMPLETED,
                Appointment.Status.NO_SHOW,
            )
        ]
    )


class RescheduleForm(LocalStartMixin):
    SCOPES = [
        ("one", "Only this visit"),
        ("following", "This and the following visits of the series"),
        ("all", "Every open visit of the series"),
    ]

    duration_minutes = forms.TypedChoiceField(label="Length", coerce=int)
    therapist = ListedModelChoiceField(queryset=Therapist.objects.none())
    place = forms.ChoiceField(label="Where", choices=Place.choices)
    room = ListedModelChoiceField(queryset=Room.objects.none(), required=False)
    # Left empty, the visit keeps its technique; the move service decides whether
    # the therapist offers a new one and whether it is safe for the client.
    modality = ListedModelChoiceField(
        label="Technique", queryset=Modality.objects.none(), required=False
    )
    scope = forms.ChoiceField(label="Apply to", choices=SCOPES, initial="one")
    acknowledge_safety = forms.BooleanField(
        label="I have read the safety alerts for this visit", required=False
    )

    def __init__(self, *args, appointment: Appointment, lengths: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.appointment = appointment
        self.location = appointment.location
        self.fields["duration_minutes"].choices = duration_choices(
            [*lengths, appointment.duration_minutes]
        )
        # Every active therapist: with the technique open to change, the rules say
        # who is trained in the one chosen (a sentence, never a missing choice).
        self.fields["therapist"].queryset = Therapist.objects.filter(
            is_active=True
        ).select_related("user")
        self.fields["modality"].queryset = Modality.objects.filter(
            is_active=True
        ) | Modality.objects.filter(pk=appointment.modality_id)
        self.fields["room"].queryset = Room.objects.filter(
            location=appointment.location, is_active=True
        )
        if appointment.series_id is None:
            self.fields["scope"].choices = self.SCOPES[:1]

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("place") == Place.ROOM and not cleaned.get("room"):
            self.add_error("room", "Choose a room for a visit at the clinic.")
        technique = cleaned.get("modality")
        if (
            cleaned.get("scope", "one") != "one"
            and technique is not None
            and technique.pk != self.appointment.modality_id
        ):
            self.add_error(
                "modality",
                "Change the technique of one visit at a time here; the visit page's "
                "safety review changes it for the following visits of a series.",
            )
        if cleaned.get("scope") != "one" and cleaned.get("day"):
            local_day = self.appointment.starts_at.astimezone(self.location.zone).date()
            if cleaned["day"] != local_day:
                self.add_error(
                    "day",
                    "To move a whole series keep the date; only the time, therapist and "
                    "room change. Move single visits to another day one by one.",
                )
        return cleaned
