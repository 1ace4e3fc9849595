"""Therapists, the modalities they practise, their weekly hours and time off."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import (
    ArrayField,
    DateTimeRangeField,
    RangeOperators,
)
from django.db import models
from django.db.models import F, Func, Q

from massageclinic.models import Location
from massageclinic.validators import validate_cpt, validate_hex_colour, validate_npi


class Modality(models.Model):
    """A technique, mapped to the CPT code it is billed under (if any)."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    cpt_code = models.CharField(
        "CPT code",
        max_length=5,
        blank=True,
        validators=[validate_cpt],
        help_text="97124 massage, 97140 manual therapy, 97112 neuromuscular re-education.",
    )
    is_timed = models.BooleanField(
        default=True,
        help_text="Timed codes are billed in 15-minute units from minutes.",
    )
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "modalities"

    def __str__(self) -> str:
        return self.name


class Therapist(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="therapist"
    )
    credentials = models.CharField(max_length=40, default="LMT")
    license_number = models.CharField(max_length=40)
    license_state = models.CharField(
        max_length=2, help_text="Two-letter state code, e.g. NY."
    )
    license_expires_on = models.DateField()
    npi = models.CharField(
        "NPI",
        max_length=10,
        blank=True,
        validators=[validate_npi],
        help_text="Only for therapists who bill insurers.",
    )
    colour = models.CharField(
        max_length=7, default="#3b82f6", validators=[validate_hex_colour]
    )
    bio = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    modalities = models.ManyToManyField(
        Modality, through="Training", related_name="therapists", blank=True
    )
    experienced_with = ArrayField(
        models.CharField(max_length=80),
        default=list,
        blank=True,
        help_text="Conditions this therapist has experience treating (e.g. whiplash, TMJ).",
    )

    class Meta:
        ordering = ["user__first_name", "user__last_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["license_state", "license_number"],
                name="therapist_license_unique",
            ),
            models.UniqueConstraint(
                fields=["npi"], condition=~Q(npi=""), name="therapist_npi_unique"
            ),
            models.CheckConstraint(
                condition=Q(colour__regex=r"^#[0-9a-fA-F]{6}$"),
                name="therapist_colour_is_hex",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.full_name}, {self.credentials}"

    @property
    def full_name(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    @property
    def first_name(self) -> str:
        return self.user.first_name or self.user.get_username()

    def license_valid_on(self, day: date) -> bool:
        return self.license_expires_on >= day


class Training(models.Model):
    """A therapist is trained in a modality."""

    therapist = models.ForeignKey(
        Therapist, on_delete=models.CASCADE, related_name="trainings"
    )
    modality = models.ForeignKey(
        Modality, on_delete=models.PROTECT, related_name="trainings"
    )
    certified_on = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["therapist", "modality"], name="training_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.therapist} - {self.modality}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WallClockRange(Func):
    """tsrange over one fixed day from two wall-clock times: the half-open span of a
    block of weekly hours, so the database can refuse two overlapping blocks
    (back-to-back 09:00-12:00, 12:00-17:00 do not overlap). date + time and tsrange
    are immutable, as an exclusion constraint needs."""

    function = "TSRANGE"
    arg_joiner = ", DATE '2000-01-03' + "
    template = "%(function)s(DATE '2000-01-03' + %(expressions)s)"
    output_field = DateTimeRangeField()


class WorkingHours(models.Model):
    """One block of a therapist's weekly pattern, in the location's local time."""

    therapist = models.ForeignKey(
        Therapist, on_delete=models.CASCADE, related_name="working_hours"
    )
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="working_hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["therapist", "weekday", "starts_at"]
        verbose_name_plural = "working hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")),
                name="working_hours_start_before_end",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6),
                name="working_hours_weekday_range",
            ),
            models.UniqueConstraint(
                fields=["therapist", "weekday", "starts_at"],
                name="working_hours_unique_start",
            ),
            # A therapist is in one place at a time: no two blocks of the same
            # weekday overlap, whatever their locations.
            ExclusionConstraint(
                name="working_hours_no_overlap",
                expressions=[
                    ("therapist", RangeOperators.EQUAL),
                    ("weekday", RangeOperators.EQUAL),
                    (WallClockRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                violation_error_message=(
                    "These hours overlap other hours of the same therapist that day."
                ),
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.therapist.full_name}: {self.get_weekday_display()} "
            f"{self.starts_at:%H:%M}-{self.ends_at:%H:%M} at {self.location}"
        )


class TimeOff(models.Model):
    therapist = models.ForeignKey(
        Therapist, on_delete=models.CASCADE, related_name="time_off"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name_plural = "time off"
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")),
                name="time_off_start_before_end",
            ),
        ]

    def __str__(self) -> str:
        # Stored in UTC and said so: pages and the admin's fields show the therapist's
        # own zone (therapists.services.therapist_zone).
        return (
            f"{self.therapist.full_name} off {self.starts_at:%Y-%m-%d %H:%M} UTC - "
            f"{self.ends_at:%Y-%m-%d %H:%M} UTC"
        )
