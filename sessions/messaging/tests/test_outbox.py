"""The outbox page: failed and pending messages per local day, and Retry."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory
from sessions.models import OutboundMessage
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

Status = OutboundMessage.Status
URL = reverse("sessions:outbox")


def _message(appointment, *, status=Status.PENDING, send_at=None, **extra):
    return OutboundMessage.objects.create(
        kind=extra.pop("kind", OutboundMessage.Kind.REMINDER),
        appointment=appointment,
        client=appointment.client,
        to_email=appointment.client.email,
        send_at=send_at or appointment.starts_at - timedelta(hours=48),
        status=status,
        **extra,
    )


@pytest.fixture
def visits(therapist, other_therapist):
    location = LocationFactory(time_zone="America/New_York")
    mine = AppointmentFactory(
        therapist=therapist,
        location=location,
        client=ClientFactory(first_name="Mina", last_name="Mine"),
        starts_at=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
    )
    theirs = AppointmentFactory(
        therapist=other_therapist,
        location=location,
        client=ClientFactory(first_name="Theo", last_name="Theirs"),
        starts_at=datetime(2026, 12, 4, 15, 0, tzinfo=UTC),
    )
    return mine, theirs


def test_the_desk_sees_failed_and_pending_by_local_day(client, front_desk, visits):
    mine, theirs = visits
    # 02:30 UTC on 2 December is still 1 December in New York.
    _message(
        mine,
        status=Status.FAILED,
        attempts=5,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
        send_at=datetime(2026, 12, 2, 2, 30, tzinfo=UTC),
    )
    _message(theirs)
    _message(
        theirs,
        kind=OutboundMessage.Kind.CONFIRMATION,
        status=Status.SENT,
        sent_at=datetime(2026, 12, 1, tzinfo=UTC),
    )
    client.force_login(front_desk)

    page = client.get(URL).content.decode()

    assert "1 failed · 1 pending" in page
    assert page.index("Tuesday, December 1, 2026") < page.index(
        "Wednesday, December 2, 2026"
    )
    assert "9:30 PM" in page and "Connection unexpectedly closed" in page
    assert "Mina Mine" in page and "Theo Theirs" in page
    assert page.count(">Retry</button>") == 1


def test_a_therapist_reads_their_own_clients_messages_only(client, therapist, visits):
    mine, theirs = visits
    _message(mine, status=Status.FAILED, last_error="boom")
    _message(theirs, status=Status.FAILED, last_error="boom")
    client.force_login(therapist.user)

    page = client.get(URL).content.decode()

    assert "Mina Mine" in page and "Theo Theirs" not in page
    assert "Retry" not in page


def test_a_therapist_cannot_retry(client, therapist, visits):
    mine, _ = visits
    message = _message(mine, status=Status.FAILED)
    client.force_login(therapist.user)
    response = client.post(reverse("sessions:outbox_retry", args=[message.pk]))
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == Status.FAILED


def test_another_therapists_message_is_not_found(client, therapist, visits):
    _, theirs = visits
    message = _message(theirs, status=Status.FAILED)
    client.force_login(therapist.user)
    response = client.post(reverse("sessions:outbox_retry", args=[message.pk]))
    assert response.status_code == 404


def test_the_desk_retries_a_failed_message(
    client, front_desk, visits, django_capture_on_commit_callbacks
):
    mine, _ = visits
    message = _message(mine, status=Status.FAILED, attempts=5, last_error="down")
    client.force_login(front_desk)
    with django_capture_on_commit_callbacks() as handed_over:
        response = client.post(
            reverse("sessions:outbox_retry", args=[message.pk]), follow=True
        )
    assert "The reminder to Mina Mine is being sent again." in (
        response.content.decode()
    )
    message.refresh_from_db()
    assert (message.status, message.attempts) == (Status.PENDING, 0)
    assert len(handed_over) == 1


def test_retrying_a_message_that_is_not_failed_says_why(client, front_desk, visits):
    mine, _ = visits
    message = _message(mine, status=Status.SENT, sent_at=mine.starts_at)
    client.force_login(front_desk)
    response = client.post(
        reverse("sessions:outbox_retry", args=[message.pk]), follow=True
    )
    assert "only a failed message can be retried" in response.content.decode()


def test_retry_is_a_post(client, front_desk, visits):
    message = _message(visits[0], status=Status.FAILED)
    client.force_login(front_desk)
    response = client.get(reverse("sessions:outbox_retry", args=[message.pk]))
    assert response.status_code == 405


def test_anonymous_people_are_sent_to_the_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_page_reads_a_fixed_number_of_queries(
    client, front_desk, visits, django_assert_max_num_queries
):
    mine, theirs = visits
    client.force_login(front_desk)
    client.get(URL)
    for n in range(30):
        visit = AppointmentFactory(
            location=mine.location,
            starts_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC) + timedelta(days=n),
        )
        _message(visit, status=Status.FAILED if n % 2 else Status.PENDING)
    with django_assert_max_num_queries(10):
        response = client.get(URL)
    assert response.content.decode().count("<td>Reminder</td>") == 30


@pytest.mark.parametrize("show", ["failed", "pending", "skipped", "sent", "bogus"])
def test_every_filter_answers(client, manager, visits, show):
    client.force_login(manager)
    assert client.get(URL, {"show": show}).status_code == 200


def test_a_sent_message_shows_its_old_error_as_history(client, front_desk, visits):
    mine, _ = visits
    _message(
        mine,
        status=Status.SENT,
        sent_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        attempts=2,
        last_error="SMTPServerDisconnected: Connection unexpectedly closed",
    )
    client.force_login(front_desk)

    page = client.get(URL, {"show": "sent"}).content.decode()

    assert (
        "Sent after an earlier attempt failed (SMTPServerDisconnected: Connection "
        "unexpectedly closed)" in page
    )
    assert 'class="text-danger"' not in page


def test_the_admin_list_marks_a_sent_messages_error_as_earlier(visits):
    from django.contrib import admin

    from sessions.admin.messaging import OutboundMessageAdmin

    mine, _ = visits
    sent = _message(
        mine,
        status=Status.SENT,
        sent_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        last_error="SMTP down",
    )
    failed = _message(mine, status=Status.FAILED, last_error="SMTP down")
    listing = OutboundMessageAdmin(OutboundMessage, admin.site)
    assert listing.short_error(sent) == "(before it was sent) SMTP down"
    assert listing.short_error(failed) == "SMTP down"


def test_the_page_reads_its_rows_visits_by_id_not_by_joining_every_visit(
    client, front_desk, visits
):
    """Joined before the LIMIT, the visits (and clients) of every message were hashed
    whole: a sequential scan of the visit table at a busy practice's size."""
    mine, _ = visits
    _message(mine, status=Status.PENDING)
    client.force_login(front_desk)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    reads = [
        q["sql"]
        for q in queries.captured_queries
        if "clinic_sessions_reminder" in q["sql"]
    ]
    assert reads and not any(
        'JOIN "clinic_sessions_appointment"' in sql for sql in reads
    )
    assert any(
        'FROM "clinic_sessions_appointment" WHERE ("clinic_sessions_appointment"."id") IN'
        in q["sql"]
        for q in queries.captured_queries
    )


