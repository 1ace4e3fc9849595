"""Rules about therapists that other code asks, each in one place."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from massageclinic.clock import location_zone
from therapists.models import Therapist, WorkingHours


def therapist_zones(therapist_ids: Iterable[int]) -> dict[int, ZoneInfo]:
    """The time zone of each therapist, for many at once (two queries at most).

    A therapist's zone is that of the location(s) of their working hours when they
    all share one zone; with no hours, or hours in several zones, it is the clinic's
    (its first active location's, see massageclinic.clock). Times typed for a
    therapist (time off) are read in this zone.
    """
    ids = set(therapist_ids)
    zones: dict[int, set[str]] = defaultdict(set)
    rows = (
        WorkingHours.objects.filter(therapist_id__in=ids)
        .values_list("therapist_id", "location__time_zone")
        .distinct()
    )
    for therapist_id, zone in rows:
        zones[therapist_id].add(zone)
    fallback: ZoneInfo | None = None
    found: dict[int, ZoneInfo] = {}
    for therapist_id in ids:
        own = zones.get(therapist_id, set())
        if len(own) == 1:
            found[therapist_id] = ZoneInfo(next(iter(own)))
            continue
        if fallback is None:
            fallback = location_zone(None)
        found[therapist_id] = fallback
    return found


def therapist_zone(therapist: Therapist) -> ZoneInfo:
    """The time zone a therapist works in (see therapist_zones for the rule)."""
    return therapist_zones([therapist.pk])[therapist.pk]
