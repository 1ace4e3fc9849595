"""The home page: today's visits, per role, in the location's local time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory
from sessions.tests.factories import AppointmentFactory

# 09:00 in New York on 1 December 2026 (UTC-5).
NOW = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def location():
    return LocationFactory(name="Riverside", time_zone="America/New_York")


def _visit(location, therapist, hour_utc: int, **extra):
    starts = datetime(2026, 12, 1, hour_utc, 0, tzinfo=UTC)
    return AppointmentFactory(
        location=location,
        therapist=therapist,
        room=RoomFactory(location=location),
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
        **extra,
    )


def test_it_sends_an_anonymous_visitor_to_the_login_page(client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_the_front_desk_sees_every_visit_in_local_time(
    client, front_desk, therapist, other_therapist, location
):
    _visit(
        location, therapist, 15, client=ClientFactory(first_name="Ada", last_name="Ng")
    )
    _visit(
        location,
        other_therapist,
        16,
        client=ClientFactory(first_name="Bo", last_name="Li"),
    )
    client.force_login(front_desk)
    page = client.get(reverse("home")).content.decode()
    assert "Ada Ng" in page and "Bo Li" in page
    assert "10:00 AM" in page  # 15:00 UTC is 10:00 in New York
    assert "America/New_York" in page


def test_a_therapist_sees_only_their_own_visits(
    client, therapist, other_therapist, location
):
    _visit(
        location, therapist, 15, client=ClientFactory(first_name="Ada", last_name="Ng")
    )
    _visit(
        location,
        other_therapist,
        16,
        client=ClientFactory(first_name="Bo", last_name="Li"),
    )
    client.force_login(therapist.user)
    page = client.get(reverse("home")).content.decode()
    assert "Ada Ng" in page
    assert "Bo Li" not in page


def test_today_is_the_locations_local_date(client, front_desk, therapist, location):
    # 03:00 UTC on 2 December is still 1 December in New York (22:00).
    late = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    AppointmentFactory(
        location=location,
        therapist=therapist,
        room=RoomFactory(location=location),
        client=ClientFactory(first_name="Late", last_name="Evening"),
        starts_at=late,
        ends_at=late + timedelta(hours=1),
    )
    _visit(
        location,
        therapist,
        4,
        client=ClientFactory(first_name="Early", last_name="Bird"),
    )  # 04:00 UTC on 1 December = 23:00 on 30 November in New York
    client.force_login(front_desk)
    page = client.get(reverse("home")).content.decode()
    assert "Late Evening" in page
    assert "Early Bird" not in page


def test_a_person_without_a_role_is_told_so(client, django_user_model):
    user = django_user_model.objects.create_user("nobody", password="x-long-password-1")
    client.force_login(user)
    page = client.get(reverse("home")).content.decode()
    assert "no role yet" in page


def test_the_query_count_does_not_grow_with_visits(
    client, front_desk, location, django_assert_max_num_queries
):
    from therapists.tests.factories import TherapistFactory

    for hour in range(13, 21):
        _visit(location, TherapistFactory(), hour)
    client.force_login(front_desk)
    # 11: the visits to review for safety take one query here (they have no
    # flags), the histories awaiting a therapist's review one, the clinic policy
    # (when check-in opens) one and the open waitlist entries one.
    with django_assert_max_num_queries(11):
        response = client.get(reverse("home"))
    assert response.content.decode().count("<tr>") == 8 + 1  # header row


def test_each_visit_shows_its_clients_safety_headline(
    client, front_desk, therapist, location
):
    from clients.models import Condition
    from clients.services import contraindication_add

    visit = _visit(location, therapist, 15)
    contraindication_add(
        context=AuditContext.system("test"),
        client=visit.client,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
    )
    client.force_login(front_desk)
    page = client.get(reverse("home")).content.decode()
    assert "no cross-fibre friction, cupping, deep tissue, gua sha" in page
    assert "Warfarin" not in page  # headline only, no clinical detail


# --- Today as the desk's cockpit -------------------------------------------------


def _row(page: str, name: str) -> str:
    """The table row of a client's visit on Today."""
    start = page.index(f">{name}</a>")
    return page[page.rindex("<tr>", 0, start) : page.index("</tr>", start)]


