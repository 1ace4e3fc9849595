"""Admin for treatment plans and goals, SOAP notes and progress reports: viewed
here, written on their pages; corrections are addenda, which are append-only.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet, Sum
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from massageclinic.admin import (
    AuditedHealthRecordAdmin,
    ClinicalRecordAdmin,
    ClinicalRecordInline,
    ViewedHereWrittenOnItsPage,
    ViewedHereWrittenOnItsPageInline,
    its_page_link,
)
from sessions.admin.common import local_time
from sessions.models import (
    Goal,
    NoteAddendum,
    NoteTechnique,
    ProgressReport,
    SessionNote,
    TreatmentPlan,
)
from therapists.admin import TherapistListFilter

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


class GoalInline(ViewedHereWrittenOnItsPageInline, ClinicalRecordInline):
    """Shown for reading; goals are written on the plan's page, with the plan."""

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
class TreatmentPlanAdmin(
    AuditedHealthRecordAdmin, ViewedHereWrittenOnItsPage, ClinicalRecordAdmin
):
    form = TreatmentPlanForm
    list_display = [
        "client",
        "therapist",
        "status",
        "starts_on",
        "review_on",
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
    readonly_fields = ["plan_page", "created_at", "updated_at"]
    inlines = [GoalInline]
    fieldsets = [
        (None, {"fields": ["plan_page", "client", "therapist", "referral", "status"]}),
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

    @admin.display(description="plan page")
    def plan_page(self, obj: TreatmentPlan) -> str:
        return format_html(
            '<a href="{}">Open the plan page</a> to change the plan, its goals or its '
            "status.",
            reverse("sessions:plan", args=[obj.pk]),
        )


@admin.register(Goal)
class GoalAdmin(
    AuditedHealthRecordAdmin, ViewedHereWrittenOnItsPage, ClinicalRecordAdmin
):
    form = GoalForm
    health_client = "plan.client_id"
    # Metadata only: the goal itself is read on its page, which is audited.
    list_display = ["client", "plan", "measure", "achieved_on"]
    list_filter = ["measure", ("achieved_on", admin.EmptyFieldListFilter)]
    list_select_related = ["plan__client"]
    search_fields = ["plan__client__first_name", "plan__client__last_name"]
    autocomplete_fields = ["plan"]

    @admin.display(description="client", ordering="plan__client__last_name")
    def client(self, obj: Goal) -> str:
        return str(obj.plan.client)


# Appointments and series -------------------------------------------------------------


def _note_is_signed(note: SessionNote | None) -> bool:
    return note is not None and note.signed_at is not None


class NoteTechniqueInline(ViewedHereWrittenOnItsPageInline, ClinicalRecordInline):
    model = NoteTechnique
    fields = ["modality", "minutes"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[NoteTechnique]:
        return super().get_queryset(request).select_related("modality")


class NoteAddendumInline(ViewedHereWrittenOnItsPageInline, ClinicalRecordInline):
    """Shown for reading; an addendum is added on its own page (see the note's link)."""

    model = NoteAddendum
    fields = ["created_at", "author", "reason", "text"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[NoteAddendum]:
        return super().get_queryset(request).select_related("author")


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
class SessionNoteAdmin(
    AuditedHealthRecordAdmin, ViewedHereWrittenOnItsPage, ClinicalRecordAdmin
):
    health_client = "appointment.client_id"
    # Schedule and signature only: the note is read on its page, which is audited.
    list_display = [
        "visit",
        "client",
        "therapist",
        "is_signed",
        "signed_at",
        "timed_minutes",
    ]
    list_filter = [SignedListFilter, ("therapist", TherapistListFilter)]
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
        (None, {"fields": ["note_page", "appointment", "therapist"]}),
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

    # Viewed only. A draft is written on the note page by its therapist, where the
    # safety checks run; a signed note never changes (DESIGN.md section 5) and is
    # corrected by an addendum.

    @admin.display(description="note page")
    def note_page(self, obj: SessionNote) -> str:
        return format_html(
            '<a href="{}">Open the note page</a>: its therapist writes and signs the '
            "note there.",
            reverse("sessions:note", args=[obj.appointment_id]),
        )

    @admin.display(description="visit", ordering="appointment__starts_at")
    def visit(self, obj: SessionNote) -> str:
        return local_time(obj.appointment.starts_at, obj.appointment.location)

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
            return "A draft is written on the note page; addenda are for signed notes."
        url = reverse("sessions:note", args=[obj.appointment_id])
        return format_html(
            '<a href="{}#addenda">Add an addendum</a> on the note page.', url
        )


def _note_label(note: SessionNote) -> str:
    appointment = note.appointment
    return f"{appointment.client}, {local_time(appointment.starts_at, appointment.location)}"


@admin.register(NoteTechnique)
class NoteTechniqueAdmin(
    AuditedHealthRecordAdmin, ViewedHereWrittenOnItsPage, ClinicalRecordAdmin
):
    """Viewed only: techniques are part of the note, written on the note page."""

    health_client = "note.appointment.client_id"

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

    @admin.display(description="note", ordering="note__appointment__starts_at")
    def note_label(self, obj: NoteTechnique) -> str:
        return _note_label(obj.note)


@admin.register(NoteAddendum)
class NoteAddendumAdmin(
    AuditedHealthRecordAdmin, ViewedHereWrittenOnItsPage, ClinicalRecordAdmin
):
    """Append-only, and read here: the note's therapist adds one on the note page
    (managers read notes and never write them, DESIGN.md section 6)."""

    health_client = "note.appointment.client_id"
    list_display = ["note_label", "created_at", "author"]
    list_select_related = [
        "note__appointment__client",
        "note__appointment__location",
        "author",
    ]
    search_fields = [
        "note__appointment__client__first_name",
        "note__appointment__client__last_name",
    ]
    date_hierarchy = "created_at"
    fields = ["note", "reason", "text", "author", "created_at", "note_page"]
    readonly_fields = fields

    @admin.display(description="note page")
    def note_page(self, obj: NoteAddendum) -> str:
        return its_page_link(
            reverse("sessions:note", args=[obj.note.appointment_id]) + "#addenda",
            "Open the note page: its therapist adds addenda there",
        )

    @admin.display(description="note", ordering="note__appointment__starts_at")
    def note_label(self, obj: NoteAddendum) -> str:
        return _note_label(obj.note)


# Outbound messages -----------------------------------------------------------------


# What a person may do to a message: retry a failed one, or stop one from going out.
@admin.register(ProgressReport)
class ProgressReportAdmin(
    AuditedHealthRecordAdmin, ViewedHereWrittenOnItsPage, ClinicalRecordAdmin
):
    health_client = "plan.client_id"
    list_display = ["plan", "therapist", "period_start", "period_end", "sent_at"]
    list_select_related = ["plan__client", "therapist__user"]
    search_fields = ["plan__client__first_name", "plan__client__last_name"]
    date_hierarchy = "period_end"
    readonly_fields = ["created_at", "created_by"]

    # Viewed only: the plan's therapist writes and signs the report on the plan's
    # page; once written it is what the physician was sent.
