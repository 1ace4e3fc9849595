"""The series booking form: it parses and checks the shape of a rule; services decide.

The page has two steps on one URL. Step 1 is this form; the preview shows every
occurrence with a choice per visit (`choice_<n>`) and, for a conflict, the alternative
start the preview offered (`alternative_<n>`). Those per-visit values are read by
`read_choices`, and the view checks them against a fresh preview before booking.
"""

from __future__ import annotations

from datetime import date, datetime, time

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Field, Fieldset, Layout, Row
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import QueryDict

from clients.models import Client
from clients.selectors import clients_for_list
from massageclinic.clock import local_today
from massageclinic.form_fields import ListedModelChoiceField
from massageclinic.lengths import valid_minutes
from massageclinic.models import Location, Room
from massageclinic.validators import parse_id
from sessions.models import Place, TreatmentPlan
from sessions.scheduling.forms.visit import EARLIEST, LATEST, duration_choices
from sessions.scheduling.series import (
    ALTERNATIVE,
    KEEP,
    MAX_OCCURRENCES,
    SKIP,
    ProposedSeries,
    SeriesRule,
    expand,
)
from therapists.models import Modality, Therapist, Training, Weekday

CLIENT_OPTIONS_SHOWN = 200
MAX_INTERVAL_WEEKS = 12
CHOICES = (KEEP, ALTERNATIVE, SKIP)


def active_clients() -> QuerySet[Client]:
    return Client.objects.filter(archived_at__isnull=True).order_by(
        "last_name", "first_name", "pk"
    )


def active_therapists() -> QuerySet[Therapist]:
    return Therapist.objects.filter(is_active=True).select_related("user")


def trained_therapists(modality: Modality | None) -> QuerySet[Therapist]:
    therapists = active_therapists()
    if modality is not None:
        therapists = therapists.filter(trainings__modality=modality).distinct()
    return therapists


def rooms_at(location: Location | None) -> QuerySet[Room]:
    rooms = Room.objects.filter(is_active=True).select_related("location")
    if location is not None:
        rooms = rooms.filter(location=location)
    return rooms


def client_label(client: Client) -> str:
    born = f", born {client.date_of_birth:%d %b %Y}" if client.date_of_birth else ""
    return f"{client.last_name}, {client.first_name}{born}"


def therapist_label(therapist: Therapist) -> str:
    return f"{therapist.full_name}, {therapist.credentials}"


def room_label(room: Room) -> str:
    return f"{room.name} ({room.location.name})"


def _limit_choices(field: forms.ModelChoiceField, rows, label, selected=None) -> None:
    """Show a few rows in the select, while validation still takes any row.

    The select lists what is useful (search results, the therapists trained in the
    chosen modality); the field's queryset stays broad, so that a choice outside the
    list gets a sentence from `clean()` rather than "Select a valid choice".
    """
    options = list(rows)
    if selected is not None and selected not in options:
        options.insert(0, selected)
    field.widget.choices = [("", field.empty_label or "")] + [
        (row.pk, label(row)) for row in options
    ]


