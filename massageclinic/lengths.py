"""How long a visit may be: 15 minutes to 4 hours, in whole quarter hours.

The one rule for a visit's length, asked by the scheduling engine (of the real time
between start and end), the booking and series forms (which lengths to offer), the
waitlist and the clinic policy's session lengths.
"""

from __future__ import annotations

from datetime import timedelta

STEP = timedelta(minutes=15)
LONGEST_VISIT = timedelta(hours=4)
LENGTH_RULE = "A visit lasts 15 minutes to 4 hours, in steps of 15 minutes."


def length_problem(length: timedelta) -> str | None:
    """The rule's sentence when `length` breaks it, else None."""
    if length < STEP or length % STEP or length > LONGEST_VISIT:
        return LENGTH_RULE
    return None


def valid_minutes(minutes: int | None) -> bool:
    return minutes is not None and length_problem(timedelta(minutes=minutes)) is None
