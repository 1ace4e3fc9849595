"""Validators for clinic-wide facts (time zones, colours, NPI, ICD-10, CPT)."""

from __future__ import annotations

import re
import zoneinfo
from datetime import date
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


def parse_id(raw: object) -> int | None:
    """A database id from a query string or a hidden field, or None if it is not one.

    `int()` accepts any Unicode decimal digit and any length; a tampered value must
    not reach the database as a number it cannot hold.
    """
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 12:
        return None
    return int(text)


EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)


def validate_clinic_date(value: date) -> None:
    """Dates of care and paperwork: a year like 1900 or 0001 is a typing slip."""
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValidationError(
            "Enter a date between %(start)s and %(end)s.",
            params={"start": EARLIEST_DATE.year, "end": LATEST_DATE.year},
        )


def validate_life_event_date(value: date) -> None:
    """A date in a person's history (a birth, an operation): not before 1900."""
    if not date(1900, 1, 1) <= value <= LATEST_DATE:
        raise ValidationError("Enter a date from 1900 on.")
