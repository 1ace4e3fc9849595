"""Validators for clinic-wide facts (time zones, colours, NPI, ICD-10, CPT)."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator

ICD10_PATTERN = r"^[A-Z][0-9][0-9A-Z](\.[0-9A-Z]{1,4})?$"
validate_icd10 = RegexValidator(
    ICD10_PATTERN,
    "Enter an ICD-10-CM code such as M54.50 or S13.4XXA (a letter, two characters, "
    "optionally a dot and 1-4 more).",
)
validate_cpt = RegexValidator(
    r"^[0-9]{5}$", "Enter a five-digit CPT code such as 97124."
)
validate_hex_colour = RegexValidator(
    r"^#[0-9a-fA-F]{6}$",
    "Enter a colour as # followed by six hex digits, e.g. #3b82f6.",
)


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def validate_time_zone(value: str) -> None:
    if value not in _zone_names():
        raise ValidationError(
            "%(value)s is not a time zone name; use an IANA name such as America/New_York.",
            params={"value": value},
        )


def npi_is_valid(value: str) -> bool:
    """NPI: 10 digits, the last a Luhn check digit over '80840' + the first nine."""
    if not re.fullmatch(r"[0-9]{10}", value or ""):
        return False
    digits = [int(d) for d in "80840" + value[:9]]
    total = 0
    # Luhn: double every second digit from the right of the payload (the check digit
    # is not part of it, so the rightmost payload digit is doubled).
    for position, digit in enumerate(reversed(digits)):
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10 == int(value[9])


def validate_npi(value: str) -> None:
    if not npi_is_valid(value):
        raise ValidationError(
            "%(value)s is not a valid NPI: it must be 10 digits with a correct check digit.",
            params={"value": value},
        )
