"""Visits: appointments, series, their history and the waitlist (the scheduling seam)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    RangeOperators,
)
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Func, Q

from clients.models import Authorization, Client, Referral
from massageclinic.lengths import LONGEST_REACH_BACK, LONGEST_TRAVEL, LONGEST_VISIT
from massageclinic.models import Location, Room
from massageclinic.validators import validate_clinic_date
from therapists.models import Modality, Therapist, Weekday


class TsTzRange(Func):
    """tstzrange(lower, upper): half-open, so back-to-back visits do not overlap."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


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
        "clinic_sessions.TreatmentPlan",
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


class AppointmentQuerySet(models.QuerySet):
    """Range reads over visits, always bounded on both sides of `starts_at`.

    "Overlaps [start, end)" alone (`starts_at < end AND ends_at > start`) leaves the
    scan open towards the past, so at 100,000 visits PostgreSQL reads the whole
    table. A visit lasts at most LONGEST_VISIT and its travel at most LONGEST_TRAVEL
    (both held by check constraints), which gives every such read a lower bound on
    `starts_at` and so an index range scan.
    """

    def overlapping(self, start, end) -> AppointmentQuerySet:
        """Visits whose own time (start to end) touches [start, end)."""
        return self.filter(
            starts_at__gt=start - LONGEST_VISIT,
            starts_at__lt=end,
            ends_at__gt=start,
        )

    def not_over_by(self, moment) -> AppointmentQuerySet:
        """Visits still going on or to come at `moment` (ending after it)."""
        return self.filter(starts_at__gt=moment - LONGEST_VISIT, ends_at__gt=moment)

    def busy_within(self, start, end) -> AppointmentQuerySet:
        """Visits whose therapist busy time (the visit plus travel) touches [start, end).

        The busy span contains the visit itself, so this finds every visit whose
        therapist, room or client time can touch the window, including the travel
        before a home visit that starts after `end`.
        """
        return self.filter(
            starts_at__gt=start - LONGEST_REACH_BACK,
            starts_at__lt=end + LONGEST_TRAVEL,
            therapist_busy_from__lt=end,
            therapist_busy_until__gt=start,
        )


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
        "clinic_sessions.TreatmentPlan",
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

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["starts_at"]),
            models.Index(fields=["therapist", "starts_at"]),
            models.Index(fields=["client", "starts_at"]),
            models.Index(fields=["location", "starts_at"]),
            models.Index(fields=["room", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")),
                name="appointment_starts_before_end",
            ),
            # The bounds AppointmentQuerySet's range reads rely on.
            models.CheckConstraint(
                condition=Q(ends_at__lte=F("starts_at") + LONGEST_VISIT),
                name="appointment_at_most_longest_visit",
            ),
            models.CheckConstraint(
                condition=Q(therapist_busy_from__gte=F("starts_at") - LONGEST_TRAVEL)
                & Q(therapist_busy_until__lte=F("ends_at") + LONGEST_TRAVEL),
                name="appointment_travel_at_most_longest",
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
        return minutes_between(self.starts_at, self.ends_at)


def minutes_between(starts_at, ends_at) -> int:
    """A visit's length in whole minutes of elapsed time."""
    return int((ends_at - starts_at).total_seconds() // 60)


class AppointmentEvent(models.Model):
    """The history of a visit: who booked, moved, confirmed or cancelled it, and when."""

    class Kind(models.TextChoices):
        BOOKED = "booked", "Booked"
        RESCHEDULED = "rescheduled", "Rescheduled"
        STATUS = "status", "Status changed"
        SAFETY_ACKNOWLEDGED = "safety_acknowledged", "Safety alerts acknowledged"
        SCREENED = "screened", "Health questions answered"
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
