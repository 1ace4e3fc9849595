"""In Chromium: a therapist writes a plan with two goals from a referral, starts it,
reads the progress charts after some signed visits, writes the progress report and
downloads its PDF; the front desk sees the plan's status and books its series."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from clients.tests.factories import ClientFactory
from massageclinic.tests.signing_in import sign_in_through_the_page
from sessions.models import ProgressReport, TreatmentPlan
from sessions.tests.factories import (
    AppointmentFactory,
    referral_for,
    shared_place,
    signed_visit,
)
from therapists.tests.factories import modality

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("reference_data"),
]

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


@pytest.fixture
def grace(therapist):
    """Grace, whom Tara treats, with a referral written four weeks ago.

    The live server runs on the real clock, so the dates are relative to today.
    """
    place = shared_place()
    client = ClientFactory(
        first_name="Grace", last_name="Okafor", preferred_location=place[0]
    )
    today = timezone.localdate()
    referral = referral_for(
        client,
        referred_on=today - timedelta(days=30),
        expires_on=today + timedelta(days=60),
        visits_authorized=12,
    )
    referral.prescribed_modalities.set([modality("swedish"), modality("trigger-point")])
    AppointmentFactory(
        client=client,
        therapist=therapist,
        location=place[0],
        room=place[1],
        starts_at=datetime.combine(today + timedelta(days=3), time(15), tzinfo=UTC),
    )
    client.place = place
    return client


def _log_in(page, username: str) -> None:
    sign_in_through_the_page(page, username)
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()


def _fill_goal(page, number: int, **fields: str) -> None:
    goal = page.get_by_role("group", name=f"Goal {number}", exact=True)
    goal.get_by_label("Goal", exact=True).fill(fields["description"])
    goal.get_by_label("Measured as").select_option(label=fields["measure"])
    if "movement" in fields:
        goal.get_by_label("Movement").fill(fields["movement"])
    goal.get_by_label("Baseline", exact=True).fill(fields["baseline"])
    goal.get_by_label("Target", exact=True).fill(fields["target"])


def _signed_visits(plan: TreatmentPlan, place) -> None:
    pain, rom = plan.goals.order_by("pk")
    today = timezone.localdate()
    for n, days_ago in enumerate((21, 14, 7)):
        day = today - timedelta(days=days_ago)
        signed_visit(
            client=plan.client,
            therapist=plan.therapist,
            plan=plan,
            place=place,
            starts_at=datetime.combine(day, time(15), tzinfo=UTC),
            pain_before=7 - n,
            pain_after=4 - n,
            measures={str(pain.pk): 6 - n, str(rom.pk): 125 + 15 * n},
            minutes={"swedish": 30, "trigger-point": 23},
            referral=plan.referral,
        )


def test_a_therapist_plans_tracks_and_reports(page, screenshot, therapist, grace):
    _log_in(page, "therapist")
    page.goto(f"/clients/{grace.pk}/plans/")
    page.get_by_role("link", name="New plan").click()
    page.get_by_role(
        "link", name=re.compile(r"Referral of .*M54\.50, M62\.830")
    ).click()
    expect(page.get_by_label("Problems (ICD-10 codes)")).to_have_value(
        "M54.50, M62.830"
    )
    expect(page.get_by_label("Number of visits")).to_have_value("12")
    expect(
        page.get_by_role("checkbox", name="Trigger point (97140)", exact=True)
    ).to_be_checked()
    start = timezone.localdate() - timedelta(days=28)
    page.get_by_label("Starts on").fill(start.isoformat())
    _fill_goal(
        page,
        1,
        description="Reduce low back pain",
        measure="Pain (0-10)",
        baseline="7",
        target="3",
    )
    _fill_goal(
        page,
        2,
        description="Raise the arm overhead",
        measure="Range of motion (degrees)",
        movement="right shoulder flexion",
        baseline="120",
        target="170",
    )
    page.get_by_label("Home-care plan").fill(
        "Doorway pectoral stretch: 30 seconds, 3 times a day."
    )
    screenshot("plan-new")
    page.get_by_role("button", name="Save the plan as a draft").click()

    expect(page.get_by_text("The treatment plan is saved as a draft.")).to_be_visible()
    page.get_by_role("button", name="Start the plan").click()
    expect(page.get_by_text("The plan is active.")).to_be_visible()
    plan = TreatmentPlan.objects.get()
    assert plan.goals.count() == 2

    _signed_visits(plan, grace.place)
    page.reload()
    expect(page.get_by_text("3 of 12 done")).to_be_visible()
    expect(
        page.get_by_role("progressbar", name="Prescribed visits used")
    ).to_be_visible()
    goals = page.get_by_role("table", name=re.compile("Goals: where the client"))
    expect(goals.get_by_role("row", name=re.compile("Raise the arm"))).to_contain_text(
        "155°"
    )
    screenshot("plan-page")

    page.get_by_role("link", name="Progress", exact=True).click()
    expect(
        page.get_by_role("img", name="Pain before and after each visit")
    ).to_be_visible()
    expect(
        page.get_by_role("img", name=re.compile("Raise the arm overhead"))
    ).to_be_visible()
    page.get_by_text("Pain at each visit, as a table").click()
    expect(
        page.get_by_role("table", name=re.compile("Pain \\(0-10\\)"))
    ).to_be_visible()
    screenshot("plan-progress")

    page.get_by_role("link", name="Write a progress report").click()
    page.get_by_label("Assessment").fill(
        "Pain fell from 7/10 to 5/10 before treatment; flexion gained 30 degrees."
    )
    page.get_by_label("Recommendation").fill(
        "Continue twice a week for three more weeks, then reassess."
    )
    screenshot("plan-report-form")
    page.get_by_role("button", name="Save the report").click()
    expect(page.get_by_text("The progress report is saved.")).to_be_visible()

    with page.expect_download() as info:
        page.get_by_role("link", name=re.compile(r"Download the report of")).click()
    download = info.value
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    target = ARTIFACTS / "progress-report.pdf"
    download.save_as(str(target))
    content = target.read_bytes()
    assert content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Grace Okafor" in text and "155°" in text and "Target 170°" in text
    assert "flexion gained 30 degrees" in text
    assert ProgressReport.objects.get().plan == plan


def test_the_front_desk_sees_the_plan_and_books_its_series(
    page, screenshot, front_desk, therapist, grace
):
    today = timezone.localdate()
    plan = TreatmentPlan.objects.create(
        client=grace,
        therapist=therapist,
        referral=grace.referrals.get(),
        status=TreatmentPlan.Status.ACTIVE,
        visits_planned=12,
        visits_per_week=2,
        starts_on=today,
        review_on=today + timedelta(weeks=6),
        problems=["M54.50"],
    )
    plan.goals.create(
        description="Reduce low back pain", measure="pain", baseline=7, target=3
    )
    _log_in(page, "frontdesk")
    page.goto(f"/clients/{grace.pk}/plans/")
    page.get_by_role("link", name=re.compile("^Open")).click()
    expect(page.get_by_role("heading", name="Status and dates")).to_be_visible()
    expect(page.get_by_text("Reduce low back pain")).to_have_count(0)
    screenshot("plan-page-front-desk")
    page.get_by_role("link", name="Book a series").click()
    expect(page).to_have_url(re.compile(rf"/series/new/\?plan={plan.pk}$"))
    expect(page.get_by_text("From the treatment plan of Grace Okafor")).to_be_visible()
