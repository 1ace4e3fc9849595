"""Several freed slots matched at once (`waitlist_matches_for`): one load of the
schedule for every slot's therapist, room and clients, flags read per day, each
slot judged as `waitlist_matches` judges it alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import time_machine

from clients.models import Contraindication
from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import RoomFactory
from sessions.scheduling.booking import appointment_book, appointment_cancel
from sessions.scheduling.openings import (
    FreeSlot,
    waitlist_matches,
    waitlist_matches_for,
)
from sessions.scheduling.rules import ProposedVisit, room_problems
from sessions.scheduling.schedule_sources import ScheduleSnapshot
from sessions.scheduling.tests.waitlist_offer_setup import (
    NOW,
    block_all_massage,
    freed_tuesday,
    therapist_at,
)
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

WEDNESDAY = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)  # 10:00 in New York


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_slots_of_two_therapists_on_two_days_are_each_judged_as_alone():
    scene = freed_tuesday()
    bob = therapist_at(scene.location, "bob")
    cedar = RoomFactory(location=scene.location, name="Cedar")
    wednesday = appointment_book(
        client=ClientFactory(first_name="Wes"),
        therapist=bob,
        modality=modality("swedish"),
        location=scene.location,
        room=cedar,
        starts_at=WEDNESDAY,
        duration_minutes=60,
        booked_by=scene.desk,
        now=NOW,
    )
    appointment_cancel(appointment=wednesday, by=scene.desk, reason="sick", now=NOW)
    slots = [scene.slot, FreeSlot.of_visit(wednesday)]

    # Bea's flag stops all massage until it is resolved on Wednesday morning: in
    # force on Tuesday, not on Wednesday (flags are read per day).
    bea = scene.wait(ClientFactory(first_name="Bea"))
    block_all_massage(bea.client, scene.desk)
    Contraindication.objects.filter(client=bea.client).update(
        resolved_at=datetime(2026, 12, 2, 14, 0, tzinfo=UTC), resolved_by=scene.desk
    )
    fay = scene.wait(ClientFactory(first_name="Fay"), weekdays=[2])  # Wednesdays
    # Carl's own visit freed Tuesday's slot: not offered it back, but Wednesday's.
    carl = scene.wait(scene.freed.client)
    # Wes's own visit freed Wednesday's: offered Tuesday's only.
    wes = scene.wait(wednesday.client)

    both = waitlist_matches_for(slots, now=NOW)
    assert both == [waitlist_matches(slot=slot, now=NOW) for slot in slots]
    assert both == [[wes], [bea, fay, carl]]
    assert waitlist_matches_for(slots, now=NOW, among=[fay, bea]) == [[], [bea, fay]]
    assert waitlist_matches_for([], now=NOW) == []


def test_a_lean_snapshot_refuses_to_explain_even_when_the_visit_fits():
    scene = freed_tuesday()
    visit = ProposedVisit.lasting(
        60,
        client=None,
        therapist=scene.ann,
        modality=modality("swedish"),
        location=scene.location,
        starts_at=scene.slot.starts_at,
        room=scene.room,
    )
    lean = ScheduleSnapshot(
        therapists=[scene.ann],
        rooms=[scene.room],
        start=visit.starts_at,
        end=visit.ends_at,
        lean=True,
    )
    assert room_problems(visit, source=lean, explain=False) == []
    with pytest.raises(ValueError, match="explain=False"):
        room_problems(visit, source=lean)
