"""Treatment plans, appointments and series, SOAP notes, and outbound messages."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    RangeOperators,
)
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q

from clients.models import Authorization, Client, IntakeInvitation, Referral
from massageclinic.choices import BodyRegion, Pressure
from massageclinic.models import Location, Room
from massageclinic.validators import validate_clinic_date, validate_icd10
from therapists.models import Modality, Therapist, Weekday


class TsTzRange(Func):
    """tstzrange(lower, upper): half-open, so back-to-back visits do not overlap."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


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


class Place(models.TextChoices):
    ROOM = "room", "Clinic room"
    HOME = "home", "Client's home"
    WORKPLACE = "workplace", "Workplace"


class AppointmentSeries(models.Model):
    """A recurrence rule that produced real appointment rows, one per visit."""

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="series")
    therapist = models.ForeignKey(
        Therapist, on_delete=models.PROTECT, related_name="series"
    )
    modality = models.ForeignKey(Modality, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    place = models.CharField(max_length=10, choices=Place.choices, default=Place.ROOM)
    plan = models.ForeignKey(
        TreatmentPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="series",
    )
    referral = models.ForeignKey(
        Referral, on_delete=models.PROTECT, null=True, blank=True, related_name="series"
    )
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)]),
        help_text="0 = Monday ... 6 = Sunday.",
    )
    interval_weeks = models.PositiveSmallIntegerField(default=1)
    count = models.PositiveSmallIntegerField(null=True, blank=True)
    until = models.DateField(null=True, blank=True, validators=[validate_clinic_date])
    starts_on = models.DateField(validators=[validate_clinic_date])
    local_start_time = models.TimeField()
    duration_minutes = models.PositiveSmallIntegerField()
    time_zone = models.CharField(
        max_length=64, help_text="The zone the rule was expanded in."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "appointment series"
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(count__isnull=False) | Q(until__isnull=False),
                name="series_has_count_or_until",
            ),
            models.CheckConstraint(
                condition=Q(interval_weeks__gte=1), name="series_interval_positive"
            ),
            models.CheckConstraint(
                condition=Q(weekdays__len__gte=1), name="series_has_weekdays"
            ),
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=15), name="series_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client}: series from {self.starts_on} with {self.therapist.full_name}"


