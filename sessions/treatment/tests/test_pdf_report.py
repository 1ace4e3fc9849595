"""The progress report: the therapist writes it, anyone who reads the plan downloads
its PDF, and the PDF carries the client, the goal figures and the charts."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse
from pypdf import PdfReader

from clients.tests.factories import ClientFactory
from massageclinic.models import AuditEvent
from sessions.models import ProgressReport, TreatmentPlan
from sessions.tests.factories import (
    AppointmentFactory,
    make_plan,
    referral_for,
    shared_place,
    visits_of_a_plan,
)
from sessions.treatment.pdf import chart_svg, svg_data_uri
from sessions.treatment.progress import plan_progress

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 4, 20, 14, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def plan(therapist):
    therapist.npi = "1234567893"
    therapist.license_number = "MT-004321"
    therapist.save()
    client = ClientFactory(first_name="Grace", last_name="Okafor")
    plan = make_plan(client=client, therapist=therapist, referral=referral_for(client))
    plan.home_care_plan = "Doorway stretch: 30 seconds, 3 times a day."
    plan.save()
    visits_of_a_plan(plan, place=shared_place())
    return plan


def _write(client, plan, **changes):
    data = {
        "period_start": "2026-03-01",
        "period_end": "2026-04-20",
        "assessment": "Pain down from 7/10 to 4/10; flexion up 35 degrees.",
        "recommendation": "Continue once a week for four weeks, then discharge.",
    }
    return client.post(
        reverse("sessions:progress_report", args=[plan.pk]), data | changes
    )


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_plans_therapist_writes_the_report_and_downloads_the_pdf(
    client, therapist, plan
):
    client.force_login(therapist.user)
    form = client.get(reverse("sessions:progress_report", args=[plan.pk]))
    assert form.status_code == 200
    assert "Progress report for Dr. Ana Ruiz" in form.content.decode()

    response = _write(client, plan)
    assert response.status_code == 302
    assert response["Location"] == reverse("sessions:plan_progress", args=[plan.pk])
    report = ProgressReport.objects.get()
    assert (report.therapist, report.period_start) == (therapist, date(2026, 3, 1))

    page = client.get(response["Location"]).content.decode()
    pdf_url = reverse("sessions:progress_report_pdf", args=[report.pk])
    assert pdf_url in page

    download = client.get(pdf_url)
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download.content.startswith(b"%PDF")
    text = pdf_text(download.content)
    for expected in [
        "Grace Okafor",
        "May 17, 1980",  # date of birth
        "Dr. Ana Ruiz",
        "M54.50",
        "M62.830",
        "4 of 12 prescribed visits",
        "Swedish",
        "200",  # minutes of Swedish over the four visits
        "Reduce low back pain",
        "7/10",
        "3/10",
        "120°",
        "155°",
        "170°",
        "Pain down from 7/10 to 4/10",
        "Continue once a week",
        "Doorway stretch",
        "Tara Hands, LMT",
        "MT-004321",
        "NPI 1234567893",
    ]:
        assert expected in text, expected
    # The charts are drawn, not only their tables: their legends and lines' labels.
    assert "Pain after" in text
    assert "Target 170°" in text and "Baseline 120°" in text
    assert AuditEvent.objects.filter(
        action="download", object_type="clinic_sessions.ProgressReport"
    ).exists()


def test_the_report_covers_only_its_period(client, therapist, plan):
    client.force_login(therapist.user)
    _write(client, plan, period_start="2026-03-09", period_end="2026-03-11")
    report = ProgressReport.objects.get()
    text = pdf_text(
        client.get(reverse("sessions:progress_report_pdf", args=[report.pk])).content
    )
    assert "1 of 12 prescribed visits" in text
    assert "Mar 10, 2026" in text and "Mar 24, 2026" not in text


def test_the_form_says_what_is_missing(client, therapist, plan):
    client.force_login(therapist.user)
    response = _write(client, plan, assessment="", period_end="2026-02-01")
    page = response.content.decode()
    assert response.status_code == 400
    assert "This field is required" in page
    assert "The period must end on or after its start" in page
    assert not ProgressReport.objects.exists()


def test_only_the_plans_therapist_writes_the_report(
    client, manager, front_desk, other_therapist, plan
):
    AppointmentFactory(client=plan.client, therapist=other_therapist)
    url = reverse("sessions:progress_report", args=[plan.pk])
    for user in (manager, front_desk, other_therapist.user):
        client.force_login(user)
        assert client.get(url).status_code == 403, user


def test_a_draft_plan_has_no_report_yet(client, therapist):
    plan = make_plan(
        client=ClientFactory(), therapist=therapist, status=TreatmentPlan.Status.DRAFT
    )
    client.force_login(therapist.user)
    response = client.get(reverse("sessions:progress_report", args=[plan.pk]))
    assert response.status_code == 302


def test_who_may_download_the_report(
    client, therapist, manager, front_desk, other_therapist, plan
):
    client.force_login(therapist.user)
    _write(client, plan)
    url = reverse(
        "sessions:progress_report_pdf", args=[ProgressReport.objects.get().pk]
    )
    client.force_login(manager)
    assert client.get(url).status_code == 200
    client.force_login(front_desk)
    assert client.get(url).status_code == 403
    client.force_login(other_therapist.user)
    assert client.get(url).status_code == 404


def test_a_chart_travels_to_the_pdf_as_the_same_svg(plan):
    chart = plan_progress(plan=plan).pain_chart
    uri = svg_data_uri(chart_svg(chart))
    assert uri.startswith("data:image/svg+xml;base64,")
