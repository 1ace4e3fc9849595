"""Audited reads of health data: notes, plans, progress, reports and superbills.

Every read of health data is recorded (DESIGN.md section 6). A page hands the
`AuditContext` it built once to one of these, which loads what the page shows and
writes the VIEW (or, for a PDF, DOWNLOAD) line itself, so no view writes audit rows
and the same read from anywhere is recorded the same way. A PDF's line is written
only once the document was made.
"""

from __future__ import annotations

from typing import Any

from clients.models import Client
from massageclinic.audit import AuditContext, audit_record
from massageclinic.clock import local_date
from massageclinic.models import AuditEvent, clinic_policy, clinic_today
from sessions.models import Appointment, ProgressReport, SessionNote, TreatmentPlan
from sessions.treatment.forms.plans import diagnosis_names
from sessions.treatment.note_selectors import note_of_visit
from sessions.treatment.pdf import chart_images, render_pdf
from sessions.treatment.progress import (
    ClientProgress,
    Progress,
    client_progress,
    plan_progress,
)
from sessions.treatment.superbill import Superbill

# --- Notes -----------------------------------------------------------------------------


def note_read(*, visit: Appointment, context: AuditContext) -> SessionNote | None:
    """The visit's note as its page shows it; None (and no line) when there is none."""
    note = note_of_visit(visit)
    if note is not None:
        state = "signed" if note.is_signed else "draft"
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            note,
            client_id=visit.client_id,
            summary=f"Read the {state} note",
        )
    return note


# --- Plans and progress ------------------------------------------------------------------


def plan_read(*, plan: TreatmentPlan, context: AuditContext) -> Progress:
    """The plan's progress, for the plan page of someone who reads health data."""
    progress = plan_progress(plan=plan)
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        plan,
        client_id=plan.client_id,
        summary="Viewed the treatment plan",
    )
    return progress


def plan_form_read(
    *, client: Client, plan: TreatmentPlan | None, context: AuditContext
) -> None:
    """Record the plan form shown: the plan's details and goals to edit, or for a new
    plan the client's referral and safety alerts it starts from.
    """
    if plan is None:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            client,
            client_id=client.pk,
            summary="Opened a new treatment plan form",
        )
    else:
        audit_record(
            context,
            AuditEvent.Action.VIEW,
            plan,
            client_id=client.pk,
            summary="Opened the treatment plan to edit it",
        )


def plan_progress_read(*, plan: TreatmentPlan, context: AuditContext) -> Progress:
    """The plan's progress page: every visit, chart and goal reading."""
    progress = plan_progress(plan=plan)
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        plan,
        client_id=plan.client_id,
        summary=f"Viewed the plan's progress ({len(progress.visits)} visits)",
    )
    return progress


def client_progress_read(*, client: Client, context: AuditContext) -> ClientProgress:
    """The client's progress across all their plans."""
    data = client_progress(client=client)
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        client,
        client_id=client.pk,
        summary=f"Viewed the client's progress ({len(data.progress.visits)} visits)",
    )
    return data


# --- Progress reports ----------------------------------------------------------------------


def progress_report_form_read(
    *, plan: TreatmentPlan, context: AuditContext
) -> Progress:
    """The progress the therapist reports on, for the report form."""
    progress = plan_progress(plan=plan)
    audit_record(
        context,
        AuditEvent.Action.VIEW,
        plan,
        client_id=plan.client_id,
        summary="Opened the progress report form",
    )
    return progress


def _report_context(report: ProgressReport) -> dict[str, Any]:
    plan = report.plan
    progress = plan_progress(plan=plan, period=(report.period_start, report.period_end))
    referral = plan.referral
    codes = [*(referral.diagnosis_codes if referral else []), *plan.problems]
    images = chart_images(progress.charts)
    return {
        "report": report,
        "plan": plan,
        "client": plan.client,
        "referral": referral,
        "diagnoses": diagnosis_names(list(dict.fromkeys(codes))),
        "progress": progress,
        "prescribed": referral.visits_authorized if referral else plan.visits_planned,
        "pain_image": images[progress.pain_chart.slug],
        "goal_rows": [
            (item, images.get(item.chart.slug) if item.chart else None)
            for item in progress.goals
        ],
        "clinic_name": clinic_policy().clinic_name,
        # The day it was written where the client is treated, not the UTC date.
        "signed_on": local_date(report.created_at, plan.client.preferred_location),
    }


def progress_report_pdf(*, report: ProgressReport, context: AuditContext) -> bytes:
    """The progress report for the physician, as a PDF (its plan loaded with it)."""
    pdf = render_pdf("sessions/progress_report_pdf.html", _report_context(report))
    audit_record(
        context,
        AuditEvent.Action.DOWNLOAD,
        report,
        client_id=report.plan.client_id,
        summary="Downloaded the progress report (PDF)",
    )
    return pdf


# --- Superbills ------------------------------------------------------------------------------


def superbill_pdf(*, bill: Superbill, context: AuditContext, summary: str) -> bytes:
    """A superbill as a PDF; `summary` says which visit or period it covers."""
    pdf = render_pdf(
        "sessions/superbill_pdf.html",
        {"bill": bill, "generated_on": clinic_today()},
    )
    audit_record(
        context,
        AuditEvent.Action.DOWNLOAD,
        bill.client,
        client_id=bill.client.pk,
        summary=summary,
    )
    return pdf
