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

# The clinic's travel buffer before and after a home or workplace visit is at most
# this. With the longest visit it bounds how far a visit's busy time reaches, so a
# range query over visits can start its index scan a known distance back.
LONGEST_TRAVEL = timedelta(hours=2)
TRAVEL_RULE = "Travel time is 0 minutes to 2 hours."
# The furthest a visit's therapist busy span reaches before or after its start.
LONGEST_REACH_BACK = LONGEST_VISIT + LONGEST_TRAVEL
# The longest a therapist is busy for one visit: travel, the visit, travel.
LONGEST_BUSY = LONGEST_VISIT + 2 * LONGEST_TRAVEL


def length_problem(length: timedelta) -> str | None:
    """The rule's sentence when `length` breaks it, else None."""
    if length < STEP or length % STEP or length > LONGEST_VISIT:
        return LENGTH_RULE
    return None


def minutes_problem(minutes: int) -> str | None:
    """`length_problem` for a number of minutes as typed (any integer, however large:
    a timedelta of 10**30 minutes would overflow before the rule could say no)."""
    if not 0 < minutes <= LONGEST_VISIT // timedelta(minutes=1):
        return LENGTH_RULE
    return length_problem(timedelta(minutes=minutes))


def valid_minutes(minutes: int | None) -> bool:
    return minutes is not None and minutes_problem(minutes) is None
