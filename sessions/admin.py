"""Admin for plans, appointments and series, SOAP notes and outbound messages.

Nothing here is hard-deleted. A signed note is only viewed; corrections are
addenda, which are append-only.
"""

from __future__ import annotations

import zoneinfo
from datetime import datetime, timedelta
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Count, Model, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from massageclinic.admin import (
    ClinicalRecordAdmin,
    ClinicalRecordInline,
)
from massageclinic.models import Location, clinic_policy
from sessions.models import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    Goal,
    NoteAddendum,
    NoteTechnique,
    Place,
    ProgressReport,
    Reminder,
    SessionNote,
    TreatmentPlan,
    WaitlistEntry,
)
from therapists.admin import TherapistListFilter
from therapists.models import Weekday


def _local(moment: datetime | None, location: Location) -> str:
    """A UTC moment as the location's wall-clock time: 'Tue 2026-12-01 10:00 EST'."""
    if moment is None:
        return "-"
    local = moment.astimezone(location.zone)
    return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()}"


# Treatment plans and goals ---------------------------------------------------------


class GoalForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        measure = cleaned.get("measure")
        if measure and measure != Goal.Measure.TEXT:
            for name in ("baseline", "target"):
                if cleaned.get(name) is None and name not in self.errors:
                    self.add_error(
                        name, "A measured goal needs a baseline and a target."
                    )
        if measure == Goal.Measure.PAIN:
            for name in ("baseline", "target"):
                value = cleaned.get(name)
                if value is not None and not 0 <= value <= 10:
                    self.add_error(name, "Pain is rated from 0 to 10.")
        return cleaned


class GoalInline(ClinicalRecordInline):
    model = Goal
    form = GoalForm
    fields = [
        "description",
        "measure",
        "movement",
        "unit",
        "baseline",
        "target",
        "baseline_text",
        "target_text",
        "achieved_on",
    ]


class TreatmentPlanForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        starts_on, review_on = cleaned.get("starts_on"), cleaned.get("review_on")
        if starts_on and review_on and review_on < starts_on:
            self.add_error(
                "review_on", "The review cannot come before the plan starts."
            )
        if cleaned.get(
            "status"
        ) == TreatmentPlan.Status.DISCONTINUED and not cleaned.get(
            "discontinued_reason"
        ):
            self.add_error("discontinued_reason", "Say why the plan was discontinued.")
        return cleaned


@admin.register(TreatmentPlan)
class TreatmentPlanAdmin(ClinicalRecordAdmin):
    form = TreatmentPlanForm
    list_display = [
        "client",
        "therapist",
        "status",
        "starts_on",
        "review_on",
        "problem_codes",
        "visits_planned",
        "visits_per_week",
        "session_minutes",
    ]
    list_filter = ["status", ("therapist", TherapistListFilter)]
    list_select_related = ["client", "therapist__user"]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "therapist__user__first_name",
        "therapist__user__last_name",
    ]
    date_hierarchy = "starts_on"
    autocomplete_fields = ["client", "therapist", "referral", "planned_modalities"]
    str_select_related = ("client",)
    readonly_fields = ["created_at", "updated_at"]
    inlines = [GoalInline]
    fieldsets = [
        (None, {"fields": ["client", "therapist", "referral", "status"]}),
        (
            "Plan",
            {
                "fields": [
                    "problems",
                    "planned_modalities",
                    ("visits_per_week", "visits_planned", "session_minutes"),
                    ("starts_on", "review_on"),
                    "home_care_plan",
                ]
            },
        ),
        ("Discontinued", {"fields": ["discontinued_reason"]}),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description="problems")
    def problem_codes(self, obj: TreatmentPlan) -> str:
        return ", ".join(obj.problems)


@admin.register(Goal)
class GoalAdmin(ClinicalRecordAdmin):
    form = GoalForm
    list_display = [
        "description",
        "client",
        "measure",
        "baseline",
        "target",
        "unit",
        "achieved_on",
    ]
    list_filter = ["measure", ("achieved_on", admin.EmptyFieldListFilter)]
    list_select_related = ["plan__client"]
    search_fields = [
        "description",
        "movement",
        "plan__client__first_name",
        "plan__client__last_name",
    ]
    autocomplete_fields = ["plan"]

    @admin.display(description="client", ordering="plan__client__last_name")
    def client(self, obj: Goal) -> str:
        return str(obj.plan.client)


