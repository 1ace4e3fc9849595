"""Offering a free slot to waiting clients by email, and the first to take it."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection

from clients.tests.factories import ClientFactory
from sessions.messaging.render import message_verdict, render_message
from sessions.messaging.waitlist_offers import offer_token
from sessions.models import Appointment, OutboundMessage, WaitlistOffer
from sessions.scheduling.openings import waitlist_matches
from sessions.scheduling.tests.waitlist_offer_setup import (
    NOW,
    SLOT,
    block_all_massage,
    freed_tuesday,
)
from sessions.scheduling.waitlist import (
    OFFER_LIFETIME,
    TakeOutcome,
    waitlist_close,
    waitlist_offer_make,
    waitlist_offer_take,
)

pytestmark = pytest.mark.django_db

Kind = OutboundMessage.Kind


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _offer(scene, entry, now=NOW):
    return waitlist_offer_make(entry=entry, slot=scene.slot, by=scene.desk, now=now)


def test_a_client_blocked_for_all_massage_is_never_offered_the_slot():
    scene = freed_tuesday()
    blocked = scene.wait(ClientFactory(first_name="Bea"))
    fine = scene.wait(ClientFactory(first_name="Fay"))
    block_all_massage(blocked.client, scene.desk)
    assert waitlist_matches(slot=scene.slot, now=NOW) == [fine]
    with pytest.raises(ValidationError, match="booking would refuse it"):
        _offer(scene, blocked)
    assert not WaitlistOffer.objects.exists()
    assert not OutboundMessage.objects.filter(kind=Kind.WAITLIST_OFFER).exists()


def test_a_client_blocked_after_the_offer_cannot_take_it():
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory())
    offer = _offer(scene, entry)
    block_all_massage(entry.client, scene.desk)
    result = waitlist_offer_take(offer=offer, now=NOW + timedelta(minutes=5))
    assert result.outcome == TakeOutcome.GONE
    assert not Appointment.objects.filter(client=entry.client).exists()


def test_offering_writes_the_offer_and_its_email_without_clinical_details():
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory(first_name="Wanda", email="wanda@example.org"))
    offer = _offer(scene, entry)
    assert offer.state == WaitlistOffer.State.OFFERED
    assert offer.expires_at == NOW + OFFER_LIFETIME
    assert (offer.starts_at, offer.room, offer.therapist) == (
        SLOT,
        scene.room,
        scene.ann,
    )
    row = OutboundMessage.objects.get(kind=Kind.WAITLIST_OFFER)
    assert row.waitlist_offer == offer and row.client == entry.client
    assert message_verdict(row, NOW + timedelta(minutes=5)) is None
    email = render_message(row, NOW + timedelta(minutes=5))
    assert "Tuesday, December 1, 2026 at 10:00 AM" in email.text
    assert "/waitlist-offer/" in email.text and "Ann" in email.text
    assert "Swedish" not in email.text + email.html + email.subject
    with pytest.raises(ValidationError, match="already been offered"):
        _offer(scene, entry)


def test_a_closed_entry_or_a_past_slot_is_not_offered():
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory())
    with pytest.raises(ValidationError, match="That time has passed"):
        _offer(scene, entry, now=SLOT + timedelta(minutes=1))
    entry.closed_at = NOW
    entry.save()
    with pytest.raises(ValidationError, match="no longer on the waitlist"):
        _offer(scene, entry)


def test_the_first_to_take_it_is_booked_and_the_others_are_told():
    scene = freed_tuesday()
    first = scene.wait(ClientFactory(first_name="Wanda"))
    second = scene.wait(ClientFactory(first_name="Xena"))
    offer_a, offer_b = _offer(scene, first), _offer(scene, second)
    OutboundMessage.objects.filter(kind=Kind.WAITLIST_OFFER).update(
        status="sent", sent_at=NOW + timedelta(minutes=3)
    )
    later = NOW + timedelta(minutes=10)
    result = waitlist_offer_take(offer=offer_a, now=later)
    assert result.outcome == TakeOutcome.BOOKED
    visit = result.appointment
    assert (visit.client, visit.starts_at, visit.therapist, visit.room) == (
        first.client,
        SLOT,
        scene.ann,
        scene.room,
    )
    event = visit.events.get(kind="booked")
    assert event.by is None  # the client, through the link
    desk = scene.desk.get_full_name()
    assert event.summary.endswith(f"from the waitlist offer {desk} sent)")
    # The same confirmation as any booking.
    assert OutboundMessage.objects.filter(
        appointment=visit, kind=Kind.CONFIRMATION
    ).exists()
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.closed_at == later and first.booked_appointment == visit
    assert second.closed_at is None  # still waiting
    offer_b.refresh_from_db()
    assert offer_b.state == WaitlistOffer.State.GONE
    gone = OutboundMessage.objects.get(kind=Kind.WAITLIST_GONE)
    assert gone.waitlist_offer == offer_b and gone.client == second.client
    assert "has just been taken" in render_message(gone, later).text
    # Taking again, or the second client taking it, changes nothing.
    assert waitlist_offer_take(offer=offer_a, now=later).outcome == TakeOutcome.BOOKED
    assert waitlist_offer_take(offer=offer_b, now=later).outcome == TakeOutcome.GONE
    assert Appointment.objects.filter(starts_at=SLOT).count() == 2  # freed + booked


def test_an_offer_not_yet_sent_is_withdrawn_instead_of_a_taken_notice():
    scene = freed_tuesday()
    first, second = scene.wait(ClientFactory()), scene.wait(ClientFactory())
    offer_a, offer_b = _offer(scene, first), _offer(scene, second)
    waitlist_offer_take(offer=offer_a, now=NOW + timedelta(minutes=1))
    row = OutboundMessage.objects.get(kind=Kind.WAITLIST_OFFER, waitlist_offer=offer_b)
    assert row.status == OutboundMessage.Status.CANCELLED
    assert not OutboundMessage.objects.filter(kind=Kind.WAITLIST_GONE).exists()


def test_an_expired_offer_books_nothing_and_its_email_is_not_sent():
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory())
    offer = _offer(scene, entry)
    late = offer.expires_at + timedelta(seconds=1)
    row = OutboundMessage.objects.get(kind=Kind.WAITLIST_OFFER)
    assert message_verdict(row, late) == (
        "cancelled",
        "the offer expired before sending",
    )
    assert waitlist_offer_take(offer=offer, now=late).outcome == TakeOutcome.EXPIRED
    offer.refresh_from_db()
    assert offer.state == WaitlistOffer.State.EXPIRED
    assert not Appointment.objects.filter(client=entry.client).exists()


def test_a_slot_the_desk_booked_meanwhile_is_gone_for_the_client():
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory())
    offer = _offer(scene, entry)
    from sessions.scheduling.booking import appointment_book
    from therapists.tests.factories import modality

    appointment_book(
        client=ClientFactory(),
        therapist=scene.ann,
        modality=modality("swedish"),
        location=scene.location,
        room=scene.room,
        starts_at=SLOT,
        duration_minutes=60,
        booked_by=scene.desk,
        now=NOW,
    )
    result = waitlist_offer_take(offer=offer, now=NOW + timedelta(minutes=2))
    assert result.outcome == TakeOutcome.GONE
    entry.refresh_from_db()
    assert entry.closed_at is None


@pytest.mark.django_db(transaction=True)
def test_two_clients_taking_at_once_end_in_one_booking(reference_data):
    scene = freed_tuesday()
    offers = [_offer(scene, scene.wait(ClientFactory())) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[TakeOutcome] = []
    errors: list[BaseException] = []

    def take(offer):
        try:
            barrier.wait()
            outcomes.append(
                waitlist_offer_take(offer=offer, now=NOW + timedelta(minutes=5)).outcome
            )
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take, args=(o,)) for o in offers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(outcomes) == sorted([TakeOutcome.BOOKED, TakeOutcome.GONE])
    booked = Appointment.objects.filter(starts_at=SLOT).exclude(
        status__in=Appointment.NON_BLOCKING_STATUSES
    )
    assert booked.count() == 1
    assert WaitlistOffer.objects.filter(state="taken").count() == 1
    assert WaitlistOffer.objects.filter(state="gone").count() == 1


def test_the_offer_email_goes_out_through_the_outbox_with_its_link(mailoutbox):
    from sessions.messaging.delivery import messages_send

    scene = freed_tuesday()
    entry = scene.wait(ClientFactory(first_name="Wanda", email="wanda@example.org"))
    offer = _offer(scene, entry)
    row = OutboundMessage.objects.get(kind=Kind.WAITLIST_OFFER)
    messages_send(ids=[row.pk], now=row.send_at)
    (email,) = mailoutbox
    assert email.to == ["wanda@example.org"]
    assert email.subject.startswith("A time has opened up: Tuesday, December 1")
    token_path = f"/waitlist-offer/{offer_token(offer)}/"
    assert token_path in email.body
    row.refresh_from_db()
    assert row.status == OutboundMessage.Status.SENT


def test_an_expired_offer_of_the_slot_can_be_made_again():
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory())
    first = _offer(scene, entry, now=NOW - timedelta(days=1, minutes=1))
    again = _offer(scene, entry)
    first.refresh_from_db()
    assert first.state == WaitlistOffer.State.EXPIRED
    assert again.state == WaitlistOffer.State.OFFERED


@pytest.mark.parametrize("contact", [{"email": ""}, {"email_reminders": False}])
def test_a_client_without_email_is_called_instead(contact):
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory(**contact))
    with pytest.raises(ValidationError, match="call them, or book the time"):
        _offer(scene, entry)
    assert not WaitlistOffer.objects.exists()


def test_a_client_whose_alert_needs_acknowledging_is_booked_by_the_desk_instead():
    from datetime import date

    from clients.models import Contraindication
    from clients.services import contraindication_clear
    from massageclinic.audit import AuditContext

    scene = freed_tuesday()
    entry = scene.wait(ClientFactory())
    block_all_massage(entry.client, scene.desk)
    contraindication_clear(
        context=AuditContext.system("test"),
        flag=Contraindication.objects.get(client=entry.client),
        by=scene.desk,
        cleared_on=date(2026, 11, 20),
        physician="Laura Bennett, MD",
        document=None,
        today=date(2026, 11, 30),
    )
    assert waitlist_matches(slot=scene.slot, now=NOW) == [entry]  # bookable
    with pytest.raises(ValidationError, match="the desk acknowledges when booking"):
        _offer(scene, entry)


def test_an_offer_email_for_a_client_who_left_the_waitlist_is_not_sent():
    scene = freed_tuesday()
    entry = scene.wait(ClientFactory())
    _offer(scene, entry)
    waitlist_close(entry=entry, now=NOW)
    row = OutboundMessage.objects.get(kind=Kind.WAITLIST_OFFER)
    assert message_verdict(row, NOW) == (
        "cancelled",
        "the client is no longer on the waitlist",
    )


@pytest.mark.django_db(transaction=True)
def test_a_take_racing_a_merge_of_the_client_waits_instead_of_deadlocking(
    reference_data, manager, monkeypatch
):
    """The take holds the waiting client and their entry while it books; a merge of
    that client (which locks the client, then moves the entry) waits for it and
    then moves the new visit too. Locked the other way round, the two deadlocked."""
    from clients.merge import client_merge
    from massageclinic.audit import AuditContext
    from sessions.scheduling import waitlist

    scene = freed_tuesday()
    duplicate = ClientFactory(first_name="Wanda", last_name="Waits")
    kept = ClientFactory(first_name="Wanda", last_name="Waits")
    offer = _offer(scene, scene.wait(duplicate))
    booking, go_on = threading.Event(), threading.Event()
    real_book = waitlist.appointment_book

    def book_after_the_merge_started(**kwargs):
        booking.set()
        go_on.wait(10)
        return real_book(**kwargs)

    monkeypatch.setattr(waitlist, "appointment_book", book_after_the_merge_started)
    results: dict[str, object] = {}

    def take():
        try:
            results["take"] = waitlist_offer_take(
                offer=offer, now=NOW + timedelta(minutes=5)
            ).outcome
        except BaseException as error:
            results["take"] = error
        finally:
            connection.close()

    def merge():
        try:
            results["merge"] = client_merge(
                kept=kept,
                duplicate=duplicate,
                by=manager,
                now=NOW,
                context=AuditContext(user=manager),
            )
        except BaseException as error:
            results["merge"] = error
        finally:
            connection.close()

    taker = threading.Thread(target=take)
    taker.start()
    assert booking.wait(10)
    merger = threading.Thread(target=merge)
    merger.start()
    merger.join(1.5)
    assert merger.is_alive(), "the merge should wait for the take"
    go_on.set()
    taker.join(20)
    merger.join(20)
    assert results["take"] == TakeOutcome.BOOKED, results
    assert not isinstance(results["merge"], BaseException), results
    visit = Appointment.objects.get(starts_at=SLOT, status="booked")
    assert visit.client_id == kept.pk
