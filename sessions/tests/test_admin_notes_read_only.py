"""Managers read notes in the admin and never write them (issue 11, DESIGN.md
section 6): no add, no save, a crafted POST refused; and the manager's group holds
no add or change permission on notes, on either path that grants the roles.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime, timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from django.utils import timezone

from massageclinic.models import clinic_policy
from massageclinic.roles import Role
from sessions.models import (
    Appointment,
    Goal,
    NoteAddendum,
    NoteTechnique,
    ProgressReport,
    SessionNote,
    TreatmentPlan,
)
from sessions.tests.factories import AppointmentFactory, make_plan
from therapists.tests.factories import modality

pytestmark = pytest.mark.django_db

VISIT_AT = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)
FINDINGS = "Hypertonic left quadratus lumborum"
READ_ONLY_FOR_MANAGER = [
    "sessionnote",
    "notetechnique",
    "noteaddendum",
    "progressreport",
]


def _url(model, view: str, *args: object) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def visit() -> Appointment:
    clinic_policy()
    return AppointmentFactory(
        starts_at=VISIT_AT,
        ends_at=VISIT_AT + timedelta(hours=1),
        status=Appointment.Status.COMPLETED,
    )


def _note(visit: Appointment, *, signed: bool) -> SessionNote:
    note = SessionNote.objects.create(
        appointment=visit, therapist=visit.therapist, findings=FINDINGS, pain_before=7
    )
    NoteTechnique.objects.create(note=note, modality=modality("swedish"), minutes=40)
    if signed:
        note.signed_at = timezone.now()
        note.signed_by = visit.therapist.user
        note.content_sha256 = "a" * 64
        note.save()
    return note


def _note_form(note: SessionNote, findings: str) -> dict[str, object]:
    return {
        "appointment": note.appointment_id,
        "therapist": note.therapist_id,
        "findings": findings,
        "pain_before": "2",
        "techniques-TOTAL_FORMS": "1",
        "techniques-INITIAL_FORMS": "1",
        "techniques-0-id": note.techniques.get().pk,
        "techniques-0-note": note.pk,
        "techniques-0-modality": note.techniques.get().modality_id,
        "techniques-0-minutes": "5",
        "addenda-TOTAL_FORMS": "0",
        "addenda-INITIAL_FORMS": "0",
    }


@pytest.mark.parametrize("signed", [False, True], ids=["draft", "signed"])
def test_a_manager_reads_a_note_in_the_admin_but_cannot_save_it(
    as_manager, visit, signed
):
    note = _note(visit, signed=signed)

    page = as_manager.get(_url(SessionNote, "change", note.pk))
    posted = as_manager.post(
        _url(SessionNote, "change", note.pk), _note_form(note, "Rewritten")
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert FINDINGS in html  # read ...
    assert 'name="_save"' not in html  # ... never saved
    assert 'name="findings"' not in html
    assert 'name="techniques-0-minutes"' not in html
    assert posted.status_code == 403
    note.refresh_from_db()
    assert (note.findings, note.pain_before) == (FINDINGS, 7)
    assert note.techniques.get().minutes == 40


def test_a_manager_cannot_add_a_note_in_the_admin(as_manager, visit):
    page = as_manager.get(_url(SessionNote, "add"))
    posted = as_manager.post(
        _url(SessionNote, "add"),
        {
            "appointment": visit.pk,
            "therapist": visit.therapist_id,
            "findings": "Written by the manager",
        },
    )

    assert page.status_code == 403
    assert posted.status_code == 403
    assert not SessionNote.objects.exists()


def test_a_manager_cannot_add_an_addendum_in_the_admin(as_manager, visit):
    note = _note(visit, signed=True)

    page = as_manager.get(_url(NoteAddendum, "add"))
    posted = as_manager.post(
        _url(NoteAddendum, "add"),
        {"note": note.pk, "reason": "Late entry", "text": "Manager's words."},
    )

    assert page.status_code == 403
    assert posted.status_code == 403
    assert not NoteAddendum.objects.exists()
    # The note's admin page sends whoever adds addenda to the note page.
    html = as_manager.get(_url(SessionNote, "change", note.pk)).content.decode()
    assert reverse("sessions:note", args=[visit.pk]) + "#addenda" in html
    assert _url(NoteAddendum, "add") not in html


def test_a_manager_cannot_add_or_change_techniques_in_the_admin(as_manager, visit):
    note = _note(visit, signed=False)
    technique = note.techniques.get()
    data = {"note": note.pk, "modality": technique.modality_id, "minutes": "5"}

    assert as_manager.get(_url(NoteTechnique, "add")).status_code == 403
    assert as_manager.post(_url(NoteTechnique, "add"), data).status_code == 403
    assert (
        as_manager.post(_url(NoteTechnique, "change", technique.pk), data).status_code
        == 403
    )
    technique.refresh_from_db()
    assert technique.minutes == 40
    assert NoteTechnique.objects.count() == 1


def test_plans_goals_and_reports_are_viewed_in_the_admin_not_written(
    as_manager, visit, manager
):
    plan = make_plan(client=visit.client, therapist=visit.therapist)
    goal = plan.goals.first()
    report = ProgressReport.objects.create(
        plan=plan,
        therapist=visit.therapist,
        period_start=plan.starts_on,
        period_end=plan.review_on,
        assessment="Pain down from 7 to 4.",
        recommendation="Six more visits.",
        created_by=manager,
    )

    plan_page = as_manager.get(_url(TreatmentPlan, "change", plan.pk)).content.decode()

    assert 'name="_save"' not in plan_page
    assert 'name="goals-0-description"' not in plan_page  # the goals: read only
    for model, obj in ((TreatmentPlan, plan), (Goal, goal), (ProgressReport, report)):
        assert as_manager.get(_url(model, "add")).status_code == 403
        assert as_manager.get(_url(model, "change", obj.pk)).status_code == 200
        assert (
            as_manager.post(_url(model, "change", obj.pk), {"status": "x"}).status_code
            == 403
        )


def test_even_a_superuser_adds_no_addendum_in_the_admin(admin_client, visit):
    """An addendum is the note's therapist's own writing, added on the note page."""
    note = _note(visit, signed=True)

    response = admin_client.post(
        _url(NoteAddendum, "add"),
        {"note": note.pk, "reason": "Late entry", "text": "Client called."},
    )

    assert response.status_code == 403
    assert not NoteAddendum.objects.exists()


def _manager_codenames() -> set[str]:
    manager = Group.objects.get(name=Role.MANAGER.value)
    return set(
        manager.permissions.filter(
            content_type__app_label="clinic_sessions"
        ).values_list("codename", flat=True)
    )


def _assert_manager_reads_notes_only(codenames: set[str]) -> None:
    for model in READ_ONLY_FOR_MANAGER:
        assert f"view_{model}" in codenames
        for action in ("add", "change", "delete"):
            assert f"{action}_{model}" not in codenames
    # Plans are written on their page by the manager too: the admin is view-only
    # for them by its own rules, not by the group's permissions.
    assert "view_treatmentplan" in codenames


def test_the_migrated_manager_group_reads_notes_only():
    _assert_manager_reads_notes_only(_manager_codenames())


def test_granting_the_roles_again_takes_back_note_writing():
    # A database whose manager group held them before the migration.
    manager = Group.objects.get(name=Role.MANAGER.value)
    manager.permissions.add(
        *Permission.objects.filter(
            content_type__app_label="clinic_sessions",
            codename__in=["add_sessionnote", "change_sessionnote", "add_noteaddendum"],
        )
    )

    # The one function both the migrations and the tests' reference data run.
    importlib.import_module("sessions.migrations.0002_roles").grant_roles(apps)

    _assert_manager_reads_notes_only(_manager_codenames())


def test_the_therapist_still_writes_notes():
    therapist = Group.objects.get(name=Role.THERAPIST.value)
    codenames = set(therapist.permissions.values_list("codename", flat=True))

    assert {"add_sessionnote", "change_sessionnote", "add_noteaddendum"} <= codenames


def test_the_manager_reads_the_task_schedule_and_changes_none_of_it(as_manager):
    """Disabling the reminder task in the admin would silence every client message."""
    from django_celery_beat.models import IntervalSchedule, PeriodicTask

    every = IntervalSchedule.objects.create(every=1, period=IntervalSchedule.MINUTES)
    task = PeriodicTask.objects.create(
        name="Send due messages", task="sessions.tasks.send_due", interval=every
    )
    change = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])

    assert as_manager.get(change).status_code == 200
    assert as_manager.post(change, {"enabled": ""}).status_code == 403
    add = reverse("admin:django_celery_beat_periodictask_add")
    assert as_manager.get(add).status_code == 403
    codenames = set(
        Group.objects.get(name=Role.MANAGER.value)
        .permissions.filter(content_type__app_label="django_celery_beat")
        .values_list("codename", flat=True)
    )
    assert codenames and all(c.startswith("view_") for c in codenames)
