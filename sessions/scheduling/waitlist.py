"""The waitlist: a client's wish for an earlier or another slot, added and closed.

Which entries fit a freed slot is `openings.waitlist_matches` (the scheduling rules
and the safety decision, as booking asks them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Value
from django.db.models.functions import Concat, Left

from clients.models import Client
from clients.safety import modality_safety
from massageclinic.lengths import minutes_problem
from sessions.messaging.waitlist_offers import (
    messages_waitlist_gone,
    messages_waitlist_offered,
)
from sessions.models import (
    Appointment,
    AppointmentEvent,
    WaitlistEntry,
    WaitlistOffer,
)
from sessions.scheduling.booking import BookingNeedsConfirmation, appointment_book
from sessions.scheduling.openings import (
    FreeSlot,
    waitlist_matches,
    waitlist_technique,
)
from sessions.scheduling.rules import visit_end


def waitlist_entry_problems(
    *,
    wanted_from: date | None,
    wanted_until: date | None,
    earliest_time: time | None,
    latest_time: time | None,
    duration_minutes: int | None,
) -> dict[str, str]:
    """What is wrong with a waitlist wish, by field (the form and the service ask)."""
    problems = {}
    if wanted_from and wanted_until and wanted_until < wanted_from:
        problems["wanted_until"] = "The last date is before the first one."
    if earliest_time and latest_time and latest_time <= earliest_time:
        problems["latest_time"] = "'Not after' must be later than 'not before'."
    if duration_minutes is not None and (wrong := minutes_problem(duration_minutes)):
        problems["duration_minutes"] = wrong
    return problems


@transaction.atomic
def waitlist_add(*, entry: WaitlistEntry, by: User) -> WaitlistEntry:
    """Put a client on the waitlist with what would suit them."""
    problems = waitlist_entry_problems(
        wanted_from=entry.wanted_from,
        wanted_until=entry.wanted_until,
        earliest_time=entry.earliest_time,
        latest_time=entry.latest_time,
        duration_minutes=entry.duration_minutes,
    )
    if problems:
        raise ValidationError(list(problems.values()))
    entry.created_by = by
    entry.save()
    return entry


@transaction.atomic
def waitlist_close(
    *,
    entry: WaitlistEntry,
    now: datetime,
    appointment: Appointment | None = None,
) -> WaitlistEntry:
    """Close a waitlist entry: taken off by hand, or booked as `appointment`.

    When booking, call it in the booking's transaction: if it raises, the visit is
    not booked either.
    """
    locked = WaitlistEntry.objects.select_for_update().get(pk=entry.pk)
    if locked.closed_at is not None:
        if appointment is None:
            raise ValidationError("This waitlist entry is already closed.")
        raise ValidationError(
            f"{appointment.client.full_name}'s waitlist entry was closed a moment ago "
            "(booked by someone else?). Check the calendar before booking again."
        )
    if appointment is not None and locked.client_id != appointment.client_id:
        raise ValidationError(
            "The waitlist entry is for another client. Book that client, or start a "
            "new booking without the waitlist."
        )
    locked.closed_at = now
    locked.booked_appointment = appointment
    locked.save(update_fields=["closed_at", "booked_appointment"])
    entry.closed_at, entry.booked_appointment = now, appointment
    return locked


# --- offers by email --------------------------------------------------------------

# How long an offer stays open at most (never past the slot's start).
OFFER_LIFETIME = timedelta(hours=24)


class TakeOutcome(StrEnum):
    BOOKED = "booked"  # this client has the time now (just now, or before)
    GONE = "gone"  # someone else took it first, or it is no longer free
    EXPIRED = "expired"
    CALL = "call"  # the booking needs the desk (an alert to acknowledge, ...)
    CLOSED = "closed"  # the client is off the waitlist (booked, or taken off)


@dataclass(frozen=True)
class TakeResult:
    offer: WaitlistOffer
    outcome: TakeOutcome
    appointment: Appointment | None = None


@transaction.atomic
def waitlist_offer_make(
    *, entry: WaitlistEntry, slot: FreeSlot, by: User, now: datetime
) -> WaitlistOffer:
    """Offer a free slot to a waiting client by email, if the one matcher (booking's
    rules and the safety decision) says they could be booked into it."""
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("client", "modality", "location")
        .get(pk=entry.pk)
    )
    name = entry.client.full_name
    if entry.closed_at is not None:
        raise ValidationError(f"{name} is no longer on the waitlist.")
    if slot.starts_at <= now:
        raise ValidationError("That time has passed: choose a later one.")
    if not entry.client.email or not entry.client.email_reminders:
        raise ValidationError(
            f"{name} has no email address or does not want emails from the clinic: "
            "call them, or book the time for them."
        )
    modality = waitlist_technique(entry, slot)
    if modality is None or not waitlist_matches(slot=slot, now=now, among=[entry]):
        raise ValidationError(
            f"{name} cannot be offered this time: booking would refuse it (the "
            "client's safety alerts, their other visits, or the therapist's or the "
            "room's schedule). Open the booking form to see why."
        )
    verdict = modality_safety(
        client=entry.client,
        modality=modality,
        on=slot.starts_at.astimezone(slot.location.zone).date(),
    )
    if verdict.needs_acknowledgement:
        # Taking it through the link would leave nobody to acknowledge it.
        raise ValidationError(
            f"{name} has a safety alert the desk acknowledges when booking "
            f"({'; '.join(c.shared_text for c in verdict.concerns)}): use "
            "'Book now', or call them."
        )
    for earlier in WaitlistOffer.objects.select_for_update().filter(
        entry=entry,
        therapist=slot.therapist,
        starts_at=slot.starts_at,
        state=WaitlistOffer.State.OFFERED,
    ):
        if earlier.expires_at > now:
            raise ValidationError(f"{name} has already been offered this time.")
        _decide(earlier, WaitlistOffer.State.EXPIRED, now)  # offered again below
    ends_at = visit_end(slot.starts_at, entry.duration_minutes)
    offer = WaitlistOffer.objects.create(
        entry=entry,
        therapist=slot.therapist,
        location=slot.location,
        room=slot.room,
        place=slot.place,
        modality=modality,
        starts_at=slot.starts_at,
        ends_at=ends_at,
        freed=slot.freed,
        expires_at=min(slot.starts_at, now + OFFER_LIFETIME),
        created_by=by,
        created_at=now,
    )
    messages_waitlist_offered(offer=offer, now=now)
    return offer


def _siblings(offer: WaitlistOffer):
    """Every offer of the same therapist's time (the same slot, or one overlapping)."""
    return WaitlistOffer.objects.filter(
        therapist=offer.therapist_id,
        starts_at__lt=offer.ends_at,
        ends_at__gt=offer.starts_at,
    )


