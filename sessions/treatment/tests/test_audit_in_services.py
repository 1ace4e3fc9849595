"""Audit rows are written by the treatment services and selectors, inside their own
transaction (issue 9, item 5): a row exists exactly when the change committed, and
every path (a page, the admin, a direct call) is audited the same way.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.app_role import forget_audit_rows
from sessions.models import Appointment, NoteAddendum, TreatmentPlan
from sessions.tests.factories import AppointmentFactory
from sessions.treatment import notes as note_services
from sessions.treatment import plans as plan_services
from sessions.treatment.notes import (
    note_add_addendum,
    note_copy_previous,
    note_open_or_create,
    note_save_draft,
    note_sign,
)
from sessions.treatment.plans import (
    PlanDetails,
    plan_create,
    plan_set_status,
    plan_update,
    progress_report_create,
)
from sessions.treatment.selectors import note_read
from sessions.treatment.tests.test_note_helpers import (
    AFTER_VISIT,
    VISIT_END,
    VISIT_START,
    complete_data,
    draft_fixture,  # noqa: F401
    visit_fixture,  # noqa: F401
    write_and_sign,
)
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

IP = "203.0.113.7"
PATH = "/visits/1/note/sign/"


def _context(user, path: str = PATH) -> AuditContext:
    return AuditContext(user=user, ip_address=IP, path=path)


def _rows(**filters):
    return list(AuditEvent.objects.filter(**filters))


def _plan_details(**changes) -> PlanDetails:
    fields = {
        "starts_on": date(2026, 3, 3),
        "review_on": date(2026, 4, 14),
        "visits_planned": 12,
        "problems": ["M54.50"],
        "modalities": [modality("swedish")],
    }
    return PlanDetails(**(fields | changes))


# --- (1) a direct call writes exactly one row, with who and where ------------------------


def test_signing_writes_one_row_with_the_given_user_ip_and_path(draft):
    by = draft.appointment.therapist.user
    note_save_draft(
        note=draft, data=complete_data(), by=by, now=AFTER_VISIT, context=_context(by)
    )
    forget_audit_rows()

    note_sign(note=draft, by=by, now=AFTER_VISIT, context=_context(by))

    [row] = _rows()
    assert (row.action, row.object_type, row.object_id) == (
        AuditEvent.Action.CHANGE,
        "clinic_sessions.SessionNote",
        draft.pk,
    )
    assert (row.user, row.ip_address, row.path) == (by, IP, PATH)
    assert row.client_id == draft.appointment.client_id
    assert row.summary == "Signed the note"


def test_an_addendum_writes_one_row_with_the_given_user_ip_and_path(draft):
    signed = write_and_sign(draft)
    author = signed.appointment.therapist.user
    forget_audit_rows()

    addendum = note_add_addendum(
        note=signed,
        by=author,
        reason="Late entry",
        text="Client called: no soreness.",
        now=AFTER_VISIT,
        context=_context(author, "/visits/1/note/addenda/"),
    )

    [row] = _rows()
    assert (row.action, row.object_type, row.object_id) == (
        AuditEvent.Action.CREATE,
        "clinic_sessions.NoteAddendum",
        addendum.pk,
    )
    assert (row.user, row.ip_address, row.path) == (
        author,
        IP,
        "/visits/1/note/addenda/",
    )
    assert row.client_id == signed.appointment.client_id


def test_creating_a_plan_writes_one_row_with_the_given_user_ip_and_path(therapist):
    client = ClientFactory()

    plan = plan_create(
        client=client,
        therapist=therapist,
        details=_plan_details(),
        by=therapist.user,
        context=_context(therapist.user, "/clients/1/plans/new/"),
    )

    [row] = _rows()
    assert (row.action, row.object_type, row.object_id, row.client_id) == (
        AuditEvent.Action.CREATE,
        "clinic_sessions.TreatmentPlan",
        plan.pk,
        client.pk,
    )
    assert (row.user, row.ip_address, row.path) == (
        therapist.user,
        IP,
        "/clients/1/plans/new/",
    )


def test_every_change_of_a_plan_is_audited_by_its_service(therapist, manager):
    plan = plan_create(
        client=ClientFactory(),
        therapist=therapist,
        details=_plan_details(),
        by=therapist.user,
        context=_context(therapist.user),
    )
    plan.goals.create(description="Less pain", measure="pain", baseline=7, target=3)
    plan_update(
        plan=plan, details=_plan_details(), by=manager, context=_context(manager)
    )
    plan = plan_set_status(
        plan=plan,
        status=TreatmentPlan.Status.ACTIVE,
        by=therapist.user,
        context=_context(therapist.user),
    )
    report = progress_report_create(
        plan=plan,
        therapist=therapist,
        period_start=date(2026, 3, 3),
        period_end=date(2026, 4, 14),
        assessment="Less pain",
        recommendation="Continue",
        by=therapist.user,
        context=_context(therapist.user),
    )

    rows = AuditEvent.objects.order_by("pk")
    assert [(r.action, r.object_id, r.user, r.summary) for r in rows] == [
        ("create", plan.pk, therapist.user, "Created a treatment plan with 0 goals"),
        ("change", plan.pk, manager, "Changed the treatment plan"),
        ("change", plan.pk, therapist.user, "Plan status: Draft -> Active"),
        (
            "create",
            report.pk,
            therapist.user,
            "Wrote a progress report for the referring provider",
        ),
    ]
    assert {r.client_id for r in rows} == {plan.client_id}


def test_opening_and_copying_a_note_are_audited_by_their_services(visit):
    by = visit.therapist.user
    earlier = AppointmentFactory(
        client=visit.client,
        therapist=visit.therapist,
        status=Appointment.Status.COMPLETED,
        starts_at=VISIT_START - timedelta(weeks=1),
        ends_at=VISIT_END - timedelta(weeks=1),
    )
    write_and_sign(
        note_open_or_create(appointment=earlier, by=by, context=_context(by))[0]
    )
    forget_audit_rows()

    note, created = note_open_or_create(appointment=visit, by=by, context=_context(by))
    again, _ = note_open_or_create(appointment=visit, by=by, context=_context(by))
    note_copy_previous(note=note, by=by, context=_context(by))

    assert created and again.pk == note.pk
    assert [(r.action, r.summary) for r in AuditEvent.objects.order_by("pk")] == [
        ("create", "Started the note"),  # opened again: no second row
        ("change", "Started the draft from the note of Nov 24, 2026"),
    ]


def test_typing_is_audited_once_per_stretch_and_a_save_every_time(draft):
    by = draft.appointment.therapist.user
    for text in ("Neck", "Neck pain", "Neck pain after work"):
        note_save_draft(
            note=draft,
            data={"complaint": text},
            by=by,
            now=AFTER_VISIT,
            context=_context(by),
            autosave=True,
        )
    note_save_draft(
        note=draft,
        data={"pain_before": 6},
        by=by,
        now=AFTER_VISIT,
        context=_context(by),
    )

    assert [
        r.summary for r in AuditEvent.objects.filter(action="change").order_by("pk")
    ] == ["Saved the draft note as it was typed", "Saved the draft"]


def test_a_task_or_command_is_audited_without_a_person(therapist):
    plan = plan_create(
        client=ClientFactory(),
        therapist=therapist,
        details=_plan_details(),
        by=therapist.user,
        context=AuditContext.system("task:import_plans"),
    )

    [row] = _rows(object_id=plan.pk)
    assert (row.user, row.ip_address, row.path) == (None, None, "task:import_plans")


# --- (2) a refused or failed change leaves no row --------------------------------------------


def test_signing_an_incomplete_note_leaves_no_row(draft):
    by = draft.appointment.therapist.user
    forget_audit_rows()

    with pytest.raises(ValidationError, match="Before signing, fill in"):
        note_sign(note=draft, by=by, now=AFTER_VISIT, context=_context(by))

    assert _rows() == []
    draft.refresh_from_db()
    assert not draft.is_signed


def test_a_refused_addendum_and_a_refused_plan_leave_no_row(draft, therapist):
    by = draft.appointment.therapist.user
    forget_audit_rows()

    with pytest.raises(ValidationError, match="still a draft"):
        note_add_addendum(
            note=draft,
            by=by,
            reason="x",
            text="y",
            now=AFTER_VISIT,
            context=_context(by),
        )
    with pytest.raises(ValidationError, match="review date"):
        plan_create(
            client=ClientFactory(),
            therapist=therapist,
            details=_plan_details(review_on=date(2026, 1, 1)),
            by=therapist.user,
            context=_context(therapist.user),
        )

    assert _rows() == []


def _fails_after_writing(real):
    def audit_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        raise ValidationError("Something after the audit line went wrong.")

    return audit_then_fail


def test_the_row_rolls_back_with_the_change_it_records(draft, therapist, monkeypatch):
    """The row is written in the change's own transaction: no change, no row."""
    by = draft.appointment.therapist.user
    note_save_draft(
        note=draft, data=complete_data(), by=by, now=AFTER_VISIT, context=_context(by)
    )
    forget_audit_rows()
    monkeypatch.setattr(
        note_services, "audit_record", _fails_after_writing(note_services.audit_record)
    )
    monkeypatch.setattr(
        plan_services, "audit_record", _fails_after_writing(plan_services.audit_record)
    )

    with pytest.raises(ValidationError):
        note_sign(note=draft, by=by, now=AFTER_VISIT, context=_context(by))
    with pytest.raises(ValidationError):
        plan_create(
            client=ClientFactory(),
            therapist=therapist,
            details=_plan_details(),
            by=therapist.user,
            context=_context(therapist.user),
        )

    assert _rows() == []
    draft.refresh_from_db()
    assert not draft.is_signed
    assert not TreatmentPlan.objects.exists()