class Appointment(models.Model):
    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        CONFIRMED = "confirmed", "Confirmed"
        CHECKED_IN = "checked_in", "Checked in"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        LATE_CANCELLED = "late_cancelled", "Late cancelled"
        NO_SHOW = "no_show", "No show"

    # Cancelled visits free their time; a no-show still used it.
    NON_BLOCKING_STATUSES = (Status.CANCELLED, Status.LATE_CANCELLED)
    OPEN_STATUSES = (Status.BOOKED, Status.CONFIRMED, Status.CHECKED_IN)

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="appointments"
    )
    therapist = models.ForeignKey(
        Therapist, on_delete=models.PROTECT, related_name="appointments"
    )
    modality = models.ForeignKey(
        Modality, on_delete=models.PROTECT, related_name="appointments"
    )
    location = models.ForeignKey(
        Location,
        on_delete=models.PROTECT,
        related_name="appointments",
        help_text="The clinic the visit belongs to; its zone is the visit's local time.",
    )
    place = models.CharField(max_length=10, choices=Place.choices, default=Place.ROOM)
    room = models.ForeignKey(
        Room,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    visit_address = models.CharField(
        max_length=250,
        blank=True,
        help_text="Where a home or workplace visit takes place.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # The therapist's own busy span: the visit plus travel before and after a home or
    # workplace visit. Stored, not computed, because the exclusion constraint needs an
    # immutable expression and timestamptz - interval is not one.
    therapist_busy_from = models.DateTimeField()
    therapist_busy_until = models.DateTimeField()
    status = models.CharField(
        max_length=15, choices=Status.choices, default=Status.BOOKED
    )
    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    plan = models.ForeignKey(
        TreatmentPlan,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    referral = models.ForeignKey(
        Referral,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    authorization = models.ForeignKey(
        Authorization,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
    )
    safety_acknowledgement = models.TextField(
        blank=True, help_text="The modify/regional alerts the booker acknowledged."
    )
    authorization_override_reason = models.CharField(max_length=250, blank=True)
    cancellation_reason = models.CharField(max_length=250, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    ics_sequence = models.PositiveIntegerField(
        default=0,
        help_text="The calendar-invitation SEQUENCE: grows with every change the client sees.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["starts_at"]),
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["client", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")),
                name="appointment_starts_before_end",
            ),
            models.CheckConstraint(
                condition=Q(therapist_busy_from__lte=F("starts_at"))
                & Q(therapist_busy_until__gte=F("ends_at")),
                name="appointment_busy_span_covers_visit",
            ),
            models.CheckConstraint(
                condition=Q(place="room", room__isnull=False)
                | (~Q(place="room") & Q(room__isnull=True)),
                name="appointment_room_only_for_room_visits",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["cancelled", "late_cancelled"])
                | Q(cancelled_at__isnull=False),
                name="appointment_cancellation_has_time",
            ),
            ExclusionConstraint(
                name="appointment_no_therapist_overlap",
                expressions=[
                    ("therapist", RangeOperators.EQUAL),
                    (
                        TsTzRange("therapist_busy_from", "therapist_busy_until"),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=~Q(status__in=["cancelled", "late_cancelled"]),
                violation_error_message="The therapist already has a visit at that time.",
            ),
            ExclusionConstraint(
                name="appointment_no_room_overlap",
                expressions=[
                    ("room", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status__in=["cancelled", "late_cancelled"])
                & Q(room__isnull=False),
                violation_error_message="The room is already booked at that time.",
            ),
            ExclusionConstraint(
                name="appointment_no_client_overlap",
                expressions=[
                    ("client", RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=~Q(status__in=["cancelled", "late_cancelled"]),
                violation_error_message="The client already has a visit at that time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} with {self.therapist.full_name} at {self.starts_at:%Y-%m-%d %H:%M} UTC"

    def save(self, *args, **kwargs) -> None:
        # Without travel, the therapist is busy exactly for the visit.
        if self.therapist_busy_from is None:
            self.therapist_busy_from = self.starts_at
        if self.therapist_busy_until is None:
            self.therapist_busy_until = self.ends_at
        super().save(*args, **kwargs)

    @property
    def is_blocking(self) -> bool:
        return self.status not in self.NON_BLOCKING_STATUSES

    @property
    def local_starts_at(self):
        return self.starts_at.astimezone(self.location.zone)

    @property
    def local_ends_at(self):
        return self.ends_at.astimezone(self.location.zone)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)


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


LIVE_STATUSES = ["pending", "sending", "failed"]


class Reminder(models.Model):
    """One outbound message (confirmation, reminder, notice) and its delivery state.

    This table, not the broker, is the source of truth for what must be sent.
    """

    class Kind(models.TextChoices):
        SERIES_CONFIRMATION = "series_confirmation", "Series confirmation"
        CONFIRMATION = "confirmation", "Visit confirmation"
        REMINDER = "reminder", "Reminder"
        SECOND_REMINDER = "second_reminder", "Second reminder"
        RESCHEDULE = "reschedule", "Reschedule notice"
        CANCELLATION = "cancellation", "Cancellation notice"
        INTAKE_REQUEST = "intake_request", "Intake form request"
        AUTHORIZATION_NOTICE = (
            "authorization_notice",
            "Authorization nearing its end (internal)",
        )

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"
        SKIPPED = "skipped", "Skipped"

    kind = models.CharField(max_length=25, choices=Kind.choices)
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reminders",
    )
    series = models.ForeignKey(
        AppointmentSeries,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reminders",
    )
    client = models.ForeignKey(
        Client,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reminders",
    )
    intake_invitation = models.ForeignKey(
        IntakeInvitation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        help_text="The intake link an intake-form request carries.",
    )
    authorization = models.ForeignKey(
        Authorization,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="messages",
        help_text="The authorization an internal notice is about.",
    )
    to_email = models.EmailField(blank=True)
    send_at = models.DateTimeField()
    status = models.CharField(
        max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    skip_reason = models.CharField(max_length=120, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=250, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["send_at"]
        verbose_name = "outbound message"
        indexes = [models.Index(fields=["status", "send_at"])]
        # One *live* message (not yet sent, in flight, or failed and retryable) per
        # visit or series and kind: a change re-times that row, so a quick correction
        # sends one message. Sent, skipped and cancelled rows stay as history, so a
        # visit moved twice over its life can get two reschedule notices.
        constraints = [
            models.UniqueConstraint(
                fields=["appointment", "kind"],
                condition=Q(appointment__isnull=False) & Q(status__in=LIVE_STATUSES),
                name="reminder_once_per_appointment_and_kind",
            ),
            models.UniqueConstraint(
                fields=["series", "kind"],
                condition=Q(series__isnull=False) & Q(status__in=LIVE_STATUSES),
                name="reminder_once_per_series_and_kind",
            ),
            models.UniqueConstraint(
                fields=["authorization", "kind"],
                condition=Q(authorization__isnull=False),
                name="reminder_once_per_authorization_and_kind",
            ),
            models.CheckConstraint(
                condition=~Q(status="sent") | Q(sent_at__isnull=False),
                name="reminder_sent_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.client or 'front desk'} at {self.send_at:%Y-%m-%d %H:%M} UTC"


class AppointmentEvent(models.Model):
    """The history of a visit: who booked, moved, confirmed or cancelled it, and when."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "Booked"
        RESCHEDULED = "rescheduled", "Rescheduled"
        STATUS = "status", "Status changed"
        SAFETY_ACKNOWLEDGED = "safety_acknowledged", "Safety alerts acknowledged"
        AUTHORIZATION_OVERRIDDEN = (
            "authorization_overridden",
            "Authorization overridden",
        )

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="events"
    )
    at = models.DateTimeField()
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the client acted through a link.",
    )
    kind = models.CharField(max_length=30, choices=Kind.choices)
    summary = models.CharField(max_length=250)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["appointment", "at", "id"]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.summary}"


class WaitlistEntry(models.Model):
    """A client who wants an earlier or another slot, and what would suit them."""

    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="waitlist"
    )
    modality = models.ForeignKey(
        Modality, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    therapist = models.ForeignKey(
        Therapist,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty: any suitable therapist.",
    )
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    duration_minutes = models.PositiveSmallIntegerField(default=60)
    weekdays = ArrayField(
        models.PositiveSmallIntegerField(validators=[MaxValueValidator(6)]),
        default=list,
        blank=True,
        help_text="0 = Monday ... 6 = Sunday; empty: any day.",
    )
    earliest_time = models.TimeField(null=True, blank=True)
    latest_time = models.TimeField(null=True, blank=True)
    wanted_from = models.DateField(validators=[validate_clinic_date])
    wanted_until = models.DateField(validators=[validate_clinic_date])
    note = models.CharField(max_length=250, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    booked_appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        verbose_name_plural = "waitlist entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(wanted_from__lte=F("wanted_until")),
                name="waitlist_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(earliest_time__isnull=True)
                | Q(latest_time__isnull=True)
                | Q(earliest_time__lt=F("latest_time")),
                name="waitlist_times_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client} waiting ({self.wanted_from} to {self.wanted_until})"

    @property
    def weekday_names(self) -> str:
        names = dict(Weekday.choices)
        return ", ".join(names[d][:3] for d in sorted(self.weekdays))


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
