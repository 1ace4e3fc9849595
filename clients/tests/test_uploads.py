"""Scanned documents: checked by content and size, served only through an access check."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from clients import uploads
from clients.models import Referral
from clients.tests.factories import PDF_BYTES, ReferralFactory, ReferringProviderFactory
from massageclinic.models import AuditEvent
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG_BYTES = b"\xff\xd8\xff\xe0" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
TWENTY_MB = 20 * 1024 * 1024


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 3, 20, 15, tzinfo=UTC), tick=False):
        yield


# --- The check itself ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.pdf", PDF_BYTES, "application/pdf"),
        ("scan.png", PNG_BYTES, "image/png"),
        ("scan.jpeg", JPEG_BYTES, "image/jpeg"),
        # The name does not matter, the content does.
        ("scan.bin", PDF_BYTES, "application/pdf"),
    ],
)
def test_it_accepts_pdf_png_and_jpeg_by_their_content(name, content, content_type):
    kind = uploads.validate_upload(SimpleUploadedFile(name, content))
    assert kind.content_type == content_type


def test_it_refuses_an_exe_renamed_pdf():
    renamed = SimpleUploadedFile("prescription.pdf", EXE_BYTES, "application/pdf")
    with pytest.raises(uploads.ValidationError) as raised:
        uploads.validate_upload(renamed)
    assert raised.value.messages == [
        "This file is not a PDF, PNG or JPEG (its content was checked, whatever its "
        "name says). Only PDF, PNG or JPEG files are accepted, up to 10 MB."
    ]


def test_it_refuses_a_file_over_ten_megabytes():
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * (TWENTY_MB - 5))
    with pytest.raises(uploads.ValidationError) as raised:
        uploads.validate_upload(big)
    assert raised.value.messages == [
        "The file is 20 MB; the largest accepted is 10 MB. Scan at a lower resolution "
        "or split the document, then choose it again."
    ]


def test_the_limit_is_one_constant(monkeypatch):
    monkeypatch.setattr(uploads, "MAX_UPLOAD_BYTES", 1024)
    with pytest.raises(uploads.ValidationError) as raised:
        uploads.validate_upload(SimpleUploadedFile("a.pdf", PDF_BYTES * 40))
    assert "The file is 2 KB; the largest accepted is 1 KB." in raised.value.messages[0]


def test_a_file_just_over_the_limit_never_reads_as_equal_to_it():
    just_over = SimpleUploadedFile("a.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))
    with pytest.raises(uploads.ValidationError, match="The file is 10.1 MB"):
        uploads.validate_upload(just_over)


def test_it_refuses_an_empty_file():
    with pytest.raises(uploads.ValidationError, match="The file is empty"):
        uploads.validate_upload(SimpleUploadedFile("a.pdf", b""))


def test_a_stored_file_gets_a_random_name_with_its_real_extension():
    file = SimpleUploadedFile("Jane Doe's script.exe.PDF", PDF_BYTES)
    uploads.rename_for_storage(file, uploads.validate_upload(file))
    assert file.name.endswith(".pdf")
    assert "Jane" not in file.name and len(file.name) == 36


# --- Through the referral form --------------------------------------------------


def _referral_post(document) -> dict[str, object]:
    provider = ReferringProviderFactory()
    return {
        "provider": provider.pk,
        "referred_on": "2026-03-02",
        "expires_on": "2026-06-30",
        "diagnosis_codes": "M54.50",
        "diagnosis_text": "Low back pain",
        "prescribed_cpt_codes": "97124",
        "visits_per_week": "2",
        "duration_weeks": "6",
        "session_minutes": "60",
        "visits_authorized": "12",
        "document": document,
    }


def test_the_form_refuses_a_twenty_megabyte_scan_and_keeps_what_was_typed(
    client, front_desk
):
    patient = ReferralFactory.build().client
    patient.save()
    client.force_login(front_desk)
    big = SimpleUploadedFile("scan.pdf", b"%PDF-" + b"0" * (TWENTY_MB - 5))

    response = client.post(
        reverse("clients:referral_add", args=[patient.pk]), _referral_post(big)
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "The file is 20 MB; the largest accepted is 10 MB." in page
    assert "choose the file again" in page
    assert 'value="Low back pain"' in page
    assert not Referral.objects.exists()


def test_the_form_refuses_an_exe_renamed_pdf(client, front_desk):
    patient = ReferralFactory.build().client
    patient.save()
    client.force_login(front_desk)
    renamed = SimpleUploadedFile("script.pdf", EXE_BYTES, "application/pdf")

    response = client.post(
        reverse("clients:referral_add", args=[patient.pk]), _referral_post(renamed)
    )

    assert response.status_code == 200
    assert "This file is not a PDF, PNG or JPEG" in response.content.decode()
    assert not Referral.objects.exists()


def test_the_form_stores_a_valid_scan_under_media_root(client, front_desk, settings):
    patient = ReferralFactory.build().client
    patient.save()
    client.force_login(front_desk)
    scan = SimpleUploadedFile("Ruiz script.pdf", PDF_BYTES, "application/pdf")

    response = client.post(
        reverse("clients:referral_add", args=[patient.pk]), _referral_post(scan)
    )

    assert response.status_code == 302
    referral = Referral.objects.get()
    assert referral.document.name.startswith("referrals/2026/")
    assert referral.document.name.endswith(".pdf")
    assert (settings.MEDIA_ROOT / referral.document.name).read_bytes() == PDF_BYTES


# --- Serving a document -----------------------------------------------------------


@pytest.fixture
def referral_with_scan():
    referral = ReferralFactory(referred_on=date(2026, 3, 2))
    referral.document.save("a1b2.pdf", ContentFile(PDF_BYTES))
    return referral


def _document_url(referral: Referral) -> str:
    return reverse("clients:referral_document", args=[referral.client_id, referral.pk])


def test_an_anonymous_request_for_a_document_is_sent_to_log_in(
    client, referral_with_scan
):
    response = client.get(_document_url(referral_with_scan))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert not AuditEvent.objects.exists()


def test_there_is_no_media_url_route(client, front_desk, referral_with_scan):
    client.force_login(front_desk)
    response = client.get("/media/" + referral_with_scan.document.name)
    assert response.status_code == 404


def test_a_therapist_who_does_not_treat_the_client_gets_404(
    client, therapist, referral_with_scan
):
    client.force_login(therapist.user)
    assert client.get(_document_url(referral_with_scan)).status_code == 404


def test_a_treating_therapist_gets_the_scan_inline_and_it_is_audited(
    client, therapist, referral_with_scan
):
    AppointmentFactory(client=referral_with_scan.client, therapist=therapist)
    client.force_login(therapist.user)

    response = client.get(_document_url(referral_with_scan))

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF_BYTES
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'inline; filename="referral-{referral_with_scan.pk}-2026-03-02.pdf"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    event = AuditEvent.objects.get()
    assert event.action == AuditEvent.Action.DOWNLOAD
    assert event.user == therapist.user
    assert event.client_id == referral_with_scan.client_id
    assert event.object_type == "clients.Referral"
    assert event.object_id == referral_with_scan.pk


def test_a_document_is_only_reached_through_its_own_client(
    client, front_desk, referral_with_scan
):
    other = ReferralFactory()
    client.force_login(front_desk)
    url = reverse(
        "clients:referral_document", args=[other.client_id, referral_with_scan.pk]
    )
    assert client.get(url).status_code == 404


def test_a_referral_without_a_scan_or_with_a_lost_file_is_404(
    client, front_desk, referral_with_scan
):
    client.force_login(front_desk)
    assert client.get(_document_url(ReferralFactory())).status_code == 404

    referral_with_scan.document.storage.delete(referral_with_scan.document.name)
    assert client.get(_document_url(referral_with_scan)).status_code == 404


def test_a_stored_file_that_is_not_a_document_is_never_rendered(client, front_desk):
    referral = ReferralFactory()
    referral.document.save("odd.pdf", ContentFile(b"<html><script>x</script>"))
    client.force_login(front_desk)

    response = client.get(_document_url(referral))

    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    response.close()
