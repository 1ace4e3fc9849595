"""The client list: search as you type, filters, columns, access and query counts."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import (
    Condition,
    MedicalHistory,
    Referral,
    ReferringProvider,
)
from clients.safety import client_alerts
from clients.selectors import IntakeStatus, intake_status, parse_date_of_birth
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import clinic_policy
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.kept_reference import keep_reference_data
from sessions.tests.factories import AppointmentFactory
from therapists.tests.factories import TherapistFactory

# 09:00 in New York on 1 December 2026 (UTC-5).
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
TODAY = date(2026, 12, 1)

pytestmark = pytest.mark.django_db

URL = reverse("clients:list")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def _names(response) -> list[str]:
    return [row.client.full_name for row in response.context["rows"]]


def _history(client, *, submitted_at=NOW - timedelta(days=30), version=1):
    return MedicalHistory.objects.create(
        client=client,
        version=version,
        submitted_at=submitted_at,
        chief_complaint="Low back pain after lifting",
        consent_name=client.full_name,
        consent_signed_at=submitted_at,
    )


def _referral(client, *, expires_on: date, referred_on: date = date(2026, 10, 1)):
    provider, _ = ReferringProvider.objects.get_or_create(
        npi="1234567893",
        defaults={"name": "Dr. Ruth Alvarez", "credentials": "MD"},
    )
    return Referral.objects.create(
        client=client,
        provider=provider,
        referred_on=referred_on,
        diagnosis_codes=["M54.50"],
        diagnosis_text="Low back pain",
        visits_authorized=12,
        expires_on=expires_on,
    )


def _visit(client, therapist, starts_at: datetime, location=None, **extra):
    location = location or LocationFactory(time_zone="America/New_York")
    return AppointmentFactory(
        client=client,
        therapist=therapist,
        location=location,
        room=RoomFactory(location=location),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        **extra,
    )


# --- Access ------------------------------------------------------------------------


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_person_without_a_role_is_refused(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x-long-pass-1")
    client.force_login(user)
    assert client.get(URL).status_code == 403


def test_a_therapist_sees_only_the_clients_they_treat(
    client, therapist, other_therapist
):
    mine = ClientFactory(first_name="Grace", last_name="Okafor")
    planned = ClientFactory(first_name="Ines", last_name="Planned")
    theirs = ClientFactory(first_name="Henry", last_name="Walsh")
    ClientFactory(first_name="Nobody", last_name="Treats")
    _visit(mine, therapist, NOW + timedelta(days=1))
    _visit(theirs, other_therapist, NOW + timedelta(days=1))
    planned.treatment_plans.create(
        therapist=therapist,
        visits_planned=6,
        starts_on=TODAY,
        review_on=TODAY + timedelta(weeks=6),
    )
    client.force_login(therapist.user)
    response = client.get(URL)
    assert _names(response) == ["Grace Okafor", "Ines Planned"]
    assert "New client" not in response.content.decode()


def test_the_front_desk_sees_everyone_and_may_register_a_client(client, front_desk):
    ClientFactory(first_name="Grace", last_name="Okafor")
    ClientFactory(first_name="Henry", last_name="Walsh")
    client.force_login(front_desk)
    response = client.get(URL)
    assert _names(response) == ["Grace Okafor", "Henry Walsh"]
    assert reverse("clients:new") in response.content.decode()


# --- Search --------------------------------------------------------------------


@pytest.fixture
def three_clients():
    return [
        ClientFactory(
            first_name="Grace",
            last_name="Okafor",
            email="grace.okafor@example.org",
            phone="(518) 555-0101",
            date_of_birth=date(1984, 3, 9),
        ),
        ClientFactory(
            first_name="Henry",
            last_name="Walsh",
            preferred_name="Hal",
            email="hwalsh@mail.test",
            phone="518-555-0199",
            date_of_birth=date(1990, 11, 30),
        ),
        ClientFactory(
            first_name="Amara",
            last_name="Graceland",
            email="amara@example.org",
            phone="+1 212 555 0333",
            date_of_birth=date(1975, 1, 2),
        ),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("grace", ["Amara Graceland", "Grace Okafor"]),
        ("okafor", ["Grace Okafor"]),
        ("Grace Okafor", ["Grace Okafor"]),
        ("okafor, grace", ["Grace Okafor"]),
        ("hal", ["Henry Walsh"]),
        ("hwalsh@mail", ["Henry Walsh"]),
        ("example.org", ["Amara Graceland", "Grace Okafor"]),
        ("5550101", ["Grace Okafor"]),
        ("555-0199", ["Henry Walsh"]),
        ("(212) 555", ["Amara Graceland"]),
        ("518", ["Grace Okafor", "Henry Walsh"]),
        ("1984-03-09", ["Grace Okafor"]),
        ("11/30/1990", ["Henry Walsh"]),
        ("1/2/1975", ["Amara Graceland"]),
        ("13/45/1990", []),
        ("nobody here", []),
    ],
)
def test_it_searches_by_name_phone_email_and_date_of_birth(
    client, front_desk, three_clients, query, expected
):
    client.force_login(front_desk)
    assert _names(client.get(URL, {"q": query})) == expected


def test_it_reads_a_date_of_birth_in_either_format():
    assert parse_date_of_birth("1984-03-09") == date(1984, 3, 9)
    assert parse_date_of_birth("03/09/1984") == date(1984, 3, 9)
    assert parse_date_of_birth("3/9/1984") == date(1984, 3, 9)
    assert parse_date_of_birth("1984-02-30") is None
    assert parse_date_of_birth("19840309") is None  # digits: a phone search
    assert parse_date_of_birth("grace") is None


def test_htmx_gets_only_the_rows(client, front_desk, three_clients):
    client.force_login(front_desk)
    response = client.get(URL, {"q": "okafor"}, headers={"HX-Request": "true"})
    page = response.content.decode()
    assert "Okafor" in page
    assert "Walsh" not in page
    assert "<html" not in page
    assert "1 client found" in page
    assert response.templates[0].name == "clients/_chart_list_rows.html"


def test_without_javascript_the_search_is_a_plain_get_form(
    client, front_desk, three_clients
):
    client.force_login(front_desk)
    page = client.get(URL, {"q": "walsh"}).content.decode()
    assert '<form method="get" action="/clients/"' in page
    assert 'value="walsh"' in page  # what was typed stays in the box
    assert "Henry" in page and "Okafor" not in page


def test_a_search_longer_than_allowed_does_not_break_the_page(client, front_desk):
    client.force_login(front_desk)
    response = client.get(URL, {"q": "x" * 500, "therapist": "not-a-number"})
    assert response.status_code == 200


def test_a_bad_filter_value_keeps_the_rest_of_the_search(
    client, front_desk, three_clients
):
    client.force_login(front_desk)
    response = client.get(URL, {"q": "walsh", "therapist": "nope", "status": "??"})
    assert _names(response) == ["Henry Walsh"]


# --- Filters ---------------------------------------------------------------------


def test_archived_clients_are_hidden_unless_asked_for(client, front_desk):
    ClientFactory(first_name="Active", last_name="One")
    ClientFactory(first_name="Archived", last_name="Two", archived_at=NOW)
    client.force_login(front_desk)
    assert _names(client.get(URL)) == ["Active One"]
    archived = client.get(URL, {"status": "archived"})
    assert _names(archived) == ["Archived Two"]
    assert "Archived</span>" in archived.content.decode()
    assert _names(client.get(URL, {"status": "all"})) == ["Active One", "Archived Two"]


def test_it_filters_by_therapist_through_visits_or_plans(
    client, front_desk, therapist, other_therapist
):
    visited = ClientFactory(first_name="Visited", last_name="A")
    planned = ClientFactory(first_name="Planned", last_name="B")
    other = ClientFactory(first_name="Other", last_name="C")
    _visit(visited, therapist, NOW - timedelta(days=10), status="completed")
    _visit(other, other_therapist, NOW + timedelta(days=1))
    planned.treatment_plans.create(
        therapist=therapist,
        visits_planned=6,
        starts_on=TODAY,
        review_on=TODAY + timedelta(weeks=6),
    )
    client.force_login(front_desk)
    response = client.get(URL, {"therapist": therapist.pk})
    assert _names(response) == ["Visited A", "Planned B"]


def test_it_filters_clients_whose_referral_expires_within_14_days(client, front_desk):
    soon = ClientFactory(first_name="Soon", last_name="A")
    later = ClientFactory(first_name="Later", last_name="B")
    gone = ClientFactory(first_name="Expired", last_name="C")
    _referral(soon, expires_on=TODAY + timedelta(days=14))
    _referral(later, expires_on=TODAY + timedelta(days=15))
    _referral(gone, expires_on=TODAY - timedelta(days=1))
    ClientFactory(first_name="None", last_name="D")
    client.force_login(front_desk)
    assert _names(client.get(URL, {"referral_expiring": "on"})) == ["Soon A"]


def test_it_filters_clients_without_an_intake(client, front_desk):
    _history(ClientFactory(first_name="Has", last_name="Intake"))
    ClientFactory(first_name="No", last_name="Intake")
    client.force_login(front_desk)
    assert _names(client.get(URL, {"intake_missing": "on"})) == ["No Intake"]


def test_filters_combine_with_the_search(client, front_desk):
    ClientFactory(first_name="Grace", last_name="Missing")
    _history(ClientFactory(first_name="Grace", last_name="Complete"))
    client.force_login(front_desk)
    response = client.get(URL, {"q": "grace", "intake_missing": "on"})
    assert _names(response) == ["Grace Missing"]


# --- Columns ------------------------------------------------------------------------


def test_the_next_visit_is_in_its_locations_local_time(client, front_desk, therapist):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    london = LocationFactory(name="London Bridge", time_zone="Europe/London")
    _visit(grace, therapist, NOW + timedelta(days=2), location=london)  # 14:00 GMT
    _visit(
        grace,
        therapist,
        NOW + timedelta(days=1),
        status="cancelled",
        cancelled_at=NOW,
    )  # cancelled: not the next visit
    _visit(grace, therapist, NOW - timedelta(days=1), status="completed")
    client.force_login(front_desk)
    page = client.get(URL).content.decode()
    assert "Thu Dec 3, 2:00 PM GMT" in page


def test_each_row_shows_alert_headlines_and_the_intake_status(client, front_desk):
    flagged = ClientFactory(first_name="Flagged", last_name="A")
    contraindication_add(
        context=AuditContext.system("test"),
        client=flagged,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
        detail="Warfarin 5 mg",
    )
    _history(flagged)
    _history(
        ClientFactory(first_name="Old", last_name="B"),
        submitted_at=NOW - timedelta(days=400),
    )
    ClientFactory(first_name="Missing", last_name="C")
    client.force_login(front_desk)
    response = client.get(URL)
    page = response.content.decode()
    (alert,) = client_alerts(flagged, TODAY)
    assert "deep tissue" in alert.headline
    assert alert.headline in page
    assert "Warfarin" not in page  # the headline only
    intakes = {r.client.first_name: r.intake for r in response.context["rows"]}
    assert intakes == {
        "Flagged": IntakeStatus.COMPLETE,
        "Old": IntakeStatus.NEEDS_RENEWAL,
        "Missing": IntakeStatus.MISSING,
    }
    assert "Needs renewal" in page and "Missing" in page


def test_a_history_needs_renewal_the_day_after_the_period_ends():
    submitted = datetime(2026, 6, 1, 12, tzinfo=UTC)
    on_due_day = intake_status(submitted, today=date(2026, 12, 1), renewal_months=6)
    day_after = intake_status(submitted, today=date(2026, 12, 2), renewal_months=6)
    assert on_due_day == IntakeStatus.COMPLETE
    assert day_after == IntakeStatus.NEEDS_RENEWAL
    assert intake_status(None, today=TODAY, renewal_months=12) == IntakeStatus.MISSING


def test_renewal_follows_the_clinics_setting(client, front_desk):
    policy = clinic_policy()
    policy.intake_renewal_months = 1
    policy.save()
    _history(ClientFactory(first_name="Recent"), submitted_at=NOW - timedelta(days=40))
    client.force_login(front_desk)
    rows = client.get(URL).context["rows"]
    assert [r.intake for r in rows] == [IntakeStatus.NEEDS_RENEWAL]


# --- Pages and query counts ------------------------------------------------------------


def _populate(n: int, therapist, *, day: int = 1) -> None:
    for i in range(n):
        c = ClientFactory(first_name=f"Client{i:02d}", last_name="Many")
        _visit(c, therapist, NOW + timedelta(days=day, hours=i))
        _history(c)
        _referral(c, expires_on=TODAY + timedelta(days=7))
        contraindication_add(
            context=AuditContext.system("test"),
            client=c,
            condition=Condition.objects.get(slug="anticoagulants"),
            severity="modify",
            by=therapist.user,
        )


def _count_queries(client, params=None) -> int:
    client.get(URL, params or {})  # the first request creates the clinic policy row
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, params or {})
    assert response.status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_rows(
    client, front_desk, therapist, django_assert_max_num_queries
):
    client.force_login(front_desk)
    _populate(3, therapist)
    three = _count_queries(client, {"referral_expiring": "on"})
    _populate(10, TherapistFactory())
    keep_reference_data()  # as a serving process keeps it (massageclinic.reference)
    with django_assert_max_num_queries(12):
        response = client.get(URL, {"referral_expiring": "on"})
    assert len(response.context["rows"]) == 13
    assert _count_queries(client, {"referral_expiring": "on"}) == three


def test_a_therapists_list_has_a_fixed_query_count_too(
    client, therapist, django_assert_max_num_queries
):
    client.force_login(therapist.user)
    _populate(3, therapist)
    three = _count_queries(client, {"q": "many"})
    _populate(10, therapist, day=2)
    keep_reference_data()  # as a serving process keeps it (massageclinic.reference)
    with django_assert_max_num_queries(12):
        client.get(URL, {"q": "many"})
    assert _count_queries(client, {"q": "many"}) == three


def test_it_shows_25_clients_a_page(client, front_desk):
    for i in range(30):
        ClientFactory(first_name=f"C{i:02d}", last_name="Paged")
    client.force_login(front_desk)
    first = client.get(URL, {"q": "paged"})
    assert len(first.context["rows"]) == 25
    page = first.content.decode()
    assert "page 1 of 2" in page
    assert "?q=paged&amp;page=2" in page  # the search is kept across pages
    second = client.get(URL, {"q": "paged", "page": 2})
    assert len(second.context["rows"]) == 5
    assert client.get(URL, {"page": "999"}).status_code == 200
