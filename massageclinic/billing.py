"""Billing units from timed minutes: the CMS 8-minute rule, or units per code.

Pure functions on {CPT code: minutes}; untimed codes must be left out by the caller.
"""

from __future__ import annotations

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
