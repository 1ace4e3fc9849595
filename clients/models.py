"""Clients and their clinical background: history, safety flags, referrals, insurance."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Lower

from massageclinic.choices import BodyRegion, Pressure
from massageclinic.models import BillingUnitRule, Location
from massageclinic.validators import (
    validate_clinic_date,
    validate_cpt,
    validate_icd10,
    validate_npi,
)
from therapists.models import Modality, Therapist


class Client(models.Model):
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    preferred_name = models.CharField(max_length=80, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    pronouns = models.CharField(max_length=30, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField("home address", max_length=200, blank=True)
    address_line2 = models.CharField(
        "home address (line 2)", max_length=200, blank=True
    )
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=50, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    workplace_name = models.CharField(max_length=120, blank=True)
    workplace_address = models.CharField(max_length=250, blank=True)
    emergency_contact_name = models.CharField(max_length=120, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    email_reminders = models.BooleanField(
        default=True,
        help_text="The client receives confirmations and reminders by email.",
    )
    preferred_location = models.ForeignKey(
        Location, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    preferred_therapist = models.ForeignKey(
        Therapist, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    preferences = models.TextField(
        blank=True,
        help_text="Non-clinical preferences: music, temperature, talk or quiet.",
    )
    archived_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Archived clients are hidden; their records are kept.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The phone's digits, kept by the database: "(518) 555-0101" and
    # "+1 518.555.0101" narrow to the same rows when looking for duplicates.
    phone_digits = models.GeneratedField(
        expression=Func(
            F("phone"), Value(r"\D"), Value(""), Value("g"), function="REGEXP_REPLACE"
        ),
        output_field=models.CharField(max_length=30),
        db_persist=True,
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["email"]),
            models.Index(fields=["phone"]),
            models.Index(fields=["date_of_birth"], name="client_birth_date"),
            models.Index(fields=["phone_digits"], name="client_phone_digits"),
            models.Index(Lower("email"), name="client_email_lower"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return self.name_of(self.first_name, self.last_name)

    @staticmethod
    def name_of(first_name: str, last_name: str) -> str:
        """A client's name as every page writes it (also from values read alone)."""
        return f"{first_name} {last_name}"

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def home_address(self) -> str:
        parts = [
            self.address_line1,
            self.address_line2,
            f"{self.city} {self.state} {self.postal_code}".strip(),
        ]
        return ", ".join(p for p in parts if p)


class IntakeCondition(models.TextChoices):
    """The checklist of common conditions on the intake form."""

    LOW_BACK_PAIN = "low_back_pain", "Low back pain"
    NECK_PAIN = "neck_pain", "Neck pain"
    HEADACHES = "headaches", "Headaches or migraines"
    TMJ = "tmj", "TMJ (jaw) disorder"
    CARPAL_TUNNEL = "carpal_tunnel", "Carpal tunnel syndrome"
    FROZEN_SHOULDER = "frozen_shoulder", "Frozen shoulder"
    TENDONITIS = "tendonitis", "Tendonitis"
    FIBROMYALGIA = "fibromyalgia", "Fibromyalgia"
    OSTEOARTHRITIS = "osteoarthritis", "Osteoarthritis"
    WHIPLASH = "whiplash", "Whiplash"
    SPRAINS_STRAINS = "sprains_strains", "Sprains and strains"
    POST_OPERATIVE = "post_operative", "Post-operative pain"
    CANCER = "cancer", "Cancer or cancer treatment"
    NEUROPATHY = "neuropathy", "Neuropathy"
    HYPERTENSION = "hypertension", "High blood pressure"


