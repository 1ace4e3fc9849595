"""What the waitlist page offers each waiting client: freed slots and next openings.

Freed slots are cancelled visits still ahead whose time nobody has taken; which
entries fit one is the one matcher (`openings.waitlist_matches`), worked out for the
entries of the page shown. Next openings are the one search (`openings.find_openings`)
with the entry's wishes and client, so a client booking would refuse (for safety, or
busy then) is offered nothing; a search costs tens of milliseconds at a busy
practice's size, so each entry's is run only when the desk asks for it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from urllib.parse import urlencode

from django.urls import reverse

from massageclinic.clock import local_datetime
from sessions.models import Appointment, WaitlistEntry, WaitlistOffer
from sessions.scheduling.openings import (
    FreeSlot,
    find_openings,
    waitlist_matches_for,
)

PER_ENTRY = 3  # matches shown for each entry
FREED_AHEAD = timedelta(days=14)
FREED_AT_MOST = 8  # freed slots judged per page (the earliest)
SEARCH_DAYS = 21


@dataclass(frozen=True)
class Match:
    entry: WaitlistEntry
    slot: FreeSlot
    freed: bool  # a cancelled visit's time (else an opening the search found)
    offered: bool = False  # offered to this client already, awaiting the reply

    @property
    def local_start(self) -> datetime:
        return self.slot.starts_at.astimezone(self.slot.location.zone)

    @property
    def when(self) -> str:
        """The start in the location's zone (templates would show UTC)."""
        local = self.local_start
        return f"{local:%a} {local.day} {local:%b}, {local:%H:%M}"

    @property
    def book_url(self) -> str:
        """The booking form, pre-filled with the slot and the entry."""
        local, entry, slot = self.local_start, self.entry, self.slot
        query = {
            "location": slot.location.pk,
            "therapist": slot.therapist.pk,
            "starts": f"{local:%Y-%m-%dT%H:%M}",
            "client": entry.client_id,
            "duration": entry.duration_minutes,
            "waitlist": entry.pk,
        }
        if slot.room is not None:
            query["room"] = slot.room.pk
        if local.fold:
            query["fold"] = 1
        modality = entry.modality or slot.modality
        if modality is not None:
            query["modality"] = modality.pk
        return f"{reverse('sessions:book')}?{urlencode(query)}"

    @property
    def offer_fields(self) -> dict[str, object]:
        """What "Offer to client" posts: the slot, never the entry's wishes."""
        slot = self.slot
        return {
            "therapist": slot.therapist.pk,
            "location": slot.location.pk,
            "room": slot.room.pk if slot.room else "",
            "starts_at": slot.starts_at.isoformat(),
            "freed": slot.freed.pk if slot.freed else "",
        }


def _freed_slots(entries: list[WaitlistEntry], now: datetime) -> list[Appointment]:
    """The earliest cancelled visits ahead at the entries' locations, one per time."""
    visits = (
        Appointment.objects.filter(
            status__in=Appointment.NON_BLOCKING_STATUSES,
            location__in={e.location_id for e in entries},
            starts_at__gt=now,
            starts_at__lt=now + FREED_AHEAD,
        )
        .select_related("therapist__user", "location", "room", "modality")
        .order_by("starts_at", "pk")
    )
    seen, freed = set(), []
    for visit in visits[: FREED_AT_MOST * 3]:
        key = (visit.therapist_id, visit.starts_at)
        if key not in seen:
            seen.add(key)
            freed.append(visit)
    return freed[:FREED_AT_MOST]


def _openings(entry: WaitlistEntry, now: datetime, wanted: int) -> list[FreeSlot]:
    if entry.modality is None or wanted <= 0:
        return []  # the search needs a technique: "any" gets the freed slots only
    zone = entry.location.zone
    first_day = max(now.astimezone(zone).date(), entry.wanted_from)
    days = min(SEARCH_DAYS, (entry.wanted_until - first_day).days + 1)
    if days <= 0:
        return []
    start = max(now, local_datetime(first_day, time(0), entry.location))
    openings = find_openings(
        modality=entry.modality,
        duration_minutes=entry.duration_minutes,
        location=entry.location,
        now=start,
        therapist=entry.therapist,
        client=entry.client,
        weekdays=set(entry.weekdays) or None,
        earliest=entry.earliest_time,
        latest=entry.latest_time,
        days=days,
        limit=wanted,
    )
    return [
        FreeSlot(
            therapist=o.therapist,
            location=o.location,
            starts_at=o.starts_at,
            ends_at=o.ends_at,
            room=o.room,
        )
        for o in openings
    ]


def entry_matches(
    entries: list[WaitlistEntry], *, now: datetime, openings: bool = False
) -> dict[int, list[Match]]:
    """For each entry (by id): its freed slots first, then (`openings`) its next
    openings. The list page asks for the freed slots only; one entry's openings are
    a search of their own, loaded when the desk asks (`waitlist_entry_openings`)."""
    if not entries:
        return {}
    found: dict[int, list[Match]] = {e.pk: [] for e in entries}
    slots = [FreeSlot.of_visit(visit) for visit in _freed_slots(entries, now)]
    matched = waitlist_matches_for(slots, now=now, among=entries)
    for slot, fitting in zip(slots, matched, strict=True):
        for entry in fitting:
            if len(found[entry.pk]) < PER_ENTRY:
                found[entry.pk].append(Match(entry, slot, freed=True))
    for entry in entries if openings else []:
        taken = {m.slot.starts_at for m in found[entry.pk]}
        for slot in _openings(entry, now, PER_ENTRY - len(found[entry.pk])):
            if slot.starts_at not in taken:
                found[entry.pk].append(Match(entry, slot, freed=False))
    offered = set(
        WaitlistOffer.objects.filter(
            entry__in=entries,
            state=WaitlistOffer.State.OFFERED,
            expires_at__gt=now,
        ).values_list("entry_id", "therapist_id", "starts_at")
    )
    return {
        pk: [
            replace(m, offered=(pk, m.slot.therapist.pk, m.slot.starts_at) in offered)
            for m in matches
        ]
        for pk, matches in found.items()
    }
