"""Clinic-wide things: locations, rooms and the clinic's policy."""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from massageclinic.lengths import LONGEST_TRAVEL, TRAVEL_RULE
from massageclinic.validators import validate_time_zone

# How early the desk may check a client in, at most: a check-in the evening before
# would be a mistake, not an early arrival.
LONGEST_CHECK_IN_LEAD = timedelta(hours=12)
CHECK_IN_RULE = "Check-in opens 0 minutes to 12 hours before a visit."


class Location(models.Model):
    name = models.CharField(max_length=120, unique=True)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=50)
    postal_code = models.CharField(max_length=20)
    phone = models.CharField(max_length=30)
    email = models.EmailField(blank=True)
    time_zone = models.CharField(
        max_length=64,
        validators=[validate_time_zone],
        help_text="IANA name, e.g. America/New_York. Times are shown in this zone.",
    )
    opens_at = models.TimeField(default=time(8, 0))
    closes_at = models.TimeField(default=time(20, 0))
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=F("closes_at")),
                name="location_opens_before_closing",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def address(self) -> str:
        parts = [
            self.address_line1,
            self.address_line2,
            f"{self.city}, {self.state} {self.postal_code}",
        ]
        return ", ".join(p for p in parts if p)


class Room(models.Model):
    location = models.ForeignKey(
        Location, on_delete=models.PROTECT, related_name="rooms"
    )
    name = models.CharField(max_length=80)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["location", "name"], name="room_name_unique_per_location"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.location.name})"


class BillingUnitRule(models.TextChoices):
    CMS_8_MINUTE = "cms_8_minute", "CMS 8-minute rule (total timed minutes)"
    PER_CODE = "per_code", "Per code (each code's own minutes)"


def _default_session_lengths() -> list[int]:
    return [30, 45, 60, 90]


class ClinicPolicy(models.Model):
    """The one row of settings a manager edits (id is always 1)."""

    late_cancel_window = models.DurationField(
        default=timedelta(hours=24),
        help_text="Cancelling closer to the visit than this counts as a late cancellation.",
    )
    reminder_lead = models.DurationField(
        default=timedelta(hours=48),
        help_text="When the reminder goes out before a visit.",
    )
    second_reminder_lead = models.DurationField(
        null=True,
        blank=True,
        help_text="Optional second reminder, e.g. 2 hours before.",
    )
    message_grace = models.DurationField(
        default=timedelta(minutes=3),
        help_text="Messages wait this long after a change, so a quick correction sends one.",
    )
    session_lengths = ArrayField(
        models.PositiveSmallIntegerField(),
        default=_default_session_lengths,
        help_text="Lengths offered when booking, in minutes (multiples of 15).",
    )
    travel_buffer = models.DurationField(
        default=timedelta(minutes=30),
        validators=[
            MinValueValidator(timedelta(0), message=TRAVEL_RULE),
            MaxValueValidator(LONGEST_TRAVEL, message=TRAVEL_RULE),
        ],
        help_text="Blocked on the therapist's time before and after a home or workplace visit.",
    )
    check_in_opens = models.DurationField(
        default=timedelta(hours=2),
        validators=[
            MinValueValidator(timedelta(0), message=CHECK_IN_RULE),
            MaxValueValidator(LONGEST_CHECK_IN_LEAD, message=CHECK_IN_RULE),
        ],
        help_text="The desk can check a client in from this long before the visit "
        "starts (a no-show only once it has started). From 0 minutes to 12 hours.",
    )
    billing_unit_rule = models.CharField(
        max_length=20,
        choices=BillingUnitRule.choices,
        default=BillingUnitRule.CMS_8_MINUTE,
    )
    intake_renewal_months = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text="A medical history older than this is flagged for renewal.",
    )
    note_sign_deadline = models.DurationField(
        default=timedelta(hours=48),
        help_text="Notes unsigned this long after the visit are flagged.",
    )
    clinic_name = models.CharField(max_length=120, default="Clinic")
    require_two_factor_for_everyone = models.BooleanField(
        default=False,
        help_text="Therapists and managers always sign in with two factors; "
        "tick this to ask it of the front desk too.",
    )
    client_link_lifetime = models.DurationField(
        default=timedelta(days=14),
        # At least an hour (shorter would end links before a client reads the
        # email), at most 90 days (a link that old is a risk, and a huge value
        # overflowed the expiry every client link computes).
        validators=[
            MinValueValidator(timedelta(hours=1)),
            MaxValueValidator(timedelta(days=90)),
        ],
        help_text="A confirm or cancel link in a client's email stops working this "
        "long after it was sent (and always at the visit). From 1 hour to 90 days.",
    )

    class Meta:
        verbose_name = "clinic policy"
        verbose_name_plural = "clinic policy"
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="clinic_policy_single_row"),
            models.CheckConstraint(
                condition=Q(check_in_opens__gte=timedelta(0))
                & Q(check_in_opens__lte=LONGEST_CHECK_IN_LEAD),
                name="clinic_policy_check_in_opens_bounded",
                violation_error_message=CHECK_IN_RULE,
            ),
            models.CheckConstraint(
                condition=Q(travel_buffer__gte=timedelta(0))
                & Q(travel_buffer__lte=LONGEST_TRAVEL),
                name="clinic_policy_travel_buffer_bounded",
                violation_error_message=TRAVEL_RULE,
            ),
        ]

    def __str__(self) -> str:
        return "Clinic policy"

    def save(self, *args, **kwargs) -> None:
        self.pk = 1
        super().save(*args, **kwargs)