class MedicalHistory(models.Model):
    """One submitted intake form. Each submission is a new version; none is edited."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="histories"
    )
    version = models.PositiveIntegerField()
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the client filled it in through their link.",
    )
    chief_complaint = models.TextField()
    pain_areas = ArrayField(
        models.CharField(max_length=30, choices=BodyRegion.choices),
        default=list,
        blank=True,
    )
    pain_level = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    onset = models.CharField(
        max_length=200, blank=True, help_text="When and how it started."
    )
    conditions = ArrayField(
        models.CharField(max_length=30, choices=IntakeCondition.choices),
        default=list,
        blank=True,
    )
    other_conditions = models.TextField(blank=True)
    medications = models.TextField(blank=True)
    allergies = models.TextField(
        blank=True, help_text="Including oils, lotions and latex."
    )
    allergic_to_oils = models.BooleanField(default=False)
    surgeries = models.JSONField(
        default=list, blank=True, help_text='A list of {"procedure", "date", "site"}.'
    )
    pregnant = models.BooleanField(default=False)
    pregnancy_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(42)]
    )
    takes_anticoagulants = models.BooleanField("takes anticoagulants", default=False)
    clotting_disorder = models.BooleanField(default=False)
    dvt_history = models.BooleanField("history of DVT", default=False)
    long_term_corticosteroids = models.BooleanField(default=False)
    fragile_skin = models.BooleanField(
        default=False, help_text="Skin that tears or bruises easily."
    )
    skin_conditions = models.TextField(blank=True)
    implanted_devices = models.TextField(
        blank=True, help_text="Pacemaker, port, pump, implants."
    )
    goals = models.TextField(blank=True)
    consent_name = models.CharField(
        "consent signed by (typed name)",
        max_length=160,
    )
    consent_signed_at = models.DateTimeField()

    class Meta:
        ordering = ["client", "-version"]
        verbose_name = "intake / medical history"
        verbose_name_plural = "intakes / medical histories"
        get_latest_by = "version"
        constraints = [
            models.UniqueConstraint(
                fields=["client", "version"], name="history_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(pain_level__isnull=True)
                | Q(pain_level__gte=0, pain_level__lte=10),
                name="history_pain_0_to_10",
            ),
            models.CheckConstraint(
                condition=Q(pregnancy_weeks__isnull=True)
                | Q(pregnant=True, pregnancy_weeks__gte=1, pregnancy_weeks__lte=42),
                name="history_pregnancy_weeks_only_when_pregnant",
            ),
            models.CheckConstraint(
                condition=Q(version__gte=1), name="history_version_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} history v{self.version} ({self.submitted_at:%Y-%m-%d})"


class Severity(models.TextChoices):
    ABSOLUTE = "absolute", "Absolute: no massage until a physician clears it"
    REGIONAL = "regional", "Regional: avoid an area"
    MODIFY = "modify", "Modify: allowed with changes"


class Condition(models.Model):
    """A condition that can make massage unsafe, with its default severity."""

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120, unique=True)
    default_severity = models.CharField(max_length=10, choices=Severity.choices)
    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class RuleAction(models.TextChoices):
    """What a rule says; `clients.safety` turns it into one of the four outcomes."""

    NEEDS_CLEARANCE = "needs_clearance", "No massage until cleared by a physician"
    AVOID_MODALITY = "avoid_modality", "Not this technique"
    AVOID_AREA = "avoid_area", "Allowed, avoiding the affected area"
    MODIFY = "modify", "Allowed with changes (pressure, positioning)"


class ContraindicationRule(models.Model):
    """Condition x modality -> action. An empty modality means every modality."""

    condition = models.ForeignKey(
        Condition, on_delete=models.CASCADE, related_name="rules"
    )
    modality = models.ForeignKey(
        Modality,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="contraindication_rules",
    )
    action = models.CharField(max_length=20, choices=RuleAction.choices)
    pressure_limit = models.CharField(
        max_length=10, choices=Pressure.choices, blank=True
    )
    positioning = models.CharField(max_length=200, blank=True)
    area = models.CharField(
        max_length=200, blank=True, help_text="Area to avoid, if any."
    )
    body_regions = ArrayField(
        models.CharField(max_length=30, choices=BodyRegion.choices),
        blank=True,
        default=list,
        help_text="The body regions the area to avoid covers: treating one of them "
        "is not allowed (the safety decision's 'not here').",
    )
    headline = models.CharField(
        max_length=120,
        help_text='Shown on the calendar, e.g. "no deep tissue: anticoagulant".',
    )
    from_week = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Applies from this many weeks after the flag's onset "
        "(pregnancy: weeks pregnant; surgery: weeks since it). Empty: from the onset.",
    )
    until_week = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Applies until this many weeks after the onset (not included). "
        "Empty: for as long as the flag is open.",
    )
    description = models.TextField(
        blank=True, help_text="Why, and the clinical source the rule follows."
    )

    class Meta:
        ordering = ["condition__name", "modality__name", "from_week"]
        constraints = [
            models.UniqueConstraint(
                fields=["condition", "modality", "action", "from_week"],
                nulls_distinct=False,
                name="contraindication_rule_unique",
            ),
            models.CheckConstraint(
                condition=Q(from_week__isnull=True)
                | Q(until_week__isnull=True)
                | Q(until_week__gt=F("from_week")),
                name="contraindication_rule_weeks_in_order",
            ),
        ]

    def __str__(self) -> str:
        return self.headline


class FlagSource(models.TextChoices):
    INTAKE = "intake", "From the intake form"
    STAFF = "staff", "Added by staff"
    REFERRAL = "referral", "From a referral's precautions"


class Contraindication(models.Model):
    """A safety flag on a client."""

    # Its condition's rules, given by the flags' load from the kept reference data
    # (`clients.safety.rules_of` reads them); not a column.
    condition_rules: list[ContraindicationRule]

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="contraindications"
    )
    condition = models.ForeignKey(
        Condition, on_delete=models.PROTECT, related_name="flags"
    )
    severity = models.CharField(max_length=10, choices=Severity.choices)
    body_region = models.CharField(
        max_length=30, choices=BodyRegion.choices, blank=True
    )
    detail = models.CharField(max_length=250, blank=True)
    onset_on = models.DateField(
        null=True, blank=True, validators=[validate_clinic_date]
    )
    recheck_on = models.DateField(
        null=True, blank=True, validators=[validate_clinic_date]
    )
    source = models.CharField(
        max_length=10, choices=FlagSource.choices, default=FlagSource.STAFF
    )
    history = models.ForeignKey(
        MedicalHistory,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="flags",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.CharField(max_length=250, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cleared_on = models.DateField(
        null=True,
        blank=True,
        help_text="Physician clearance date.",
        validators=[validate_clinic_date],
    )
    cleared_by_physician = models.CharField(max_length=160, blank=True)
    clearance_conditions = models.CharField(
        max_length=250,
        blank=True,
        help_text='What the physician cleared and on what terms, e.g. "light '
        'pressure only, no work on the left calf".',
    )
    clearance_expires_on = models.DateField(
        null=True,
        blank=True,
        help_text="The clearance no longer holds after this date.",
        validators=[validate_clinic_date],
    )
    clearance_document = models.FileField(upload_to="clearances/%Y/", blank=True)
    superseded_by = models.ForeignKey(
        "MedicalHistory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="superseded_flags",
        help_text="The newer history that no longer called for this intake flag.",
    )
    clearance_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["client", "severity", "condition__name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cleared_on__isnull=True) | ~Q(cleared_by_physician=""),
                name="contraindication_clearance_names_physician",
            ),
            models.CheckConstraint(
                condition=Q(resolved_at__isnull=True)
                | Q(resolved_by__isnull=False)
                | Q(superseded_by__isnull=False),
                name="contraindication_resolution_records_who",
            ),
            models.CheckConstraint(
                condition=Q(clearance_expires_on__isnull=True)
                | Q(clearance_expires_on__gte=F("cleared_on")),
                name="contraindication_clearance_expires_after_it_starts",
            ),
        ]
        indexes = [models.Index(fields=["client", "resolved_at"])]

    def __str__(self) -> str:
        return f"{self.client}: {self.condition} ({self.severity})"

    @property
    def is_active(self) -> bool:
        return self.resolved_at is None

    def needs_recheck_on(self, day: date) -> bool:
        return self.recheck_on is not None and self.recheck_on <= day


class HistoryReview(models.Model):
    """A therapist's review of what a client wrote as text in a history: conditions
    under "other", or a change of medications. The rules cannot read text, so until
    a therapist turns it into flags or marks it harmless, the chart and the home page
    say that it needs a therapist's review."""

    class Outcome(models.TextChoices):
        HARMLESS = "harmless", "Harmless: no flag is needed"
        FLAGGED = "flagged", "Flagged: the safety flags it needs are on the chart"

    history = models.OneToOneField(
        MedicalHistory, on_delete=models.PROTECT, related_name="review"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField()
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["-reviewed_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=["harmless", "flagged"]),
                name="history_review_outcome_known",
            ),
            models.CheckConstraint(
                condition=~Q(outcome="harmless") | ~Q(note=""),
                name="history_review_harmless_says_why",
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.history}: {self.get_outcome_display()}"


class ModificationPlan(models.Model):
    """A licensed therapist's plan to use a technique the rules rule out for a client.

    While it is in force (from `starts_on` to `ends_on`, not withdrawn) the safety
    decision for this client and technique is "safe with a modification" (the plan's
    changes) instead of "not this technique". It never lifts "no massage": only a
    physician's clearance does.
    """

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="modification_plans"
    )
    modality = models.ForeignKey(Modality, on_delete=models.PROTECT, related_name="+")
    changes = models.CharField(
        max_length=250,
        help_text='What changes, e.g. "light pressure, no friction over the shins".',
    )
    reason = models.TextField(help_text="Why this technique is right for this client.")
    starts_on = models.DateField(validators=[validate_clinic_date])
    ends_on = models.DateField(validators=[validate_clinic_date])
    clearance_document = models.FileField(
        upload_to="modification-plans/%Y/",
        blank=True,
        help_text="A physician's clearance, if there is one.",
    )
    therapist = models.ForeignKey(
        Therapist, on_delete=models.PROTECT, related_name="modification_plans"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["client", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")),
                name="modification_plan_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=Q(withdrawn_at__isnull=True) | Q(withdrawn_by__isnull=False),
                name="modification_plan_withdrawal_records_who",
            ),
        ]
        indexes = [models.Index(fields=["client", "modality", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.client}: {self.modality} with changes until {self.ends_on}"

    def in_force_on(self, day: date) -> bool:
        return self.withdrawn_at is None and self.starts_on <= day <= self.ends_on


class IntakeInvitation(models.Model):
    """A signed link that lets one client fill in their intake form without logging in.

    The link carries this row's id, signed; the row says whose form it is, until when
    it may be used, and whether it was used. A used or expired link changes nothing.
    """

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="intake_invitations"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    expires_at = models.DateTimeField()
    sent_to = models.EmailField(blank=True)
    used_at = models.DateTimeField(null=True, blank=True)
    history = models.OneToOneField(
        "MedicalHistory",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="invitation",
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(history__isnull=False),
                name="intake_invitation_used_with_history",
            ),
        ]

    def __str__(self) -> str:
        return f"Intake link for {self.client} (until {self.expires_at:%Y-%m-%d %H:%M})"


class ReferringProvider(models.Model):
    name = models.CharField(max_length=160)
    credentials = models.CharField(max_length=40, help_text="MD, DO, DC, NP, PA...")
    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    practice = models.CharField(max_length=160, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    fax = models.CharField(max_length=30, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name}, {self.credentials}"


class Referral(models.Model):
    """A physician's prescription for massage therapy."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="referrals"
    )
    provider = models.ForeignKey(
        ReferringProvider, on_delete=models.PROTECT, related_name="referrals"
    )
    referred_on = models.DateField(validators=[validate_clinic_date])
    diagnosis_codes = ArrayField(
        models.CharField(max_length=8, validators=[validate_icd10]),
        help_text="ICD-10-CM codes, e.g. M54.50, S13.4XXA.",
    )
    diagnosis_text = models.CharField(max_length=250)
    prescribed_modalities = models.ManyToManyField(
        Modality, blank=True, related_name="referrals"
    )
    prescribed_cpt_codes = ArrayField(
        models.CharField(max_length=5, validators=[validate_cpt]),
        default=list,
        blank=True,
    )
    body_areas = ArrayField(
        models.CharField(max_length=30, choices=BodyRegion.choices),
        default=list,
        blank=True,
    )
    visits_per_week = models.PositiveSmallIntegerField(default=1)
    duration_weeks = models.PositiveSmallIntegerField(default=6)
    session_minutes = models.PositiveSmallIntegerField(default=60)
    visits_authorized = models.PositiveSmallIntegerField()
    expires_on = models.DateField(validators=[validate_clinic_date])
    precautions = models.TextField(blank=True)
    document = models.FileField(upload_to="referrals/%Y/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["client", "-referred_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visits_authorized__gte=1), name="referral_visits_positive"
            ),
            models.CheckConstraint(
                condition=Q(expires_on__gte=F("referred_on")),
                name="referral_expires_after_date",
            ),
            models.CheckConstraint(
                condition=Q(
                    visits_per_week__gte=1,
                    duration_weeks__gte=1,
                    session_minutes__gte=15,
                ),
                name="referral_frequency_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {', '.join(self.diagnosis_codes)} from {self.provider.name} ({self.referred_on})"

    @property
    def frequency_display(self) -> str:
        return f"{self.visits_per_week}x/week for {self.duration_weeks} weeks"


class Payer(models.Model):
    name = models.CharField(max_length=120, unique=True)
    phone = models.CharField(max_length=30, blank=True)
    billing_unit_rule = models.CharField(
        max_length=20,
        choices=BillingUnitRule.choices,
        blank=True,
        help_text="Empty: the clinic's rule.",
    )
    refused_cpt_codes = ArrayField(
        models.CharField(max_length=5, validators=[validate_cpt]),
        default=list,
        blank=True,
        help_text="Codes this payer does not accept from massage therapists (e.g. 97140).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InsurancePolicy(models.Model):
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="insurance_policies"
    )
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="policies")
    member_id = models.CharField(max_length=60)
    group_number = models.CharField(max_length=60, blank=True)
    subscriber_name = models.CharField(max_length=160, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["client", "payer__name"]
        verbose_name_plural = "insurance policies"
        constraints = [
            models.UniqueConstraint(
                fields=["payer", "member_id"], name="policy_member_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client}: {self.payer} #{self.member_id}"


class Authorization(models.Model):
    """An insurer's authorization: visits and/or units within dates.

    Used visits and units are derived from completed visits, never typed in.
    """

    policy = models.ForeignKey(
        InsurancePolicy, on_delete=models.PROTECT, related_name="authorizations"
    )
    referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="authorizations",
    )
    number = models.CharField("authorization number", max_length=60)
    visits_authorized = models.PositiveSmallIntegerField(null=True, blank=True)
    units_authorized = models.PositiveSmallIntegerField(null=True, blank=True)
    valid_from = models.DateField(validators=[validate_clinic_date])
    valid_to = models.DateField(validators=[validate_clinic_date])

    class Meta:
        ordering = ["policy", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(visits_authorized__isnull=False)
                | Q(units_authorized__isnull=False),
                name="authorization_counts_something",
            ),
            models.CheckConstraint(
                condition=Q(valid_from__lte=F("valid_to")),
                name="authorization_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["policy", "number"], name="authorization_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"Auth {self.number} ({self.valid_from} to {self.valid_to})"


class ClientMerge(models.Model):
    """One record folded into another: which rows moved, so it can be undone.

    Until a manager confirms it, undoing moves exactly the rows listed in `moved`
    back and restores the duplicate as it was. `moved` maps "app_label.Model.field"
    to the primary keys of the rows whose `field` pointed at the duplicate.
    `history_versions` keeps the medical histories' numbers from before the merge.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Merged (can be undone)"
        CONFIRMED = "confirmed", "Confirmed"
        UNDONE = "undone", "Undone"

    kept = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    duplicate = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="+")
    moved = models.JSONField(default=dict, blank=True)
    history_versions = models.JSONField(
        default=dict,
        blank=True,
        help_text="The version each medical history had before the merge numbered "
        "both records' histories by date (history pk -> version), for undo.",
    )
    duplicate_archived_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the duplicate had been archived before the merge, if it was.",
    )
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    merged_at = models.DateTimeField()
    settled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who confirmed or undid the merge.",
    )
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-merged_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kept=F("duplicate")),
                name="client_merge_two_records",
            ),
            models.UniqueConstraint(
                fields=["duplicate"],
                condition=~Q(status="undone"),
                name="client_merge_once_per_duplicate",
            ),
        ]

    def __str__(self) -> str:
        return f"Client #{self.duplicate_id} merged into #{self.kept_id}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING


# Models kept in their own modules, loaded with the app's models.
from clients.imports.models import (  # noqa: E402, F401
    ClientImport,
    ClientImportRow,
)
