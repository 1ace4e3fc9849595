"""Day-of-visit screening: six questions asked before a visit (the scheduling seam).

Every screening is kept (several per visit are allowed: the client through their
link the day before, then the desk at check-in); the latest one counts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clients.models import Client
from massageclinic.choices import BodyRegion
from sessions.models.scheduling import Appointment

MAX_PREGNANCY_WEEKS = 42


class VisitScreening(models.Model):
    """The client's answers to the day-of-visit questions, and what came of them."""

    class Channel(models.TextChoices):
        DESK = "desk", "At the front desk"
        LINK = "link", "Through the client's link"

    class Outcome(models.TextChoices):
        CLEAR = "clear", "Clear"
        FLAGS_RAISED = "flags_raised", "Flags raised or to review"
        RESCHEDULED = "rescheduled", "Rescheduled for safety"

    appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, related_name="screenings"
    )
    # The visit's client, kept here so the chart reads every screening through one
    # reverse relation (clients sits below sessions and never imports it).
    client = models.ForeignKey(
        Client, on_delete=models.PROTECT, related_name="visit_screenings"
    )
    answered_at = models.DateTimeField()
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Empty when the client answered through their link.",
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)

    unwell = models.BooleanField("Fever or feeling unwell")
    injury = models.BooleanField("New injury")
    injury_detail = models.CharField("Where", max_length=250, blank=True)
    medication = models.BooleanField("New medication")
    medication_detail = models.CharField("Which", max_length=250, blank=True)
    surgery = models.BooleanField("Surgery or procedure since the last visit")
    surgery_detail = models.CharField("What", max_length=250, blank=True)
    surgery_on = models.DateField("When", null=True, blank=True)
    surgery_region = models.CharField(
        "Where on the body", max_length=30, choices=BodyRegion.choices, blank=True
    )
    pregnancy = models.BooleanField("Pregnancy news")
    pregnancy_weeks = models.PositiveSmallIntegerField("Weeks", null=True, blank=True)
    skin = models.BooleanField("New skin condition")
    skin_detail = models.CharField("Where", max_length=250, blank=True)

    outcome = models.CharField(max_length=15, choices=Outcome.choices)
    summary = models.TextField(
        blank=True,
        help_text="One line each: the flags raised or updated, what to review before "
        "the session, the technique now ruled out.",
    )
    client_reason = models.CharField(
        max_length=250,
        blank=True,
        help_text="The reason given to the client when the visit was rescheduled "
        "for safety.",
    )

    class Meta:
        ordering = ["answered_at", "pk"]
        indexes = [
            models.Index(fields=["appointment", "answered_at"]),
            models.Index(fields=["client", "answered_at"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(channel="link", answered_by__isnull=True)
                | Q(channel="desk", answered_by__isnull=False),
                name="screening_link_is_the_client_desk_is_staff",
            ),
            models.CheckConstraint(
                condition=Q(pregnancy_weeks__isnull=True)
                | Q(pregnancy_weeks__lte=MAX_PREGNANCY_WEEKS),
                name="screening_pregnancy_weeks_sensible",
            ),
        ]

    def __str__(self) -> str:
        return f"Screening of {self.appointment} at {self.answered_at:%Y-%m-%d %H:%M}"

    @property
    def any_yes(self) -> bool:
        return any(
            (
                self.unwell,
                self.injury,
                self.medication,
                self.surgery,
                self.pregnancy,
                self.skin,
            )
        )

    @property
    def summary_lines(self) -> list[str]:
        return [line for line in self.summary.splitlines() if line.strip()]

    @property
    def answers(self) -> list[tuple[str, bool, str]]:
        """(question, yes, detail) in the order they are asked."""
        surgery = ", ".join(
            part
            for part in (
                self.surgery_detail,
                f"{self.surgery_on:%d %b %Y}" if self.surgery_on else "",
                self.get_surgery_region_display() if self.surgery_region else "",
            )
            if part
        )
        weeks = (
            f"{self.pregnancy_weeks} weeks" if self.pregnancy_weeks is not None else ""
        )
        return [
            ("Fever or feeling unwell", self.unwell, ""),
            ("New injury", self.injury, self.injury_detail),
            ("New medication", self.medication, self.medication_detail),
            ("Surgery or procedure since the last visit", self.surgery, surgery),
            ("Pregnancy news", self.pregnancy, weeks),
            ("New skin condition", self.skin, self.skin_detail),
        ]
