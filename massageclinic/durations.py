"""Durations in words, as a person reads them: "24 hours", "3 days", "2 hours 30
minutes", "15 minutes"; never Python's "1 day, 0:00:00" or the form's "1 00:00:00".

`duration_words` writes them, `duration_from_words` reads them back (and also the
"1 00:00:00" form Django writes), so a policy edited in words keeps its exact value.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_duration

MICROSECOND = timedelta(microseconds=1)
_US = {
    "day": 86_400_000_000,
    "hour": 3_600_000_000,
    "minute": 60_000_000,
    "second": 1_000_000,
}
# Below this, whole days read better as hours: "24 hours", "48 hours"; from it on,
# "3 days", "14 days".
DAYS_FROM = 3 * _US["day"]

_PART = re.compile(
    r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>days?|d|hours?|hrs?|h|minutes?|mins?|m|"
    r"seconds?|secs?|s)\b",
    re.IGNORECASE,
)
_UNIT = {"d": "day", "h": "hour", "hr": "hour", "m": "minute", "min": "minute"}
_UNIT |= {"s": "second", "sec": "second"}


def _plural(number: int | str, unit: str) -> str:
    return f"{number} {unit}" if str(number) == "1" else f"{number} {unit}s"


def duration_words(value: timedelta | None) -> str:
    """`value` in words, exactly: nothing is rounded away."""
    if value is None:
        return ""
    total = value // MICROSECOND
    sign, total = ("minus ", -total) if total < 0 else ("", total)
    if total == 0:
        return "0 minutes"
    parts: list[str] = []
    units = ["day", "hour", "minute"] if total >= DAYS_FROM else ["hour", "minute"]
    for unit in units:
        count, total = divmod(total, _US[unit])
        if count:
            parts.append(_plural(count, unit))
    if total:
        seconds, micro = divmod(total, _US["second"])
        number = f"{seconds}.{micro:06d}".rstrip("0").rstrip(".") if micro else seconds
        parts.append(_plural(number, "second"))
    return sign + " ".join(parts)


def duration_from_words(text: str) -> timedelta | None:
    """The duration `text` describes ("2 hours 30 minutes", "1 day, 3 hours",
    "90 minutes", "1 00:00:00"), or None when it describes none."""
    text = (text or "").strip()
    if not text:
        return None
    negative = False
    lowered = text.lower()
    for prefix in ("minus ", "-"):
        if lowered.startswith(prefix) and _PART.match(lowered[len(prefix) :].strip()):
            negative, lowered = True, lowered[len(prefix) :].strip()
    total = 0
    position = 0
    seen = False
    for match in _PART.finditer(lowered):
        between = lowered[position : match.start()]
        if between.strip(" ,") not in ("", "and"):
            break
        unit = match["unit"].lower().rstrip("s") or "s"
        unit = _UNIT.get(unit, unit)
        try:
            amount = Decimal(match["number"]) * _US[unit]
        except InvalidOperation:  # pragma: no cover - the pattern allows digits only
            return None
        if amount != amount.to_integral_value():
            return None  # finer than a microsecond
        total += int(amount)
        position = match.end()
        seen = True
    else:
        if seen and lowered[position:].strip(" .") == "":
            try:
                return timedelta(microseconds=-total if negative else total)
            except OverflowError:
                return None
    try:
        return parse_duration(text)
    except OverflowError:  # "99999999999 00:00:00": more days than a timedelta holds
        return None
