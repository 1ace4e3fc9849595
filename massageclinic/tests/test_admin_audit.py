"""The admin is no way round the audit trail: every health record's page is a read,
every save a change, and the lists show no health detail (DESIGN.md section 6)."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from clients.models import Contraindication
from massageclinic.admin import AuditedHealthRecordAdmin, ClinicalRecordAdmin
from massageclinic.models import AuditEvent
from massageclinic.tests.test_admin import _make_records, _url
from sessions.models import Goal, NoteAddendum, SessionNote

pytestmark = pytest.mark.django_db

HEALTH_RECORDS = {
    "clients.Authorization",
    "clients.Client",
    "clients.Contraindication",
    "clients.HistoryReview",
    "clients.InsurancePolicy",
    "clients.MedicalHistory",
    "clients.ModificationPlan",
    "clients.Referral",
    "clinic_sessions.Goal",
    "clinic_sessions.NoteAddendum",
    "clinic_sessions.NoteTechnique",
    "clinic_sessions.ProgressReport",
    "clinic_sessions.SessionNote",
    "clinic_sessions.TreatmentPlan",
    "clinic_sessions.VisitScreening",
}
AUDITED = sorted(
    (
        model
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, AuditedHealthRecordAdmin)
    ),
    key=lambda model: model._meta.label,
)


_before: dict[str, int] = {}


@pytest.fixture
def records(admin_user):
    made = _make_records(admin_user)
    # The audit table is append-only: rows written before the test are skipped.
    _before["pk"] = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True)[0]
    return made


def _rows(**lookups) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(pk__gt=_before["pk"], **lookups).order_by("pk")
    )


def test_every_health_record_admin_is_audited():
    assert {model._meta.label for model in AUDITED} == HEALTH_RECORDS


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m._meta.label)
def test_opening_a_health_record_writes_one_view_row(
    admin_client, admin_user, records, model
):
    obj = model._default_manager.first()
    client_id = records["appointment"].client_id

    response = admin_client.get(_url(model, "change", obj.pk))

    assert response.status_code == 200
    [row] = _rows()
    assert (row.action, row.user, row.client_id) == ("view", admin_user, client_id)
    assert (row.object_type, row.object_id) == (model._meta.label, obj.pk)
    assert row.path == _url(model, "change", obj.pk)
    assert row.ip_address == "127.0.0.1"


def test_opening_a_note_records_its_client(admin_client, admin_user, records):
    note = records["note"]

    admin_client.get(_url(SessionNote, "change", note.pk))

    assert _rows(
        action="view",
        user=admin_user,
        client_id=note.appointment.client_id,
        object_type="clinic_sessions.SessionNote",
        object_id=note.pk,
    )


def test_opening_a_history_records_its_client(admin_client, records):
    history = records["history"]

    admin_client.get(_url(type(history), "change", history.pk))

    assert [(r.action, r.client_id) for r in _rows()] == [("view", history.client_id)]


@pytest.mark.parametrize("model", AUDITED, ids=lambda m: m._meta.label)
def test_a_list_writes_no_row_and_shows_no_clinical_text(admin_client, records, model):
    response = admin_client.get(_url(model, "changelist"))

    page = response.content.decode()
    assert response.status_code == 200
    assert _rows() == []
    for clinical in (
        "Hypertonic",
        "lifting a sofa",
        "Low back pain",
        "Less low back pain",
        "Light pressure only",
        "Right, not left",
        "Pain down from 7",
    ):
        assert clinical not in page, clinical


def test_a_refused_addendum_in_the_admin_writes_no_row(admin_client, records):
    note = records["note"]

    response = admin_client.post(
        _url(NoteAddendum, "add"),
        {"note": note.pk, "reason": "Late entry", "text": "Client called."},
    )

    assert response.status_code == 403
    assert not _rows(object_type="clinic_sessions.NoteAddendum")


def test_a_save_through_an_audited_admin_writes_a_change_row(admin_user, records):
    """No health record is saved in the admin today; one that is, is audited."""
    flag = Contraindication.objects.get(client=records["history"].client)
    goal = Goal.objects.get(plan__client=flag.client)

    class ChangeableFlagAdmin(AuditedHealthRecordAdmin, ClinicalRecordAdmin):
        pass

    class ChangeableGoalAdmin(AuditedHealthRecordAdmin, ClinicalRecordAdmin):
        health_client = "plan.client_id"

    request = RequestFactory().post("/admin/x/", REMOTE_ADDR="10.0.0.7")
    request.user = admin_user

    ChangeableFlagAdmin(Contraindication, admin.site).save_model(
        request, flag, form=None, change=True
    )
    ChangeableGoalAdmin(Goal, admin.site).save_model(
        request, goal, form=None, change=False
    )

    assert [(r.action, r.object_type, r.client_id, r.ip_address) for r in _rows()] == [
        ("change", "clients.Contraindication", flag.client_id, "10.0.0.7"),
        ("create", "clinic_sessions.Goal", flag.client_id, "10.0.0.7"),
    ]
