"""The desk books a series from a referral in one pass, touching no field (Chromium)."""

from __future__ import annotations

import re
import tempfile
from datetime import time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import (
    ClientFactory,
    ReferralFactory,
    ReferringProviderFactory,
)
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import Appointment, AppointmentSeries
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

# Looked at by the person running the test; never committed.
SHOTS = Path(tempfile.gettempdir()) / "shots" / "helper-series"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def grace(therapist):
    """Grace's referral from Dr Lee: 2x/week, 5 visits, 60 minutes, deep tissue.

    The live server runs on the real clock: the referral was written last week.
    """
    location = LocationFactory(name="Riverside", time_zone="America/New_York")
    RoomFactory(location=location, name="Aspen Room")
    RoomFactory(location=location, name="Birch Room")
    Training.objects.create(therapist=therapist, modality=modality("deep-tissue"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(8),
            ends_at=time(20),
        )
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    ClientFactory(first_name="Henry", last_name="Walsh")
    today = timezone.now().astimezone(location.zone).date()
    referral = ReferralFactory(
        client=grace,
        provider=ReferringProviderFactory(name="Dr Lee"),
        referred_on=today - timedelta(days=7),
        visits_per_week=2,
        duration_weeks=6,
        session_minutes=60,
        visits_authorized=5,
        expires_on=today + timedelta(days=90),
    )
    referral.prescribed_modalities.add(modality("deep-tissue"))
    return grace


def _log_in(page) -> None:
    sign_in_through_the_page(page, "frontdesk")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def test_the_desk_books_a_series_from_the_referral_without_touching_a_field(
    page, front_desk, grace
):
    _log_in(page)
    page.goto(f"/clients/{grace.pk}/")
    page.get_by_role("link", name="Book a series").click()

    expect(page.get_by_role("heading", name="Book a series")).to_be_visible()
    prefilled = page.locator("#prefilled-from")
    expect(prefilled).to_contain_text("From Dr Lee's referral of ")
    expect(prefilled).to_contain_text("2 a week for 5 visits, 60 minutes, deep tissue")
    expect(prefilled).to_contain_text("Aspen Room is free for all 5 visits")
    expect(page.get_by_label("Number of visits")).to_have_value("5")
    expect(page.get_by_label("Length")).to_have_value("60")
    expect(page.get_by_label("Modality")).to_have_value(str(modality("deep-tissue").pk))
    expect(page.get_by_label("Room")).to_contain_text("Aspen Room")
    group = page.get_by_role("group", name="Weekdays")
    expect(group.get_by_role("checkbox", checked=True)).to_have_count(2)
    _shot(page, "series-prefilled-from-referral")

    page.get_by_role("button", name="Preview").click()
    table = page.get_by_role("table", name=re.compile("Every visit of the series"))
    expect(table).to_contain_text("5 visits, all free")
    _shot(page, "series-prefilled-preview")
    page.get_by_role("button", name="Book the series").click()

    expect(page.get_by_text("5 visits booked.")).to_be_visible()
    _shot(page, "series-prefilled-booked")
    series = AppointmentSeries.objects.get(client=grace)
    visits = Appointment.objects.filter(series=series)
    assert visits.count() == 5
    assert {v.modality.slug for v in visits} == {"deep-tissue"}
    assert {v.room.name for v in visits} == {"Aspen Room"}
    assert {v.ends_at - v.starts_at for v in visits} == {timedelta(minutes=60)}
    assert {v.referral.provider.name for v in visits} == {"Dr Lee"}


def test_choosing_the_client_on_the_page_fills_the_form(page, front_desk, grace):
    _log_in(page)
    page.goto("/series/new/")
    expect(page.get_by_label("Number of visits")).to_have_value("")
    expect(page.locator("#prefilled-from")).to_have_count(0)
    _shot(page, "series-before-prefill")

    page.get_by_role("combobox", name=re.compile(r"^Client")).select_option(
        value=str(grace.pk)
    )
    expect(page.locator("#prefilled-from")).to_contain_text("Dr Lee's referral")
    expect(page.get_by_label("Number of visits")).to_have_value("5")
    expect(page.get_by_role("combobox", name=re.compile(r"^Client"))).to_have_value(
        str(grace.pk)
    )
    _shot(page, "series-after-prefill")


def test_a_series_across_a_clock_change_says_so_in_one_sentence(
    page, front_desk, grace
):
    _log_in(page)
    page.goto(f"/series/new/?client={grace.pk}")
    expect(page.get_by_label("Number of visits")).to_have_value("5")
    # Five visits from late November: no clock change, nothing said about clocks.
    expect(page.get_by_text("clocks change")).to_have_count(0)
    # Eighty visits twice a week span 40 weeks: New York's clocks change inside them
    # (which change depends on the real clock the live server runs on).
    page.get_by_label("Number of visits").fill("80")
    page.get_by_role("button", name="Preview").click()
    expect(
        page.get_by_text(
            re.compile(
                r"The clocks change on Sun \d+ (Mar|Nov): visits stay at "
                r"\d\d:\d\d local time\."
            )
        )
    ).to_be_visible()
    _shot(page, "series-clock-change-preview")
