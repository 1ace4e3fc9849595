"""The day and week views: columns, local times, greyed hours, alerts, fixed queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse

from clients.models import Client, Condition
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from sessions.models import Appointment
from sessions.tests.factories import AppointmentFactory
from therapists.models import Therapist, TimeOff, WorkingHours
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
        closes_at=time(20),
    )


def _works(therapist, location, start=time(9), end=time(17), weekday=1):
    WorkingHours.objects.create(
        therapist=therapist,
        location=location,
        weekday=weekday,
        starts_at=start,
        ends_at=end,
    )
    return therapist


class _GridReader(HTMLParser):
    """Reads a calendar grid as its script does (static/js/calendar-grid.js)."""

    def __init__(self) -> None:
        super().__init__()
        self.book = ""
        self.heads: list[dict[str, str]] = []
        self.rows: list[tuple[dict[str, str], list[dict[str, str]]]] = []
        self.time: list[str] = []
        self._in_head = self._in_row_head = self._in_cell = False

    def handle_starttag(self, tag, attrs):
        found = {k: v or "" for k, v in attrs}
        if tag == "table" and "calendar" in found.get("class", ""):
            self.book = found.get("data-book", "")
        elif tag == "thead":
            self._in_head = True
        elif tag == "th" and self._in_head and "data-q" in found:
            self.heads.append(found)
        elif tag == "tr" and not self._in_head:
            self.rows.append((found, []))
            self.time.append("")
        elif tag == "th" and self.rows:
            self._in_row_head = True
        elif tag == "td":
            self.rows[-1][1].append(found)
            self._in_cell = True
        elif self._in_cell:
            self.rows[-1][1][-1]["child"] = tag

    def handle_endtag(self, tag):
        if tag == "thead":
            self._in_head = False
        elif tag == "th":
            self._in_row_head = False
        elif tag == "td":
            self._in_cell = False

    def handle_data(self, data):
        if self._in_row_head:
            self.time[-1] += data


def free_slots(page: str) -> dict[str, str]:
    """Each free slot the grid's script turns into a link: its name and its URL."""
    return dict(slot_links(page))


def slot_links(page: str) -> list[tuple[str, str]]:
    """The links the grid's script makes, in order: (name, URL)."""
    reader = _GridReader()
    reader.feed(page)
    if not reader.book:
        return []
    slots: list[tuple[str, str]] = []
    spans = [0] * len(reader.heads)
    for (row, cells), time_text in zip(reader.rows, reader.time, strict=True):
        cells = iter(cells)
        for column, head in enumerate(reader.heads):
            if spans[column]:
                spans[column] -= 1
                continue
            cell = next(cells, None)
            if cell is None:
                continue
            spans[column] = int(cell.get("rowspan", "1")) - 1
            if "class" in cell or "child" in cell:
                continue
            name = f"Book {head['data-label']} at {time_text.strip()}"
            slots.append((name, reader.book + head["data-q"] + row["data-q"]))
    return slots


def _day_page(client, location, day=DAY) -> str:
    url = reverse("sessions:day") + f"?location={location.pk}&date={day:%Y-%m-%d}"
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_one_column_per_therapist_working_that_day(client, front_desk, location):
    _works(
        TherapistFactory(user=UserFactory(first_name="Ada", last_name="Lee")), location
    )
    _works(
        TherapistFactory(user=UserFactory(first_name="Ben", last_name="Cole")),
        location,
        weekday=3,
    )
    client.force_login(front_desk)
    page = _day_page(client, location)
    assert "Ada Lee" in page
    assert "Ben Cole" not in page  # works Thursdays only
    assert "America/New_York" in page


def test_a_therapist_booked_there_without_hours_that_day_has_a_column(
    client, front_desk, location
):
    """The columns come with the day's hours; a visit kept after the hours moved
    still shows, in a column of its own, its slots greyed as off hours."""
    _works(
        TherapistFactory(user=UserFactory(first_name="Ada", last_name="Lee")), location
    )
    ben = _works(
        TherapistFactory(user=UserFactory(first_name="Ben", last_name="Cole")),
        location,
        weekday=3,
    )
    AppointmentFactory(
        client=ClientFactory(first_name="Iris", last_name="Vale"),
        therapist=ben,
        location=location,
        room=RoomFactory(location=location, name="Cedar Room"),
        starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
    )
    client.force_login(front_desk)
    page = _day_page(client, location)
    reader = _GridReader()
    reader.feed(page)
    assert [h["data-label"] for h in reader.heads] == [
        "Ada Lee on Tue 1 Dec",
        "Ben Cole on Tue 1 Dec",
    ]
    assert "Iris Vale" in page and "Cedar Room" in page
    assert not any("Ben Cole" in name for name in free_slots(page))


def test_a_visit_shows_in_local_time_with_its_alert_headline(
    client, front_desk, location
):
    ada = _works(
        TherapistFactory(user=UserFactory(first_name="Ada", last_name="Lee")), location
    )
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
    )
    AppointmentFactory(
        client=grace,
        therapist=ada,
        location=location,
        room=RoomFactory(location=location, name="Maple Room"),
        starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
    )
    client.force_login(front_desk)
    page = _day_page(client, location)
    assert "10:00–11:00 AM" in page
    assert "Grace Okafor" in page and "Maple Room" in page
    assert 'rowspan="4"' in page
    assert "no cross-fibre friction, cupping, deep tissue, gua sha" in page


