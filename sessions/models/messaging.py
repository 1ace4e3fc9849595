"""The outbox: one row per message a client or the front desk is to receive."""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from clients.models import Authorization, Client, IntakeInvitation
from sessions.models.scheduling import Appointment, AppointmentSeries
from sessions.models.waitlist import WaitlistOffer

LIVE_STATUSES = ["pending", "sending", "failed"]


class OutboundMessage(models.Model):
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
        SAFETY_RESCHEDULE = "safety_reschedule", "Rescheduled for safety"
        INTAKE_REQUEST = "intake_request", "Intake form request"
        WAITLIST_OFFER = "waitlist_offer", "Waitlist offer"
        WAITLIST_GONE = "waitlist_gone", "Waitlist slot taken"
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
    waitlist_offer = models.ForeignKey(
        WaitlistOffer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="messages",
        help_text="The waitlist offer an offer or a 'slot taken' message is about.",
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
        # The table keeps the name it was created with (the model was "Reminder").
        db_table = "clinic_sessions_reminder"
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
