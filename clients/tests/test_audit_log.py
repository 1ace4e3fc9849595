"""The manager's audit log page: filters, pages, the CSV and its own audit row."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import LocationFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = reverse("clients:audit_log")
CSV = reverse("clients:audit_log_csv")
# 15:00 UTC on 28 November is 10:00 in New York (EST, UTC-5).
AFTERNOON = datetime(2026, 11, 28, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clinic_in_new_york(db):
    return LocationFactory(time_zone="America/New_York")


def _at(at: datetime, **fields) -> AuditEvent:
    """An audit row written at `at` (the model stamps `at` itself)."""
    with time_machine.travel(at, tick=False):
        return AuditEvent.objects.create(
            action=fields.pop("action", AuditEvent.Action.VIEW),
            object_type=fields.pop("object_type", "clients.MedicalHistory"),
            object_id=fields.pop("object_id", 1),
            ip_address=fields.pop("ip_address", "10.0.0.5"),
            path=fields.pop("path", "/clients/1/history/"),
            **fields,
        )


def _table(response) -> str:
    page = response.content.decode()
    return page[page.find("<table") : page.find("</table>")]


def test_front_desk_and_therapists_may_not_open_it(client, front_desk, therapist):
    for user in (front_desk, therapist.user):
        client.force_login(user)
        assert client.get(PAGE).status_code == 403
        assert client.get(CSV).status_code == 403


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(PAGE)

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_it_lists_rows_newest_first_in_local_time_with_client_names(client, manager):
    ada = ClientFactory(first_name="Ada", last_name="Stone")
    reader = UserFactory(username="tara", first_name="Tara", last_name="Hands")
    _at(AFTERNOON, user=reader, client_id=ada.pk, summary="History v1")
    _at(
        datetime(2026, 11, 28, 16, 30, tzinfo=UTC),
        user=reader,
        action=AuditEvent.Action.CHANGE,
        client_id=ada.pk,
        object_type="clinic_sessions.SessionNote",
        object_id=7,
    )
    client.force_login(manager)

    response = client.get(PAGE)

    table = _table(response)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert table.index("11:30:00 EST") < table.index("10:00:00 EST")
    assert "Tara Hands" in table
    assert "Changed" in table and "Viewed" in table
    assert "SOAP note #7" in table
    assert "Intake / medical history #1: History v1" in table
    chart = reverse("clients:detail", args=[ada.pk])
    assert f'<a href="{chart}">Stone, Ada</a>' in table
    assert "10.0.0.5" in table


def test_a_task_is_named_as_the_system(client, manager):
    _at(AFTERNOON, path="task:send_messages", summary="Notice emailed")
    _at(AFTERNOON, path="/intake/abc/", summary="Client's link")
    client.force_login(manager)

    table = _table(client.get(PAGE))

    assert "System (task:send_messages)" in table
    assert "Not signed in" in table


def test_the_managers_menu_links_to_it(client, manager, front_desk):
    client.force_login(manager)
    assert f'href="{PAGE}"' in client.get(reverse("clients:list")).content.decode()
    client.force_login(front_desk)
    assert f'href="{PAGE}"' not in client.get(reverse("clients:list")).content.decode()


def test_it_filters_by_client_id_from_the_chart(client, manager):
    ada, bob = ClientFactory(last_name="Stone"), ClientFactory(last_name="Brook")
    _at(AFTERNOON, client_id=ada.pk, summary="Ada's row")
    _at(AFTERNOON, client_id=bob.pk, summary="Bob's row")
    client.force_login(manager)

    table = _table(client.get(PAGE, {"client": ada.pk}))

    assert "Ada&#x27;s row" in table and "Bob&#x27;s row" not in table


def test_the_chart_links_the_manager_to_its_own_rows(client, manager, front_desk):
    ada = ClientFactory(last_name="Stone")
    link = f"{PAGE}?client={ada.pk}"
    client.force_login(manager)
    assert link in client.get(reverse("clients:detail", args=[ada.pk])).content.decode()
    client.force_login(front_desk)
    assert (
        link
        not in client.get(reverse("clients:detail", args=[ada.pk])).content.decode()
    )


def test_it_filters_by_client_name(client, manager):
    ada = ClientFactory(first_name="Ada", last_name="Stone")
    bob = ClientFactory(first_name="Bob", last_name="Brook")
    _at(AFTERNOON, client_id=ada.pk, summary="Ada's row")
    _at(AFTERNOON, client_id=bob.pk, summary="Bob's row")
    client.force_login(manager)

    table = _table(client.get(PAGE, {"client_name": "stone, ada"}))

    assert "Ada&#x27;s row" in table and "Bob&#x27;s row" not in table


def test_it_filters_by_user_action_and_local_dates(client, manager):
    tara, oscar = UserFactory(username="tara"), UserFactory(username="oscar")
    _at(AFTERNOON, user=tara, summary="tara view")
    _at(AFTERNOON, user=oscar, summary="oscar view")
    _at(AFTERNOON, user=tara, action=AuditEvent.Action.EXPORT, summary="tara export")
    # 03:00 UTC on the 29th is still the 28th in New York.
    _at(datetime(2026, 11, 29, 3, 0, tzinfo=UTC), user=tara, summary="tara late")
    _at(datetime(2026, 11, 29, 6, 0, tzinfo=UTC), user=tara, summary="tara next day")
    client.force_login(manager)

    by_user = _table(client.get(PAGE, {"user": tara.pk, "action": "view"}))
    by_day = _table(
        client.get(PAGE, {"date_from": "2026-11-28", "date_to": "2026-11-28"})
    )

    assert "tara view" in by_user and "tara late" in by_user
    assert "oscar view" not in by_user and "tara export" not in by_user
    assert "tara late" in by_day and "oscar view" in by_day
    assert "tara next day" not in by_day


@pytest.mark.parametrize(
    "params, message",
    [
        ({"date_from": "abc"}, "Enter a date like 2026-11-28."),
        ({"date_to": "9999-12-31"}, "Enter a date between"),
        ({"date_from": "2026-11-28", "date_to": "2026-11-01"}, "cannot come before"),
        ({"user": "99999999"}, "Pick a user from the list."),
        ({"user": "abc"}, "Pick a user from the list."),
        ({"action": "delete"}, "Pick an action from the list."),
        ({"client": "abc"}, "Enter a whole number."),
        ({"client": "99999999999999999999"}, "Ensure this value is less than"),
        ({"client": "424242"}, "No client has this id."),
        ({"client_name": "Nobody Atall"}, "No client&#x27;s name matches this."),
        ({"page": "abc"}, None),
        ({"page": "-1"}, None),
    ],
)
def test_bad_filters_are_form_errors(client, manager, params, message):
    _at(AFTERNOON, summary="a row")
    client.force_login(manager)

    response = client.get(PAGE, params)
    download = client.get(CSV, params)

    assert response.status_code == 200
    assert download.status_code == 200
    if message:
        assert message in response.content.decode()
        assert "a row" not in _table(response)
        assert not download.streaming  # the page with its errors, not a file
        assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def test_it_pages_fifty_rows_at_a_time(client, manager):
    for n in range(55):
        _at(datetime(2026, 11, 1, 15, n, tzinfo=UTC), summary=f"row {n:02d}")
    client.force_login(manager)

    first = client.get(PAGE)
    second = client.get(PAGE, {"page": 2, "action": "view"})

    assert "row 54" in _table(first) and "row 04" not in _table(first)
    assert "page 1 of 2" in first.content.decode()
    assert "row 04" in _table(second) and "row 05" not in _table(second)
    assert "action=view&amp;page=1" in second.content.decode()


def test_the_query_count_does_not_grow_with_the_rows(client, manager):
    client.force_login(manager)

    def rows(n: int) -> None:
        for _ in range(n):
            who = UserFactory()
            _at(AFTERNOON, user=who, client_id=ClientFactory().pk)

    rows(1)
    client.get(PAGE)  # the session and the menu's first lookups
    with CaptureQueriesContext(connection) as one:
        client.get(PAGE)
    rows(20)
    with CaptureQueriesContext(connection) as twenty_one:
        response = client.get(PAGE)

    assert response.context["page"].paginator.count == 21
    assert len(twenty_one) == len(one), [q["sql"] for q in twenty_one]


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_the_csv_holds_the_filtered_rows_and_is_itself_audited(client, manager):
    ada = ClientFactory(first_name="Ada", last_name="Stone")
    tara = UserFactory(username="tara")
    _at(AFTERNOON, user=tara, client_id=ada.pk, summary="=HYPERLINK(evil)")
    _at(AFTERNOON, user=tara, client_id=ClientFactory().pk, summary="other client")
    client.force_login(manager)

    response = client.get(CSV, {"client": ada.pk, "action": "view"})

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    header, *lines = _csv(response)
    assert header[:4] == ["when (local)", "time zone", "user", "action"]
    assert lines == [
        [
            "2026-11-28 10:00:00",
            "EST",
            "tara",
            "Viewed",
            "clients.MedicalHistory",
            "1",
            str(ada.pk),
            "Stone, Ada",
            "'=HYPERLINK(evil)",
            "10.0.0.5",
            "/clients/1/history/",
        ]
    ]
    export = AuditEvent.objects.get(action=AuditEvent.Action.EXPORT)
    assert export.user == manager
    assert export.client_id == ada.pk
    assert export.summary == (f"Audit log CSV, 1 rows (client {ada.pk}; action view)")
    assert export.path.startswith(CSV)


def test_the_export_row_shows_on_the_page(client, manager):
    client.force_login(manager)

    b"".join(client.get(CSV).streaming_content)
    table = _table(client.get(PAGE, {"action": "export"}))

    assert "Exported" in table
    assert "Audit log CSV, 0 rows (no filters)" in table
