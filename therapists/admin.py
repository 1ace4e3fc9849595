"""Admin for therapists, modalities, weekly hours and time off."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.views.main import ChangeList
from django.contrib.admin.widgets import AdminSplitDateTime
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from massageclinic.admin import (
    ClinicModelAdmin,
    ClinicTabularInline,
    SelectRelatedFieldListFilter,
    ViewedHereWrittenOnItsPage,
    ViewedHereWrittenOnItsPageInline,
    its_page_link,
)
from massageclinic.audit import AuditContext
from massageclinic.clock import location_zone
from therapists.models import Modality, Therapist, TimeOff, Training, WorkingHours
from therapists.schedule_services import time_off_audit, time_off_span
from therapists.services import therapist_zone, therapist_zones

# Primary keys are PostgreSQL integers: a longer number typed into a form or a URL
# is no therapist, not a database error.
_MAX_PK = 2**31 - 1


class TherapistListFilter(SelectRelatedFieldListFilter):
    select_related = ("user",)


@admin.register(Modality)
class ModalityAdmin(ClinicModelAdmin):
    list_display = ["name", "slug", "cpt_code", "is_timed", "is_active"]
    list_filter = ["is_active", "is_timed", "cpt_code"]
    search_fields = ["name", "slug", "cpt_code"]
    prepopulated_fields = {"slug": ["name"]}


class TrainingInline(ClinicTabularInline):
    model = Training
    fields = ["modality", "certified_on"]


def _schedule_link(therapist_id: int | None, view: str = "schedule") -> SafeString:
    """A link to the therapist's schedule page, where hours and time off are set.

    The page lives in the sessions app (it lists visits); therapists sits below it,
    so the link is found by name at run time, not imported.
    """
    if therapist_id is None:
        return its_page_link(_url("schedules"), "Set hours on the Schedules page")
    return its_page_link(
        _url(view, therapist_id), "Change on the therapist's schedule page"
    )


def _url(name: str, *args: int) -> str:
    try:
        return reverse(f"sessions:{name}", args=args)
    except NoReverseMatch:  # pragma: no cover - the sessions app is always installed
        return ""


class WorkingHoursInline(ViewedHereWrittenOnItsPageInline, ClinicTabularInline):
    """Shown here; set on the schedule page, whose rules (no overlap at any location,
    in the location's wall-clock time) and audit trail the admin must not go round."""

    model = WorkingHours
    fields = ["location", "weekday", "starts_at", "ends_at"]
    readonly_fields = fields


@admin.register(Therapist)
class TherapistAdmin(ClinicModelAdmin):
    list_display = [
        "name",
        "credentials",
        "license_number",
        "license_state",
        "license_expires_on",
        "npi",
        "colour_swatch",
        "is_active",
    ]
    list_filter = ["is_active", "license_state", "credentials", "modalities"]
    search_fields = [
        "user__first_name",
        "user__last_name",
        "user__username",
        "user__email",
        "license_number",
        "npi",
    ]
    autocomplete_fields = ["user"]
    str_select_related = ("user",)
    inlines = [TrainingInline, WorkingHoursInline]
    readonly_fields = ["schedule"]
    fieldsets = [
        (None, {"fields": ["user", "is_active", "colour", "bio", "schedule"]}),
        (
            "Credentials",
            {
                "fields": [
                    "credentials",
                    ("license_number", "license_state", "license_expires_on"),
                    "npi",
                ]
            },
        ),
        ("Experience", {"fields": ["experienced_with"]}),
    ]

    @admin.display(description="therapist", ordering="user__last_name")
    def name(self, obj: Therapist) -> str:
        return obj.full_name

    @admin.display(description="weekly hours and time off")
    def schedule(self, obj: Therapist) -> SafeString:
        return _schedule_link(obj.pk)

    @admin.display(description="colour")
    def colour_swatch(self, obj: Therapist) -> str:
        return format_html(
            '<span style="display:inline-block;width:1em;height:1em;'
            'background:{};border:1px solid #888" title="{}"></span>',
            obj.colour,
            obj.colour,
        )


@admin.register(Training)
class TrainingAdmin(ClinicModelAdmin):
    list_display = ["therapist", "modality", "certified_on"]
    list_filter = ["modality", ("therapist", TherapistListFilter)]
    list_select_related = ["therapist__user", "modality"]
    search_fields = [
        "therapist__user__first_name",
        "therapist__user__last_name",
        "modality__name",
    ]
    autocomplete_fields = ["therapist", "modality"]


@admin.register(WorkingHours)
class WorkingHoursAdmin(ViewedHereWrittenOnItsPage, ClinicModelAdmin):
    """Listed here in each location's wall-clock time; set on the schedule page."""

    list_display = [
        "therapist",
        "weekday",
        "starts_at",
        "ends_at",
        "location",
        "zone",
        "its_page",
    ]
    list_filter = ["weekday", "location", ("therapist", TherapistListFilter)]
    list_select_related = ["therapist__user", "location"]
    search_fields = ["therapist__user__first_name", "therapist__user__last_name"]
    autocomplete_fields = ["therapist", "location"]
    ordering = ["therapist__user__first_name", "weekday", "starts_at"]

    @admin.display(description="time zone (times are wall-clock there)")
    def zone(self, obj: WorkingHours) -> str:
        return obj.location.time_zone

    @admin.display(description="change")
    def its_page(self, obj: WorkingHours) -> SafeString:
        return _schedule_link(obj.therapist_id)


def _pk(raw: object) -> int | None:
    text = str(raw or "").strip()
    if not text.isascii() or not text.isdigit() or int(text) > _MAX_PK:
        return None
    return int(text)


class _WallClockSplitDateTimeField(forms.SplitDateTimeField):
    """A date and a time as typed: naive, so the time off rules read it in the
    therapist's zone and refuse a skipped or repeated hour in their own words."""

    def compress(self, data_list: list[Any]) -> datetime | None:
        if not data_list:
            return None
        day, at = data_list
        if day in self.empty_values:
            raise ValidationError(
                self.error_messages["invalid_date"], code="invalid_date"
            )
        if at in self.empty_values:
            raise ValidationError(
                self.error_messages["invalid_time"], code="invalid_time"
            )
        return datetime.combine(day, at)


class TimeOffForm(forms.ModelForm):
    """Reads and shows its times in the therapist's zone, through the time off rules
    (therapists.schedule_services), as the schedule page does."""

    starts_at = _WallClockSplitDateTimeField(widget=AdminSplitDateTime)
    ends_at = _WallClockSplitDateTimeField(widget=AdminSplitDateTime)

    class Meta:
        model = TimeOff
        fields = ["therapist", "starts_at", "ends_at", "reason"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone = timezone.get_current_timezone_name()
        note = (
            f"In {zone}, the therapist's time zone (the zone of the location of "
            "their working hours; the clinic's when they work in several or none)."
        )
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = note

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        therapist = cleaned.get("therapist")
        starts, ends = cleaned.get("starts_at"), cleaned.get("ends_at")
        if therapist is None or starts is None or ends is None:
            return cleaned
        try:
            cleaned["starts_at"], cleaned["ends_at"] = time_off_span(
                therapist=therapist, starts=starts, ends=ends
            )
        except ValidationError as error:
            # Naive wall-clock times never reach the model.
            cleaned.pop("starts_at")
            cleaned.pop("ends_at")
            self.add_error(None, error)
        return cleaned


@admin.register(TimeOff)
class TimeOffAdmin(ClinicModelAdmin):
    """Times are typed and shown in the therapist's zone, never in UTC."""

    form = TimeOffForm
    list_display = ["therapist", "local_starts", "local_ends", "reason"]
    list_filter = [("therapist", TherapistListFilter)]
    list_select_related = ["therapist__user"]
    search_fields = [
        "therapist__user__first_name",
        "therapist__user__last_name",
        "reason",
    ]
    autocomplete_fields = ["therapist"]
    date_hierarchy = "starts_at"
    ordering = ["-starts_at"]

    def save_model(
        self, request: HttpRequest, obj: TimeOff, form: Any, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        time_off_audit(
            time_off=obj, context=AuditContext.from_request(request), created=not change
        )

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        with timezone.override(self._zone_for(request, object_id)):
            response = super().changeform_view(
                request, object_id, form_url, extra_context
            )
            # Widgets format their times when rendered: render inside the zone.
            if hasattr(response, "render"):
                response.render()
        return response

    def _zone_for(self, request: HttpRequest, object_id: str | None) -> ZoneInfo:
        """The zone of the therapist on the form (as posted), else of the row."""
        therapist_id = _pk(
            request.POST.get("therapist") or request.GET.get("therapist")
        )
        if therapist_id is None and object_id is not None:
            therapist_id = (
                TimeOff.objects.filter(pk=_pk(unquote(object_id)) or 0)
                .values_list("therapist_id", flat=True)
                .first()
            )
        if therapist_id is None:
            return location_zone(None)  # a new row: the clinic's, until one is chosen
        return therapist_zones([therapist_id])[therapist_id]

    def get_changelist_instance(self, request: HttpRequest) -> ChangeList:
        changelist = super().get_changelist_instance(request)
        rows = changelist.result_list
        zones = therapist_zones({row.therapist_id for row in rows})
        for row in rows:
            row.zone = zones[row.therapist_id]
        return changelist

    def _local(self, obj: TimeOff, moment: datetime) -> str:
        zone = getattr(obj, "zone", None) or therapist_zone(obj.therapist)
        local = moment.astimezone(zone)
        return f"{local:%a %Y-%m-%d %H:%M} {local.tzname()} ({zone.key})"

    @admin.display(description="starts (therapist's zone)", ordering="starts_at")
    def local_starts(self, obj: TimeOff) -> str:
        return self._local(obj, obj.starts_at)

    @admin.display(description="ends (therapist's zone)", ordering="ends_at")
    def local_ends(self, obj: TimeOff) -> str:
        return self._local(obj, obj.ends_at)