# --- paging, search and filters (issue 13) ----------------------------------------


def _many(visit, n, *, status=Status.PENDING, **extra):
    """`n` reminders for `visit`'s client, each for a visit of its own."""
    start = datetime(2026, 12, 10, 15, 0, tzinfo=UTC)
    messages = []
    for i in range(n):
        other = AppointmentFactory(
            location=visit.location,
            client=visit.client,
            therapist=visit.therapist,
            starts_at=start + timedelta(days=i),
        )
        messages.append(_message(other, status=status, **extra))
    return messages


def _rows(page: str) -> int:
    return page.count("<tr>") - page.count("<thead><tr>")


def test_the_outbox_shows_fifty_rows_a_page_and_says_how_many_match(
    client, front_desk, visits
):
    mine, _ = visits
    _many(mine, 60)
    client.force_login(front_desk)

    first = client.get(URL).content.decode()
    second = client.get(URL, {"page": "2"}).content.decode()

    assert "60 messages match" in first and "page 1 of 2" in first
    assert _rows(first) == 50 and _rows(second) == 10
    assert "showing 51–60, page 2 of 2" in second


def test_the_page_links_keep_the_filters(client, front_desk, visits):
    mine, _ = visits
    _many(mine, 55, status=Status.FAILED)
    client.force_login(front_desk)

    page = client.get(URL, {"client": "mina", "show": "failed"}).content.decode()

    assert 'href="?client=mina&amp;show=failed&amp;page=2"' in page


