"""The page behind the link in a waitlist offer email (no login, phone-sized).

Opening the link only shows the time and a button: mail scanners and link previews
open links too, and must not book anybody. The button posts; the first client to
take the time gets it (`waitlist_offer_take`); using the link again says so.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import URLPattern, path
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from massageclinic.models import clinic_policy
from sessions.messaging.render import long_date, short_time
from sessions.messaging.waitlist_offers import offer_from_token
from sessions.models import WaitlistOffer
from sessions.scheduling.waitlist import TakeOutcome, waitlist_offer_take


def _when(moment, location) -> str:
    local = moment.astimezone(location.zone)
    return f"{long_date(local)} at {short_time(local)} ({local.tzname()})"


def _state(offer: WaitlistOffer, now) -> str:
    if offer.state == WaitlistOffer.State.TAKEN:
        return "booked"
    if offer.entry.closed_at is not None:
        return "closed"
    if offer.state == WaitlistOffer.State.GONE:
        return "gone"
    if offer.state == WaitlistOffer.State.EXPIRED or now >= offer.expires_at:
        return "expired"
    return "open"


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def waitlist_offer_link(request: HttpRequest, token: str) -> HttpResponse:
    clinic_name = clinic_policy().clinic_name
    offer_id = offer_from_token(token)
    offer = (
        WaitlistOffer.objects.select_related(
            "location", "therapist__user", "room", "entry"
        )
        .filter(pk=offer_id)
        .first()
        if offer_id is not None
        else None
    )
    if offer is None:
        return render(
            request,
            "sessions/link_invalid.html",
            {
                "clinic_name": clinic_name,
                "message": "This link is not valid. Check that it was copied in "
                "full, or call the clinic.",
                "expired": False,
                "location": None,
            },
            status=400,
        )
    now = timezone.now()
    state = _state(offer, now)
    status = 200
    if request.method == "POST":
        result = waitlist_offer_take(offer=offer, now=now)
        offer = result.offer
        state = {
            TakeOutcome.BOOKED: "booked",
            TakeOutcome.GONE: "just_gone",
            TakeOutcome.EXPIRED: "expired",
            TakeOutcome.CALL: "call",
            TakeOutcome.CLOSED: "closed",
        }[result.outcome]
        status = {
            "booked": 200,
            "just_gone": 409,
            "expired": 410,
            "call": 409,
            "closed": 410,
        }[state]
    elif state in ("expired", "closed"):
        status = 410
    location = offer.location
    return render(
        request,
        "sessions/link_waitlist_offer.html",
        {
            "clinic_name": clinic_name,
            "phone": location.phone,
            "location": location,
            "state": state,
            "when": _when(offer.starts_at, location),
            "minutes": offer.duration_minutes,
            "therapist": offer.therapist.first_name,
            "place": offer.get_place_display(),
            "expires": _when(offer.expires_at, location),
        },
        status=status,
    )


urlpatterns: list[URLPattern] = [
    path(
        "waitlist-offer/<str:token>/",
        waitlist_offer_link,
        name="waitlist_offer_link",
    ),
]
