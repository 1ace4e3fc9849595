"""Staff add, edit, resolve and clear safety flags; who and when is always recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients.models import Condition, Contraindication, FlagSource
from clients.safety import modality_safety
from clients.tests.factories import ClientFactory
from massageclinic.models import AuditEvent
from sessions.tests.factories import AppointmentFactory
from therapists.models import Modality

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _frozen_clock_and_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patient(therapist):
    client = ClientFactory(first_name="Grace", last_name="Okafor")
    AppointmentFactory(client=client, therapist=therapist)
    return client


def _flag(patient, slug: str, **fields) -> Contraindication:
    condition = Condition.objects.get(slug=slug)
    fields.setdefault("severity", condition.default_severity)
    return Contraindication.objects.create(
        client=patient, condition=condition, **fields
    )


def _url(name: str, *args) -> str:
    return reverse(f"clients:{name}", args=args)


def test_a_therapist_adds_a_flag_by_hand(client, patient, therapist):
    client.force_login(therapist.user)
    assert client.get(_url("flag_add", patient.pk)).status_code == 200
    response = client.post(
        _url("flag_add", patient.pk),
        {
            "condition": Condition.objects.get(slug="fever").pk,
            "severity": "",
            "detail": "38.5 °C this morning",
            "onset_on": "2026-11-20",
            "recheck_on": "2026-11-23",
        },
    )
    assert response.status_code == 302
    flag = patient.contraindications.get()
    assert (flag.severity, flag.source, flag.created_by) == (
        "absolute",
        FlagSource.STAFF,
        therapist.user,
    )
    assert flag.recheck_on == date(2026, 11, 23)
    event = AuditEvent.objects.get(action="create")
    assert (event.object_id, event.client_id) == (flag.pk, patient.pk)
    page = client.get(_url("history", patient.pk)).content.decode()
    assert "38.5 °C this morning" in page
    assert "Added Nov 20, 2026" in page
    assert "Tara Hands" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"severity": "regional", "body_region": ""}, "needs the body region"),
        (
            {"onset_on": "2026-11-20", "recheck_on": "2026-11-01"},
            "cannot be before the onset",
        ),
        ({"condition": ""}, "This field is required"),
        ({"onset_on": "soon"}, "Enter a valid date"),
    ],
)
def test_a_bad_flag_gets_a_message(client, patient, therapist, data, message):
    client.force_login(therapist.user)
    post = {"condition": Condition.objects.get(slug="varicose-veins").pk, **data}
    response = client.post(_url("flag_add", patient.pk), post)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not patient.contraindications.exists()


def test_editing_a_flag_records_who_and_when(client, patient, manager, therapist):
    flag = _flag(patient, "implanted-device", created_by=therapist.user)
    client.force_login(manager)
    page = client.get(_url("flag_edit", patient.pk, flag.pk)).content.decode()
    assert "Implanted device" in page
    with time_machine.travel(datetime(2026, 11, 21, 9, tzinfo=UTC), tick=False):
        client.force_login(manager)
        response = client.post(
            _url("flag_edit", patient.pk, flag.pk),
            {
                "severity": "regional",
                "body_region": "chest",
                "detail": "Pacemaker, left chest",
                "onset_on": "",
                "recheck_on": "",
            },
        )
        assert response.status_code == 302
        page = client.get(_url("history", patient.pk)).content.decode()
    flag.refresh_from_db()
    assert (flag.body_region, flag.detail, flag.updated_by) == (
        "chest",
        "Pacemaker, left chest",
        manager,
    )
    assert "changed Nov 21, 2026 by Maria" in page
    assert AuditEvent.objects.filter(action="change", object_id=flag.pk).exists()


def test_resolving_a_flag_records_who_when_and_why(client, patient, therapist):
    flag = _flag(patient, "recent-surgery", body_region="knee_left")
    client.force_login(therapist.user)
    assert client.get(_url("flag_resolve", patient.pk, flag.pk)).status_code == 200
    response = client.post(
        _url("flag_resolve", patient.pk, flag.pk), {"note": "Site healed"}
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.resolved_at, flag.resolved_by, flag.resolution_note) == (
        NOW,
        therapist.user,
        "Site healed",
    )
    page = client.get(_url("history", patient.pk)).content.decode()
    assert "Resolved flags (1)" in page
    assert "Site healed" in page
    # A resolved flag is not edited, nor resolved twice.
    assert client.post(_url("flag_resolve", patient.pk, flag.pk)).status_code == 200
    response = client.get(_url("flag_edit", patient.pk, flag.pk), follow=True)
    assert "add a new one instead" in response.content.decode()


def test_a_flag_of_another_client_is_not_found(client, patient, therapist):
    elsewhere = ClientFactory()
    flag = _flag(elsewhere, "fever")
    AppointmentFactory(  # both clients are treated by this therapist
        client=elsewhere,
        therapist=therapist,
        starts_at=datetime(2026, 12, 2, 15, tzinfo=UTC),
    )
    client.force_login(therapist.user)
    for name in ("flag_edit", "flag_resolve", "flag_clear", "clearance_document"):
        assert client.get(_url(name, patient.pk, flag.pk)).status_code == 404


def test_the_page_shows_needs_recheck_when_the_date_has_come(
    client, patient, therapist
):
    _flag(patient, "pregnancy", recheck_on=date(2026, 11, 20), detail="20 weeks")
    client.force_login(therapist.user)
    page = client.get(_url("history", patient.pk)).content.decode()
    assert "Needs recheck" in page


# --- Physician clearance -------------------------------------------------------------------


def _clear(client, patient, flag, **changes):
    data = {
        "cleared_on": "2026-11-18",
        "physician": "Dr. Ada Moss",
        "document": SimpleUploadedFile("clearance.pdf", PDF, "application/pdf"),
        **changes,
    }
    return client.post(
        _url("flag_clear", patient.pk, flag.pk), {k: v for k, v in data.items() if v}
    )


def test_a_clearance_with_its_document_lifts_an_absolute_flag(
    client, patient, therapist, manager, front_desk, other_therapist
):
    flag = _flag(patient, "dvt-history")
    client.force_login(therapist.user)
    assert client.get(_url("flag_clear", patient.pk, flag.pk)).status_code == 200
    response = _clear(client, patient, flag)
    assert response.status_code == 302
    flag.refresh_from_db()
    assert (flag.cleared_on, flag.cleared_by_physician, flag.clearance_recorded_by) == (
        date(2026, 11, 18),
        "Dr. Ada Moss",
        therapist.user,
    )
    swedish = Modality.objects.get(slug="swedish")
    assert not modality_safety(
        client=patient, modality=swedish, on=date(2026, 11, 18)
    ).blocked
    assert modality_safety(
        client=patient, modality=swedish, on=date(2026, 11, 17)
    ).blocked

    page = client.get(_url("history", patient.pk)).content.decode()
    document_url = _url("clearance_document", patient.pk, flag.pk)
    assert document_url in page
    assert "/media/" not in page
    assert "Physician clearance by Dr. Ada Moss, dated Nov 18, 2026" in page

    client.force_login(manager)
    download = client.get(document_url)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    event = AuditEvent.objects.get(action="download")
    assert (event.user, event.client_id, event.object_id) == (
        manager,
        patient.pk,
        flag.pk,
    )

    client.force_login(front_desk)
    assert client.get(document_url).status_code == 403
    client.force_login(other_therapist.user)
    assert client.get(document_url).status_code == 404
    client.logout()
    assert client.get(document_url).status_code == 302


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {
                "document": SimpleUploadedFile(
                    "virus.pdf", b"MZ\x90\x00binary", "application/pdf"
                )
            },
            "not really a PDF",
        ),
        (
            {
                "document": SimpleUploadedFile(
                    "notes.docx", b"PK\x03\x04", "application/msword"
                )
            },
            "Attach a PDF, JPEG or PNG file.",
        ),
        (
            {
                "document": SimpleUploadedFile(
                    "huge.pdf", PDF + b"0" * (10 * 1024 * 1024), "application/pdf"
                )
            },
            "larger than 10 MB",
        ),
        ({"document": None}, "Attach the physician"),
        ({"physician": ""}, "Name the physician"),
        ({"cleared_on": "2026-11-21"}, "cannot be dated in the future"),
    ],
)
def test_a_bad_clearance_is_refused_with_a_message(
    client, patient, therapist, changes, message
):
    flag = _flag(patient, "dvt-history")
    client.force_login(therapist.user)
    response = _clear(client, patient, flag, **changes)
    assert response.status_code == 200
    assert message in response.content.decode()
    flag.refresh_from_db()
    assert flag.cleared_on is None
    assert not flag.clearance_document


def test_a_clearance_records_its_terms_and_expires_with_its_date(
    client, patient, therapist
):
    flag = _flag(patient, "dvt-history")
    client.force_login(therapist.user)
    response = _clear(
        client,
        patient,
        flag,
        conditions="Light pressure only; no work on the left calf",
        expires_on="2026-12-31",
    )
    assert response.status_code == 302
    flag.refresh_from_db()
    assert flag.clearance_conditions == "Light pressure only; no work on the left calf"
    assert flag.clearance_expires_on == date(2026, 12, 31)
    swedish = Modality.objects.get(slug="swedish")
    within = modality_safety(client=patient, modality=swedish, on=date(2026, 12, 1))
    assert within.needs_acknowledgement  # a cleared condition still speaks
    assert any("no work on the left calf" in m for m in within.modifications)
    after = modality_safety(client=patient, modality=swedish, on=date(2027, 1, 1))
    assert after.no_massage
    page = client.get(_url("history", patient.pk)).content.decode()
    assert "Terms: Light pressure only; no work on the left calf" in page
    assert "Valid until Dec 31, 2026" in page
    assert "Cleared by physician" in page
    with time_machine.travel(datetime(2027, 1, 2, 15, tzinfo=UTC), tick=False):
        client.force_login(therapist.user)  # a new day, a new sign-in
        later = client.get(_url("history", patient.pk)).content.decode()
    assert "Clearance expired" in later and "Cleared by physician" not in later


def test_a_clearance_cannot_end_before_it_was_given(client, patient, therapist):
    flag = _flag(patient, "dvt-history")
    client.force_login(therapist.user)
    response = _clear(client, patient, flag, expires_on="2026-11-01")
    assert response.status_code == 200
    assert "cannot end before the day it was given" in response.content.decode()
    flag.refresh_from_db()
    assert flag.cleared_on is None


def test_only_an_absolute_flag_takes_a_clearance(client, patient, therapist):
    flag = _flag(patient, "anticoagulants")
    client.force_login(therapist.user)
    response = client.get(_url("flag_clear", patient.pk, flag.pk), follow=True)
    assert "Only an absolute flag needs a physician" in response.content.decode()


def test_a_flag_without_a_document_has_nothing_to_download(client, patient, manager):
    flag = _flag(patient, "fever")
    client.force_login(manager)
    assert (
        client.get(_url("clearance_document", patient.pk, flag.pk)).status_code == 404
    )
