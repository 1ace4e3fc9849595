"""A note's billing units: its technique minutes, under the payer that applies to its
visit, through the one billing rule (`clients.referral_selectors.visits_billing`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from clients.models import Payer
from clients.referral_selectors import BillableVisit, visits_billing
from massageclinic.billing import TechniqueMinutes
from massageclinic.clock import local_date
from massageclinic.models import BillingUnitRule
from sessions.models import Appointment, SessionNote
from therapists.models import Modality

TechniqueEntry = tuple[Modality, int]


def visit_local_date(appointment: Appointment) -> date:
    """The day of the visit where it took place: the day safety is judged on."""
    return local_date(appointment.starts_at, appointment.location)


def billable_visit(
    appointment: Appointment, techniques: Iterable[TechniqueEntry]
) -> BillableVisit:
    """A visit and its technique rows, as the billing decision reads them."""
    return BillableVisit(
        key=appointment.pk,
        client_id=appointment.client_id,
        day=visit_local_date(appointment),
        authorization=appointment.authorization,
        techniques=[
            TechniqueMinutes(
                code=modality.cpt_code,
                minutes=minutes,
                timed=modality.is_timed,
                name=modality.name,
            )
            for modality, minutes in techniques
        ],
    )


@dataclass(frozen=True)
class CodeUnits:
    code: str
    minutes: int
    units: int
    refused: bool = False


@dataclass(frozen=True)
class UnitsBreakdown:
    """Units per CPT code, and why some minutes are not billed."""

    rule: str
    payer: Payer | None
    codes: list[CodeUnits]
    timed_minutes: int
    total_minutes: int
    visit_minutes: int
    untimed: list[str] = field(default_factory=list)
    not_billable: list[str] = field(default_factory=list)

    @property
    def rule_display(self) -> str:
        return BillingUnitRule(self.rule).label

    @property
    def total_units(self) -> int:
        return sum(c.units for c in self.codes if not c.refused)

    @property
    def units(self) -> dict[str, int]:
        return {c.code: c.units for c in self.codes if c.units and not c.refused}

    @property
    def over_visit_length(self) -> bool:
        return self.total_minutes > self.visit_minutes


def units_breakdown(
    *, appointment: Appointment, techniques: Iterable[TechniqueEntry]
) -> UnitsBreakdown:
    """Billing units of technique rows (as typed, or as signed), explained.

    The payer and the units are decided by `visits_billing`, as on the superbill
    and the authorization's tally; this only lays them out for the note page.
    """
    bill = visits_billing([billable_visit(appointment, techniques)])[appointment.pk]
    units = bill.units
    codes = [
        CodeUnits(
            code=code,
            minutes=minutes,
            units=units.units.get(code, 0),
            refused=code in units.refused,
        )
        for code, minutes in sorted(units.minutes_by_code.items())
    ]
    return UnitsBreakdown(
        rule=units.rule,
        payer=bill.payer,
        codes=codes,
        timed_minutes=units.timed_minutes,
        total_minutes=units.total_minutes,
        visit_minutes=appointment.duration_minutes,
        untimed=list(units.untimed),
        not_billable=list(units.not_billable),
    )


def note_techniques(note: SessionNote) -> list[TechniqueEntry]:
    return [
        (t.modality, t.minutes)
        for t in note.techniques.select_related("modality").order_by("pk")
    ]


def note_units(note: SessionNote) -> dict[str, int]:
    """Billing units per CPT code of the note's techniques, by the visit's rule."""
    return units_breakdown(
        appointment=note.appointment, techniques=note_techniques(note)
    ).units
