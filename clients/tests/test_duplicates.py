"""`client_duplicates`: the one function that decides "likely the same person"."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given, settings
from hypothesis import strategies as st

from clients.duplicates import (
    client_duplicates,
    fields_from_search,
    mask_email,
    mask_phone,
    names_similar,
    normalise_name,
    phone_key,
)
from clients.tests.factories import ClientFactory
from sessions.models import Appointment
from sessions.tests.factories import AppointmentFactory

BORN = date(1975, 3, 9)
names = st.text(
    alphabet=st.sampled_from("abcdefghijklmnopqrstuvwxyzéèöñ -'"), min_size=1
).filter(lambda s: normalise_name(s))


# --- Names -------------------------------------------------------------------------


@given(first=names, last=names)
def test_a_name_is_similar_to_itself_however_it_is_typed(first, last):
    assert names_similar(first, last, first, last)
    assert names_similar(first, last, first.upper(), last.title())
    assert names_similar(first, last, f" {first} ", last.replace(" ", "-"))


@given(first_a=names, last_a=names, first_b=names, last_b=names)
@settings(max_examples=300)
def test_similarity_does_not_depend_on_the_order_of_the_two(
    first_a, last_a, first_b, last_b
):
    assert names_similar(first_a, last_a, first_b, last_b) == names_similar(
        first_b, last_b, first_a, last_a
    )


@given(first=names, last=names)
def test_first_and_last_swapped_is_similar(first, last):
    assert names_similar(first, last, last, first)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (("José", "García-López"), ("Jose", "Garcia Lopez")),
        (("Robert", "Miller"), ("Bob", "Miller")),
        (("Alexander", "Ng"), ("Alex", "Ng")),
        (("Jon", "Smith"), ("John", "Smith")),
        (("Katherine", "Smyth"), ("Catherine", "Smith")),
        (("Ana", "Garcia"), ("Ana", "Garcia-Lopez")),
        (("Miller", "Robert"), ("Robert", "Miller")),
        (("MARY ANN", "o'brien"), ("Mary", "OBrien")),
    ],
)
def test_it_recognises_the_ways_one_name_is_typed(typed, stored):
    assert names_similar(*typed, *stored)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        (("Anna", "Smith"), ("Emma", "Smith")),  # twins share a birth date
        (("Robert", "Miller"), ("Susan", "Jones")),
        (("Al", "Ng"), ("Alexander", "Ng")),
    ],
)
def test_different_people_are_not_similar(typed, stored):
    assert not names_similar(*typed, *stored)


def test_the_preferred_name_on_record_counts_as_a_first_name():
    assert names_similar("Peggy", "Olsen", "Margarethe", "Olsen", preferred_b="Peggy")


# --- Phones and the masks ------------------------------------------------------------


@given(digits=st.text(alphabet="0123456789", min_size=10, max_size=10))
def test_a_phone_is_its_digits_with_or_without_the_country_code(digits):
    formatted = f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    assert phone_key(formatted) == digits
    assert phone_key(f"+1 {digits[:3]}.{digits[3:6]}.{digits[6:]}") == digits


def test_the_masks_show_only_part_of_the_contact():
    assert mask_phone("(518) 555-0101") == "••• ••• 0101"
    assert mask_email("jane.doe@example.org") == "j•••@example.org"
    assert mask_email("") == ""


# --- The function, on the database ---------------------------------------------------


@pytest.mark.django_db
def test_it_finds_the_same_birth_date_with_a_similar_name():
    same = ClientFactory(first_name="Robert", last_name="Miller", date_of_birth=BORN)
    ClientFactory(
        first_name="Robert", last_name="Miller", date_of_birth=date(1976, 3, 9)
    )
    ClientFactory(first_name="Susan", last_name="Jones", date_of_birth=BORN)
    found = client_duplicates(first_name="bob", last_name="MILLER", date_of_birth=BORN)
    assert [m.client for m in found] == [same]
    assert found[0].why == "same birth date and a similar name"


@pytest.mark.django_db
def test_it_finds_the_same_phone_however_formatted_and_the_same_email_in_any_case():
    by_phone = ClientFactory(phone="(518) 555-0199", email="x@example.org")
    by_email = ClientFactory(phone="212 555 0100", email="jane.doe@example.org")
    found = client_duplicates(
        first_name="Someone",
        last_name="Else",
        phone="+1 518.555.0199",
        email="Jane.Doe@Example.org",
    )
    assert {m.client for m in found} == {by_phone, by_email}
    reasons = {m.client: m.why for m in found}
    assert reasons[by_phone] == "same phone"
    assert reasons[by_email] == "same email"


@pytest.mark.django_db
def test_archived_clients_are_found_and_marked_after_active_ones():
    archived = ClientFactory(
        email="same@example.org", archived_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    active = ClientFactory(email="same@example.org")
    found = client_duplicates(first_name="A", last_name="B", email="same@example.org")
    assert [m.client for m in found] == [active, archived]
    assert [m.archived for m in found] == [False, True]


@pytest.mark.django_db
def test_nothing_given_finds_nobody_and_a_record_is_not_its_own_duplicate():
    client = ClientFactory(email="me@example.org")
    assert client_duplicates(first_name="A", last_name="B") == []
    assert (
        client_duplicates(
            first_name="A", last_name="B", email="me@example.org", exclude_pk=client.pk
        )
        == []
    )


@pytest.mark.django_db
def test_it_shows_the_last_visit_held_not_a_cancelled_or_future_one():
    client = ClientFactory(email="v@example.org")
    held = datetime(2026, 2, 3, 15, tzinfo=UTC)
    AppointmentFactory(
        client=client, starts_at=held, status=Appointment.Status.COMPLETED
    )
    AppointmentFactory(
        client=client,
        starts_at=datetime(2026, 2, 10, 15, tzinfo=UTC),
        status=Appointment.Status.CANCELLED,
        cancelled_at=held,
    )
    (found,) = client_duplicates(
        first_name="A",
        last_name="B",
        email="v@example.org",
        now=datetime(2026, 3, 1, tzinfo=UTC),
    )
    assert found.last_visit == held


@pytest.mark.django_db
def test_it_asks_the_database_once_and_uses_the_indexes():
    ClientFactory.create_batch(5, date_of_birth=BORN)
    with CaptureQueriesContext(connection) as queries:
        client_duplicates(
            first_name="A",
            last_name="B",
            date_of_birth=BORN,
            phone="518 555 0101",
            email="a@example.org",
        )
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert '"phone_digits" IN' in sql and "LOWER(" in sql


# --- What the search box carries into the new-client fields --------------------------


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("Jane Doe", {"first_name": "Jane", "last_name": "Doe"}),
        ("  doe,  jane ", {"first_name": "jane", "last_name": "doe"}),
        ("Mary Ann Smith", {"first_name": "Mary Ann", "last_name": "Smith"}),
        ("Miller", {"first_name": "", "last_name": "Miller"}),
        ("Jane.Doe@Example.org", {"email": "jane.doe@example.org"}),
        ("(518) 555-0101", {"phone": "(518) 555-0101"}),
        ("03/09/1975", {"date_of_birth": "1975-03-09"}),
        ("1975-03-09", {"date_of_birth": "1975-03-09"}),
        ("1975-02-30", {}),
        ("55", {}),
        ("", {}),
    ],
)
def test_the_search_is_carried_into_the_fields_it_names(query, fields):
    assert fields_from_search(query) == fields


@given(first=names, last=names)
def test_a_searched_name_splits_back_into_its_parts(first, last):
    first, last = " ".join(first.split()), "".join(last.split())
    carried = fields_from_search(f"{first} {last}")
    if first and last and "@" not in first + last:
        assert carried["last_name"] == last
        assert carried["first_name"] == first


@pytest.mark.django_db
def test_an_active_record_is_found_among_many_archived_ones_with_the_same_phone():
    """The candidates are cut at 200: active records come first, so an active match
    is never dropped for archived ones."""
    from django.utils import timezone

    from clients.models import Client

    archived = [
        Client(
            first_name=f"Old{n}",
            last_name="Record",
            phone="(518) 555-0123",
            archived_at=timezone.now(),
        )
        for n in range(210)
    ]
    Client.objects.bulk_create(archived)
    active = ClientFactory(first_name="Ivy", last_name="Now", phone="518-555-0123")
    found = client_duplicates(
        first_name="Someone", last_name="Else", phone="518 555 0123"
    )
    assert active in [match.client for match in found]
