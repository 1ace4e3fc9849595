"""Forms of the booking page and the next-opening search.

They parse and check the shape of what was typed; `sessions.scheduling.booking.appointment_book`
decides whether the visit can happen. The choices offered (therapists trained in the
modality and licensed on the day, the location's rooms and which are taken) only
help the person choose: the service checks everything again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.models import Client
from massageclinic.clock import is_repeated, local_datetime
from massageclinic.form_fields import ListedModelChoiceField
from massageclinic.lengths import valid_minutes
from massageclinic.models import ClinicPolicy, Location, Room
from massageclinic.reference import (
    Reference,
    active_locations,
    active_rooms,
    reference,
)
from sessions.models import Appointment, Place, WaitlistEntry
from sessions.scheduling.forms.visit import EARLIEST, LATEST, LocalStartMixin
from sessions.scheduling.rules import visit_end
from therapists.models import Modality, Therapist, Weekday
from therapists.reference import active_modalities, therapists_by_id

DEFAULT_LENGTH = 60
# The inputs the therapist and room choices depend on (sent along when one changes).
CHOICE_INPUTS = ",".join(
    f"[name='{name}']"
    for name in (
        "location",
        "modality",
        "day",
        "start_time",
        "duration",
        "place",
        "therapist",
        "room",
    )
)


def length_choices(lengths: list[int], *extra: int | None) -> list[tuple[int, str]]:
    """The clinic's lengths, plus any other valid length already chosen (a waitlist)."""
    offered = {m for m in [*lengths, *extra] if valid_minutes(m)}
    return [(m, f"{m} minutes") for m in sorted(offered)]


def _length_list(lengths: list[int]) -> str:
    words = [str(m) for m in sorted(set(lengths))]
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


# --- Reading the current values leniently ----------------------------------------


