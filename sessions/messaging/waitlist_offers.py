"""The waitlist offer's signed link and its two messages (the offer, "slot taken").

A token names the offer, signed with the site's secret (django.core.signing), so it
cannot be altered or made up. Whether it is still usable (not expired, not used, not
gone to someone else) is decided when it is opened, from the offer's row. The message
rows are written by the waitlist services inside their transaction, like every other
client message (`sessions.messaging.outbox`).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core import signing
from django.urls import reverse

from massageclinic.models import clinic_policy
from sessions.models import OutboundMessage, WaitlistOffer

SALT = "sessions.messaging.waitlist-offer"

Kind = OutboundMessage.Kind


def offer_token(offer: WaitlistOffer) -> str:
    return signing.dumps({"o": offer.pk}, salt=SALT)


def offer_url(offer: WaitlistOffer) -> str:
    return settings.CLINIC_BASE_URL + reverse(
        "sessions:waitlist_offer_link", args=[offer_token(offer)]
    )


def offer_from_token(token: str) -> int | None:
    """The offer id a token names, or None for a token altered or made up."""
    try:
        payload = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("o"), int):
        return None
    return payload["o"]


def _row(offer: WaitlistOffer, kind: str, now: datetime) -> OutboundMessage:
    client = offer.entry.client
    return OutboundMessage.objects.create(
        kind=kind,
        waitlist_offer=offer,
        client=client,
        to_email=client.email,
        # The clinic's grace period, as for every message; an offer is not corrected
        # afterwards, but the same release keeps one path through the outbox.
        send_at=now + clinic_policy().message_grace,
    )


def messages_waitlist_offered(*, offer: WaitlistOffer, now: datetime) -> None:
    """The offer email with its link: call inside the offer's transaction."""
    _row(offer, Kind.WAITLIST_OFFER, now)


def messages_waitlist_gone(*, offers: list[WaitlistOffer], now: datetime) -> None:
    """Tell each of these clients the slot they were offered is taken; an offer
    email not yet sent is cancelled instead (nobody needs both)."""
    for offer in offers:
        unsent = OutboundMessage.objects.filter(
            waitlist_offer=offer, kind=Kind.WAITLIST_OFFER, status="pending"
        ).update(status="cancelled", skip_reason="the slot was taken before sending")
        if not unsent:
            _row(offer, Kind.WAITLIST_GONE, now)


def offer_message_verdict(
    row: OutboundMessage, now: datetime
) -> tuple[str, str] | None:
    """Why an offer email must not go out now; None when it may."""
    offer = row.waitlist_offer
    if offer is None:
        return "cancelled", "no waitlist offer"
    if row.kind == Kind.WAITLIST_OFFER:
        if offer.state != WaitlistOffer.State.OFFERED:
            return "cancelled", f"the offer is {offer.get_state_display().lower()}"
        if offer.expires_at <= now:
            return "cancelled", "the offer expired before sending"
        if offer.entry.closed_at is not None:
            return "cancelled", "the client is no longer on the waitlist"
    return None