def test_the_desk_finds_a_clients_messages_by_name_or_email(client, front_desk, visits):
    mine, theirs = visits
    mine.client.email = "mina@example.org"
    mine.client.save()
    _message(mine)
    _message(theirs)
    client.force_login(front_desk)

    by_name = client.get(URL, {"client": "Mina Mi"}).content.decode()
    by_email = client.get(URL, {"client": "mina@example"}).content.decode()

    for page in (by_name, by_email):
        assert "Mina Mine" in page and "Theo Theirs" not in page
        assert "1 message matches" in page


def test_a_therapists_search_stays_within_their_own_clients(client, therapist, visits):
    mine, theirs = visits
    _message(mine)
    _message(theirs)
    client.force_login(therapist.user)

    page = client.get(URL, {"client": "Theo"}).content.decode()

    assert "Theo Theirs" not in page and "0 messages match" in page


def test_the_outbox_filters_by_kind_and_by_status(client, front_desk, visits):
    mine, _ = visits
    sent = {"status": Status.SENT, "sent_at": mine.starts_at}
    _message(mine, kind=OutboundMessage.Kind.CONFIRMATION, **sent)
    _message(mine, kind=OutboundMessage.Kind.REMINDER, **sent)
    _message(mine, kind=OutboundMessage.Kind.SECOND_REMINDER, status=Status.FAILED)
    client.force_login(front_desk)

    page = client.get(URL, {"show": "sent", "kind": "reminder"}).content.decode()

    assert "1 message matches" in page
    assert "<td>Reminder</td>" in page and "Visit confirmation</td>" not in page
    every = client.get(URL, {"show": "all"}).content.decode()
    assert "3 messages match" in every


def test_the_date_range_is_in_the_visit_locations_local_dates(
    client, front_desk, visits
):
    mine, _ = visits
    # 02:30 UTC on 2 December is still 1 December in New York.
    _message(mine, send_at=datetime(2026, 12, 2, 2, 30, tzinfo=UTC))
    client.force_login(front_desk)

    def matching(first, last):
        page = client.get(URL, {"sent_from": first, "sent_to": last}).content
        return re.search(r"(\d+) messages? match", page.decode()).group(1)

    assert matching("2026-12-01", "2026-12-01") == "1"
    assert matching("2026-12-02", "2026-12-02") == "0"
    assert matching("2026-11-25", "") == "1"
    assert matching("", "2026-11-30") == "0"


def test_the_date_range_follows_each_location_when_they_differ(
    client, front_desk, visits
):
    mine, _ = visits
    london = AppointmentFactory(
        location=LocationFactory(time_zone="Europe/London"),
        starts_at=datetime(2026, 12, 5, 10, 0, tzinfo=UTC),
    )
    # Both at 02:30 UTC on 2 December: 1 December in New York, 2 December in London.
    at = datetime(2026, 12, 2, 2, 30, tzinfo=UTC)
    _message(mine, send_at=at)
    _message(london, send_at=at)
    client.force_login(front_desk)

    first = client.get(URL, {"sent_from": "2026-12-01", "sent_to": "2026-12-01"})
    second = client.get(URL, {"sent_from": "2026-12-02", "sent_to": "2026-12-02"})

    assert "Mina Mine" in first.content.decode()
    assert london.client.full_name not in first.content.decode()
    assert london.client.full_name in second.content.decode()
    assert "Mina Mine" not in second.content.decode()


