"""Offers of a free slot to waiting clients, by email with a signed link."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from massageclinic.models import Location, Room
from sessions.models.scheduling import Appointment, Place, WaitlistEntry
from therapists.models import Modality, Therapist


class WaitlistOffer(models.Model):
    """One slot offered to one waiting client; the first of its offers taken books it.

    Several entries may be offered the same slot: taking one books the visit (the
    booking rules and the database decide the race), and the others turn `gone`.
    """

    class State(models.TextChoices):
        OFFERED = "offered", "Offered"
        TAKEN = "taken", "Taken"
        GONE = "gone", "Gone to someone else"
        EXPIRED = "expired", "Expired"

    entry = models.ForeignKey(
        WaitlistEntry, on_delete=models.PROTECT, related_name="offers"
    )
    therapist = models.ForeignKey(Therapist, on_delete=models.PROTECT, related_name="+")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="+")
    room = models.ForeignKey(
        Room, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    place = models.CharField(max_length=10, choices=Place.choices, default=Place.ROOM)
    modality = models.ForeignKey(Modality, on_delete=models.PROTECT, related_name="+")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    freed = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The cancelled visit whose slot this is, when it is one.",
    )
    expires_at = models.DateTimeField()
    state = models.CharField(
        max_length=10, choices=State.choices, default=State.OFFERED
    )
    booked_appointment = models.ForeignKey(
        Appointment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="waitlist_offer_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(expires_at__gt=F("created_at")),
                name="waitlist_offer_expires_after_made",
            ),
            models.CheckConstraint(
                condition=Q(state="taken", booked_appointment__isnull=False)
                | (~Q(state="taken") & Q(booked_appointment__isnull=True)),
                name="waitlist_offer_taken_has_visit",
            ),
            models.CheckConstraint(
                condition=Q(state="offered", decided_at__isnull=True)
                | (~Q(state="offered") & Q(decided_at__isnull=False)),
                name="waitlist_offer_decided_has_time",
            ),
            models.CheckConstraint(
                condition=~Q(place=Place.ROOM) | Q(room__isnull=False),
                name="waitlist_offer_room_visit_has_room",
            ),
            # One open offer of a slot per entry: offering it twice sends one email.
            models.UniqueConstraint(
                fields=["entry", "therapist", "starts_at"],
                condition=Q(state="offered"),
                name="waitlist_offer_once_per_entry_and_slot",
            ),
            # A slot is taken once.
            models.UniqueConstraint(
                fields=["therapist", "starts_at"],
                condition=Q(state="taken"),
                name="waitlist_offer_slot_taken_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.entry.client} offered {self.starts_at:%Y-%m-%d %H:%M} UTC"

    @property
    def local_starts_at(self):
        return self.starts_at.astimezone(self.location.zone)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)
