"""Admin for clients and their clinical background.

Clinical records (client, history, flags, referrals, insurance) are never
hard-deleted; an intake version never changes once submitted. Clients, flags,
referrals, policies and authorizations are listed and viewed here and written on
their pages, by the services with the rules and the audit trail; each view page
links to its page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString

from clients.client_services import client_archive, client_unarchive
from clients.models import (
    Authorization,
    Client,
    ClientMerge,
    Condition,
    Contraindication,
    ContraindicationRule,
    HistoryReview,
    InsurancePolicy,
    IntakeInvitation,
    MedicalHistory,
    ModificationPlan,
    Payer,
    Referral,
    ReferringProvider,
)
from clients.referral_selectors import with_used_visits
from massageclinic.admin import (
    AuditedHealthRecordAdmin,
    ClinicalRecordAdmin,
    ClinicalRecordInline,
    ClinicModelAdmin,
    ClinicTabularInline,
    ViewedHereWrittenOnItsPage,
    ViewedHereWrittenOnItsPageInline,
    its_page_link,
)
from massageclinic.audit import AuditContext
from massageclinic.models import clinic_today


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


class _WrittenOnItsPageAdmin(ViewedHereWrittenOnItsPage, ClinicalRecordAdmin):
    """A clinical record viewed here; its page writes it, through its service."""

    def its_page_url(self, obj: Any) -> str:
        raise NotImplementedError

    @admin.display(description="its page")
    def its_page(self, obj: Any) -> SafeString:
        return its_page_link(self.its_page_url(obj))


@admin.register(Client)
class ClientAdmin(AuditedHealthRecordAdmin, _WrittenOnItsPageAdmin):
    """Registered and edited on the client pages (client_create, client_update);
    archived and restored there or by this list's actions, which call the services."""

    health_client = "pk"

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
    readonly_fields = ["its_page", "archived_at", "created_at", "updated_at"]
    actions = ["archive", "restore"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "its_page",
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

    def its_page_url(self, obj: Client) -> str:
        return reverse("clients:edit", args=[obj.pk])

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
class MedicalHistoryAdmin(AuditedHealthRecordAdmin, ClinicalRecordAdmin):
    """Viewed only: a submitted version never changes.

    A new version is submitted on the client's chart or through their intake link,
    by the intake service (history_submit), which numbers it and raises the safety
    flags it calls for.
    """

    # Metadata only: the answers are read on the record's page, which is audited.
    list_display = ["client", "version", "submitted_at", "submitted_by"]
    list_select_related = ["client", "submitted_by"]
    search_fields = ["client__first_name", "client__last_name", "client__email"]
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
    fields = [
        "modality",
        "action",
        "pressure_limit",
        "positioning",
        "area",
        "body_regions",
        "from_week",
        "until_week",
        "headline",
    ]


@admin.register(Condition)
class ConditionAdmin(ClinicModelAdmin):
    list_display = ["name", "slug", "default_severity"]
    list_filter = ["default_severity"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [ContraindicationRuleInline]


@admin.register(ContraindicationRule)
class ContraindicationRuleAdmin(ClinicModelAdmin):
    list_display = [
        "headline",
        "condition",
        "modality",
        "action",
        "pressure_limit",
        "from_week",
        "until_week",
    ]
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
class ContraindicationAdmin(AuditedHealthRecordAdmin, _WrittenOnItsPageAdmin):
    """Flags are added, edited, cleared and resolved on the client's safety flags
    (contraindication_add, _update, _clear, _resolve).

    The list is metadata only: whose flag, when it was added and resolved, and by
    whom. The condition, its severity and body region are health detail, read on the
    flag's own page (an audited read); the list neither shows them nor is searched
    or filtered by them, which would tell who has a condition without an audit row.
    """

    list_display = [
        "client",
        "created_at",
        "created_by",
        "is_active",
        "resolved_at",
        "resolved_by",
    ]
    list_filter = [ActiveFlagListFilter]
    list_select_related = ["client", "created_by", "resolved_by"]
    search_fields = ["client__first_name", "client__last_name"]
    # Django lets the address filter by any field of the model (?condition=3):
    # here only by the listed metadata (and the active filter's own parameter).
    listed_lookups = (
        ActiveFlagListFilter.parameter_name,
        "client",
        "created_at",
        "created_by",
        "resolved_at",
        "resolved_by",
    )
    date_hierarchy = "created_at"
    autocomplete_fields = ["client", "condition", "history"]
    readonly_fields = [
        "its_page",
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
                    "its_page",
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
                    "clearance_conditions",
                    "clearance_expires_on",
                    "clearance_document",
                    "clearance_recorded_by",
                ]
            },
        ),
        (
            "Resolution",
            {
                "fields": [
                    "resolved_at",
                    "resolution_note",
                    "resolved_by",
                    "superseded_by",
                ]
            },
        ),
    ]

    @admin.display(description="active", boolean=True, ordering="resolved_at")
    def is_active(self, obj: Contraindication) -> bool:
        return obj.is_active

    def its_page_url(self, obj: Contraindication) -> str:
        return reverse("clients:flag_edit", args=[obj.client_id, obj.pk])

    @admin.display(description="its page")
    def its_page(self, obj: Contraindication) -> SafeString:
        if obj.resolved_at is not None:
            # A resolved flag is not edited; a new one is added on the flags list.
            return its_page_link(
                reverse("clients:history", args=[obj.client_id]) + "#flags",
                "Resolved: add a new flag on the client's safety flags",
            )
        return its_page_link(self.its_page_url(obj))