def test_signing_an_incomplete_note_on_its_page_leaves_no_signing_row(
    client, therapist, draft
):
    client.force_login(therapist.user)
    url = reverse("sessions:note_sign", args=[draft.appointment_id])

    response = client.post(url)

    assert response.status_code == 400
    assert not AuditEvent.objects.filter(summary="Signed the note").exists()


# --- (3) the admin adds no addendum, so it writes no row ---------------------------------------


def test_an_addendum_posted_to_the_admin_is_refused_and_writes_no_row(
    admin_client, draft
):
    signed = write_and_sign(draft)
    forget_audit_rows()

    response = admin_client.post(
        reverse("admin:clinic_sessions_noteaddendum_add"),
        {"note": signed.pk, "reason": "Late entry", "text": "Client called."},
        REMOTE_ADDR=IP,
    )

    assert response.status_code == 403
    assert not NoteAddendum.objects.exists()
    assert not _rows(object_type="clinic_sessions.NoteAddendum")


# --- (4) reading through the selector --------------------------------------------------------


def test_reading_the_note_through_the_selector_writes_a_view_row(draft, manager):
    forget_audit_rows()

    note = note_read(
        visit=draft.appointment, context=_context(manager, "/visits/1/note/")
    )

    assert note.pk == draft.pk
    [row] = _rows()
    assert (row.action, row.object_id, row.client_id, row.summary) == (
        AuditEvent.Action.VIEW,
        draft.pk,
        draft.appointment.client_id,
        "Read the draft note",
    )
    assert (row.user, row.ip_address, row.path) == (manager, IP, "/visits/1/note/")


def test_a_visit_without_a_note_reads_nothing_and_writes_no_row(visit, manager):
    assert note_read(visit=visit, context=_context(manager)) is None
    assert _rows() == []