def test_each_visit_offers_the_buttons_its_time_allows(
    client, front_desk, therapist, location
):
    # 09:00 in New York: check-in opens two hours before each visit.
    started = _visit(location, therapist, 13, client=ClientFactory(first_name="Ann"))
    soon = _visit(location, therapist, 15, client=ClientFactory(first_name="Ben"))
    later = _visit(location, therapist, 17, client=ClientFactory(first_name="Cleo"))
    arrived = _visit(
        location,
        therapist,
        14,
        client=ClientFactory(first_name="Dora"),
        status="checked_in",
    )
    client.force_login(front_desk)
    page = client.get(reverse("home")).content.decode()
    ann, ben = _row(page, started.client.full_name), _row(page, soon.client.full_name)
    cleo, dora = (
        _row(page, later.client.full_name),
        _row(page, arrived.client.full_name),
    )
    check_in = reverse("sessions:visit_check_in", args=[soon.pk])
    assert f'href="{check_in}?next=/"' in ben and "No-show" not in ben
    assert "Check in" in ann and "No-show" in ann  # started: both
    assert "Check in" not in cleo and "check-in from 10:00 AM" in cleo
    assert "Complete" in dora and "Check in" not in dora
    for visit in (started, soon, later, arrived):  # links to the visit and chart
        assert reverse("sessions:visit", args=[visit.pk]) in page
        assert reverse("clients:detail", args=[visit.client_id]) in page


def test_a_no_show_from_today_returns_to_today(client, front_desk, therapist, location):
    started = _visit(location, therapist, 13)
    client.force_login(front_desk)
    response = client.post(
        reverse("sessions:visit_status", args=[started.pk]),
        {"status": "no_show", "next": "/"},
    )
    assert response.status_code == 302 and response["Location"] == "/"
    started.refresh_from_db()
    assert started.status == "no_show"
    # A `next` off the site is ignored: back to the visit.
    response = client.post(
        reverse("sessions:visit_status", args=[started.pk]),
        {"status": "no_show", "next": "https://elsewhere.example/"},
    )
    assert response["Location"] == reverse("sessions:visit", args=[started.pk])


def test_a_therapist_gets_the_note_of_their_visit_and_what_is_left_to_sign(
    client, therapist, location
):
    arrived = _visit(location, therapist, 13, status="checked_in")
    client.force_login(therapist.user)
    page = client.get(reverse("home")).content.decode()
    assert reverse("sessions:note", args=[arrived.pk]) in page
    assert "1 note to write or sign" in page
    assert "Waitlist" not in page  # the desk's column only


def test_a_freed_time_today_names_the_waiting_clients_it_fits(
    client, front_desk, therapist, location
):
    from sessions.models import WaitlistEntry
    from therapists.models import Training, WorkingHours
    from therapists.tests.factories import modality

    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    WorkingHours.objects.create(
        therapist=therapist,
        location=location,
        weekday=1,
        starts_at=datetime(2026, 12, 1, 8).time(),
        ends_at=datetime(2026, 12, 1, 18).time(),
    )
    freed = _visit(
        location,
        therapist,
        18,
        modality=modality("swedish"),
        status="cancelled",
        cancelled_at=NOW,
        cancellation_reason="Flu",
    )
    waiting = ClientFactory(first_name="Wendy", last_name="Wait")
    WaitlistEntry.objects.create(
        client=waiting,
        location=location,
        duration_minutes=60,
        wanted_from=datetime(2026, 12, 1).date(),
        wanted_until=datetime(2026, 12, 9).date(),
        created_by=front_desk,
    )
    client.force_login(front_desk)
    page = client.get(reverse("home")).content.decode()
    assert "Free again" in page and "Wendy Wait" in page
    assert reverse("sessions:visit", args=[freed.pk]) in page