def _decide(offer: WaitlistOffer, state: str, now: datetime) -> None:
    offer.state = state
    offer.decided_at = now
    offer.save(update_fields=["state", "decided_at"])


@transaction.atomic
def waitlist_offer_take(*, offer: WaitlistOffer, now: datetime) -> TakeResult:
    """The client takes the offered time through their link: the first to take it
    gets it booked (booking's rules, its confirmation email); the others' offers turn
    `gone` and they are told; the taker's waitlist entry is closed.

    Every offer of the time is locked first, in one order, so two clients taking it
    at once are served one after the other: the second sees it taken.
    """
    # The client first, as a merge locks them before it moves their waitlist
    # entries: a take racing a merge waits for it instead of deadlocking (a merged
    # record then takes no visit). Then the entry, as making an offer locks it: a
    # take and an offer (or two takes by one client) wait for each other.
    Client.objects.select_for_update(no_key=True).filter(
        pk=WaitlistEntry.objects.filter(pk=offer.entry_id).values("client_id")[:1]
    ).exists()
    entry = (
        WaitlistEntry.objects.select_for_update(of=("self",))
        .select_related("client", "modality", "location")
        .get(pk=offer.entry_id)
    )
    locked = {
        o.pk: o
        for o in _siblings(offer)
        .select_for_update(of=("self",))
        .select_related("entry__client", "therapist__user", "location", "room")
        .order_by("pk")
    }
    offer = locked[offer.pk]
    if offer.state == WaitlistOffer.State.TAKEN:
        return TakeResult(offer, TakeOutcome.BOOKED, offer.booked_appointment)
    if offer.state == WaitlistOffer.State.GONE:
        return TakeResult(offer, TakeOutcome.GONE)
    if offer.state == WaitlistOffer.State.EXPIRED or now >= offer.expires_at:
        if offer.state == WaitlistOffer.State.OFFERED:
            _decide(offer, WaitlistOffer.State.EXPIRED, now)
        return TakeResult(offer, TakeOutcome.EXPIRED)
    if entry.closed_at is not None:
        _decide(offer, WaitlistOffer.State.EXPIRED, now)
        return TakeResult(offer, TakeOutcome.CLOSED)
    slot = FreeSlot(
        therapist=offer.therapist,
        location=offer.location,
        starts_at=offer.starts_at,
        ends_at=offer.ends_at,
        place=offer.place,
        room=offer.room,
        modality=offer.modality,
        freed=offer.freed,
    )
    if not waitlist_matches(slot=slot, now=now, among=[entry]):
        # Booked by the desk meanwhile, or no longer safe or free for this client.
        _decide(offer, WaitlistOffer.State.GONE, now)
        return TakeResult(offer, TakeOutcome.GONE)
    try:
        with transaction.atomic():
            visit = appointment_book(
                client=entry.client,
                therapist=offer.therapist,
                modality=offer.modality,
                location=offer.location,
                starts_at=offer.starts_at,
                duration_minutes=offer.duration_minutes,
                booked_by=offer.created_by,
                now=now,
                place=offer.place,
                room=offer.room,
            )
    except BookingNeedsConfirmation:
        return TakeResult(offer, TakeOutcome.CALL)
    except ValidationError:
        _decide(offer, WaitlistOffer.State.GONE, now)
        return TakeResult(offer, TakeOutcome.GONE)
    # The client booked it through their link; the desk only offered it.
    AppointmentEvent.objects.filter(
        appointment=visit, kind=AppointmentEvent.Kind.BOOKED
    ).update(
        by=None,
        summary=Left(
            Concat(
                "summary",
                Value(
                    " (taken by the client from the waitlist offer "
                    f"{offer.created_by.get_full_name() or offer.created_by} sent)"
                ),
            ),
            250,
        ),
        details={"waitlist_offer": offer.pk, "offered_by": offer.created_by_id},
    )
    offer.booked_appointment = visit
    offer.state = WaitlistOffer.State.TAKEN
    offer.decided_at = now
    offer.save(update_fields=["state", "decided_at", "booked_appointment"])
    waitlist_close(entry=entry, now=now, appointment=visit)
    others = [
        o
        for o in locked.values()
        if o.pk != offer.pk and o.state == WaitlistOffer.State.OFFERED
    ]
    for other in others:
        _decide(other, WaitlistOffer.State.GONE, now)
    messages_waitlist_gone(offers=others, now=now)
    # The taker's offers of other times close with the entry (their unsent emails
    # are not sent: `offer_message_verdict`).
    for mine in WaitlistOffer.objects.select_for_update().filter(
        entry=entry, state=WaitlistOffer.State.OFFERED
    ):
        _decide(mine, WaitlistOffer.State.EXPIRED, now)
    return TakeResult(offer, TakeOutcome.BOOKED, visit)
