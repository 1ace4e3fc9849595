"""Treatment: plans with goals, SOAP notes with techniques and addenda, progress reports."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import (
    ArrayField,
)
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from clients.models import Client, Referral
from massageclinic.choices import BodyRegion, Pressure
from massageclinic.validators import validate_clinic_date, validate_icd10
from sessions.models.scheduling import Appointment
from therapists.models import Modality, Therapist


class TreatmentPlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        COMPLETED = "completed", "Completed"
        DISCONTINUED = "discontinued", "Discontinued"

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="treatment_plans"
    )
    therapist = models.ForeignKey(
        Therapist, on_delete=models.PROTECT, related_name="treatment_plans"
    )
    referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="treatment_plans",
    )
    problems = ArrayField(
        models.CharField(max_length=8, validators=[validate_icd10]),
        default=list,
        blank=True,
        help_text="ICD-10-CM codes, usually from the referral.",
    )
    planned_modalities = models.ManyToManyField(
        Modality, blank=True, related_name="treatment_plans"
    )
    visits_per_week = models.PositiveSmallIntegerField(default=1)
    visits_planned = models.PositiveSmallIntegerField()
    session_minutes = models.PositiveSmallIntegerField(default=60)
    starts_on = models.DateField(validators=[validate_clinic_date])
    review_on = models.DateField(validators=[validate_clinic_date])
    status = models.CharField(
        max_length=15, choices=Status.choices, default=Status.DRAFT
    )
    discontinued_reason = models.CharField(max_length=250, blank=True)
    home_care_plan = models.TextField(
        blank=True, help_text="Stretches and self-care, with instructions."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["client", "-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    visits_planned__gte=1,
                    visits_per_week__gte=1,
                    session_minutes__gte=15,
                ),
                name="plan_counts_positive",
            ),
            models.CheckConstraint(
                condition=Q(review_on__gte=F("starts_on")),
                name="plan_review_after_start",
            ),
            models.CheckConstraint(
                condition=~Q(status="discontinued") | ~Q(discontinued_reason=""),
                name="plan_discontinued_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.client}: plan from {self.starts_on} ({self.get_status_display()})"
        )


class Goal(models.Model):
    class Measure(models.TextChoices):
        PAIN = "pain", "Pain (0-10)"
        RANGE_OF_MOTION = "rom", "Range of motion (degrees)"
        FUNCTION = "function", "Function score"
        TEXT = "text", "Free text"

    plan = models.ForeignKey(
        TreatmentPlan, on_delete=models.PROTECT, related_name="goals"
    )
    description = models.CharField(max_length=250)
    measure = models.CharField(max_length=10, choices=Measure.choices)
    unit = models.CharField(
        max_length=30, blank=True, help_text="e.g. /10, degrees, points."
    )
    movement = models.CharField(
        max_length=80,
        blank=True,
        help_text="For range of motion: e.g. right shoulder flexion.",
    )
    baseline = models.DecimalField(
        max_digits=6, decimal_places=1, null=True, blank=True
    )
    target = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    baseline_text = models.CharField(max_length=250, blank=True)
    target_text = models.CharField(max_length=250, blank=True)
    achieved_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(measure="text")
                | Q(baseline__isnull=False, target__isnull=False),
                name="goal_numeric_has_baseline_and_target",
            ),
            models.CheckConstraint(
                condition=~Q(measure="pain")
                | Q(baseline__gte=0, baseline__lte=10, target__gte=0, target__lte=10),
                name="goal_pain_0_to_10",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class SessionNote(models.Model):
    """The SOAP note of one visit. Draft until signed; a signed note never changes."""

    appointment = models.OneToOneField(
        Appointment, on_delete=models.PROTECT, related_name="note"
    )
    therapist = models.ForeignKey(
        Therapist, on_delete=models.PROTECT, related_name="notes"
    )
    # Subjective
    complaint = models.TextField(blank=True)
    pain_before = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    changes_since_last = models.TextField(blank=True)
    home_care_report = models.TextField(blank=True)
    # Objective
    findings = models.TextField(blank=True, help_text="Palpation, posture, tissue.")
    measures = models.JSONField(
        default=dict,
        blank=True,
        help_text="Goal measures taken this visit, by goal id.",
    )
    areas_treated = ArrayField(
        models.CharField(max_length=30, choices=BodyRegion.choices),
        default=list,
        blank=True,
    )
    pressure = models.CharField(max_length=10, choices=Pressure.choices, blank=True)
    # Assessment
    response = models.TextField(blank=True)
    pain_after = models.PositiveSmallIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(10)]
    )
    adverse_reactions = models.TextField(blank=True)
    # Plan
    next_focus = models.TextField(blank=True)
    home_care_given = models.TextField(blank=True)
    safety_acknowledgement = models.TextField(blank=True)
    # Signature
    signed_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    content_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-appointment__starts_at"]
        verbose_name = "SOAP note"
        constraints = [
            models.CheckConstraint(
                condition=Q(pain_before__isnull=True)
                | Q(pain_before__gte=0, pain_before__lte=10),
                name="note_pain_before_0_to_10",
            ),
            models.CheckConstraint(
                condition=Q(pain_after__isnull=True)
                | Q(pain_after__gte=0, pain_after__lte=10),
                name="note_pain_after_0_to_10",
            ),
            models.CheckConstraint(
                condition=Q(signed_at__isnull=True)
                | (
                    Q(signed_by__isnull=False)
                    & Q(content_sha256__regex=r"^[0-9a-f]{64}$")
                ),
                name="note_signature_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"Note for {self.appointment}"

    def save(self, *args, **kwargs) -> None:
        # Read-only everywhere once signed: the page, the service, this save() and,
        # underneath, a database trigger. Signing itself is the last allowed save.
        if (
            self.pk
            and SessionNote.objects.filter(pk=self.pk, signed_at__isnull=False).exists()
        ):
            raise ValidationError(
                "This note is signed and can no longer be changed. To correct or "
                "complete it, add an addendum."
            )
        super().save(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None


class NoteTechnique(models.Model):
    """Minutes spent on one technique during the visit: the basis of billing units."""

    note = models.ForeignKey(
        SessionNote, on_delete=models.PROTECT, related_name="techniques"
    )
    modality = models.ForeignKey(Modality, on_delete=models.PROTECT, related_name="+")
    minutes = models.PositiveSmallIntegerField(validators=[MinValueValidator(1)])

    class Meta:
        ordering = ["note", "-minutes"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gt=0), name="technique_minutes_positive"
            ),
            models.UniqueConstraint(
                fields=["note", "modality"], name="technique_once_per_note"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.modality}: {self.minutes} min"


class NoteAddendum(models.Model):
    """An append-only correction to a signed note."""

    note = models.ForeignKey(
        SessionNote, on_delete=models.PROTECT, related_name="addenda"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=250)
    text = models.TextField()

    class Meta:
        ordering = ["note", "created_at"]
        verbose_name_plural = "note addenda"

    def __str__(self) -> str:
        return f"Addendum to {self.note} ({self.created_at:%Y-%m-%d})"


class ProgressReport(models.Model):
    """The therapist's report to the referring physician at the end of a round."""

    plan = models.ForeignKey(
        TreatmentPlan, on_delete=models.PROTECT, related_name="progress_reports"
    )
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="+")
    period_start = models.DateField(validators=[validate_clinic_date])
    period_end = models.DateField(validators=[validate_clinic_date])
    assessment = models.TextField(help_text="How the client responded to treatment.")
    recommendation = models.TextField(help_text="What you recommend next.")
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["plan", "-period_end"]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_start__lte=F("period_end")),
                name="progress_report_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"Progress report for {self.plan.client} ({self.period_start} to {self.period_end})"