def _pk(value: Any) -> int | None:
    value = getattr(value, "pk", value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdecimal() and len(value) < 12:
        return int(value)
    return None


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return None
    return day if EARLIEST <= day <= LATEST else None


def _time(value: Any) -> time | None:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class BookingState:
    """What the form currently says, as far as it can be read; None where it cannot."""

    location: Location | None
    modality_id: int | None
    day: date | None
    start_time: time | None
    duration: int | None
    place: str
    therapist_id: int | None
    room_id: int | None
    fold: int = 0

    @classmethod
    def read(cls, values: Mapping[str, Any]) -> BookingState:
        location_id = _pk(values.get("location"))
        location = values.get("location")
        if not isinstance(location, Location):
            location = (
                Location.objects.filter(pk=location_id, is_active=True).first()
                if location_id
                else None
            )
        place = str(values.get("place") or Place.ROOM)
        return cls(
            location=location,
            modality_id=_pk(values.get("modality")),
            day=_date(values.get("day")),
            start_time=_time(values.get("start_time")),
            duration=_pk(values.get("duration")),
            place=place if place in Place.values else Place.ROOM,
            therapist_id=_pk(values.get("therapist")),
            room_id=_pk(values.get("room")),
            fold=_fold(location, values),
        )

    @property
    def span(self) -> tuple[datetime, datetime] | None:
        """Start and end of the visit, when date, time, length and place are known."""
        if not (self.location and self.day and self.start_time and self.duration):
            return None
        start = local_datetime(self.day, self.start_time, self.location, fold=self.fold)
        return start, visit_end(start, self.duration)


def _fold(location: Location | None, values: Mapping[str, Any]) -> int:
    """1 only when asked for and the wall time really comes round twice that day."""
    day, at = _date(values.get("day")), _time(values.get("start_time"))
    if str(values.get("fold")) != "1" or not (location and day and at):
        return 0
    return 1 if is_repeated(datetime.combine(day, at), location.zone) else 0


def suitable_therapists(*, modality_id: int | None, on: date | None) -> list[Therapist]:
    """Active therapists trained in the modality, licensed on the day (choices only)."""
    therapists = Therapist.objects.filter(is_active=True).select_related("user")
    if modality_id:
        therapists = therapists.filter(trainings__modality_id=modality_id)
    if on:
        therapists = therapists.filter(license_expires_on__gte=on)
    return sorted(therapists.distinct(), key=lambda t: t.full_name.lower())


def rooms_with_taken(
    *, location: Location | None, span: tuple[datetime, datetime] | None
) -> list[tuple[Room, bool]]:
    """The location's rooms in use, each with whether a visit already holds it then."""
    if location is None:
        return []
    rooms = list(location.rooms.filter(is_active=True).order_by("name"))
    taken: set[int] = set()
    if span and rooms:
        taken = set(
            Appointment.objects.overlapping(*span)
            .filter(room__in=rooms)
            .exclude(status__in=Appointment.NON_BLOCKING_STATUSES)
            .values_list("room_id", flat=True)
        )
    return [(room, room.pk in taken) for room in rooms]


# --- The booking form ----------------------------------------------------------


class _TherapistChoice(ListedModelChoiceField):
    def label_from_instance(self, obj: Therapist) -> str:
        return obj.full_name


class BookingForm(LocalStartMixin):
    """One visit: who, what, when and where, and what the person confirmed."""

    client = forms.ModelChoiceField(
        queryset=Client.objects.all(),
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose a client: find them by name, phone, email or date "
            "of birth, or register a new client.",
            "invalid_choice": "That client was not found. Find the client again.",
        },
    )
    location = ListedModelChoiceField(
        label="Location",
        queryset=Location.objects.filter(is_active=True).order_by("name"),
        empty_label=None,
        error_messages={
            "required": "Choose the location.",
            "invalid_choice": "That location was not found; choose one from the list.",
        },
    )
    modality = ListedModelChoiceField(
        label="Modality",
        queryset=Modality.objects.filter(is_active=True).order_by("name"),
        empty_label="Choose a modality",
        error_messages={
            "required": "Choose the modality.",
            "invalid_choice": "That modality is not offered; choose one from the list.",
        },
    )
    duration = forms.TypedChoiceField(label="Length", coerce=int)
    therapist = _TherapistChoice(
        label="Therapist",
        queryset=Therapist.objects.select_related("user"),
        empty_label="Choose a therapist",
        error_messages={
            "required": "Choose the therapist.",
            "invalid_choice": "That therapist was not found; choose one from the list.",
        },
    )
    place = forms.ChoiceField(
        label="Where",
        choices=Place.choices,
        initial=Place.ROOM,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Choose a clinic room, home or workplace."},
    )
    room = ListedModelChoiceField(
        label="Room",
        queryset=Room.objects.select_related("location"),
        required=False,
        empty_label="Choose a room",
        error_messages={
            "invalid_choice": "That room was not found; choose one from the list."
        },
    )
    waitlist = forms.ModelChoiceField(
        queryset=WaitlistEntry.objects.filter(closed_at__isnull=True),
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "That waitlist entry is closed or no longer exists; "
            "this visit is booked as a normal one if you book again."
        },
    )
    acknowledge_safety = forms.BooleanField(
        label="I have read the safety alerts", required=False
    )
    override_reason = forms.CharField(
        label="Reason for overriding",
        required=False,
        max_length=250,
        widget=forms.TextInput(
            attrs={"placeholder": "e.g. extension requested from the payer"}
        ),
    )

    field_order = [
        "client",
        "location",
        "day",
        "start_time",
        "duration",
        "modality",
        "therapist",
        "place",
        "room",
    ]

    def __init__(self, *args: Any, policy: ClinicPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        values = self.data if self.is_bound else self.initial
        self.state = BookingState.read(values)
        if self.state.location is not None:
            self.location = self.state.location
        self.travel_minutes = int(policy.travel_buffer.total_seconds() // 60)
        self.fields["start_time"].widget.format = "%H:%M"  # what the picker shows
        self.fields["day"].label = "Visit date"  # not to be taken for a birth date
        lengths = list(policy.session_lengths)
        duration = self.fields["duration"]
        duration.choices = length_choices(lengths, self.state.duration)
        duration.error_messages["invalid_choice"] = (
            f"Choose a length of {_length_list(lengths)} minutes."
        )
        # One query for the choices and the check (Django would run a second one
        # to decide whether the select may be `required`, and a third to check).
        self.fields["location"].widget.choices = [
            (location.pk, location.name)
            for location in self.fields["location"].listed()
        ]
        self._offer_therapists()
        self._offer_rooms()
        self._wire_htmx()

    def _offer_therapists(self) -> None:
        """Offer the suitable therapists only; validation still accepts any.

        A therapist who is not suitable gets the service's sentence saying why
        (e.g. "Tara Hands does not offer Cupping.") instead of a bare "invalid".
        """
        self.suitable = suitable_therapists(
            modality_id=self.state.modality_id, on=self.state.day
        )
        self.fields["therapist"].widget.choices = [("", "Choose a therapist")] + [
            (t.pk, t.full_name) for t in self.suitable
        ]
        self.therapist_note = ""
        chosen = self.state.therapist_id
        if chosen and chosen not in {t.pk for t in self.suitable}:
            self._keep_unsuitable(chosen)

    def _keep_unsuitable(self, pk: int) -> None:
        """Keep showing the chosen therapist, saying why they do not fit."""
        therapist = Therapist.objects.select_related("user").filter(pk=pk).first()
        if therapist is None:
            return
        day = self.state.day
        if not therapist.is_active:
            why = "is not active"
        elif day and not therapist.license_valid_on(day):
            why = f"has no valid license on {day:%b} {day.day}"
        else:
            why = "does not offer this modality"
        self.therapist_note = (
            f"{therapist.full_name} {why}: choose another therapist"
            + (" or modality." if why.startswith("does not") else ".")
        )
        self.fields["therapist"].widget.choices.append(
            (therapist.pk, f"{therapist.full_name} (not available for this visit)")
        )

    def _offer_rooms(self) -> None:
        """The location's rooms, saying which are taken; a new form gets a free one."""
        self.rooms = rooms_with_taken(
            location=self.state.location, span=self.state.span
        )
        self.fields["room"].widget.choices = [("", "Choose a room")] + [
            (room.pk, f"{room.name} (taken then)" if taken else room.name)
            for room, taken in self.rooms
        ]
        if not self.is_bound and not self.state.room_id:
            free = next((room for room, taken in self.rooms if not taken), None)
            self.initial["room"] = free.pk if free else None

    def _wire_htmx(self) -> None:
        # Changing these reloads the therapist and room choices (server-rendered).
        url = reverse("sessions:book_choices")
        for name in ("location", "modality", "day", "start_time", "duration", "place"):
            self.fields[name].widget.attrs.update(
                {
                    "hx-get": url,
                    "hx-target": "#book-choices",
                    "hx-swap": "outerHTML",
                    "hx-include": CHOICE_INPUTS,
                    "hx-trigger": "change",
                }
            )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("place") == Place.ROOM:
            if not cleaned.get("room") and "room" not in self.errors:
                self.add_error("room", "Choose a room for a visit at the clinic.")
        else:
            cleaned["room"] = None  # a home or workplace visit holds no room
        return cleaned

    def starts_at(self) -> datetime:
        self.location = self.cleaned_data["location"]
        return self.local_start()


class QuickClientForm(forms.Form):
    """The few fields the desk has on the phone; `client_create` checks the rest."""

    first_name = forms.CharField(
        label="First name",
        max_length=80,
        error_messages={"required": "Enter the client's first name."},
    )
    last_name = forms.CharField(
        label="Last name",
        max_length=80,
        error_messages={"required": "Enter the client's last name."},
    )
    phone = forms.CharField(label="Phone", max_length=30, required=False)
    email = forms.EmailField(label="Email", required=False)
    date_of_birth = forms.DateField(
        label="Date of birth",
        required=False,
        input_formats=["%Y-%m-%d", "%m/%d/%Y"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={
            "invalid": "Enter the date of birth as YYYY-MM-DD or MM/DD/YYYY."
        },
    )

    prefix = "new"

    def add_service_errors(self, error: ValidationError) -> None:
        """Put the service's errors on the fields it names, the rest above them."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for name, problems in error.message_dict.items():
            self.add_error(name if name in self.fields else None, problems)


# --- The next-opening search ---------------------------------------------------


class OpeningsForm(forms.Form):
    """What the client wants; every field but modality and length is optional."""

    location = ListedModelChoiceField(
        label="Location",
        queryset=Location.objects.filter(is_active=True).order_by("name"),
        empty_label=None,
        error_messages={"invalid_choice": "Choose a location from the list."},
    )
    modality = ListedModelChoiceField(
        label="Modality",
        queryset=Modality.objects.filter(is_active=True).order_by("name"),
        empty_label="Choose a modality",
        error_messages={
            "required": "Choose the modality.",
            "invalid_choice": "That modality is not offered; choose one from the list.",
        },
    )
    duration = forms.TypedChoiceField(label="Length", coerce=int)
    therapist = _TherapistChoice(
        label="Therapist",
        required=False,
        queryset=Therapist.objects.filter(is_active=True).select_related("user"),
        empty_label="Any therapist",
        error_messages={"invalid_choice": "Choose a therapist from the list."},
    )
    room = ListedModelChoiceField(
        label="Room",
        required=False,
        queryset=Room.objects.filter(is_active=True).select_related("location"),
        empty_label="Any room",
        error_messages={"invalid_choice": "Choose a room from the list."},
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="Days of the week",
        required=False,
        coerce=int,
        choices=Weekday.choices,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text="None ticked: any day.",
        error_messages={"invalid_choice": "Choose days from Monday to Sunday."},
    )
    earliest = forms.TimeField(
        label="Earliest start",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}),
    )
    latest = forms.TimeField(
        label="Latest start",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}),
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.filter(archived_at__isnull=True),
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": "That client was not found. Find the client again."
        },
    )

    def __init__(
        self,
        *args: Any,
        lengths: list[int],
        ref: Reference | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        values = self.data if self.is_bound else self.initial
        wanted = _pk(values.get("duration"))
        duration = self.fields["duration"]
        duration.choices = length_choices(lengths, wanted)
        duration.error_messages["invalid_choice"] = (
            f"Choose a length of {_length_list(lengths)} minutes."
        )
        # The lists each field's queryset names, from the kept reference data.
        ref = ref or reference()
        rooms = ref.get(active_rooms)
        self.fields["location"].offer(ref.get(active_locations))
        self.fields["modality"].offer(ref.get(active_modalities))
        self.fields["therapist"].offer(
            [t for t in ref.get(therapists_by_id).values() if t.is_active]
        )
        self.fields["room"].offer([r for here in rooms.values() for r in here])
        locations = self.fields["location"].listed()
        self.fields["location"].widget.choices = [(x.pk, x.name) for x in locations]
        wanted = _pk(values.get("location"))
        self.location: Location | None = next(
            (x for x in locations if x.pk == wanted),
            locations[0] if locations else None,
        )
        if self.location is not None:
            self.fields["room"].widget.choices = [("", "Any room")] + [
                (room.pk, room.name) for room in rooms.get(self.location.pk, [])
            ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        room, location = cleaned.get("room"), cleaned.get("location")
        if room and location and room.location_id != location.pk:
            self.add_error("room", f"{room.name} is not at {location.name}.")
        earliest, latest = cleaned.get("earliest"), cleaned.get("latest")
        if earliest and latest and earliest > latest:
            self.add_error(
                "latest", "The latest start must not be before the earliest."
            )
        return cleaned
