"""Booking in a real Chromium, as the front desk would: from an empty slot on the day
view, with a client registered on the way, and from the next-opening search."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.models import Client, Condition
from clients.services import contraindication_add
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.tests.factories import LocationFactory, RoomFactory, UserFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import Appointment
from therapists.models import Training, WorkingHours
from therapists.tests.factories import TherapistFactory, modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def clinic():
    """A location, two rooms and Tara, who works every day: tomorrow always works.

    The live server runs on the real clock, so every visit here is tomorrow or later.
    """
    location = LocationFactory(
        name="Riverside Medical Massage", time_zone="America/New_York"
    )
    RoomFactory(location=location, name="Maple Room")
    RoomFactory(location=location, name="Cedar Room")
    tara = TherapistFactory(
        user=UserFactory(username="tara", first_name="Tara", last_name="Hands")
    )
    for slug in ("swedish", "deep-tissue"):
        Training.objects.create(therapist=tara, modality=modality(slug))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=tara,
            location=location,
            weekday=weekday,
            starts_at=time(9),
            ends_at=time(17),
        )
    tomorrow = timezone.now().astimezone(location.zone).date() + timedelta(days=1)
    return location, tara, tomorrow


@pytest.fixture
def grace():
    return ClientFactory(
        first_name="Grace",
        last_name="Okafor",
        phone="(518) 555-0101",
        email="grace.okafor@example.org",
    )


def _log_in(page, username: str = "frontdesk") -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def _cell_name(day: date, clock: str) -> str:
    return f"Book Tara Hands on {day:%a} {day.day} {day:%b} at {clock}"


def _choose_client(page, typed: str, name: re.Pattern) -> None:
    page.get_by_label("Find a client").press_sequentially(typed, delay=40)
    page.get_by_role("list", name="Matching clients").get_by_role(
        "button", name=name
    ).click()


def test_the_desk_books_an_empty_slot_from_the_day_view(
    page, screenshot, front_desk, clinic, grace
):
    location, tara, tomorrow = clinic
    _log_in(page)
    page.goto(f"/calendar/?location={location.pk}&date={tomorrow:%Y-%m-%d}")
    screenshot("booking-1-day-view")
    page.get_by_role("link", name=_cell_name(tomorrow, "10:00 AM")).click()

    expect(page.get_by_role("heading", name="Book a visit")).to_be_visible()
    expect(page.get_by_label("Therapist")).to_have_value(str(tara.pk))
    expect(page.get_by_label("Start time")).to_have_value("10:00")
    expect(page.get_by_label("Visit date")).to_have_value(f"{tomorrow:%Y-%m-%d}")
    expect(page.get_by_label("Room", exact=True)).to_have_value(
        str(location.rooms.get(name="Cedar Room").pk)  # the first free room
    )

    ClientFactory(first_name="Gracie", last_name="Oakes", phone="(518) 555-0177")
    page.get_by_label("Find a client").press_sequentially("grac", delay=40)
    matches = page.get_by_role("list", name="Matching clients")
    expect(matches.get_by_role("button")).to_have_count(2)
    screenshot("booking-2-client-search")
    matches.get_by_role("button", name=re.compile("Okafor, Grace")).click()
    client_card = page.get_by_role("region", name="Client")
    expect(client_card).to_contain_text("Grace Okafor")
    expect(client_card).to_contain_text("No safety alerts")
    # Changing the modality reloads the therapists: Tara does not offer cupping.
    page.get_by_label("Modality").select_option(label="Cupping")
    expect(page.get_by_text("Tara Hands does not offer this modality")).to_be_visible()
    page.get_by_label("Modality").select_option(label="Swedish")
    expect(page.get_by_text("does not offer this modality")).to_have_count(0)
    expect(page.get_by_label("Therapist")).to_have_value(str(tara.pk))
    page.get_by_label("Length").select_option(label="45 minutes")
    screenshot("booking-3-form-filled")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("heading", name="Grace Okafor")).to_be_visible()
    expect(
        page.get_by_role("status").filter(has_text="Booked Grace Okafor")
    ).to_contain_text("10:00 AM–10:45 AM (Cedar Room)")
    screenshot("booking-4-visit")
    visit = Appointment.objects.get()
    local = visit.starts_at.astimezone(location.zone)
    assert (local.date(), local.time()) == (tomorrow, time(10))
    assert visit.duration_minutes == 45


def test_a_refused_booking_keeps_everything_typed(
    page, screenshot, front_desk, clinic, grace
):
    location, tara, tomorrow = clinic
    _log_in(page)
    page.goto(
        f"/book/?location={location.pk}&therapist={tara.pk}"
        f"&starts={tomorrow:%Y-%m-%d}T16:30&client={grace.pk}"
        f"&modality={modality('swedish').pk}"
    )
    page.get_by_role("button", name="Book", exact=True).click()
    alert = page.get_by_role("alert").filter(has_text="The visit was not booked")
    expect(alert).to_contain_text("16:30-17:30 is outside Tara Hands's hours")
    expect(page.get_by_label("Start time")).to_have_value("16:30")
    expect(page.get_by_role("region", name="Client")).to_contain_text("Grace Okafor")
    screenshot("booking-refused")
    page.get_by_label("Start time").fill("15:30")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_role("heading", name="Grace Okafor")).to_be_visible()


def test_the_desk_registers_a_new_client_inside_the_booking(
    page, screenshot, front_desk, clinic
):
    location, tara, tomorrow = clinic
    _log_in(page)
    page.goto(
        f"/book/?location={location.pk}&therapist={tara.pk}"
        f"&starts={tomorrow:%Y-%m-%d}T11:00&modality={modality('swedish').pk}"
    )
    page.get_by_text("Register a new client").click()
    page.get_by_label("First name").fill("Nora")
    page.get_by_label("Last name").fill("Quinn")
    page.get_by_label("Date of birth").fill("2090-01-01")
    page.get_by_role("button", name="Register and choose").click()
    expect(page.get_by_text("Give at least a phone number or an email")).to_be_visible()
    expect(
        page.get_by_text("The date of birth cannot be in the future.")
    ).to_be_visible()
    expect(page.get_by_label("First name")).to_have_value("Nora")
    screenshot("booking-new-client-errors")

    page.get_by_label("Phone").fill("(518) 555-0142")
    page.get_by_label("Date of birth").fill("1990-03-04")
    page.get_by_role("button", name="Register and choose").click()
    expect(
        page.get_by_role("status").filter(has_text="Nora Quinn is registered")
    ).to_be_visible()
    screenshot("booking-new-client-chosen")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("heading", name="Nora Quinn")).to_be_visible()
    nora = Client.objects.get(last_name="Quinn")
    assert Appointment.objects.get().client == nora


def test_the_desk_is_refused_deep_tissue_and_books_swedish_with_the_modification(
    page, screenshot, front_desk, clinic, grace
):
    location, tara, tomorrow = clinic
    contraindication_add(
        context=AuditContext.system("test"),
        client=grace,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
        by=front_desk,
    )
    _log_in(page)
    page.goto(
        f"/book/?location={location.pk}&therapist={tara.pk}"
        f"&starts={tomorrow:%Y-%m-%d}T13:00&client={grace.pk}"
        f"&modality={modality('deep-tissue').pk}"
    )
    expect(page.get_by_role("region", name="Client")).to_contain_text("anticoagulant")
    page.get_by_role("button", name="Book", exact=True).click()
    refusal = page.get_by_text("Deep tissue is not for Grace Okafor")
    expect(refusal).to_be_visible()
    expect(refusal).to_contain_text(
        "Techniques the rules allow for Grace Okafor that Tara Hands practises: "
        "Swedish."
    )
    expect(page.get_by_label("I have read the safety alerts")).to_have_count(0)
    screenshot("booking-safety-refused")
    assert not Appointment.objects.exists()

    page.get_by_label("Modality").select_option(label="Swedish")
    page.get_by_role("button", name="Book", exact=True).click()
    confirm = page.get_by_role("region", name="Confirm before booking")
    expect(confirm).to_contain_text("no firm or deep pressure: anticoagulant")
    screenshot("booking-safety-confirm")
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_text("Tick the box to confirm")).to_be_visible()
    page.get_by_label("I have read the safety alerts").check()
    page.get_by_role("button", name="Book", exact=True).click()
    expect(page.get_by_role("heading", name="Grace Okafor")).to_be_visible()
    expect(
        page.get_by_text("no firm or deep pressure: anticoagulant").first
    ).to_be_visible()
    screenshot("booking-safety-booked-with-modification")
    visit = Appointment.objects.get()
    assert visit.modality.slug == "swedish"
    assert "no firm or deep pressure: anticoagulant" in visit.safety_acknowledgement


def test_the_desk_finds_the_next_opening_and_books_it(
    page, screenshot, front_desk, clinic, grace
):
    location, tara, tomorrow = clinic
    _log_in(page)
    page.goto("/openings/")
    expect(page.get_by_role("heading", name="Find the next opening")).to_be_visible()
    page.get_by_label("Modality").select_option(label="Swedish")
    page.get_by_label("Length").select_option(label="60 minutes")
    page.get_by_label("Earliest start").fill("14:00")
    _choose_client(page, "grace", re.compile("Okafor, Grace"))
    expect(page.get_by_role("search", name="Find the next opening")).to_contain_text(
        "Grace Okafor"
    )
    page.get_by_role("button", name="Find openings").click()
    results = page.get_by_role("region", name="Next openings")
    expect(results).to_be_visible()
    screenshot("openings-results")
    book = results.get_by_role("link", name=re.compile(r"^Book .* with Tara Hands"))
    first = book.first
    label = first.get_attribute("aria-label")
    assert "2:00 PM" in label or "2:15 PM" in label or "PM" in label
    first.click()

    expect(page.get_by_role("heading", name="Book a visit")).to_be_visible()
    expect(page.get_by_role("region", name="Client")).to_contain_text("Grace Okafor")
    expect(page.get_by_label("Modality")).to_have_value(str(modality("swedish").pk))
    screenshot("openings-booking-form")
    page.get_by_role("button", name="Book", exact=True).click()

    expect(page.get_by_role("heading", name="Grace Okafor")).to_be_visible()
    visit = Appointment.objects.get()
    local = visit.starts_at.astimezone(location.zone)
    assert local.time() >= time(14)
    assert visit.therapist == tara