@admin.register(ReferringProvider)
class ReferringProviderAdmin(ClinicModelAdmin):
    list_display = ["name", "credentials", "npi", "practice", "phone", "fax"]
    list_filter = ["credentials"]
    search_fields = ["name", "npi", "practice", "phone"]


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
class ReferralAdmin(AuditedHealthRecordAdmin, _WrittenOnItsPageAdmin):
    """Recorded and edited on the client's referrals (referral_create, _update)."""

    list_display = [
        "client",
        "provider",
        "referred_on",
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
    ]
    date_hierarchy = "referred_on"
    autocomplete_fields = ["client", "provider", "prescribed_modalities"]
    str_select_related = ("client", "provider")
    readonly_fields = ["its_page", "created_at"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "its_page",
                    "client",
                    "provider",
                    "referred_on",
                    "expires_on",
                ]
            },
        ),
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

    def its_page_url(self, obj: Referral) -> str:
        return reverse("clients:referral_edit", args=[obj.client_id, obj.pk])

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


class AuthorizationInline(ViewedHereWrittenOnItsPageInline, ClinicalRecordInline):
    """The policy's authorizations, each with a link to its page."""

    model = Authorization
    fields = [
        "number",
        "referral",
        "visits_authorized",
        "units_authorized",
        "valid_from",
        "valid_to",
        "its_page",
    ]
    readonly_fields = ["its_page"]

    @admin.display(description="its page")
    def its_page(self, obj: Authorization) -> SafeString:
        return its_page_link(
            reverse("clients:authorization_edit", args=[obj.policy.client_id, obj.pk])
        )


@admin.register(InsurancePolicy)
class InsurancePolicyAdmin(AuditedHealthRecordAdmin, _WrittenOnItsPageAdmin):
    """Added on the client's referrals and insurance (insurance_policy_create), where
    its authorizations are added and edited too."""

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
    readonly_fields = ["its_page"]
    fields = [
        "its_page",
        "client",
        "payer",
        "member_id",
        "group_number",
        "subscriber_name",
        "is_active",
    ]
    inlines = [AuthorizationInline]

    def its_page_url(self, obj: InsurancePolicy) -> str:
        return reverse("clients:policy_edit", args=[obj.client_id, obj.pk])

    @admin.display(description="its page")
    def its_page(self, obj: InsurancePolicy) -> SafeString:
        return its_page_link(self.its_page_url(obj), "Change this on its page")


@admin.register(Authorization)
class AuthorizationAdmin(AuditedHealthRecordAdmin, _WrittenOnItsPageAdmin):
    """Recorded and edited on the client's referrals and insurance
    (authorization_create, _update)."""

    health_client = "policy.client_id"

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
    readonly_fields = ["its_page", "visits_used"]
    fields = [
        "its_page",
        "policy",
        "referral",
        "number",
        ("visits_authorized", "visits_used"),
        "units_authorized",
        ("valid_from", "valid_to"),
    ]

    def its_page_url(self, obj: Authorization) -> str:
        return reverse(
            "clients:authorization_edit", args=[obj.policy.client_id, obj.pk]
        )

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


@admin.register(ModificationPlan)
class ModificationPlanAdmin(AuditedHealthRecordAdmin, _WrittenOnItsPageAdmin):
    """Therapists record and withdraw plans in the Modification plans section of the
    client's chart (modification_plan_record, modification_plan_withdraw)."""

    list_display = [
        "client",
        "modality",
        "starts_on",
        "ends_on",
        "therapist",
        "withdrawn_at",
    ]
    list_filter = ["modality", "ends_on"]
    list_select_related = ["client", "modality", "therapist__user"]
    search_fields = ["client__first_name", "client__last_name"]
    date_hierarchy = "recorded_at"
    autocomplete_fields = ["client", "therapist"]
    readonly_fields = ["its_page", "recorded_at", "withdrawn_at", "withdrawn_by"]
    fields = [
        "its_page",
        "client",
        "modality",
        "changes",
        "reason",
        ("starts_on", "ends_on"),
        "clearance_document",
        "therapist",
        "recorded_at",
        ("withdrawn_at", "withdrawn_by"),
    ]

    def its_page_url(self, obj: ModificationPlan) -> str:
        return reverse("clients:detail", args=[obj.client_id]) + "#modification-plans"


@admin.register(HistoryReview)
class HistoryReviewAdmin(AuditedHealthRecordAdmin, _WrittenOnItsPageAdmin):
    """Therapists review what a history says in words on its review page, reached
    from the chart (history_review_record)."""

    health_client = "history.client_id"

    list_display = ["history", "outcome", "reviewed_by", "reviewed_at"]
    list_filter = ["outcome"]
    list_select_related = ["history__client", "reviewed_by"]
    search_fields = ["history__client__first_name", "history__client__last_name"]
    date_hierarchy = "reviewed_at"
    readonly_fields = ["its_page"]
    fields = ["its_page", "history", "outcome", "note", "reviewed_by", "reviewed_at"]

    def its_page_url(self, obj: HistoryReview) -> str:
        return reverse(
            "clients:history_review", args=[obj.history.client_id, obj.history_id]
        )


@admin.register(ClientMerge)
class ClientMergeAdmin(ViewedHereWrittenOnItsPage, ClinicalRecordAdmin):
    """Merges are listed here; made, undone and confirmed only on the chart, by a
    manager (clients.merge), which checks the conflicts and writes the audit rows."""

    list_display = ["__str__", "status", "merged_by", "merged_at", "settled_at"]
    list_filter = ["status"]
    list_select_related = ["merged_by"]
    readonly_fields = [
        "kept",
        "duplicate",
        "status",
        "moved",
        "duplicate_archived_at",
        "merged_by",
        "merged_at",
        "settled_by",
        "settled_at",
    ]


# The imports' pages of the admin, kept with the import (registered on import).
from clients.imports import admin as _imports_admin  # noqa: E402, F401
