"""The day-of-visit health questions in a real Chromium: the client on a phone through
their link, and the desk's check-in with the questions."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from massageclinic.clock import local_datetime
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.messaging.links import Action, visit_link_url
from sessions.models import Appointment, VisitScreening
from sessions.scheduling.booking import appointment_book
from therapists.models import Training, WorkingHours
from therapists.tests.factories import modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

QUESTIONS = [
    "Do you have a fever, or are you feeling unwell today?",
    "Have you had a new injury since your last visit?",
    "Have you started a new medication?",
    "Have you had surgery or a procedure since your last visit?",
    "Any pregnancy news?",
    "Do you have a new skin condition (rash, cut, bruise, infection)?",
]


def _zone_where_it_is_about_noon() -> str:
    """A fixed-offset zone whose local time is now between 11:00 and 13:00, so a
    visit booked "soon" today never runs past the end of the local day, whatever
    time the suite runs (Etc/GMT-N is UTC+N)."""
    offset = (12 - timezone.now().hour + 12) % 24 - 12  # -12 .. +11 hours
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


@pytest.fixture
def place(therapist):
    location = LocationFactory(
        name="Riverside Medical Massage",
        time_zone=_zone_where_it_is_about_noon(),
        phone="(518) 555-0142",
    )
    Training.objects.create(therapist=therapist, modality=modality("swedish"))
    for weekday in range(7):
        WorkingHours.objects.create(
            therapist=therapist,
            location=location,
            weekday=weekday,
            starts_at=time(0),
            ends_at=time(23, 45),
        )
    return location, RoomFactory(location=location, name="Maple Room")


def _book(therapist, front_desk, place, starts_at, first_name):
    location, room = place
    return appointment_book(
        client=ClientFactory(first_name=first_name, last_name="Okafor"),
        therapist=therapist,
        modality=modality("swedish"),
        location=location,
        room=room,
        starts_at=starts_at,
        duration_minutes=60,
        booked_by=front_desk,
        now=timezone.now(),
    )


def _answer(page, question: str, answer: str) -> None:
    page.get_by_role("group", name=question).get_by_text(answer, exact=True).click()


def test_a_client_answers_on_a_phone_through_their_link(
    page, screenshot, therapist, front_desk, place
):
    location, _ = place
    tomorrow = timezone.now().astimezone(location.zone).date() + timedelta(days=1)
    visit = _book(
        therapist,
        front_desk,
        place,
        local_datetime(tomorrow, time(10), location),
        "Grace",
    )
    page.set_viewport_size({"width": 390, "height": 844})
    url = visit_link_url(appointment=visit, action=Action.SCREEN)
    page.goto("/" + url.split("/", 3)[3])

    expect(
        page.get_by_role("heading", name="Health questions before your visit")
    ).to_be_visible()
    for question in QUESTIONS:
        _answer(page, question, "No")
    _answer(page, "Have you started a new medication?", "Yes")
    page.get_by_label("Which medication?").fill("Eliquis")
    screenshot("screening_phone")
    page.get_by_role("button", name="Send my answers").click()

    expect(
        page.get_by_role("heading", name="Thank you, your answers are recorded")
    ).to_be_visible()
    expect(page.get_by_text("Your therapist will go over your answers")).to_be_visible()
    screenshot("screening_phone_done")
    screening = VisitScreening.objects.get(appointment=visit)
    assert screening.answered_by is None and screening.medication_detail == "Eliquis"

    page.reload()  # a used link changes nothing and says so
    expect(
        page.get_by_role("heading", name="You have already answered")
    ).to_be_visible()
    assert VisitScreening.objects.filter(appointment=visit).count() == 1


def test_the_desk_checks_in_with_the_questions(
    page, screenshot, therapist, front_desk, place
):
    now = timezone.now().replace(second=0, microsecond=0)
    soon = now - timedelta(minutes=now.minute % 15) + timedelta(minutes=45)
    visit = _book(therapist, front_desk, place, soon, "Henry")
    sign_in_through_the_page(page, "frontdesk")

    page.goto(f"/visits/{visit.pk}/")
    page.get_by_role("link", name="Check in…").click()
    expect(page.get_by_role("heading", name="Check in Henry Okafor")).to_be_visible()
    page.get_by_role("button", name="Record the answers and check in").click()
    expect(page.get_by_text("Answer yes or no.").first).to_be_visible()

    for question in QUESTIONS:
        _answer(page, question, "No")
    _answer(page, QUESTIONS[3], "Yes")
    page.get_by_label("What was done?").fill("Knee arthroscopy")
    page.get_by_label("When?").fill(f"{(now.date() - timedelta(days=10)):%Y-%m-%d}")
    page.get_by_label("Where on the body?").select_option(label="Left knee")
    screenshot("screening_desk")
    page.get_by_role("button", name="Record the answers and check in").click()

    expect(page.get_by_text("The visit is now checked in.")).to_be_visible()
    expect(page.get_by_role("heading", name="Health questions today")).to_be_visible()
    screenshot("screening_desk_checked_in")
    visit.refresh_from_db()
    assert visit.status == Appointment.Status.CHECKED_IN
    assert visit.client.contraindications.filter(
        condition__slug="recent-surgery", body_region="knee_left"
    ).exists()
