"""The grids stay cheap as the day fills: queries pinned at two sizes, no URL or
formatted time per empty cell, a bounded range query, and a week lined up by the clock
across a daylight-saving change."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import Client, Condition
from clients.services import contraindication_add
from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    ReferralFactory,
)
from massageclinic.audit import AuditContext
from massageclinic.clock import local_datetime
from massageclinic.lengths import LONGEST_VISIT
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.kept_reference import parts_read_after_a_change
from sessions.models import Appointment, Place
from sessions.scheduling.calendar import week_grid
from sessions.scheduling.tests.test_calendar import free_slots, slot_links
from sessions.tests.factories import AppointmentFactory
from therapists.models import WorkingHours
from therapists.tests.factories import TherapistFactory, modality

NOW = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)  # Monday 08:00 in New York
DAY = date(2026, 12, 1)  # Tuesday

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def location():
    return LocationFactory(
        name="Riverside",
        time_zone="America/New_York",
        opens_at=time(8),
        closes_at=time(18),
    )


def _clinic_day(location, therapists: int, visits: int, desk) -> list:
    """`therapists` working 08:00-18:00 every day, and `visits` hour-long visits on
    DAY, bulk. Whatever the size, the first therapist also has one visit of each
    kind the grid draws differently: paperwork near its end and a safety alert, a
    home visit with travel, and a cancelled one."""
    staff = []
    for _ in range(therapists):
        therapist = TherapistFactory()
        WorkingHours.objects.bulk_create(
            WorkingHours(
                therapist=therapist,
                location=location,
                weekday=weekday,
                starts_at=time(8),
                ends_at=time(18),
            )
            for weekday in range(7)
        )
        staff.append((therapist, RoomFactory(location=location)))
    first, first_room = staff[0]
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=desk,
    )
    referral = ReferralFactory(client=grace, expires_on=date(2026, 12, 10))
    AppointmentFactory(
        client=grace,
        therapist=first,
        location=location,
        room=first_room,
        referral=referral,
        authorization=AuthorizationFactory(
            policy__client=grace, referral=referral, valid_to=date(2026, 12, 8)
        ),
        starts_at=datetime(2026, 12, 1, 21, tzinfo=UTC),  # 16:00
    )
    home = datetime(2026, 12, 1, 22, 30, tzinfo=UTC)  # 17:30, with 15 min travel
    AppointmentFactory(
        therapist=first,
        location=location,
        place=Place.HOME,
        room=None,
        starts_at=home,
        ends_at=home + timedelta(minutes=30),
        therapist_busy_from=home - timedelta(minutes=15),
        therapist_busy_until=home + timedelta(minutes=45),
    )
    AppointmentFactory(
        therapist=first,
        location=location,
        room=first_room,
        status=Appointment.Status.CANCELLED,
        cancelled_at=NOW,
        starts_at=datetime(2026, 12, 1, 14, tzinfo=UTC),
    )
    clients = Client.objects.bulk_create(
        Client(first_name=f"Client{i}", last_name="Test") for i in range(visits)
    )
    swedish, booker = modality("swedish"), UserFactory()
    per = -(-visits // therapists)
    rows = []
    for index, client in enumerate(clients):
        therapist, room = staff[index // per]
        starts = datetime(2026, 12, 1, 13, tzinfo=UTC) + timedelta(hours=index % per)
        rows.append(
            Appointment(
                client=client,
                therapist=therapist,
                modality=swedish,
                location=location,
                room=room,
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                therapist_busy_from=starts,
                therapist_busy_until=starts + timedelta(hours=1),
                booked_by=booker,
            )
        )
    Appointment.objects.bulk_create(rows)
    return [therapist for therapist, _ in staff]


def _without_tokens(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def _queries(client, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


# Session, user and roles; the reference data's version (massageclinic.reference:
# the active locations, the therapists, their hours and the conditions' rules, kept
# by the process); then the visits (with their techniques and rooms), time off, the
# alerts' flags and plans, referrals and authorizations, each once.
DAY_QUERIES = 10
# The first request after the reference data changed reads every part once.
DAY_REFERENCE_READS = parts_read_after_a_change()
# Session, user, roles, the therapist, the visits, hours, time off, the version and
# the flags and plans, referrals, authorizations, the lists of therapists and rooms
# to choose from, and the therapist's location.
WEEK_QUERIES = 15


@pytest.mark.parametrize(("therapists", "visits"), [(3, 5), (30, 150)])
def test_the_day_and_week_grids_ask_the_same_queries_at_any_size(
    client, front_desk, location, therapists, visits
):
    staff = _clinic_day(location, therapists, visits, front_desk)
    client.force_login(front_desk)
    day_url = reverse("sessions:day") + f"?location={location.pk}&date={DAY}"
    count, page = _queries(client, day_url)
    assert page.count('class="block status-booked"') == visits + 2
    assert count == DAY_QUERIES + DAY_REFERENCE_READS  # the first after the set-up
    count, again = _queries(client, day_url)
    assert _without_tokens(again) == _without_tokens(page)  # the same page
    assert count == DAY_QUERIES
    week_url = (
        reverse("sessions:week")
        + f"?therapist={staff[0].pk}&location={location.pk}&date={DAY}"
    )
    count, page = _queries(client, week_url)
    assert "Grace Okafor" in page and "referral ends 10 Dec" in page
    assert count == WEEK_QUERIES


def test_a_busy_day_sends_no_url_or_time_per_empty_cell(client, front_desk, location):
    staff = _clinic_day(location, 30, 150, front_desk)
    client.force_login(front_desk)
    page = client.get(
        reverse("sessions:day") + f"?location={location.pk}&date={DAY}"
    ).content.decode()
    assert len(page) < 80 * 1024
    assert page.count(reverse("sessions:book") + "?") == 1  # once, on the table
    links = slot_links(page)
    assert page.count("<td></td>") == len(links)
    # 30 columns of 40 rows: 151 visits of 4 rows, the home visit's 2 and the
    # 15 minutes of travel before it (the travel after is past closing).
    assert len(links) == 30 * 40 - 151 * 4 - 2 - 1
    slots = free_slots(page)
    tara = staff[0]
    assert slots[f"Book {tara.full_name} on Tue 1 Dec at 3:00 PM"] == (
        f"/book/?location={location.pk}&therapist={tara.pk}&starts=2026-12-01T15:00"
    )
    week = f"/calendar/week/?location={location.pk}&amp;therapist={tara.pk}"
    assert f'href="{week}&amp;date=2026-12-01">{tara.first_name}</a>' in page


def test_a_block_keeps_its_time_client_technique_place_alert_paperwork_and_link(
    client, front_desk, location
):
    _clinic_day(location, 1, 2, front_desk)
    client.force_login(front_desk)
    page = client.get(
        reverse("sessions:day") + f"?location={location.pk}&date={DAY}"
    ).content.decode()
    grace = Appointment.objects.get(client__first_name="Grace")
    block = page[page.index(f'href="/visits/{grace.pk}/"') :]
    block = block[: block.index("</td>")]
    assert "4:00–5:00 PM" in block
    assert "Grace Okafor" in block and "Swedish · " in block
    assert ", Booked" in block
    assert "no cross-fibre friction, cupping, deep tissue, gua sha" in block
    assert "referral ends 10 Dec" in block and "authorization ends 08 Dec" in block
    assert "Client&#x27;s home" in page  # a home visit names its place
    assert "Cancelled today" in page


def test_the_room_week_names_each_visits_therapist(client, front_desk, location):
    room = RoomFactory(location=location, name="Cedar Room")
    ada = TherapistFactory(user=UserFactory(first_name="Ada", last_name="Lee"))
    AppointmentFactory(therapist=ada, location=location, room=room)
    client.force_login(front_desk)
    by_room = client.get(
        reverse("sessions:week") + f"?room={room.pk}&date={DAY}"
    ).content.decode()
    assert "<span>Ada Lee</span>" in by_room
    slots = free_slots(by_room)
    assert slots["Book Cedar Room on Tue 1 Dec at 9:00 AM"] == (
        f"/book/?location={location.pk}&room={room.pk}&starts=2026-12-01T09:00"
    )
    by_therapist = client.get(
        reverse("sessions:week") + f"?therapist={ada.pk}&date={DAY}"
    ).content.decode()
    assert "<span>Ada Lee</span>" not in by_therapist


def test_the_range_query_is_bounded_below_by_the_longest_visit(
    client, front_desk, location
):
    client.force_login(front_desk)
    url = reverse("sessions:day") + f"?location={location.pk}&date={DAY}"
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    (visits,) = [
        q["sql"] for q in captured if 'FROM "clinic_sessions_appointment"' in q["sql"]
    ]
    midnight = datetime(2026, 12, 1, 5, tzinfo=UTC)
    lowest = (midnight - LONGEST_VISIT).isoformat()
    assert f"\"starts_at\" > '{lowest}'" in visits
    assert '"starts_at" < ' in visits and '"ends_at" > ' in visits


def test_a_visit_that_began_the_evening_before_still_shows(
    client, front_desk, location
):
    night = LocationFactory(time_zone="America/New_York", opens_at=time(0))
    ada = TherapistFactory(user=UserFactory(first_name="Ada", last_name="Lee"))
    AppointmentFactory(
        client=ClientFactory(first_name="Nora", last_name="Owl"),
        therapist=ada,
        location=night,
        starts_at=datetime(2026, 12, 1, 3, tzinfo=UTC),  # 22:00 the evening before
        ends_at=datetime(2026, 12, 1, 7, tzinfo=UTC),  # 02:00, four hours later
    )
    client.force_login(front_desk)
    page = client.get(
        reverse("sessions:day") + f"?location={night.pk}&date={DAY}"
    ).content.decode()
    assert "Nora Owl" in page


# --- the week across the autumn change ------------------------------------------------


def test_a_night_clinics_week_lines_its_days_up_by_the_clock_across_the_change():
    """Sunday 1 November 2026 has 01:00-02:00 twice in New York: the week gives the
    second pass rows of its own after the first, greyed on the other days, and a
    visit in it stays on Sunday, not four rows off."""
    clinic = LocationFactory(
        time_zone="America/New_York", opens_at=time(0), closes_at=time(4)
    )
    tess = TherapistFactory()
    WorkingHours.objects.bulk_create(
        WorkingHours(
            therapist=tess,
            location=clinic,
            weekday=weekday,
            starts_at=time(0),
            ends_at=time(4),
        )
        for weekday in range(7)
    )
    sunday = date(2026, 11, 1)
    second_0130 = local_datetime(sunday, time(1, 30), clinic, fold=1)
    visit = AppointmentFactory(
        therapist=tess,
        location=clinic,
        starts_at=second_0130,
        ends_at=second_0130 + timedelta(minutes=30),
    )
    grid = week_grid(
        location=clinic, monday=date(2026, 10, 26), now=NOW, therapist=tess
    )
    labels = [row.label for row in grid.rows]
    assert len(labels) == 5 * 4  # 00:00-04:00 with the repeated hour
    assert labels[4:12] == [
        "1:00 AM EDT",
        "1:15 AM EDT",
        "1:30 AM EDT",
        "1:45 AM EDT",
        "1:00 AM EST",
        "1:15 AM EST",
        "1:30 AM EST",
        "1:45 AM EST",
    ]
    assert [row.query for row in grid.rows][10] == "T01:30&fold=1"
    second = grid.rows[10]
    assert len(second.cells) == 7
    assert [c.kind for c in second.cells[:6]] == [
        "off"
    ] * 6  # Mon-Sat have no such time
    assert (
        second.cells[6].block is not None and second.cells[6].block.visit.pk == visit.pk
    )
    assert second.cells[6].block.rows == 2
    # Every row holds one cell per day, less those a visit above covers.
    for index, row in enumerate(grid.rows):
        assert len(row.cells) == (6 if index == 11 else 7), row.label
