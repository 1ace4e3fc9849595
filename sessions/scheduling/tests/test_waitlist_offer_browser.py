"""A freed slot offered to the waitlist and taken from the email, in a real Chromium:
the desk offers it to two waiting clients, the first takes it on a phone-sized page,
and the second client's link then says the time is gone."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.messaging.render import render_message
from sessions.messaging.waitlist_offers import offer_token
from sessions.models import (
    Appointment,
    OutboundMessage,
    WaitlistEntry,
    WaitlistOffer,
)
from sessions.scheduling.booking import appointment_book, appointment_cancel
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

SHOTS = Path("/tmp/shots/helper-waitlist")  # noqa: S108 - outside the repository
PHONE = {"width": 390, "height": 844}


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def freed(front_desk):
    location = LocationFactory(
        name="Riverside Medical Massage",
        time_zone="America/New_York",
        phone="(518) 555-0142",
    )
    ann = TherapistFactory(user__first_name="Ann", user__last_name="Able")
    Training.objects.create(therapist=ann, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=ann,
            location=location,
            weekday=weekday,
            starts_at=time(9),
            ends_at=time(11),
        )
    now = timezone.now()
    day = now.astimezone(location.zone).date() + timedelta(days=4)
    visit = appointment_book(
        client=ClientFactory(first_name="Carl", last_name="Cancels"),
        therapist=ann,
        modality=modality("swedish"),
        location=location,
        room=RoomFactory(location=location, name="Room 1"),
        starts_at=local_datetime(day, time(10), location),
        duration_minutes=60,
        booked_by=front_desk,
        now=now,
    )
    appointment_cancel(appointment=visit, by=front_desk, reason="sick", now=now)
    for first, last in (("Wanda", "Waits"), ("Xena", "Later")):
        WaitlistEntry.objects.create(
            client=ClientFactory(first_name=first, last_name=last),
            location=location,
            modality=modality("swedish"),
            wanted_from=day - timedelta(days=4),
            wanted_until=day + timedelta(days=1),
            earliest_time=time(10),
            created_by=front_desk,
        )
    return visit


def _link_path(first_name: str) -> str:
    row = OutboundMessage.objects.get(
        kind=OutboundMessage.Kind.WAITLIST_OFFER,
        client__first_name=first_name,
    )
    text = render_message(row, timezone.now()).text
    url = re.search(r"https?://\S+/waitlist-offer/\S+/", text).group(0)
    return "/" + url.split("/", 3)[3]


def test_the_desk_offers_a_freed_slot_and_the_first_client_takes_it_on_a_phone(
    page, browser, live_server, freed
):
    sign_in_through_the_page(page, "frontdesk")
    page.goto("/waitlist/")
    wanda = page.get_by_role("list", name="Times for Wanda Waits")
    wanda_freed = wanda.get_by_role("listitem").filter(has_text="Freed")
    expect(wanda_freed).to_have_count(1)
    expect(wanda_freed.get_by_role("link", name=re.compile("Book now"))).to_be_visible()
    _shot(page, "1-waitlist-with-matches")

    wanda_freed.get_by_role("button", name=re.compile("Offer to client")).click()
    expect(page.get_by_text(re.compile("Offered .* to Wanda Waits"))).to_be_visible()
    page.get_by_role("list", name="Times for Xena Later").get_by_role(
        "listitem"
    ).filter(has_text="Freed").get_by_role(
        "button", name=re.compile("Offer to client")
    ).click()
    expect(page.get_by_text(re.compile("Offered .* to Xena Later"))).to_be_visible()
    _shot(page, "2-offered")

    # The clients, on their phones, without logging in.
    phone = browser.new_context(base_url=live_server.url, viewport=PHONE)
    try:
        # Xena opens her email first, and is still reading when Wanda takes it.
        theirs = phone.new_page()
        theirs.goto(_link_path("Xena"))
        expect(theirs.get_by_role("button", name="Take this time")).to_be_visible()

        mine = phone.new_page()
        mine.goto(_link_path("Wanda"))
        heading = mine.get_by_role("heading", name="A time has opened up for you")
        expect(heading).to_be_visible()
        take = mine.get_by_role("button", name="Take this time")
        expect(take).to_be_visible()
        _shot(mine, "3-offer-on-a-phone")
        take.click()
        expect(mine.get_by_role("heading", name="This time is yours")).to_be_visible()
        _shot(mine, "4-taken")
        width = mine.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]  # nothing runs off the phone's screen

        theirs.get_by_role("button", name="Take this time").click()
        expect(
            theirs.get_by_role("heading", name="This time has just been taken")
        ).to_be_visible()
        _shot(theirs, "5a-just-taken-for-the-second-client")
        theirs.goto(_link_path("Xena"))
        expect(
            theirs.get_by_role("heading", name="This time has been taken")
        ).to_be_visible()
        expect(theirs.get_by_role("button", name="Take this time")).to_have_count(0)
        _shot(theirs, "5-gone-for-the-second-client")
    finally:
        phone.close()

    booked = Appointment.objects.exclude(
        status__in=Appointment.NON_BLOCKING_STATUSES
    ).get(starts_at=freed.starts_at)
    assert booked.client.first_name == "Wanda" and booked.room == freed.room
    assert WaitlistEntry.objects.get(client__first_name="Xena").closed_at is None

    page.goto("/waitlist/")
    expect(page.get_by_role("link", name="Wanda Waits")).to_have_count(0)
    # Xena still waits; the taken time is no longer among her matches.
    xena = page.get_by_role("list", name="Times for Xena Later")
    expect(xena.get_by_role("listitem").filter(has_text="Freed")).to_have_count(0)
    _shot(page, "6-waitlist-after")


def test_an_expired_offer_link_says_so_on_a_phone(page, freed, front_desk):
    entry = WaitlistEntry.objects.get(client__first_name="Wanda")
    made = timezone.now() - timedelta(days=2)
    offer = WaitlistOffer.objects.create(
        entry=entry,
        therapist=freed.therapist,
        location=freed.location,
        room=freed.room,
        modality=freed.modality,
        starts_at=freed.starts_at,
        ends_at=freed.ends_at,
        freed=freed,
        expires_at=made + timedelta(days=1),
        created_by=front_desk,
        created_at=made,
    )
    page.set_viewport_size(PHONE)
    page.goto(f"/waitlist-offer/{offer_token(offer)}/")
    expect(page.get_by_role("heading", name="This offer has expired")).to_be_visible()
    expect(page.get_by_role("button", name="Take this time")).to_have_count(0)
    _shot(page, "7-expired-on-a-phone")