# Inside `one_policy_read()` the policy row is read once, then shared.
_policy_read: ContextVar[list[ClinicPolicy] | None] = ContextVar(
    "clinic_policy_read", default=None
)


def clinic_policy() -> ClinicPolicy:
    held = _policy_read.get()
    if held:
        return held[0]
    policy, _ = ClinicPolicy.objects.get_or_create(pk=1)
    if held is not None:
        held.append(policy)
    return policy


@contextmanager
def one_policy_read() -> Iterator[None]:
    """Inside (a booking, as a decorator too), `clinic_policy()` reads the row once:
    the rules, the messages and the links of one booking agree on one policy, at one
    read's cost, instead of one read per service that asks."""
    if _policy_read.get() is not None:  # already inside one
        yield
        return
    token = _policy_read.set([])
    try:
        yield
    finally:
        _policy_read.reset(token)


class AuditEvent(models.Model):
    """Who read or changed which health record, when, and from where (append-only)."""

    class Action(models.TextChoices):
        VIEW = "view", "Viewed"
        CREATE = "create", "Created"
        CHANGE = "change", "Changed"
        DOWNLOAD = "download", "Downloaded"
        EXPORT = "export", "Exported"
        # Sign-in and account events (object_type "auth.User"; a failed sign-in
        # for an unknown name has no user and names the attempt in the summary).
        SIGN_IN = "sign-in", "Signed in"
        SIGN_OUT = "sign-out", "Signed out"
        SIGN_IN_FAILED = "sign-in-failed", "Sign-in failed"
        LOCKED_OUT = "locked-out", "Locked out"
        UNLOCKED = "unlocked", "Unlocked"
        IDLE_LOGOFF = "idle-logoff", "Signed out when idle"
        TWO_FACTOR = "two-factor", "Two-factor event"
        PASSWORD = "password", "Password changed"
        ROLES = "roles", "Roles changed"

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    # Plain ids, not foreign keys: this app sits below clients in the app chain, and
    # an audit trail must outlive whatever it describes.
    client_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    object_type = models.CharField(max_length=60)
    object_id = models.BigIntegerField(null=True, blank=True)
    summary = models.CharField(max_length=250, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    path = models.CharField(max_length=250, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [
            models.Index(fields=["client_id", "-at"]),
            # A person's own sign-ins (the account page), an object's history.
            models.Index(fields=["object_type", "object_id", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.action} {self.object_type} {self.object_id}"


def clinic_today(now: datetime | None = None) -> date:
    """The clinic's local date of `now` (today without it).

    An alias of `massageclinic.clock.local_date` for the callers that still use it;
    new code calls `local_today` / `local_date` from there.
    """
    from massageclinic.clock import local_date  # clock imports this module

    return local_date(now or timezone.now())


class PasswordChangeRequired(models.Model):
    """A person who must choose their own password when they next sign in.

    Their password was given by someone else: the initial one a manager typed on the
    staff page (or in the admin's add form), or one a superuser set in the admin.
    Until they change it on their account page they see no other page
    (massageclinic.password_required); changing it removes the row.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="password_change_required",
    )
    since = models.DateTimeField(default=timezone.now)
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who gave the password.",
    )

    class Meta:
        ordering = ["-since"]
        verbose_name = "password change required"
        verbose_name_plural = "passwords to change"

    def __str__(self) -> str:
        return f"{self.user} must choose a new password"
