"""Admin for therapists, modalities, weekly hours and time off."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from massageclinic.admin import (
    ClinicModelAdmin,
    ClinicTabularInline,
    SelectRelatedFieldListFilter,
)
from therapists.models import Modality, Therapist, TimeOff, Training, WorkingHours


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


class WorkingHoursInline(ClinicTabularInline):
    model = WorkingHours
    fields = ["location", "weekday", "starts_at", "ends_at"]


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
    fieldsets = [
        (None, {"fields": ["user", "is_active", "colour", "bio"]}),
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
class WorkingHoursAdmin(ClinicModelAdmin):
    list_display = ["therapist", "weekday", "starts_at", "ends_at", "location"]
    list_filter = ["weekday", "location", ("therapist", TherapistListFilter)]
    list_select_related = ["therapist__user", "location"]
    search_fields = ["therapist__user__first_name", "therapist__user__last_name"]
    autocomplete_fields = ["therapist", "location"]
    ordering = ["therapist__user__first_name", "weekday", "starts_at"]


@admin.register(TimeOff)
class TimeOffAdmin(ClinicModelAdmin):
    list_display = ["therapist", "starts_at", "ends_at", "reason"]
    list_filter = [("therapist", TherapistListFilter)]
    list_select_related = ["therapist__user"]
    search_fields = [
        "therapist__user__first_name",
        "therapist__user__last_name",
        "reason",
    ]
    autocomplete_fields = ["therapist"]
    date_hierarchy = "starts_at"