# Appointments and series -------------------------------------------------------------


@admin.register(AppointmentSeries)
class AppointmentSeriesAdmin(ClinicalRecordAdmin):
    """Viewed only: a series is expanded into visits by the booking service.

    A row added or edited here would not add or move its visits.
    """

    list_display = [
        "client",
        "therapist",
        "modality",
        "location",
        "days",
        "local_start_time",
        "duration_minutes",
        "starts_on",
        "ends",
        "visits",
    ]
    list_filter = ["location", ("therapist", TherapistListFilter), "place"]
    list_select_related = ["client", "therapist__user", "modality", "location"]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "therapist__user__first_name",
        "therapist__user__last_name",
    ]
    date_hierarchy = "starts_on"
    str_select_related = ("client", "therapist__user")

    def get_queryset(self, request: HttpRequest) -> QuerySet[AppointmentSeries]:
        return super().get_queryset(request).annotate(_visits=Count("appointments"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: AppointmentSeries | None = None
    ) -> bool:
        return obj is None and super().has_change_permission(request)

    @admin.display(description="days")
    def days(self, obj: AppointmentSeries) -> str:
        every = "" if obj.interval_weeks == 1 else f" every {obj.interval_weeks} weeks"
        names = ", ".join(Weekday(day).label[:3] for day in sorted(obj.weekdays))
        return names + every

    @admin.display(description="ends")
    def ends(self, obj: AppointmentSeries) -> str:
        return f"after {obj.count} visits" if obj.count else f"on {obj.until}"

    @admin.display(description="visits", ordering="_visits")
    def visits(self, obj: AppointmentSeries) -> str:
        url = reverse("admin:clinic_sessions_appointment_changelist")
        return format_html(
            '<a href="{}?series__id__exact={}">{}</a>', url, obj.pk, obj._visits
        )


class AppointmentAdminForm(forms.ModelForm):
    # Not shown: computed in clean() from the visit and the travel buffer. They are on
    # the form so that Django checks the therapist-overlap constraint, which reads
    # them, and shows its message instead of failing on save.
    therapist_busy_from = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    therapist_busy_until = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        place, room, location = (
            cleaned.get("place"),
            cleaned.get("room"),
            cleaned.get("location"),
        )
        if starts and ends and ends <= starts:
            self.add_error("ends_at", "The visit must end after it starts.")
        if place == Place.ROOM:
            if room is None:
                self.add_error("room", "Choose the room of a clinic visit.")
            elif location is not None and room.location_id != location.pk:
                self.add_error("room", f"{room.name} is not at {location}.")
        elif place:
            if room is not None:
                self.add_error(
                    "room", "A home or workplace visit takes no clinic room."
                )
            if not cleaned.get("visit_address"):
                self.add_error(
                    "visit_address", "Give the address of the home or workplace visit."
                )
        if cleaned.get(
            "status"
        ) in Appointment.NON_BLOCKING_STATUSES and not cleaned.get("cancelled_at"):
            cleaned["cancelled_at"] = timezone.now()
        if starts and ends and starts < ends and place:
            travel = (
                timedelta(0) if place == Place.ROOM else clinic_policy().travel_buffer
            )
            cleaned["therapist_busy_from"] = starts - travel
            cleaned["therapist_busy_until"] = ends + travel
        return cleaned


@admin.register(AppointmentEvent)
class AppointmentEventAdmin(ClinicalRecordAdmin):
    list_display = ["at", "appointment", "kind", "summary", "by"]
    list_filter = ["kind"]
    list_select_related = ["appointment__client", "appointment__therapist__user", "by"]
    search_fields = ["summary", "appointment__client__last_name"]
    date_hierarchy = "at"
    readonly_fields = ["appointment", "at", "by", "kind", "summary", "details"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ClinicalRecordAdmin):
    list_display = [
        "client",
        "modality",
        "therapist",
        "location",
        "wanted_from",
        "wanted_until",
        "closed_at",
    ]
    list_filter = ["location", "modality"]
    list_select_related = ["client", "modality", "therapist__user", "location"]
    search_fields = ["client__first_name", "client__last_name", "note"]
    autocomplete_fields = ["client", "therapist", "modality"]
    readonly_fields = ["created_by", "created_at", "booked_appointment"]

    def save_model(
        self, request: HttpRequest, obj: Model, form: Any, change: bool
    ) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(Appointment)
class AppointmentAdmin(ClinicalRecordAdmin):
    form = AppointmentAdminForm
    list_display = [
        "local_start",
        "client",
        "therapist",
        "modality",
        "location",
        "where",
        "status",
    ]
    list_filter = [
        "status",
        "location",
        ("therapist", TherapistListFilter),
        "place",
        "modality",
    ]
    list_select_related = [
        "client",
        "therapist__user",
        "modality",
        "location",
        "room__location",
    ]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "client__email",
        "client__phone",
        "therapist__user__first_name",
        "therapist__user__last_name",
    ]
    date_hierarchy = "starts_at"
    ordering = ["-starts_at"]
    autocomplete_fields = [
        "client",
        "therapist",
        "modality",
        "location",
        "room",
        "series",
        "plan",
        "referral",
        "authorization",
    ]
    readonly_fields = ["local_time", "booked_by", "created_at", "updated_at"]
    str_select_related = ("client", "therapist__user")

    def get_fieldsets(
        self, request: HttpRequest, obj: Appointment | None = None
    ) -> list[tuple[str | None, dict[str, Any]]]:
        zone = timezone.get_current_timezone_name()
        return [
            (None, {"fields": ["client", "therapist", "modality", "status"]}),
            (
                "When",
                {
                    "description": f"Times are in the location's time zone ({zone}).",
                    "fields": [
                        ("starts_at", "ends_at"),
                        "local_time",
                        ("therapist_busy_from", "therapist_busy_until"),
                    ],
                },
            ),
            ("Where", {"fields": ["location", "place", "room", "visit_address"]}),
            (
                "Plan, referral and authorization",
                {
                    "fields": [
                        "plan",
                        "series",
                        "referral",
                        "authorization",
                        "authorization_override_reason",
                        "safety_acknowledgement",
                    ]
                },
            ),
            ("Cancellation", {"fields": ["cancellation_reason", "cancelled_at"]}),
            ("Record", {"fields": ["booked_by", "created_at", "updated_at"]}),
        ]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        # The form shows and reads times in the location's zone, not the server's.
        zone = self._zone_for(request, object_id)
        if zone is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        with timezone.override(zone):
            response = super().changeform_view(
                request, object_id, form_url, extra_context
            )
            # Widgets format their times when rendered: render inside the zone.
            if hasattr(response, "render"):
                response.render()
        return response

    def _zone_for(
        self, request: HttpRequest, object_id: str | None
    ) -> zoneinfo.ZoneInfo | None:
        location_id = request.POST.get("location") or request.GET.get("location")
        try:
            if location_id:
                zone = (
                    Location.objects.filter(pk=location_id)
                    .values_list("time_zone", flat=True)
                    .first()
                )
            elif object_id:
                zone = (
                    Appointment.objects.filter(pk=unquote(object_id))
                    .values_list("location__time_zone", flat=True)
                    .first()
                )
            else:
                zones = list(
                    Location.objects.filter(is_active=True)
                    .values_list("time_zone", flat=True)
                    .distinct()[:2]
                )
                zone = zones[0] if len(zones) == 1 else None
        except (ValueError, ValidationError):
            return None
        return zoneinfo.ZoneInfo(zone) if zone else None

    def save_model(
        self, request: HttpRequest, obj: Appointment, form: Any, change: bool
    ) -> None:
        if not change:
            obj.booked_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="starts (local time)", ordering="starts_at")
    def local_start(self, obj: Appointment) -> str:
        return _local(obj.starts_at, obj.location)

    @admin.display(description="local time at the location")
    def local_time(self, obj: Appointment) -> str:
        if obj.pk is None:
            return "-"
        start, end = (
            _local(obj.starts_at, obj.location),
            _local(obj.ends_at, obj.location),
        )
        return f"{start} - {end}"

    @admin.display(description="where", ordering="place")
    def where(self, obj: Appointment) -> str:
        if obj.place == Place.ROOM and obj.room is not None:
            return obj.room.name
        return obj.get_place_display()


