"""A sample of the safety decision table, run through the real booking page as the desk.

The table (clients/tests/test_safety_decisions.py) says what `modality_safety` answers;
here the booking form must act on it: *safe* books at once, *safe with a modification*
books once the desk has read and ticked the alerts, *not this technique* and *no
massage* never book, whatever the desk ticks.
"""

from __future__ import annotations

import html
import re

import pytest
import time_machine

from clients.models import Condition, Contraindication
from clients.tests.factories import ClientFactory
from clients.tests.test_safety_decisions import TABLE, Outcome
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.models import Appointment
from sessions.scheduling.tests.test_booking_page import (
    BOOK,
    NOW,
    _post,
    _text,
    _therapist,
)
from therapists.models import Training
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):  # the visit is on the table's day
        yield


@pytest.fixture
def location():
    return LocationFactory(name="Riverside", time_zone="America/New_York")


@pytest.fixture
def room(location):
    return RoomFactory(location=location, name="Maple Room")


@pytest.fixture
def tara(location):
    return _therapist(location, "tara", "Tara", "Hands")


@pytest.fixture
def grace():
    return ClientFactory(first_name="Grace", last_name="Okafor")


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


# The booking form asks no area and no pressure: of the rows without them, every
# other one, and every "safe" one (a sample of each outcome).
ELIGIBLE = [row for row in TABLE if not row[3] and not row[4]]
ROWS = ELIGIBLE[::2] + [row for row in ELIGIBLE[1::2] if row[5] == Outcome.SAFE]


def test_the_sample_holds_every_outcome():
    assert {row[5] for row in ROWS} == set(Outcome)


def _shown(response) -> list[str]:
    page = response.content.decode()
    return [
        html.unescape(value)
        for value in re.findall(r'name="shown_safety" value="([^"]*)"', page)
    ]


@pytest.mark.parametrize(
    ("condition", "fields", "technique", "area", "pressure", "outcome", "headline"),
    ROWS,
    ids=[f"{r[0]}-{r[2]}-{r[5].name}" for r in ROWS],
)
def test_the_booking_page_acts_on_the_decision(
    desk,
    tara,
    grace,
    location,
    room,
    condition,
    fields,
    technique,
    area,
    pressure,
    outcome,
    headline,
):
    Training.objects.get_or_create(therapist=tara, modality=modality(technique))
    if outcome == Outcome.MODIFY and "cleared_on" in fields:
        # Who cleared it, and its terms, are history detail: the desk books on the
        # headline that a clearance governs the visit.
        headline = "follow the physician's clearance"
    if condition:
        found = Condition.objects.get(slug=condition)
        Contraindication.objects.create(
            client=grace, condition=found, severity=found.default_severity, **fields
        )
    data = _post(tara, grace, location, room, modality=modality(technique).pk)

    first = desk.post(BOOK, data)
    if outcome == Outcome.SAFE:
        assert first.status_code == 302, _text(first)
        assert Appointment.objects.get().modality.slug == technique
        return
    if outcome == Outcome.MODIFY:
        assert first.status_code == 200, _text(first)
        shown = _shown(first)
        assert any(headline in alert for alert in shown), shown
        assert not Appointment.objects.exists()
        ticked = desk.post(
            BOOK, {**data, "acknowledge_safety": "on", "shown_safety": shown}
        )
        assert ticked.status_code == 302, _text(ticked)
        assert headline in Appointment.objects.get().safety_acknowledgement
        return
    # Not this technique, or no massage: refused, even with every alert ticked.
    ticked = desk.post(
        BOOK, {**data, "acknowledge_safety": "on", "shown_safety": [headline]}
    )
    text = _text(ticked)
    assert ticked.status_code == 400, text
    start = (
        "No massage for Grace Okafor"
        if outcome == Outcome.NO_MASSAGE
        else (f"{modality(technique).name} is not for Grace Okafor")
    )
    assert start in text
    assert not Appointment.objects.exists()
