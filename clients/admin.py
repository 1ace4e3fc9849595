"""Admin for clients and their clinical background.

Clinical records (client, history, flags, referrals, insurance) are never
hard-deleted; an intake version never changes once submitted.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from clients.client_services import client_archive, client_unarchive
from clients.models import (
    Authorization,
    Client,
    Condition,
    Contraindication,
    ContraindicationRule,
    InsurancePolicy,
    IntakeInvitation,
    MedicalHistory,
    Payer,
    Referral,
    ReferringProvider,
)
from clients.referral_selectors import with_used_visits
from massageclinic.admin import (
    ClinicalRecordAdmin,
    ClinicalRecordInline,
    ClinicModelAdmin,
    ClinicTabularInline,
)
from massageclinic.audit import AuditContext, audit_record
from massageclinic.models import AuditEvent, clinic_today


class ArchivedListFilter(admin.SimpleListFilter):
    title = "archived"
    parameter_name = "archived"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("no", "Current clients"), ("yes", "Archived")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "no":
            return queryset.filter(archived_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(archived_at__isnull=False)
        return queryset


def _audit_admin_save(
    request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool, client_id: int
) -> None:
    """Record a save made here like the pages' (DESIGN.md section 6). The admin's
    change form runs in one transaction, so the row commits with the change."""
    if change and not form.has_changed():
        return
    fields = ", ".join(form.changed_data)
    audit_record(
        AuditContext.from_request(request),
        AuditEvent.Action.CHANGE if change else AuditEvent.Action.CREATE,
        obj,
        client_id=client_id,
        summary=f"Changed in the admin: {fields}" if change else "Added in the admin",
    )


class _AuditedClinicalAdmin(ClinicalRecordAdmin):
    """A clinical record edited in the admin: every save is audited."""

    def audited_client_id(self, obj: Any) -> int:
        return obj.client_id

    def save_model(
        self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool
    ) -> None:
        super().save_model(request, obj, form, change)
        _audit_admin_save(request, obj, form, change, self.audited_client_id(obj))


@admin.register(Client)
class ClientAdmin(_AuditedClinicalAdmin):
    list_display = [
        "name",
        "preferred_name",
        "date_of_birth",
        "email",
        "phone",
        "preferred_location",
        "email_reminders",
        "is_archived",
    ]
    list_filter = [ArchivedListFilter, "email_reminders", "preferred_location"]
    list_select_related = ["preferred_location"]
    search_fields = ["first_name", "last_name", "preferred_name", "email", "phone"]
    date_hierarchy = "created_at"
    autocomplete_fields = ["preferred_location", "preferred_therapist"]
    readonly_fields = ["archived_at", "created_at", "updated_at"]
    actions = ["archive", "restore"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    ("first_name", "last_name"),
                    ("preferred_name", "pronouns"),
                    "date_of_birth",
                ]
            },
        ),
        ("Contact", {"fields": ["email", "phone", "email_reminders"]}),
        (
            "Home address (for home visits)",
            {
                "fields": [
                    "address_line1",
                    "address_line2",
                    ("city", "state", "postal_code"),
                ]
            },
        ),
        ("Workplace", {"fields": ["workplace_name", "workplace_address"]}),
        (
            "Emergency contact",
            {"fields": ["emergency_contact_name", "emergency_contact_phone"]},
        ),
        (
            "Preferences",
            {"fields": ["preferred_location", "preferred_therapist", "preferences"]},
        ),
        ("Record", {"fields": ["archived_at", "created_at", "updated_at"]}),
    ]

    def audited_client_id(self, obj: Client) -> int:
        return obj.pk

    @admin.display(description="name", ordering="last_name")
    def name(self, obj: Client) -> str:
        return f"{obj.last_name}, {obj.first_name}"

    @admin.display(description="archived", boolean=True, ordering="archived_at")
    def is_archived(self, obj: Client) -> bool:
        return obj.is_archived

    # Archiving is a change, not a deletion: the change permission is enough.
    @admin.action(
        description="Archive selected clients (records are kept)",
        permissions=["change"],
    )
    def archive(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        now, count = timezone.now(), 0
        context = AuditContext.from_request(request)
        for client in queryset.filter(archived_at__isnull=True):
            try:
                client_archive(client=client, by=request.user, now=now, context=context)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                count += 1
        self.message_user(request, f"Archived {count} client(s).", messages.SUCCESS)

    @admin.action(
        description="Restore selected clients from the archive", permissions=["change"]
    )
    def restore(self, request: HttpRequest, queryset: QuerySet[Client]) -> None:
        count = 0
        context = AuditContext.from_request(request)
        for client in queryset.filter(archived_at__isnull=False):
            try:
                client_unarchive(client=client, by=request.user, context=context)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
            else:
                count += 1
        self.message_user(request, f"Restored {count} client(s).", messages.SUCCESS)


@admin.register(MedicalHistory)
class MedicalHistoryAdmin(ClinicalRecordAdmin):
    """Viewed only: a submitted version never changes.

    A new version is submitted on the client's chart or through their intake link,
    by the intake service (history_submit), which numbers it and raises the safety
    flags it calls for.
    """

    list_display = [
        "client",
        "version",
        "submitted_at",
        "pain_level",
        "pregnant",
        "takes_anticoagulants",
        "dvt_history",
        "submitted_by",
    ]
    list_filter = [
        "pregnant",
        "takes_anticoagulants",
        "clotting_disorder",
        "dvt_history",
        "long_term_corticosteroids",
        "allergic_to_oils",
    ]
    list_select_related = ["client", "submitted_by"]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "client__email",
        "chief_complaint",
    ]
    date_hierarchy = "submitted_at"
    autocomplete_fields = ["client"]
    str_select_related = ("client",)
    fieldsets = [
        (None, {"fields": ["client", "version", "submitted_at", "submitted_by"]}),
        (
            "Complaint",
            {
                "fields": [
                    "chief_complaint",
                    "pain_areas",
                    "pain_level",
                    "onset",
                    "goals",
                ]
            },
        ),
        (
            "Conditions",
            {
                "fields": [
                    "conditions",
                    "other_conditions",
                    "medications",
                    "surgeries",
                    "skin_conditions",
                    "implanted_devices",
                ]
            },
        ),
        (
            "Safety",
            {
                "fields": [
                    "allergies",
                    "allergic_to_oils",
                    ("pregnant", "pregnancy_weeks"),
                    "takes_anticoagulants",
                    "clotting_disorder",
                    "dvt_history",
                    "long_term_corticosteroids",
                ]
            },
        ),
        ("Consent", {"fields": ["consent_name", "consent_signed_at"]}),
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: MedicalHistory | None = None
    ) -> bool:
        return obj is None and super().has_change_permission(request)


class ContraindicationRuleInline(ClinicTabularInline):
    model = ContraindicationRule
    fields = ["modality", "action", "pressure_limit", "positioning", "area", "headline"]


@admin.register(Condition)
class ConditionAdmin(ClinicModelAdmin):
    list_display = ["name", "slug", "default_severity"]
    list_filter = ["default_severity"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ContraindicationRuleInline]


@admin.register(ContraindicationRule)
class ContraindicationRuleAdmin(ClinicModelAdmin):
    list_display = ["headline", "condition", "modality", "action", "pressure_limit"]
    list_filter = ["action", "pressure_limit", "condition"]
    list_select_related = ["condition", "modality"]
    search_fields = ["headline", "condition__name", "modality__name", "area"]
    autocomplete_fields = ["condition", "modality"]


class ActiveFlagListFilter(admin.SimpleListFilter):
    title = "active"
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Active"), ("no", "Resolved")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(resolved_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(resolved_at__isnull=False)
        return queryset


@admin.register(Contraindication)
class ContraindicationAdmin(_AuditedClinicalAdmin):
    list_display = [
        "client",
        "condition",
        "severity",
        "body_region",
        "is_active",
        "onset_on",
        "recheck_on",
        "cleared_on",
        "source",
    ]
    list_filter = [
        ActiveFlagListFilter,
        "severity",
        "source",
        "body_region",
        "condition",
    ]
    list_select_related = ["client", "condition"]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "condition__name",
        "detail",
    ]
    date_hierarchy = "created_at"
    autocomplete_fields = ["client", "condition", "history"]
    readonly_fields = [
        "created_at",
        "created_by",
        "resolved_by",
        "clearance_recorded_by",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "client",
                    "condition",
                    "severity",
                    "body_region",
                    "detail",
                    ("onset_on", "recheck_on"),
                ]
            },
        ),
        ("Source", {"fields": ["source", "history", "created_at", "created_by"]}),
        (
            "Physician clearance",
            {
                "fields": [
                    "cleared_on",
                    "cleared_by_physician",
                    "clearance_document",
                    "clearance_recorded_by",
                ]
            },
        ),
        ("Resolution", {"fields": ["resolved_at", "resolved_by"]}),
    ]

    @admin.display(description="active", boolean=True, ordering="resolved_at")
    def is_active(self, obj: Contraindication) -> bool:
        return obj.is_active

    def save_model(
        self, request: HttpRequest, obj: Contraindication, form: Any, change: bool
    ) -> None:
        # Who did it is recorded, never typed in.
        if not change:
            obj.created_by = request.user
        if obj.resolved_at is None:
            obj.resolved_by = None
        elif obj.resolved_by is None or "resolved_at" in form.changed_data:
            obj.resolved_by = request.user
        if obj.cleared_on is None:
            obj.clearance_recorded_by = None
        elif obj.clearance_recorded_by is None or "cleared_on" in form.changed_data:
            obj.clearance_recorded_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ReferringProvider)
class ReferringProviderAdmin(ClinicModelAdmin):
    list_display = ["name", "credentials", "npi", "practice", "phone", "fax"]
    list_filter = ["credentials"]
    search_fields = ["name", "npi", "practice", "phone"]


class ReferralForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        referred_on, expires_on = cleaned.get("referred_on"), cleaned.get("expires_on")
        if referred_on and expires_on and expires_on < referred_on:
            self.add_error("expires_on", "A referral cannot expire before its date.")
        if cleaned.get("visits_authorized") == 0:
            self.add_error(
                "visits_authorized", "A referral authorizes at least 1 visit."
            )
        return cleaned


class ReferralCurrentListFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "current"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "Not expired"), ("no", "Expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = clinic_today()
        if self.value() == "yes":
            return queryset.filter(expires_on__gte=today)
        if self.value() == "no":
            return queryset.filter(expires_on__lt=today)
        return queryset


@admin.register(Referral)
class ReferralAdmin(_AuditedClinicalAdmin):
    form = ReferralForm
    list_display = [
        "client",
        "provider",
        "referred_on",
        "diagnosis",
        "frequency_display",
        "visits_authorized",
        "expires_on",
    ]
    list_filter = [ReferralCurrentListFilter, "provider__credentials"]
    list_select_related = ["client", "provider"]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "provider__name",
        "provider__npi",
        "diagnosis_text",
    ]
    date_hierarchy = "referred_on"
    autocomplete_fields = ["client", "provider", "prescribed_modalities"]
    str_select_related = ("client", "provider")
    readonly_fields = ["created_at"]
    fieldsets = [
        (None, {"fields": ["client", "provider", "referred_on", "expires_on"]}),
        ("Diagnosis", {"fields": ["diagnosis_codes", "diagnosis_text"]}),
        (
            "Prescription",
            {
                "fields": [
                    "prescribed_modalities",
                    "prescribed_cpt_codes",
                    "body_areas",
                    ("visits_per_week", "duration_weeks", "session_minutes"),
                    "visits_authorized",
                    "precautions",
                ]
            },
        ),
        ("Document", {"fields": ["document", "created_at"]}),
    ]

    @admin.display(description="diagnosis")
    def diagnosis(self, obj: Referral) -> str:
        return f"{', '.join(obj.diagnosis_codes)} {obj.diagnosis_text}"

    @admin.display(description="frequency")
    def frequency_display(self, obj: Referral) -> str:
        return obj.frequency_display


@admin.register(Payer)
class PayerAdmin(ClinicModelAdmin):
    list_display = ["name", "phone", "billing_unit_rule", "refused_codes"]
    list_filter = ["billing_unit_rule"]
    search_fields = ["name"]

    @admin.display(description="refused CPT codes")
    def refused_codes(self, obj: Payer) -> str:
        return ", ".join(obj.refused_cpt_codes)


class AuthorizationForm(forms.ModelForm):
    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if (
            cleaned.get("visits_authorized") is None
            and cleaned.get("units_authorized") is None
        ):
            self.add_error(
                "visits_authorized",
                "Give the visits or the units authorized (or both).",
            )
        valid_from, valid_to = cleaned.get("valid_from"), cleaned.get("valid_to")
        if valid_from and valid_to and valid_to < valid_from:
            self.add_error("valid_to", "The authorization cannot end before it starts.")
        return cleaned


class AuthorizationInline(ClinicalRecordInline):
    model = Authorization
    form = AuthorizationForm
    fields = [
        "number",
        "referral",
        "visits_authorized",
        "units_authorized",
        "valid_from",
        "valid_to",
    ]
    autocomplete_fields = ["referral"]


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(_AuditedClinicalAdmin):
    list_display = [
        "client",
        "payer",
        "member_id",
        "group_number",
        "subscriber_name",
        "is_active",
    ]
    list_filter = ["is_active", "payer"]
    list_select_related = ["client", "payer"]
    search_fields = [
        "client__first_name",
        "client__last_name",
        "member_id",
        "group_number",
        "payer__name",
    ]
    autocomplete_fields = ["client", "payer"]
    str_select_related = ("client", "payer")
    inlines = [AuthorizationInline]

    def save_formset(
        self, request: HttpRequest, form: Any, formset: Any, change: bool
    ) -> None:
        super().save_formset(request, form, formset, change)
        for inline_form in formset.forms:
            saved = inline_form.instance
            if saved.pk is None or inline_form in formset.deleted_forms:
                continue
            is_new = saved in formset.new_objects
            if is_new or inline_form.has_changed():
                _audit_admin_save(
                    request, saved, inline_form, not is_new, saved.policy.client_id
                )


@admin.register(Authorization)
class AuthorizationAdmin(_AuditedClinicalAdmin):
    form = AuthorizationForm
    list_display = [
        "number",
        "client",
        "payer",
        "valid_from",
        "valid_to",
        "visits_authorized",
        "visits_used",
        "units_authorized",
    ]
    list_filter = ["policy__payer", "valid_to"]
    list_select_related = ["policy__client", "policy__payer"]
    search_fields = [
        "number",
        "policy__member_id",
        "policy__client__first_name",
        "policy__client__last_name",
    ]
    date_hierarchy = "valid_from"
    autocomplete_fields = ["policy", "referral"]

    def audited_client_id(self, obj: Authorization) -> int:
        return obj.policy.client_id

    def get_queryset(self, request: HttpRequest) -> QuerySet[Authorization]:
        # Used visits are derived, never typed in: the same count as the
        # authorization pages (visits with a signed note), from the one selector.
        return with_used_visits(super().get_queryset(request))

    @admin.display(description="client", ordering="policy__client__last_name")
    def client(self, obj: Authorization) -> str:
        return str(obj.policy.client)

    @admin.display(description="payer", ordering="policy__payer__name")
    def payer(self, obj: Authorization) -> str:
        return obj.policy.payer.name

    @admin.display(description="visits used", ordering="used_visits")
    def visits_used(self, obj: Authorization) -> int:
        return obj.used_visits


@admin.register(IntakeInvitation)
class IntakeInvitationAdmin(ClinicalRecordAdmin):
    """Intake links are made from the chart; here they are only looked up."""

    list_display = ["client", "created_at", "created_by", "expires_at", "used_at"]
    list_select_related = ["client", "created_by"]
    search_fields = ["client__first_name", "client__last_name", "sent_to"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "client",
        "created_at",
        "created_by",
        "expires_at",
        "sent_to",
        "used_at",
        "history",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
