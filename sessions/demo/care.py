"""What the seeder decides for each client it creates, and its fixed settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from clients.models import (
    Authorization,
    Client,
    MedicalHistory,
    Referral,
)
from sessions.demo import data, stories
from sessions.models import (
    Appointment,
    Goal,
    Place,
    TreatmentPlan,
)
from therapists.models import Modality, Therapist

SEED = 2026
WINDOW_DAYS = 21  # visits from three weeks back to three weeks ahead
MINUTE = timedelta(minutes=1)
SLOT = 15 * MINUTE
PRESSURES = ("light", "moderate", "firm", "deep")
FALLBACK_HOURS = (time(10), time(16))  # "today" for a therapist who is off today
Status = Appointment.Status


@dataclass
class Care:
    """One client this run created, and the story the seed decided for them."""

    index: int
    client: Client
    scenario: stories.Scenario | None  # None: registered, intake not filled in yet
    special: data.Special | None
    therapist: Therapist | None
    modalities: list[Modality] = field(default_factory=list)  # allowed, main first
    minutes: int = 60
    pressure: str = "moderate"
    pain: int = 5
    intake_at: datetime | None = None
    archived_at: datetime | None = None  # a past client, archived after the intake
    referred_on: date | None = None
    surgery_on: date | None = None
    cleared_on: date | None = None
    histories: list[MedicalHistory] = field(default_factory=list)  # oldest first
    referral: Referral | None = None
    authorization: Authorization | None = None
    plan: TreatmentPlan | None = None
    goals: list[Goal] = field(default_factory=list)
    first_day: date | None = None  # None: no visits at all
    per_week: int = 1
    min_gap_days: int = 6
    in_series: bool = False
    usual_days: tuple[int, ...] = ()  # the weekdays this client normally comes
    visit_days: list[date] = field(default_factory=list)  # visits that took place
    booked_days: set[date] = field(default_factory=set)  # any status

    @property
    def flags(self) -> tuple[str, ...]:
        return self.special.flags if self.special else ()

    @property
    def place(self) -> str:
        return self.special.place if self.special else Place.ROOM

    @property
    def main_modality(self) -> Modality:
        return self.modalities[0]
