"""A therapist writes a SOAP note in Chromium: body chart, techniques and units,
signing, a refused edit, an addendum."""

from __future__ import annotations

import re
import time
from datetime import UTC, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clients.tests.factories import ClientFactory
from massageclinic.tests.factories import LocationFactory, RoomFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import Appointment, SessionNote
from sessions.tests.factories import AppointmentFactory
from sessions.treatment.tests.test_note_helpers import flag, plan_with_goals

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]


@pytest.fixture
def visit_now(therapist) -> Appointment:
    # Live-server tests run on the real clock: a visit that began an hour ago.
    location = LocationFactory(
        name="Riverside Medical Massage", time_zone="America/New_York"
    )
    start = timezone.now().astimezone(UTC).replace(second=0, microsecond=0) - timedelta(
        hours=1
    )
    visit = AppointmentFactory(
        location=location,
        room=RoomFactory(location=location, name="Room 1"),
        therapist=therapist,
        client=ClientFactory(first_name="Grace", last_name="Okafor"),
        status=Appointment.Status.CHECKED_IN,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
    )
    plan_with_goals(visit)
    flag(visit.client, "anticoagulants")
    return visit


def _log_in(page, username: str) -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def _saved(page) -> None:
    expect(page.locator("#autosave-status")).to_contain_text(
        re.compile(r"Saved \d{1,2}:\d\d")
    )


def _stored(visit: Appointment, check) -> None:
    """Wait until the draft in the database passes `check` (autosave is async)."""
    deadline = time.monotonic() + 10
    while True:
        note = SessionNote.objects.filter(appointment=visit).first()
        if note is not None and check(note):
            return
        assert time.monotonic() < deadline, "the draft was not saved in time"
        time.sleep(0.1)


def test_a_therapist_writes_signs_and_amends_a_note(
    page, screenshot, therapist, visit_now
):
    _log_in(page, "therapist")
    page.goto(f"/visits/{visit_now.pk}/note/")
    expect(page.get_by_role("heading", name="SOAP note · Grace Okafor")).to_be_visible()
    expect(page.get_by_role("list", name="Safety alerts")).to_contain_text(
        "anticoagulant"
    )

    # Subjective and objective, saved as typed.
    page.get_by_label("Chief complaint").fill("Right neck pain after desk work")
    page.get_by_label("Pain before (0-10)").fill("6")
    page.get_by_label("Findings").fill("Hypertonic right upper trapezius")
    page.get_by_label("Right shoulder flexion (degrees)").fill("135")
    _saved(page)

    # The body chart: a click on the drawing ticks the region; the list too.
    page.locator('label.region-shape[for="area-neck"] path').first.click()
    expect(page.get_by_label("Neck", exact=True)).to_be_checked()
    page.get_by_label("Right shoulder", exact=True).check()
    page.get_by_label("Upper back", exact=True).check()
    expect(page.get_by_label("Right shoulder", exact=True)).to_be_checked()

    # Techniques and the units they bill, as typed.
    page.get_by_label("Technique 1", exact=True).select_option(label="Swedish · 97124")
    page.get_by_label("Minutes of technique 1", exact=True).fill("33")
    page.get_by_label("Technique 2", exact=True).select_option(
        label="Myofascial release · 97140"
    )
    page.get_by_label("Minutes of technique 2", exact=True).fill("7")
    units = page.locator("#note-units")
    # CMS 8-minute rule: 40 timed minutes are 3 units, 2 + 1 by code.
    expect(units.get_by_role("row", name="97124 33 2")).to_be_visible()
    expect(units.get_by_role("row", name="97140 7 1")).to_be_visible()
    expect(units.get_by_role("row", name="Total 40 3")).to_be_visible()

    # A technique the rules rule out (deep tissue on anticoagulants) is refused;
    # one that needs care shows the modification and asks for the reason.
    third = page.get_by_label("Technique 3", exact=True)
    third.select_option(label="Deep tissue · 97124")
    page.get_by_label("Minutes of technique 3", exact=True).fill("10")
    expect(page.locator("#technique-safety")).to_contain_text(
        "Deep tissue is ruled out for this client: no deep tissue: anticoagulant"
    )
    expect(page.locator("#technique-safety")).to_contain_text("modification plan")
    third.select_option(label="Sports · 97124")
    page.get_by_label("Minutes of technique 3", exact=True).fill("10")
    safety = page.locator("#technique-safety")
    expect(safety).to_contain_text("Sports")
    expect(safety).to_contain_text("needs care")
    expect(safety).to_contain_text("no firm or deep pressure: anticoagulant")
    expect(safety).to_contain_text("pressure no more than moderate")
    page.get_by_label("Your reason for these techniques today").fill(
        "Cleared by Dr. Ruiz for firm work on the upper back; brief, moderate depth."
    )
    page.get_by_label("Moderate", exact=True).check()
    page.get_by_label("Response to treatment").fill("Tissue softened")
    page.get_by_label("Pain after (0-10)").fill("3")
    page.get_by_label("Focus of the next visit").fill("Levator scapulae")
    _saved(page)
    _stored(
        visit_now,
        lambda n: n.next_focus == "Levator scapulae" and n.techniques.count() == 3,
    )
    screenshot("note-draft")

    # The draft survives a reload.
    page.reload()
    expect(page.get_by_label("Chief complaint")).to_have_value(
        "Right neck pain after desk work"
    )
    expect(page.get_by_label("Neck", exact=True)).to_be_checked()
    expect(page.get_by_label("Minutes of technique 1", exact=True)).to_have_value("33")
    expect(page.get_by_label("Right shoulder flexion (degrees)")).to_have_value("135")

    # More rows on demand (a plain form post, kept working without JavaScript).
    page.get_by_role("button", name="Add a technique row").click()
    expect(page.get_by_label("Technique 4", exact=True)).to_be_visible()

    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_text("Note signed.")).to_be_visible()
    expect(page.get_by_text(re.compile("Signed by Tara Hands"))).to_be_visible()
    expect(page.get_by_text("The content matches its signature.")).to_be_visible()
    # Read-only everywhere: no field of the note is left to edit.
    expect(page.get_by_label("Chief complaint")).to_have_count(0)
    expect(page.get_by_role("button", name="Sign note")).to_have_count(0)
    signed_units = page.locator("#note-units")
    expect(signed_units.get_by_role("row", name="97124 43 3")).to_be_visible()
    screenshot("note-signed")

    # An edit posted anyway (a stale tab) is refused with a 409 and a message.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.input_value()
    response = page.request.post(
        f"/visits/{visit_now.pk}/note/autosave/",
        form={"csrfmiddlewaretoken": token, "complaint": "rewritten"},
        headers={"HX-Request": "true", "Referer": page.url},
    )
    assert response.status == 409
    assert "This note is signed" in response.text()
    note = SessionNote.objects.get(appointment=visit_now)
    assert note.complaint == "Right neck pain after desk work"

    # Corrections are addenda.
    page.get_by_label("Reason for the addendum").fill("Late entry")
    page.get_by_role("textbox", name=re.compile(r"^Addendum")).fill(
        "Client called next day: no soreness."
    )
    page.get_by_role("button", name="Add addendum").click()
    addendum = page.get_by_role("article", name="Addendum 1")
    expect(addendum).to_contain_text("Client called next day: no soreness.")
    expect(addendum).to_contain_text("Tara Hands")
    expect(addendum).to_contain_text("Reason: Late entry")
    screenshot("note-addendum")


