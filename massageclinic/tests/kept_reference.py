"""Reference data kept as a process serving requests keeps it (massageclinic.reference).

Tests start with none kept (the root conftest), so the first read after their set-up
reads every part once more than a serving process would; `keep_reference_data()`
reads them first, so a count pinned after it is the steady state's.
"""

from __future__ import annotations

from massageclinic.reference import reference, registered_parts


def keep_reference_data() -> None:
    reference()


def parts_read_after_a_change() -> int:
    """The statements the first read after a change adds: every part, once."""
    return len(registered_parts())