class SeriesForm(forms.Form):
    client_query = forms.CharField(
        label="Find a client",
        required=False,
        max_length=100,
        help_text="Name, phone, email or date of birth; the list below narrows.",
    )
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        empty_label="Choose a client",
        error_messages={"invalid_choice": "Choose a client from the list."},
    )
    modality = ListedModelChoiceField(
        queryset=Modality.objects.filter(is_active=True),
        empty_label="Choose a modality",
        error_messages={"invalid_choice": "Choose a modality from the list."},
    )
    therapist = ListedModelChoiceField(
        queryset=Therapist.objects.none(),
        empty_label="Choose a therapist",
        help_text="Only therapists trained in the modality are listed.",
        error_messages={"invalid_choice": "Choose a therapist from the list."},
    )
    location = ListedModelChoiceField(
        queryset=Location.objects.filter(is_active=True),
        empty_label="Choose a location",
        error_messages={"invalid_choice": "Choose a location from the list."},
    )
    place = forms.ChoiceField(label="Where", choices=Place.choices, initial=Place.ROOM)
    room = ListedModelChoiceField(
        queryset=Room.objects.none(),
        required=False,
        empty_label="Choose a room",
        help_text="For a visit at the clinic.",
        error_messages={"invalid_choice": "Choose a room from the list."},
    )
    duration_minutes = forms.TypedChoiceField(
        label="Length",
        coerce=int,
        error_messages={
            "invalid_choice": "Choose a length from the list (15-minute steps)."
        },
    )
    weekdays = forms.TypedMultipleChoiceField(
        label="Weekdays",
        coerce=int,
        choices=Weekday.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one weekday."},
    )
    interval_weeks = forms.IntegerField(
        label="Repeat every (weeks)",
        min_value=1,
        max_value=MAX_INTERVAL_WEEKS,
        initial=1,
        help_text="1 is every week, 2 every other week.",
    )
    count = forms.IntegerField(
        label="Number of visits",
        required=False,
        min_value=1,
        max_value=MAX_OCCURRENCES,
    )
    until = forms.DateField(
        label="Or: last date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Give a number of visits or a last date.",
    )
    starts_on = forms.DateField(
        label="First date", widget=forms.DateInput(attrs={"type": "date"})
    )
    local_start_time = forms.TimeField(
        label="Start time (local)",
        widget=forms.TimeInput(attrs={"type": "time", "step": 900}),
        help_text="The location's local time, the same on every visit.",
    )
    plan = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(
        self,
        *args,
        lengths: list[int],
        now: datetime,
        user,
        client_options_url: str = "",
        therapist_options_url: str = "",
        room_options_url: str = "",
        prefill_url: str = "",
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.now, self.user = now, user
        self.fields["client"].queryset = active_clients()
        self.fields["therapist"].queryset = active_therapists()
        self.fields["room"].queryset = rooms_at(None)
        extra = [self._initial_or_posted_int("duration_minutes")]
        self.fields["duration_minutes"].choices = duration_choices(
            [m for m in [*lengths, *extra] if valid_minutes(m)]
        )
        self._limit_options()
        self._htmx(client_options_url, therapist_options_url, room_options_url)
        if prefill_url:
            # Choosing a client fills the form again from their referral and plan.
            self.fields["client"].widget.attrs.update(
                {
                    "hx-get": prefill_url,
                    "hx-trigger": "change",
                    "hx-target": "#series-rule",
                    "hx-select": "#series-rule",
                    "hx-swap": "outerHTML",
                    "hx-push-url": "true",
                }
            )
        self.helper = self._helper()

    # --- rendering ------------------------------------------------------------------

    def _initial_or_posted_int(self, name: str) -> int | None:
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        if isinstance(raw, int):
            return raw
        return parse_id(raw)

    def _current(self, name: str, queryset: QuerySet):
        """The row chosen so far (posted or initial), or None."""
        pk = self._initial_or_posted_int(name)
        if pk is None:
            value = self.initial.get(name)
            pk = getattr(value, "pk", None)
        return queryset.filter(pk=pk).first() if pk is not None else None

    def _limit_options(self) -> None:
        query = (
            self.data.get("client_query", "")
            if self.is_bound
            else self.initial.get("client_query", "")
        )
        client = self._current("client", active_clients())
        _limit_choices(
            self.fields["client"],
            search_clients(user=self.user, now=self.now, query=query)[
                :CLIENT_OPTIONS_SHOWN
            ],
            client_label,
            selected=client,
        )
        modality = self._current("modality", Modality.objects.filter(is_active=True))
        therapist = self._current("therapist", active_therapists())
        _limit_choices(
            self.fields["therapist"],
            trained_therapists(modality),
            therapist_label,
            selected=therapist,
        )
        location = self._current("location", Location.objects.filter(is_active=True))
        room = self._current("room", rooms_at(None))
        _limit_choices(
            self.fields["room"],
            rooms_at(location),
            room_label,
            selected=room if room and location and room.location == location else None,
        )

    def _htmx(self, clients_url: str, therapists_url: str, rooms_url: str) -> None:
        """Narrow the client, therapist and room lists as the person types or picks.

        The list being replaced is disabled while its request runs, so a choice made
        in that moment cannot be overwritten by the answer.
        """
        if clients_url:
            self.fields["client_query"].widget.input_type = "search"
            self.fields["client_query"].widget.attrs.update(
                {
                    "autocomplete": "off",
                    "hx-get": clients_url,
                    "hx-trigger": "input changed delay:300ms, search",
                    "hx-target": "#id_client",
                    "hx-include": "#id_client",
                    "hx-disabled-elt": "#id_client",
                    "aria-controls": "id_client",
                }
            )
        if therapists_url:
            self.fields["modality"].widget.attrs.update(
                {
                    "hx-get": therapists_url,
                    "hx-trigger": "change",
                    "hx-target": "#id_therapist",
                    "hx-include": "#id_therapist",
                    "hx-disabled-elt": "#id_therapist",
                    "aria-controls": "id_therapist",
                }
            )
        if rooms_url:
            self.fields["location"].widget.attrs.update(
                {
                    "hx-get": rooms_url,
                    "hx-trigger": "change",
                    "hx-target": "#id_room",
                    "hx-include": "#id_room",
                    "hx-disabled-elt": "#id_room",
                    "aria-controls": "id_room",
                }
            )

    def _helper(self) -> FormHelper:
        helper = FormHelper()
        helper.form_tag = False
        helper.layout = Layout(
            "plan",
            Fieldset(
                "Client and treatment",
                Row(
                    Column("client_query", css_class="col-md-6"),
                    Column("client", css_class="col-md-6"),
                ),
                # Announces how many clients the search found (filled by htmx).
                HTML(
                    '<p id="client-results" class="form-text mt-n2" role="status" '
                    'aria-live="polite"></p>'
                ),
                Row(
                    Column("modality", css_class="col-md-6"),
                    Column("therapist", css_class="col-md-6"),
                ),
            ),
            Fieldset(
                "Place",
                Row(
                    Column("location", css_class="col-md-4"),
                    Column("place", css_class="col-md-4"),
                    Column("room", css_class="col-md-4"),
                ),
            ),
            Fieldset(
                "When",
                Field("weekdays", template="sessions/_series_weekdays.html"),
                Row(
                    Column("interval_weeks", css_class="col-md-4"),
                    Column("count", css_class="col-md-4"),
                    Column("until", css_class="col-md-4"),
                ),
                Row(
                    Column("starts_on", css_class="col-md-4"),
                    Column("local_start_time", css_class="col-md-4"),
                    Column("duration_minutes", css_class="col-md-4"),
                ),
            ),
        )
        return helper

    # --- validation -----------------------------------------------------------------

    def _in_range(self, day: date | None) -> date | None:
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValidationError("Choose a date between 2000 and 2100.")
        return day

    def clean_starts_on(self) -> date:
        return self._in_range(self.cleaned_data["starts_on"])

    def clean_until(self) -> date | None:
        return self._in_range(self.cleaned_data.get("until"))

    def clean_local_start_time(self) -> time:
        value = self.cleaned_data["local_start_time"]
        if value.minute % 15 or value.second or value.microsecond:
            raise ValidationError(
                "Visits start on the quarter hour (e.g. 10:00, 10:15)."
            )
        return value

    def clean(self) -> dict:
        cleaned = super().clean()
        self._clean_start(cleaned)
        self._clean_therapist(cleaned)
        self._clean_place(cleaned)
        self._clean_end(cleaned)
        self._clean_plan(cleaned)
        return cleaned

    def _clean_start(self, cleaned: dict) -> None:
        starts_on, location = cleaned.get("starts_on"), cleaned.get("location")
        # "Today" is the location's: late evening in New York is tomorrow in UTC.
        today = local_today(location=location, now=self.now)
        if starts_on is not None and starts_on < today:
            self.add_error(
                "starts_on",
                f"The first date is in the past: choose {today:%d %b %Y} or later.",
            )

    def _clean_therapist(self, cleaned: dict) -> None:
        therapist, modality = cleaned.get("therapist"), cleaned.get("modality")
        if therapist and modality:
            trained = Training.objects.filter(therapist=therapist, modality=modality)
            if not trained.exists():
                self.add_error(
                    "therapist",
                    f"{therapist.full_name} does not offer {modality.name}: "
                    "choose a therapist trained in it.",
                )

    def _clean_place(self, cleaned: dict) -> None:
        place, room, location = (
            cleaned.get("place"),
            cleaned.get("room"),
            cleaned.get("location"),
        )
        if place == Place.ROOM:
            if room is None:
                if "room" not in self.errors:
                    self.add_error("room", "Choose a room for a visit at the clinic.")
            elif location and room.location_id != location.pk:
                self.add_error("room", f"{room.name} is not at {location.name}.")
        elif place:
            cleaned["room"] = None

    def _clean_end(self, cleaned: dict) -> None:
        count, until = cleaned.get("count"), cleaned.get("until")
        if "count" in self.errors or "until" in self.errors:
            return
        if count is None and until is None:
            self.add_error("count", "Give a number of visits or a last date.")
            return
        if count is not None and until is not None:
            self.add_error("until", "Give a number of visits or a last date, not both.")
            return
        starts_on = cleaned.get("starts_on")
        if until is not None and starts_on is not None:
            if until < starts_on:
                self.add_error("until", "The last date is before the first date.")
            elif cleaned.get("weekdays") and cleaned.get("interval_weeks"):
                rule = self.rule(count=MAX_OCCURRENCES + 1)
                if len(list(expand(rule))) > MAX_OCCURRENCES:
                    self.add_error(
                        "until",
                        f"That gives more than {MAX_OCCURRENCES} visits: "
                        "choose an earlier last date.",
                    )

    def _clean_plan(self, cleaned: dict) -> None:
        raw = (cleaned.get("plan") or "").strip()
        cleaned["plan"] = None
        if not raw:
            return
        plan_id = parse_id(raw)
        plan = (
            TreatmentPlan.objects.select_related("referral").filter(pk=plan_id).first()
            if plan_id is not None
            else None
        )
        if plan is None:
            self.add_error(
                None,
                "The treatment plan this page was opened from no longer exists. "
                "Open the page again from the plan.",
            )
        elif cleaned.get("client") and plan.client_id != cleaned["client"].pk:
            self.add_error(
                "client",
                "The treatment plan belongs to another client: choose that client "
                "or start a series without the plan.",
            )
        else:
            cleaned["plan"] = plan

    # --- the request ----------------------------------------------------------------

    def rule(self, *, count: int | None = None) -> SeriesRule:
        data = self.cleaned_data
        return SeriesRule(
            weekdays=tuple(sorted(set(data["weekdays"]))),
            interval_weeks=data["interval_weeks"],
            starts_on=data["starts_on"],
            local_start_time=data.get("local_start_time") or time(0),
            count=count if count is not None else data.get("count"),
            until=data.get("until"),
        )

    def proposed_series(self) -> ProposedSeries:
        data = self.cleaned_data
        plan = data["plan"]
        return ProposedSeries(
            client=data["client"],
            therapist=data["therapist"],
            modality=data["modality"],
            location=data["location"],
            rule=self.rule(),
            duration_minutes=data["duration_minutes"],
            place=data["place"],
            room=data["room"],
            plan=plan,
            referral=plan.referral if plan else None,
        )


def search_clients(*, user, now: datetime, query: str) -> QuerySet[Client]:
    """Non-archived clients matching a name, phone, email or date of birth.

    The client list's own search, so both find the same people.
    """
    # PostgreSQL refuses a NUL character in a string: drop it rather than fail.
    query = (query or "").replace("\x00", "")[:100]
    return clients_for_list(user=user, now=now, today=local_today(now=now), query=query)


class ConfirmForm(forms.Form):
    """What the person acknowledged for the whole series (see services.Confirmation)."""

    acknowledge_safety = forms.BooleanField(
        label="I have read the safety alerts for these visits", required=False
    )
    override_reason = forms.CharField(
        label="Reason for booking beyond the referral or authorization",
        max_length=250,
        required=False,
        help_text="Recorded with each visit that has a warning.",
    )


def read_choices(
    data: QueryDict, numbers: list[int]
) -> tuple[dict[int, str], dict[int, datetime | None], list[int]]:
    """Posted choice and alternative per visit, and the visits with a missing choice.

    The alternatives are only parsed here; the view accepts one only when a fresh
    preview offers exactly that start again.
    """
    choices: dict[int, str] = {}
    alternatives: dict[int, datetime | None] = {}
    missing = []
    for number in numbers:
        choice = data.get(f"choice_{number}", "")
        if choice not in CHOICES:
            missing.append(number)
            continue
        choices[number] = choice
        alternatives[number] = _parse_instant(data.get(f"alternative_{number}", ""))
    return choices, alternatives, missing


def _parse_instant(raw: str) -> datetime | None:
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        return None
    return value if value.tzinfo is not None else None