def test_notes_to_sign_flags_what_is_waiting(page, screenshot, therapist, visit_now):
    _log_in(page, "therapist")
    page.goto("/notes/to-sign/")
    row = page.get_by_role("row", name=re.compile("Grace Okafor"))
    expect(row).to_contain_text("Not written yet")
    row.get_by_role("link", name=re.compile("Write the note")).click()
    expect(page.get_by_role("heading", name="SOAP note · Grace Okafor")).to_be_visible()
    page.goto("/notes/to-sign/")
    expect(page.get_by_role("row", name=re.compile("Grace Okafor"))).to_contain_text(
        "Draft"
    )
    screenshot("notes-to-sign")


def test_the_body_chart_works_from_the_keyboard(page, therapist, visit_now):
    _log_in(page, "therapist")
    page.goto(f"/visits/{visit_now.pk}/note/")
    neck = page.get_by_label("Neck", exact=True)
    neck.focus()
    page.keyboard.press("Space")
    expect(neck).to_be_checked()
    # The chart shows it: the region's shapes are filled.
    fill = page.locator('label.region-shape[for="area-neck"] path').first.evaluate(
        "el => getComputedStyle(el).fill"
    )
    assert fill == "rgb(13, 110, 253)"
    _saved(page)
    _stored(visit_now, lambda n: n.areas_treated == ["neck"])


def test_signing_too_early_says_what_is_missing(page, screenshot, therapist, visit_now):
    _log_in(page, "therapist")
    page.goto(f"/visits/{visit_now.pk}/note/")
    page.get_by_label("Chief complaint").fill("Low back pain")
    page.get_by_label("Pain before (0-10)").fill("12")
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_role("alert").first).to_contain_text("The note was not signed")
    expect(
        page.get_by_text("Ensure this value is less than or equal to 10.")
    ).to_be_visible()
    expect(page.get_by_label("Chief complaint")).to_have_value("Low back pain")
    screenshot("note-sign-refused")
    page.get_by_label("Pain before (0-10)").fill("6")
    page.get_by_role("button", name="Sign note").click()
    expect(page.get_by_role("alert").first).to_contain_text(
        "Before signing, fill in the areas treated"
    )
    assert not SessionNote.objects.get(appointment=visit_now).is_signed