# SOAP notes ------------------------------------------------------------------------


def _note_is_signed(note: SessionNote | None) -> bool:
    return note is not None and note.signed_at is not None


class NoteTechniqueInline(ClinicalRecordInline):
    model = NoteTechnique
    fields = ["modality", "minutes"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[NoteTechnique]:
        return super().get_queryset(request).select_related("modality")

    def has_add_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return not _note_is_signed(obj) and super().has_add_permission(request, obj)

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return not _note_is_signed(obj) and super().has_change_permission(request, obj)


class NoteAddendumInline(ClinicalRecordInline):
    """Shown for reading; an addendum is added on its own page (see the note's link)."""

    model = NoteAddendum
    fields = ["created_at", "author", "reason", "text"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[NoteAddendum]:
        return super().get_queryset(request).select_related("author")

    def has_add_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: Model | None = None
    ) -> bool:
        return False


class SignedListFilter(admin.SimpleListFilter):
    title = "signed"
    parameter_name = "signed"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Signed"), ("no", "Draft")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(signed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(signed_at__isnull=True)
        return queryset


# Signing stores who, when and a hash of the content: done by the signing service,
# never typed in here.
_SIGNATURE_FIELDS = ["signed_at", "signed_by", "content_sha256"]


@admin.register(SessionNote)
class SessionNoteAdmin(ClinicalRecordAdmin):
    list_display = [
        "visit",
        "client",
        "therapist",
        "is_signed",
        "signed_at",
        "pain_before",
        "pain_after",
        "timed_minutes",
    ]
    list_filter = [SignedListFilter, ("therapist", TherapistListFilter), "pressure"]
    list_select_related = [
        "appointment__client",
        "appointment__location",
        "therapist__user",
    ]
    search_fields = [
        "appointment__client__first_name",
        "appointment__client__last_name",
        "therapist__user__first_name",
        "therapist__user__last_name",
    ]
    date_hierarchy = "appointment__starts_at"
    autocomplete_fields = ["appointment", "therapist"]
    # str(note) is its appointment's, which names client and therapist.
    str_select_related = ("appointment__client", "appointment__therapist__user")
    inlines = [NoteTechniqueInline, NoteAddendumInline]
    fieldsets = [
        (None, {"fields": ["appointment", "therapist"]}),
        (
            "Subjective",
            {
                "fields": [
                    "complaint",
                    "pain_before",
                    "changes_since_last",
                    "home_care_report",
                ]
            },
        ),
        (
            "Objective",
            {"fields": ["findings", "measures", "areas_treated", "pressure"]},
        ),
        ("Assessment", {"fields": ["response", "pain_after", "adverse_reactions"]}),
        (
            "Plan",
            {"fields": ["next_focus", "home_care_given", "safety_acknowledgement"]},
        ),
        (
            "Signature",
            {
                "fields": [
                    *_SIGNATURE_FIELDS,
                    "addendum_link",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SessionNote]:
        return (
            super()
            .get_queryset(request)
            .annotate(_timed_minutes=Sum("techniques__minutes"))
        )

    def get_readonly_fields(
        self, request: HttpRequest, obj: SessionNote | None = None
    ) -> list[str]:
        if _note_is_signed(obj):
            return [f.name for f in self.model._meta.fields if f.name != "id"] + [
                "addendum_link"
            ]
        return [*_SIGNATURE_FIELDS, "addendum_link", "created_at", "updated_at"]

    def has_change_permission(
        self, request: HttpRequest, obj: SessionNote | None = None
    ) -> bool:
        # A signed note never changes (DESIGN.md section 5).
        return not _note_is_signed(obj) and super().has_change_permission(request, obj)

    @admin.display(description="visit", ordering="appointment__starts_at")
    def visit(self, obj: SessionNote) -> str:
        return _local(obj.appointment.starts_at, obj.appointment.location)

    @admin.display(description="client", ordering="appointment__client__last_name")
    def client(self, obj: SessionNote) -> str:
        return str(obj.appointment.client)

    @admin.display(description="signed", boolean=True, ordering="signed_at")
    def is_signed(self, obj: SessionNote) -> bool:
        return obj.is_signed

    @admin.display(description="timed minutes", ordering="_timed_minutes")
    def timed_minutes(self, obj: SessionNote) -> int:
        return getattr(obj, "_timed_minutes", None) or 0

    @admin.display(description="addenda")
    def addendum_link(self, obj: SessionNote) -> str:
        if not _note_is_signed(obj):
            return "A draft is corrected by editing it; addenda are for signed notes."
        url = reverse("admin:clinic_sessions_noteaddendum_add")
        return format_html('<a href="{}?note={}">Add an addendum</a>', url, obj.pk)


def _note_label(note: SessionNote) -> str:
    appointment = note.appointment
    return (
        f"{appointment.client}, {_local(appointment.starts_at, appointment.location)}"
    )


class NoteTechniqueForm(forms.ModelForm):
    def clean_note(self) -> SessionNote:
        note = self.cleaned_data["note"]
        if note.is_signed:
            raise forms.ValidationError(
                "This note is signed and cannot change; add an addendum instead."
            )
        return note


@admin.register(NoteTechnique)
class NoteTechniqueAdmin(ClinicalRecordAdmin):
    form = NoteTechniqueForm
    list_display = ["note_label", "modality", "minutes"]
    list_filter = ["modality"]
    list_select_related = [
        "note__appointment__client",
        "note__appointment__location",
        "modality",
    ]
    search_fields = [
        "note__appointment__client__first_name",
        "note__appointment__client__last_name",
        "modality__name",
    ]
    autocomplete_fields = ["note", "modality"]
    str_select_related = ("note", "modality")

    def has_change_permission(
        self, request: HttpRequest, obj: NoteTechnique | None = None
    ) -> bool:
        note = obj.note if obj is not None else None
        return not _note_is_signed(note) and super().has_change_permission(request, obj)

    @admin.display(description="note", ordering="note__appointment__starts_at")
    def note_label(self, obj: NoteTechnique) -> str:
        return _note_label(obj.note)


class NoteAddendumForm(forms.ModelForm):
    def clean_note(self) -> SessionNote:
        note = self.cleaned_data["note"]
        if not note.is_signed:
            raise forms.ValidationError(
                "This note is still a draft: correct it by editing it. "
                "Addenda are for signed notes."
            )
        return note


@admin.register(NoteAddendum)
class NoteAddendumAdmin(ClinicalRecordAdmin):
    """Append-only: an addendum is added, then only ever read."""

    form = NoteAddendumForm
    list_display = ["note_label", "created_at", "author", "reason"]
    list_select_related = [
        "note__appointment__client",
        "note__appointment__location",
        "author",
    ]
    search_fields = [
        "reason",
        "text",
        "note__appointment__client__first_name",
        "note__appointment__client__last_name",
    ]
    date_hierarchy = "created_at"
    autocomplete_fields = ["note"]
    fields = ["note", "reason", "text", "author", "created_at"]

    def get_readonly_fields(
        self, request: HttpRequest, obj: NoteAddendum | None = None
    ) -> list[str]:
        if obj is not None:
            return list(self.fields)
        return ["author", "created_at"]

    def has_change_permission(
        self, request: HttpRequest, obj: NoteAddendum | None = None
    ) -> bool:
        return obj is None and super().has_change_permission(request)

    def save_model(
        self, request: HttpRequest, obj: NoteAddendum, form: Any, change: bool
    ) -> None:
        if not change:
            obj.author = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description="note", ordering="note__appointment__starts_at")
    def note_label(self, obj: NoteAddendum) -> str:
        return _note_label(obj.note)


# Outbound messages -----------------------------------------------------------------

# What a person may do to a message: retry a failed one, or stop one from going out.
_REMINDER_TRANSITIONS: dict[str, tuple[str, ...]] = {
    Reminder.Status.FAILED: (Reminder.Status.PENDING, Reminder.Status.CANCELLED),
    Reminder.Status.PENDING: (Reminder.Status.CANCELLED,),
}


class ReminderForm(forms.ModelForm):
    class Meta:
        model = Reminder
        fields = ["status"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "status" in self.fields:
            current = self.instance.status
            allowed = {current, *_REMINDER_TRANSITIONS.get(current, ())}
            self.fields["status"].choices = [
                (value, label)
                for value, label in Reminder.Status.choices
                if value in allowed
            ]

    def clean_status(self) -> str:
        status = self.cleaned_data["status"]
        appointment = self.instance.appointment
        if (
            status == Reminder.Status.PENDING
            and appointment is not None
            and appointment.status in Appointment.NON_BLOCKING_STATUSES
        ):
            raise forms.ValidationError(
                "The visit is cancelled: its messages are not sent again."
            )
        return status


@admin.register(Reminder)
class ReminderAdmin(ClinicalRecordAdmin):
    """The outbox. Rows are made by the booking services; a person retries or stops."""

    form = ReminderForm
    list_display = [
        "kind",
        "status",
        "client",
        "to_email",
        "send_at",
        "visit",
        "attempts",
        "sent_at",
        "short_error",
    ]
    list_filter = ["status", "kind"]
    list_select_related = ["client", "appointment__location"]
    search_fields = [
        "to_email",
        "client__first_name",
        "client__last_name",
        "message_id",
    ]
    date_hierarchy = "send_at"
    str_select_related = ("client",)
    actions = ["retry", "stop"]
    fieldsets = [
        (None, {"fields": ["kind", "status", "to_email", "send_at"]}),
        ("About", {"fields": ["client", "appointment", "series"]}),
        (
            "Delivery",
            {
                "fields": [
                    "attempts",
                    "claimed_at",
                    "sent_at",
                    "message_id",
                    "last_error",
                    "skip_reason",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(
        self, request: HttpRequest, obj: Reminder | None = None
    ) -> list[str]:
        names = [f.name for f in self.model._meta.fields if f.name != "id"]
        if obj is not None and obj.status in _REMINDER_TRANSITIONS:
            names.remove("status")
        return names

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.display(description="visit", ordering="appointment__starts_at")
    def visit(self, obj: Reminder) -> str:
        if obj.appointment is None:
            return "-"
        return _local(obj.appointment.starts_at, obj.appointment.location)

    @admin.display(description="last error")
    def short_error(self, obj: Reminder) -> str:
        return obj.last_error[:60]

    @admin.action(description="Retry selected failed messages", permissions=["change"])
    def retry(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        count = (
            queryset.filter(status=Reminder.Status.FAILED)
            .exclude(appointment__status__in=Appointment.NON_BLOCKING_STATUSES)
            .update(status=Reminder.Status.PENDING, updated_at=timezone.now())
        )
        self.message_user(
            request, f"{count} message(s) will be sent again.", messages.SUCCESS
        )

    @admin.action(
        description="Stop selected messages from going out", permissions=["change"]
    )
    def stop(self, request: HttpRequest, queryset: QuerySet[Reminder]) -> None:
        count = queryset.filter(status__in=list(_REMINDER_TRANSITIONS)).update(
            status=Reminder.Status.CANCELLED, updated_at=timezone.now()
        )
        self.message_user(request, f"Stopped {count} message(s).", messages.SUCCESS)


@admin.register(ProgressReport)
class ProgressReportAdmin(ClinicalRecordAdmin):
    list_display = ["plan", "therapist", "period_start", "period_end", "sent_at"]
    list_select_related = ["plan__client", "therapist__user"]
    search_fields = ["plan__client__first_name", "plan__client__last_name"]
    date_hierarchy = "period_end"
    readonly_fields = ["created_at", "created_by"]
    autocomplete_fields = ["plan", "therapist"]

    def save_model(
        self, request: HttpRequest, obj: Model, form: Any, change: bool
    ) -> None:
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
