"""Admin for visits, series, visit history and the waitlist: viewed here; booking
and moving go through the visit pages and their checked services.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from massageclinic.admin import (
    AuditedHealthRecordAdmin,
    ClinicalRecordAdmin,
    ViewedHereWrittenOnItsPage,
)
from sessions.admin.common import local_time
from sessions.models import (
    Appointment,
    AppointmentEvent,
    AppointmentSeries,
    Place,
    VisitScreening,
    WaitlistEntry,
)
from therapists.admin import TherapistListFilter
from therapists.models import Weekday


@admin.register(AppointmentSeries)
class AppointmentSeriesAdmin(ViewedHereWrittenOnItsPage, ClinicalRecordAdmin):
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


@admin.register(AppointmentEvent)
class AppointmentEventAdmin(ViewedHereWrittenOnItsPage, ClinicalRecordAdmin):
    list_display = ["at", "appointment", "kind", "summary", "by"]
    list_filter = ["kind"]
    list_select_related = ["appointment__client", "appointment__therapist__user", "by"]
    search_fields = ["summary", "appointment__client__last_name"]
    date_hierarchy = "at"
    readonly_fields = ["appointment", "at", "by", "kind", "summary", "details"]

    # The visit history is written by the booking services, with the change itself.


@admin.register(VisitScreening)
class VisitScreeningAdmin(
    AuditedHealthRecordAdmin, ViewedHereWrittenOnItsPage, ClinicalRecordAdmin
):
    list_display = ["answered_at", "appointment", "channel", "outcome", "answered_by"]
    list_filter = ["channel", "outcome"]
    list_select_related = [
        "appointment__client",
        "appointment__therapist__user",
        "answered_by",
    ]
    search_fields = ["appointment__client__last_name"]
    date_hierarchy = "answered_at"
    # Screenings are answered at check-in or through the client's link
    # (screening_record), and the database keeps them as they were answered.


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(ViewedHereWrittenOnItsPage, ClinicalRecordAdmin):
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
    # Entries are added, closed and booked on the waitlist page (waitlist_add,
    # waitlist_close), with their checks.
    readonly_fields = ["created_by", "created_at", "closed_at", "booked_appointment"]


@admin.register(Appointment)
class AppointmentAdmin(ViewedHereWrittenOnItsPage, ClinicalRecordAdmin):
    """Viewed only: visits are booked, moved, cancelled and checked in on their page.

    There the booking services check hours, time off, licence, training and safety,
    write the visit's history and message the client; a row saved here would skip
    all of it.
    """

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
    str_select_related = ("client", "therapist__user")
    fieldsets = [
        (None, {"fields": ["visit_page", "client", "therapist", "modality", "status"]}),
        (
            "When (in the location's time zone)",
            {"fields": ["local_time", "therapist_busy"]},
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
        ("Cancellation", {"fields": ["cancellation_reason", "local_cancelled_at"]}),
        ("Record", {"fields": ["booked_by", "created_at", "updated_at"]}),
    ]

    @admin.display(description="visit page")
    def visit_page(self, obj: Appointment) -> str:
        return format_html(
            '<a href="{}">Open the visit page</a> to move, cancel, check in or '
            "complete this visit.",
            reverse("sessions:visit", args=[obj.pk]),
        )

    @admin.display(description="starts (local time)", ordering="starts_at")
    def local_start(self, obj: Appointment) -> str:
        return local_time(obj.starts_at, obj.location)

    @admin.display(description="visit")
    def local_time(self, obj: Appointment) -> str:
        start, end = (
            local_time(obj.starts_at, obj.location),
            local_time(obj.ends_at, obj.location),
        )
        return f"{start} - {end} ({obj.location.time_zone})"

    @admin.display(description="therapist busy (with travel)")
    def therapist_busy(self, obj: Appointment) -> str:
        start, end = (
            local_time(obj.therapist_busy_from, obj.location),
            local_time(obj.therapist_busy_until, obj.location),
        )
        return f"{start} - {end}"

    @admin.display(description="cancelled at")
    def local_cancelled_at(self, obj: Appointment) -> str:
        return local_time(obj.cancelled_at, obj.location)

    @admin.display(description="where", ordering="place")
    def where(self, obj: Appointment) -> str:
        if obj.place == Place.ROOM and obj.room is not None:
            return obj.room.name
        return obj.get_place_display()


# SOAP notes ------------------------------------------------------------------------
