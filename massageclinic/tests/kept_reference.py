"""Reference data kept as a process serving requests keeps it (massageclinic.reference).

Tests start with none kept (the root conftest), so the first read after their set-up
reads each part once more than a serving process would; `keep_reference_data()`
reads every part first, so a count pinned after it is the steady state's.
"""

from __future__ import annotations

from clients.safety import condition_rules
from massageclinic.reference import active_locations, active_rooms, reference
from therapists.reference import (
    active_modalities,
    hours_by_therapist,
    therapists_by_id,
    trainings,
)

PARTS = (
    active_locations,
    active_rooms,
    therapists_by_id,
    hours_by_therapist,
    trainings,
    active_modalities,
    condition_rules,
)


def keep_reference_data() -> None:
    ref = reference()
    for part in PARTS:
        ref.get(part)
