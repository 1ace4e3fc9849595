"""Billing units from timed minutes: the CMS 8-minute rule, or units per code.

Pure functions on {CPT code: minutes}; untimed codes must be left out by the caller.
`visit_units` gathers a visit's technique rows into those minutes: the only place
that decides which minutes count. Which payer's rule applies to a visit is decided
in `clients.referral_selectors.visits_billing`, which calls it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass

from massageclinic.models import BillingUnitRule

UNIT_MINUTES = 15
MINIMUM_MINUTES = 8


def _units_for_total(minutes: int) -> int:
    """8-22 minutes = 1 unit, 23-37 = 2, 38-52 = 3, 53-67 = 4, then +1 per 15."""
    if minutes < MINIMUM_MINUTES:
        return 0
    return (minutes - MINIMUM_MINUTES) // UNIT_MINUTES + 1


def cms_units(minutes_by_code: dict[str, int]) -> dict[str, int]:
    """The CMS 8-minute rule on the visit's total timed minutes.

    Each code first gets its whole 15-minute units; the units left go one by one to
    the codes with the most minutes left over (ties: the code with more minutes).
    """
    minutes = {code: m for code, m in minutes_by_code.items() if m > 0}
    total_units = _units_for_total(sum(minutes.values()))
    units = {code: m // UNIT_MINUTES for code, m in minutes.items()}
    remaining = total_units - sum(units.values())
    leftovers = sorted(
        minutes, key=lambda c: (minutes[c] % UNIT_MINUTES, minutes[c], c), reverse=True
    )
    for code in leftovers[: max(remaining, 0)]:
        units[code] += 1
    return {code: n for code, n in units.items() if n > 0}


def per_code_units(minutes_by_code: dict[str, int]) -> dict[str, int]:
    """Each code on its own minutes (8-22 = 1 unit, and so on)."""
    units = {code: _units_for_total(m) for code, m in minutes_by_code.items()}
    return {code: n for code, n in units.items() if n > 0}


def billing_units(minutes_by_code: dict[str, int], rule: str) -> dict[str, int]:
    if rule == BillingUnitRule.PER_CODE:
        return per_code_units(minutes_by_code)
    return cms_units(minutes_by_code)


# --- Gathering a visit's minutes ---------------------------------------------------------


@dataclass(frozen=True)
class TechniqueMinutes:
    """One technique row of a note, as plain data: its CPT code ("" for none)."""

    code: str
    minutes: int
    timed: bool = True
    name: str = ""


@dataclass(frozen=True)
class VisitUnits:
    """A visit's units under one rule, and why some of its minutes are not billed."""

    rule: str
    minutes_by_code: dict[str, int]  # timed minutes of every coded technique
    units: dict[str, int]  # what is billed, by code
    refused: frozenset[str]  # codes present that the payer refuses
    untimed: tuple[str, ...] = ()
    not_billable: tuple[str, ...] = ()
    total_minutes: int = 0  # every technique's minutes, timed or not

    @property
    def total_units(self) -> int:
        return sum(self.units.values())

    @property
    def billed_minutes(self) -> dict[str, int]:
        return {c: m for c, m in self.minutes_by_code.items() if c not in self.refused}

    @property
    def timed_minutes(self) -> int:
        return sum(self.billed_minutes.values())


def visit_units(
    techniques: Iterable[TechniqueMinutes],
    *,
    rule: str,
    refused: Collection[str] = (),
) -> VisitUnits:
    """Gather a visit's timed minutes by CPT code and bill them under `rule`.

    Untimed items (97010 hot or cold packs) and techniques without a code earn no
    units. Codes the payer refuses are not billed to it, so their minutes do not
    count towards the visit's total timed minutes either.
    """
    by_code: dict[str, int] = defaultdict(int)
    untimed: list[str] = []
    not_billable: list[str] = []
    total = 0
    for technique in techniques:
        total += technique.minutes
        if not technique.code:
            not_billable.append(technique.name)
        elif not technique.timed:
            untimed.append(f"{technique.name} ({technique.code})")
        else:
            by_code[technique.code] += technique.minutes
    refused_here = frozenset(c for c in by_code if c in set(refused))
    billed = {c: m for c, m in by_code.items() if c not in refused_here}
    return VisitUnits(
        rule=rule,
        minutes_by_code=dict(by_code),
        units=billing_units(billed, rule),
        refused=refused_here,
        untimed=tuple(untimed),
        not_billable=tuple(not_billable),
        total_minutes=total,
    )
