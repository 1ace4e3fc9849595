"""The booking page's quick registration warns of likely duplicates, and the name
typed into the client search is carried into the new-client fields."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from html import unescape

import pytest
import time_machine
from django.http import QueryDict
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.duplicates import fields_from_search
from clients.models import Client
from clients.tests.factories import ClientFactory
from sessions.scheduling.views.booking import carried_fields

NOW = datetime(2026, 11, 30, 14, tzinfo=UTC)
QUICK = reverse("sessions:client_quick_add")
SEARCH = reverse("sessions:client_search")
BOOK = reverse("sessions:book")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def desk(client, front_desk):
    client.force_login(front_desk)
    return client


@pytest.fixture
def grace(db):
    return ClientFactory(
        first_name="Grace",
        last_name="Okafor",
        phone="(518) 555-0101",
        email="grace@example.org",
        date_of_birth=date(1980, 5, 17),
    )


def _quick(**fields):
    return {
        "new-first_name": "Grace",
        "new-last_name": "Okafor-Smith",
        "new-phone": "",
        "new-email": "GRACE@example.org",
        "new-date_of_birth": "",
        **fields,
    }


def _text(response) -> str:
    html = re.sub(r"<[^>]+>", " ", response.content.decode())
    return re.sub(r"\s+", " ", html.replace("&#x27;", "'"))


def test_registering_someone_already_registered_offers_the_existing_record(desk, grace):
    response = desk.post(QUICK, _quick())
    assert response.status_code == 200
    html = response.content.decode()
    text = _text(response)
    assert "This client may already be registered" in text
    assert "Okafor, Grace" in text and "same email" in text
    assert f"client={grace.pk}" in html  # "Use this client" picks them
    assert 'value="Okafor-Smith"' in html  # nothing typed is lost
    assert "This is a different person" in text
    assert Client.objects.count() == 1


def test_the_same_person_by_birth_date_and_name_or_by_phone(desk, grace):
    by_name = desk.post(
        QUICK,
        _quick(
            **{
                "new-first_name": "grace",
                "new-last_name": "OKAFOR",
                "new-email": "",
                "new-phone": "518 555 0199",
                "new-date_of_birth": "1980-05-17",
            }
        ),
    )
    assert "same birth date and a similar name" in _text(by_name)
    by_phone = desk.post(
        QUICK, _quick(**{"new-email": "", "new-phone": "+1 518.555.0101"})
    )
    assert "same phone" in _text(by_phone)
    assert Client.objects.count() == 1


def test_a_different_person_is_registered_once_ticked(desk, grace):
    response = desk.post(QUICK, _quick(**{"new-different_person": "on"}))
    assert "is registered and chosen" in _text(response)
    assert Client.objects.count() == 2


def test_without_javascript_the_booking_form_warns_the_same_way(desk, grace):
    response = desk.post(BOOK, {"action": "add_client", **_quick()})
    assert "This client may already be registered" in _text(response)
    assert Client.objects.count() == 1


def _swapped(html: str) -> dict[str, object]:
    """The new-client inputs a search response replaces out of band, by field (the
    record of what was carried read as JSON)."""
    tags = re.findall(r'<input[^>]*hx-swap-oob="true"[^>]*>', html)
    swapped: dict[str, object] = dict(_name_and_value(tag) for tag in tags)
    if "carried" in swapped:
        swapped["carried"] = json.loads(str(swapped["carried"]))
    return swapped


def _name_and_value(tag: str) -> tuple[str, str]:
    name = re.search(r'name="new-(\w+)"', tag)
    value = re.search(r'value="([^"]*)"', tag)
    return (name.group(1) if name else "", unescape(value.group(1)) if value else "")


def _record(**carried: str) -> str:
    return json.dumps(carried)


def test_a_searched_name_is_carried_into_the_empty_new_client_fields(desk, db):
    response = desk.get(SEARCH, {"q": "Nora Quinn", "mode": "book"})
    html = response.content.decode()
    assert _swapped(html) == {
        "first_name": "Nora",
        "last_name": "Quinn",
        "carried": {"first_name": "Nora", "last_name": "Quinn"},
    }
    assert "what you searched for is filled in" in html


def test_a_later_search_replaces_what_was_carried_but_not_what_was_typed(desk, db):
    carried = {
        "q": "Nora Quinn",
        "new-first_name": "Nora",
        "new-last_name": "Quin",
        "new-carried": _record(first_name="Nora", last_name="Quin"),
    }
    html = desk.get(SEARCH, carried).content.decode()
    assert _swapped(html) == {
        "last_name": "Quinn",
        "carried": {"first_name": "Nora", "last_name": "Quinn"},
    }
    typed = {**carried, "new-last_name": "Quinton"}
    html = desk.get(SEARCH, typed).content.decode()
    # The typed last name is not touched; the first name already says Nora.
    assert _swapped(html) == {"carried": {"first_name": "Nora"}}


def test_a_field_typed_into_does_not_stop_the_others_following_the_search(desk, db):
    # The search said "Emma Smi" while the person was still typing; they opened the
    # registration and typed the email before the answer to "Emma Smith" came.
    html = desk.get(
        SEARCH,
        {
            "q": "Emma Smith",
            "new-first_name": "Emma",
            "new-last_name": "Smi",
            "new-email": "emma@example.org",
            "new-carried": _record(first_name="Emma", last_name="Smi"),
        },
    ).content.decode()
    assert _swapped(html) == {
        "last_name": "Smith",
        "carried": {"first_name": "Emma", "last_name": "Smith"},
    }


def test_what_was_carried_survives_the_other_steps_of_the_booking(desk, db):
    # Re-drawn by the page after another step, the record still says which values
    # the search put there, so the next search may still replace them.
    html = desk.post(
        BOOK,
        {
            "action": "refresh",
            "new-first_name": "Nora",
            "new-last_name": "Quin",
            "new-carried": _record(first_name="Nora", last_name="Quin"),
        },
    ).content.decode()
    carried = re.search(r'name="new-carried" id="new-carried" value="([^"]*)"', html)
    assert carried
    assert json.loads(unescape(carried.group(1))) == {
        "first_name": "Nora",
        "last_name": "Quin",
    }


def test_a_bar_in_what_was_searched_is_carried_like_any_other_character(desk, db):
    first = desk.get(SEARCH, {"q": "Smith|Jones"}).content.decode()
    assert _swapped(first)["carried"] == {"last_name": "Smith|Jones"}
    later = desk.get(
        SEARCH,
        {
            "q": "Smith|Jonesy",
            "new-last_name": "Smith|Jones",
            "new-phone": "Jones",  # typed: not what the search carried
            "new-carried": _record(last_name="Smith|Jones"),
        },
    ).content.decode()
    assert _swapped(later) == {
        "last_name": "Smith|Jonesy",
        "carried": {"last_name": "Smith|Jonesy"},
    }


def test_a_record_that_is_not_ours_counts_every_filled_field_as_typed(desk, db):
    for junk in ("Nora|Quin|||", "[1, 2]", '{"last_name": 5}', "{"):
        html = desk.get(
            SEARCH,
            {"q": "Nora Quinn", "new-last_name": "Quin", "new-carried": junk},
        ).content.decode()
        assert _swapped(html) == {
            "first_name": "Nora",
            "carried": {"first_name": "Nora"},
        }


def test_the_openings_search_carries_nothing(desk, db):
    html = desk.get(SEARCH, {"q": "Nora Quinn", "mode": "openings"}).content.decode()
    assert "hx-swap-oob" not in html


FIELDS = ("first_name", "last_name", "phone", "email", "date_of_birth")
_values = st.sampled_from(
    ["", "Nora", "Quinn", "Smi", "Smith", "Smith|Jones", "518 555 0101", "a@b.org"]
)


@settings(max_examples=300, deadline=None)
@given(
    current=st.fixed_dictionaries({n: _values for n in FIELDS}),
    earlier=st.fixed_dictionaries({n: _values for n in FIELDS}),
    query=st.sampled_from(
        [
            "Nora Quinn",
            "Smith",
            "Smith|Jones",
            "Emma Smi",
            "Doe, Jane",
            "518 555 0101",
            "a@b.org",
            "1980-05-17",
        ]
    ),
)
def test_a_search_never_replaces_what_the_person_typed(current, earlier, query):
    values = QueryDict(mutable=True)
    for name in FIELDS:
        values[f"new-{name}"] = current[name]
    values["new-carried"] = _record(**{n: v for n, v in earlier.items() if v})
    carry = carried_fields(values, query)
    searched = fields_from_search(query)
    assert carry is not None
    after = {n: carry.form.initial[n] for n in FIELDS}
    record = json.loads(carry.record)
    for name in FIELDS:
        typed = current[name] not in ("", earlier[name])
        if typed:
            assert name not in carry.changed
            assert after[name] == current[name]
            assert name not in record
        else:
            assert after[name] == record.get(name, "") == searched.get(name, "")
        assert (name in carry.changed) == (after[name] != current[name])
    # The same search again, on what it left, changes nothing.
    again = QueryDict(mutable=True)
    for name in FIELDS:
        again[f"new-{name}"] = after[name]
    again["new-carried"] = carry.record
    assert carried_fields(again, query).changed == ()