def test_an_empty_result_says_so_and_how_to_clear_the_filters(
    client, front_desk, visits
):
    _message(visits[0])
    client.force_login(front_desk)

    page = client.get(URL, {"client": "nobody"}).content.decode()

    assert "No message matches these filters." in page
    assert f'href="{URL}?show=open"' in page and "Clear the filters" in page


@pytest.mark.parametrize(
    "params,says",
    [
        ({"sent_from": "2026-02-31"}, "Enter a real date"),
        ({"sent_to": "tomorrow"}, "Enter a real date"),
        (
            {"sent_from": "2026-12-05", "sent_to": "2026-12-01"},
            "The last day comes before the first",
        ),
        ({"show": "bogus"}, "Select a valid choice"),
        ({"kind": "postcard"}, "Select a valid choice"),
        ({"client": "x" * 500}, "at most 200 characters"),
        ({"client": "a\x00b"}, "Null characters are not allowed"),
    ],
)
def test_bad_filters_get_a_sentence_not_an_error_page(
    client, front_desk, visits, params, says
):
    _message(visits[0])
    client.force_login(front_desk)
    response = client.get(URL, params)
    assert response.status_code == 200
    assert says in response.content.decode()


@pytest.mark.parametrize(
    "asked,shown", [("abc", "1"), ("9999", "2"), ("0", "2"), ("-1", "2")]
)
def test_a_page_that_does_not_exist_shows_the_nearest_and_says_so(
    client, front_desk, visits, asked, shown
):
    _many(visits[0], 55)
    client.force_login(front_desk)
    page = client.get(URL, {"page": asked}).content.decode()
    assert f"There is no page {asked}; this is page {shown} of 2." in page


def test_a_retry_returns_to_the_filtered_page(client, front_desk, visits):
    mine, _ = visits
    message = _message(mine, status=Status.FAILED)
    client.force_login(front_desk)
    here = f"{URL}?client=mina&show=failed"
    response = client.post(
        reverse("sessions:outbox_retry", args=[message.pk]), {"next": here}
    )
    assert response["Location"] == here
    away = client.post(
        reverse("sessions:outbox_retry", args=[message.pk]),
        {"next": "https://evil.example/messages/"},
    )
    assert away["Location"] == URL


@pytest.mark.parametrize("rows", [5, 120])
def test_a_filtered_page_reads_a_fixed_number_of_queries(
    client, front_desk, visits, django_assert_max_num_queries, rows
):
    mine, _ = visits
    london = LocationFactory(time_zone="Europe/London")
    for n in range(rows):
        visit = AppointmentFactory(
            location=london if n % 3 else mine.location,
            client=mine.client if n % 2 else ClientFactory(),
            starts_at=datetime(2026, 12, 10, 15, 0, tzinfo=UTC) + timedelta(days=n),
        )
        _message(visit, status=Status.FAILED if n % 2 else Status.PENDING)
    client.force_login(front_desk)
    client.get(URL)
    params = {
        "client": "Mina",
        "show": "open",
        "kind": "reminder",
        "sent_from": "2026-12-01",
        "sent_to": "2027-12-31",
        "page": "2" if rows > 100 else "1",
    }
    # 12 at 5 rows and at 120: the session, the person, their roles, the count,
    # the page's rows and their clients, visits, series and authorizations...
    with django_assert_max_num_queries(12):
        response = client.get(URL, params)
    assert response.status_code == 200
    with django_assert_max_num_queries(12):
        client.get(URL)