def test_free_slots_link_to_the_booking_form_for_the_desk_only(
    client, front_desk, therapist, location
):
    _works(therapist, location)
    client.force_login(front_desk)
    slots = free_slots(_day_page(client, location))
    assert slots["Book Tara Hands on Tue 1 Dec at 10:15 AM"] == (
        f"/book/?location={location.pk}&therapist={therapist.pk}"
        "&starts=2026-12-01T10:15"
    )
    client.force_login(therapist.user)
    page = _day_page(client, location)
    assert free_slots(page) == {}
    assert "data-book" not in page and "/book/" not in page


def test_off_hours_and_time_off_are_greyed(client, front_desk, therapist, location):
    _works(therapist, location, start=time(9), end=time(12))
    TimeOff.objects.create(
        therapist=therapist,
        starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
    )
    client.force_login(front_desk)
    page = _day_page(client, location)
    # 08:00-09:00 and 12:00-20:00 are off hours (4 + 32 cells), 10:00-11:00 time off (4)
    assert page.count('<td class="off"></td>') == 4 + 32 + 4
    slots = free_slots(page)
    assert "Book Tara Hands on Tue 1 Dec at 9:00 AM" in slots
    assert "Book Tara Hands on Tue 1 Dec at 10:00 AM" not in slots
    assert len(slots) == 4 + 4  # 09:00-10:00 and 11:00-12:00


def test_a_referral_near_its_end_is_shown_on_the_block(
    client, front_desk, therapist, location
):
    from clients.models import Referral, ReferringProvider

    _works(therapist, location)
    grace = ClientFactory()
    referral = Referral.objects.create(
        client=grace,
        provider=ReferringProvider.objects.create(
            name="Dr. Amara Singh", credentials="MD", npi="1234567893"
        ),
        referred_on=date(2026, 11, 1),
        diagnosis_codes=["M54.50"],
        diagnosis_text="Low back pain",
        visits_authorized=8,
        expires_on=date(2026, 12, 10),
    )
    AppointmentFactory(
        client=grace,
        therapist=therapist,
        location=location,
        room=RoomFactory(location=location),
        referral=referral,
        starts_at=datetime(2026, 12, 1, 15, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
    )
    client.force_login(front_desk)
    assert "referral ends 10 Dec" in _day_page(client, location)


def test_a_bad_date_shows_today_with_a_message(client, front_desk, location):
    client.force_login(front_desk)
    url = reverse("sessions:day") + f"?location={location.pk}&date=1900-13-45"
    response = client.get(url, follow=True)
    assert response.status_code == 200
    assert "is not a date" in response.content.decode()


def _fill_day(location, visits: int) -> None:
    """`visits` 30-minute visits across therapists and rooms on DAY (bulk, for speed)."""
    per_therapist = 20  # 08:00-18:00
    therapists = -(-visits // per_therapist)
    swedish = modality("swedish")
    booker = UserFactory()
    clients = Client.objects.bulk_create(
        Client(first_name=f"Client{i}", last_name="Test") for i in range(visits)
    )
    rows = []
    for t in range(therapists):
        therapist = _works(TherapistFactory(), location, start=time(8), end=time(18))
        room = RoomFactory(location=location)
        for slot in range(per_therapist):
            index = t * per_therapist + slot
            if index >= visits:
                break
            starts = datetime(2026, 12, 1, 13, 0, tzinfo=UTC) + timedelta(
                minutes=30 * slot
            )
            rows.append(
                Appointment(
                    client=clients[index],
                    therapist=therapist,
                    modality=swedish,
                    location=location,
                    room=room,
                    starts_at=starts,
                    ends_at=starts + timedelta(minutes=30),
                    therapist_busy_from=starts,
                    therapist_busy_until=starts + timedelta(minutes=30),
                    booked_by=booker,
                )
            )
    Appointment.objects.bulk_create(rows)


@pytest.mark.parametrize("visits", [10, 300])
def test_the_day_view_query_count_does_not_grow(
    client, front_desk, location, visits, django_assert_max_num_queries
):
    _fill_day(location, visits)
    client.force_login(front_desk)
    with django_assert_max_num_queries(14):
        page = _day_page(client, location)
    assert page.count('class="block status-booked"') == visits
    assert Therapist.objects.count() == -(-visits // 20)


def test_the_week_view_of_a_therapist_and_of_a_room(
    client, front_desk, therapist, location
):
    for weekday in range(5):
        _works(therapist, location, weekday=weekday)
    room = RoomFactory(location=location, name="Cedar Room")
    AppointmentFactory(
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        therapist=therapist,
        location=location,
        room=room,
        starts_at=datetime(2026, 12, 3, 15, 0, tzinfo=UTC),
        ends_at=datetime(2026, 12, 3, 16, 0, tzinfo=UTC),
    )
    client.force_login(front_desk)
    base = reverse("sessions:week")
    by_therapist = client.get(
        f"{base}?therapist={therapist.pk}&date=2026-12-01"
    ).content
    assert b"Thu 03 Dec" in by_therapist and b"Grace Okafor" in by_therapist
    by_room = client.get(f"{base}?room={room.pk}&date=2026-12-02").content
    assert b"Cedar Room" in by_room and b"Grace Okafor" in by_room
