"""The Medical history tab, the staff intake form and the client's own link (pages)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.intake_services import (
    history_submit,
    intake_invitation_create,
    intake_invitation_token,
)
from clients.models import Contraindication, IntakeCondition, IntakeInvitation
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent, ClinicPolicy
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def patient(db):
    return ClientFactory(
        first_name="Grace", last_name="Okafor", email="grace@example.org"
    )


@pytest.fixture
def treated(patient, therapist):
    AppointmentFactory(client=patient, therapist=therapist)
    return patient


@pytest.fixture
def history(treated, manager):
    return history_submit(
        context=AuditContext.system("test"),
        client=treated,
        data={
            "chief_complaint": "Stiff neck after a car accident",
            "pain_areas": ["neck", "upper_back"],
            "pain_level": 7,
            "conditions": [IntakeCondition.WHIPLASH],
            "medications": "Warfarin 5 mg daily",
            "takes_anticoagulants": True,
            "goals": "Turn my head while driving",
            "consent_name": "Grace Okafor",
        },
        submitted_by=manager,
        now=NOW - timedelta(days=30),
    )


def _form_data(**changes) -> dict:
    data = {
        "chief_complaint": "Low back pain",
        "pain_areas": ["lower_back"],
        "pain_level": "5",
        "onset": "Last month",
        "conditions": ["low_back_pain"],
        "medications": "",
        "allergies": "",
        "skin_conditions": "",
        "implanted_devices": "",
        "goals": "Garden again",
        "consent_name": "Grace Okafor",
        "consent_agreed": "on",
        "surgeries-TOTAL_FORMS": "3",
        "surgeries-INITIAL_FORMS": "3",
        "surgeries-MIN_NUM_FORMS": "0",
        "surgeries-MAX_NUM_FORMS": "12",
        "surgeries-0-procedure": "",
        "surgeries-0-date": "",
        "surgeries-0-site": "",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _url(name: str, *args) -> str:
    return reverse(f"clients:{name}", args=args)


# --- Who sees what -----------------------------------------------------------------------


def test_the_manager_and_a_treating_therapist_see_the_history_in_full(
    client, history, manager, therapist
):
    for user in (manager, therapist.user):
        client.force_login(user)
        page = client.get(_url("history", history.client_id)).content.decode()
        assert "Stiff neck after a car accident" in page
        assert "Warfarin 5 mg daily" in page
        assert "Turn my head while driving" in page
        assert "Neck, Upper back" in page
        assert "7/10" in page
        assert "Signed by <strong>Grace Okafor</strong>" in page
        assert "Safety flags" in page
        assert "Anticoagulant medication" in page
        assert _url("history_version", history.client_id, 1) in page


def test_each_reading_of_the_history_is_audited(client, history, therapist):
    client.force_login(therapist.user)
    client.get(_url("history", history.client_id))
    client.get(_url("history_version", history.client_id, 1))
    events = AuditEvent.objects.filter(client_id=history.client_id, action="view")
    assert [(e.user, e.object_type, e.object_id) for e in events] == [
        (therapist.user, "clients.MedicalHistory", history.pk),
        (therapist.user, "clients.MedicalHistory", history.pk),
    ]


def test_the_front_desk_sees_that_an_intake_is_complete_and_never_its_content(
    client, history, front_desk
):
    client.force_login(front_desk)
    response = client.get(_url("history", history.client_id))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Intake complete" in page
    assert "version 1 of Oct 21, 2026" in page
    assert "Send intake link" in page
    # The alert headline, which every role may see:
    assert "gua sha: anticoagulant medication" in page
    for secret in [
        "Stiff neck",
        "Warfarin",
        "Turn my head",
        "7/10",
        "Whiplash",
        "Safety flags",
        "Signed by",
        _url("history_version", history.client_id, 1),
        _url("history_new", history.client_id),
    ]:
        assert secret not in page, secret
    assert not AuditEvent.objects.filter(action="view").exists()


@pytest.mark.parametrize(
    ("name", "extra"),
    [
        ("history_version", (1,)),
        ("history_new", ()),
        ("flag_add", ()),
    ],
)
def test_the_front_desk_may_not_open_health_pages(
    client, history, front_desk, name, extra
):
    client.force_login(front_desk)
    assert client.get(_url(name, history.client_id, *extra)).status_code == 403


def test_the_front_desk_may_not_touch_a_flag(client, history, front_desk):
    flag = history.client.contraindications.get()
    client.force_login(front_desk)
    for name in ("flag_edit", "flag_resolve", "flag_clear", "clearance_document"):
        assert client.get(_url(name, history.client_id, flag.pk)).status_code == 403
    assert (
        client.post(_url("flag_resolve", history.client_id, flag.pk)).status_code == 403
    )
    flag.refresh_from_db()
    assert flag.resolved_at is None


PAGES = [
    ("history", ()),
    ("history_version", (1,)),
    ("history_new", ()),
    ("flag_add", ()),
]


@pytest.mark.parametrize(("name", "extra"), PAGES)
def test_a_therapist_who_does_not_treat_the_client_gets_404(
    client, history, other_therapist, name, extra
):
    client.force_login(other_therapist.user)
    assert client.get(_url(name, history.client_id, *extra)).status_code == 404


def test_a_therapist_who_does_not_treat_the_client_cannot_send_a_link(
    client, history, other_therapist
):
    client.force_login(other_therapist.user)
    assert client.post(_url("intake_link", history.client_id)).status_code == 404
    assert not IntakeInvitation.objects.exists()


@pytest.mark.parametrize(("name", "extra"), PAGES)
def test_anonymous_people_are_sent_to_log_in(client, history, name, extra):
    url = _url(name, history.client_id, *extra)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_anonymous_people_cannot_send_links_or_download_clearances(client, history):
    flag = history.client.contraindications.get()
    for url in (
        _url("intake_link", history.client_id),
        _url("clearance_document", history.client_id, flag.pk),
    ):
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    assert not IntakeInvitation.objects.exists()


def test_the_history_page_reads_a_fixed_number_of_queries(client, history, manager):
    client.force_login(manager)
    url = _url("history", history.client_id)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for slug in ["fever", "neuropathy", "oil-allergy", "corticosteroids"]:
        Contraindication.objects.create(
            client=history.client,
            condition_id=_condition(slug),
            severity="modify",
            created_by=manager,
            updated_by=manager,
        )
    history_submit(
        context=AuditContext.system("test"),
        client=history.client,
        data={"chief_complaint": "Better", "consent_name": "Grace Okafor"},
        submitted_by=manager,
        now=NOW,
    )
    intake_invitation_create(client=history.client, by=manager, now=NOW)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    # The emails of the links (one query), and the modification plans, which the
    # safety decision loads once there is any flag (one query, whatever the count).
    assert len(many) <= len(few) + 2
    assert len(many) <= 17


def _condition(slug: str) -> int:
    from clients.models import Condition

    return Condition.objects.get(slug=slug).pk


# --- The current version, the diff, renewal ----------------------------------------------


def test_the_page_shows_what_changed_since_the_previous_version(
    client, history, manager
):
    history_submit(
        context=AuditContext.system("test"),
        client=history.client,
        data={
            "chief_complaint": "Stiff neck after a car accident",
            "pain_areas": ["neck"],
            "pain_level": 4,
            "conditions": [IntakeCondition.WHIPLASH],
            "medications": "Warfarin 5 mg daily",
            "takes_anticoagulants": True,
            "goals": "Turn my head while driving",
            "consent_name": "Grace Okafor",
        },
        submitted_by=manager,
        now=NOW,
    )
    client.force_login(manager)
    page = client.get(_url("history", history.client_id)).content.decode()
    assert "What changed since version 1" in page
    changes = page[page.index("What changed since version 1") :]
    assert re.search(r"Pain \(0-10\)</th>\s*<td[^>]*><del>7/10</del>", changes)
    assert "<ins" in changes and "4/10" in changes
    assert "Neck, Upper back" in changes
    assert "Medications" not in changes.split("</table>")[0]


def test_an_old_history_shows_the_renewal_banner(client, history, manager, front_desk):
    ClinicPolicy.objects.update_or_create(pk=1, defaults={"intake_renewal_months": 1})
    client.force_login(front_desk)
    page = client.get(_url("history", history.client_id)).content.decode()
    assert "Needs renewal" not in page  # Oct 21 + 1 month is Nov 21: due tomorrow
    with time_machine.travel(NOW + timedelta(days=2), tick=False):
        client.force_login(front_desk)  # the session of two days ago has expired
        page = client.get(_url("history", history.client_id)).content.decode()
    assert "Needs renewal" in page
    assert re.search(r"older than 1 month\s", page)
    ClinicPolicy.objects.filter(pk=1).update(intake_renewal_months=12)
    page = client.get(_url("history", history.client_id)).content.decode()
    assert "Needs renewal" not in page
    assert "current until Oct 21, 2027" in page


def test_a_client_without_intake_says_so(client, treated, front_desk):
    client.force_login(front_desk)
    page = client.get(_url("history", treated.pk)).content.decode()
    assert "No intake yet" in page


def test_an_older_version_has_its_own_page(client, history, manager):
    history_submit(
        context=AuditContext.system("test"),
        client=history.client,
        data={"chief_complaint": "Only the low back now", "consent_name": "G. Okafor"},
        submitted_by=None,
        now=NOW,
    )
    client.force_login(manager)
    page = client.get(_url("history_version", history.client_id, 1)).content.decode()
    assert "Version 1 of Oct 21, 2026" in page
    assert "Stiff neck after a car accident" in page
    assert "Only the low back now" not in page
    assert client.get(_url("history_version", history.client_id, 9)).status_code == 404


# --- Staff fill in the form --------------------------------------------------------------


def test_the_form_is_prefilled_from_the_current_version(client, history, therapist):
    client.force_login(therapist.user)
    page = client.get(_url("history_new", history.client_id)).content.decode()
    assert "Stiff neck after a car accident</textarea>" in page
    assert re.search(r'value="neck"[^>]*checked|checked[^>]*value="neck"', page)
    assert 'name="pain_level" value="7"' in page
    assert "Saving creates version 2" in page
    # The signature is given anew each time.
    assert 'name="consent_name" value=' not in page


def test_saving_the_form_creates_a_new_version_and_its_flags(
    client, history, therapist
):
    client.force_login(therapist.user)
    response = client.post(
        _url("history_new", history.client_id),
        _form_data(
            dvt_history="on",
            **{
                "surgeries-0-procedure": "Knee arthroscopy",
                "surgeries-0-date": "2026-11-02",
                "surgeries-0-site": "knee_left",
            },
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == _url("history", history.client_id)
    latest = history.client.histories.get(version=2)
    assert latest.submitted_by == therapist.user
    assert latest.surgeries == [
        {"procedure": "Knee arthroscopy", "date": "2026-11-02", "site": "knee_left"}
    ]
    assert latest.consent_signed_at == NOW
    slugs = set(
        history.client.contraindications.values_list("condition__slug", flat=True)
    )
    assert slugs == {"anticoagulants", "dvt-history", "recent-surgery"}
    history.refresh_from_db()
    assert history.chief_complaint == "Stiff neck after a car accident"
    assert AuditEvent.objects.filter(action="create", object_id=latest.pk).exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pain_level": "11"}, "from 0 (none) to 10 (worst)"),
        ({"pain_level": "a lot"}, "whole number from 0 to 10"),
        ({"pregnancy_weeks": "20"}, "only apply when pregnant"),
        ({"pregnant": "on", "pregnancy_weeks": "50"}, "from 1 to 42"),
        ({"consent_name": "  "}, "Type your full name to sign the consent."),
        ({"consent_agreed": None}, "Tick the box to give your consent."),
        ({"chief_complaint": ""}, "Say what brings you in."),
        (
            {"surgeries-0-procedure": "Hip", "surgeries-0-date": "2026-12-24"},
            "in the future",
        ),
        ({"surgeries-0-date": "2026-01-05"}, "Say what the operation was."),
        (
            {"surgeries-0-date": "yesterday", "surgeries-0-procedure": "Hip"},
            "YYYY-MM-DD",
        ),
        ({"pain_areas": ["the elbow"]}, "Select a valid choice"),
    ],
)
def test_bad_answers_get_a_message_and_keep_what_was_typed(
    client, treated, therapist, changes, message
):
    client.force_login(therapist.user)
    response = client.post(
        _url("history_new", treated.pk),
        _form_data(medications="Metformin 500 mg", goals="Walk the dog", **changes),
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Some answers need another look" in page
    assert "Metformin 500 mg</textarea>" in page
    assert "Walk the dog</textarea>" in page
    assert not treated.histories.exists()


def test_a_mangled_form_is_an_error_not_a_crash(client, treated, therapist):
    client.force_login(therapist.user)
    data = _form_data()
    for key in [k for k in data if k.startswith("surgeries-")]:
        del data[key]
    response = client.post(_url("history_new", treated.pk), data)
    assert response.status_code == 200
    assert "ManagementForm data is missing" in response.content.decode()
    assert not treated.histories.exists()


def test_an_archived_client_gets_a_message_not_a_new_version(
    client, therapist, manager
):
    archived = ClientFactory(archived_at=NOW)
    client.force_login(manager)
    response = client.post(_url("history_new", archived.pk), _form_data())
    assert response.status_code == 200
    assert "This client is archived" in response.content.decode()


# --- Sending the link --------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["front_desk", "manager", "therapist"])
def test_staff_send_the_link_and_see_it_with_its_expiry(
    client, treated, request, persona
):
    user = request.getfixturevalue(persona)
    client.force_login(getattr(user, "user", user))
    response = client.post(_url("intake_link", treated.pk))
    assert response.status_code == 302
    invitation = IntakeInvitation.objects.get(client=treated)
    email = treated.reminders.get()
    assert (email.kind, email.status, email.to_email) == (
        "intake_request",
        "pending",
        "grace@example.org",
    )
    page = client.get(_url("history", treated.pk)).content.decode()
    token = intake_invitation_token(invitation)
    assert f"http://testserver/intake/{token}/" in page
    assert "Expires Nov 27, 2026" in page
    assert "queued for grace@example.org" in page


def test_a_link_for_a_client_without_email_is_shown_to_read_out(client, front_desk):
    patient = ClientFactory(email="")
    client.force_login(front_desk)
    response = client.post(_url("intake_link", patient.pk), follow=True)
    page = response.content.decode()
    assert "not emailed: the client has no email address" in page
    assert "not sent (no email address)" in page
    assert "/intake/" in page


def test_the_link_is_created_by_post_only(client, treated, front_desk):
    client.force_login(front_desk)
    assert client.get(_url("intake_link", treated.pk)).status_code == 405
    assert not IntakeInvitation.objects.exists()


# --- The client's own link (no login) ----------------------------------------------------


@pytest.fixture
def link(patient, front_desk):
    ClinicPolicy.objects.update_or_create(
        pk=1, defaults={"clinic_name": "Riverside Medical Massage"}
    )
    invitation = intake_invitation_create(client=patient, by=front_desk, now=NOW)
    return _url("intake_public", intake_invitation_token(invitation))


def test_the_client_opens_their_link_without_logging_in(client, link, history):
    response = client.get(link)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Riverside Medical Massage" in page
    assert "Hello Grace" in page
    assert "Okafor" not in page  # only the first name
    assert "Stiff neck" not in page  # never the earlier answers
    assert 'name="viewport" content="width=device-width' in page
    assert "no-store" in response["Cache-Control"]


def test_the_client_sends_the_form_once(client, link, patient):
    response = client.post(link, _form_data(takes_anticoagulants="on"))
    assert response.status_code == 302
    assert response["Location"] == _url("intake_thanks")
    assert "Thank you" in client.get(response["Location"]).content.decode()
    history = patient.histories.get()
    assert history.submitted_by is None
    assert IntakeInvitation.objects.get().history == history
    assert patient.contraindications.get().condition.slug == "anticoagulants"
    event = AuditEvent.objects.get(
        action="create", object_type="clients.MedicalHistory"
    )
    assert (event.user, event.client_id) == (None, patient.pk)
    flag_event = AuditEvent.objects.get(
        action="create", object_type="clients.Contraindication"
    )
    assert (flag_event.user, flag_event.client_id) == (None, patient.pk)

    again = client.post(link, _form_data(chief_complaint="Something else"))
    assert again.status_code == 410
    assert "already sent" in again.content.decode()
    assert client.get(link).status_code == 410
    assert patient.histories.count() == 1


def test_bad_answers_on_the_link_keep_the_link_usable(client, link, patient):
    response = client.post(link, _form_data(pain_level="12", goals="Run again"))
    assert response.status_code == 200
    assert "from 0 (none) to 10 (worst)" in response.content.decode()
    assert "Run again</textarea>" in response.content.decode()
    assert IntakeInvitation.objects.get().used_at is None
    assert client.get(link).status_code == 200


def test_a_tampered_link_shows_a_plain_page(client, link, patient):
    tampered = link.rstrip("/")[:-3] + "abc/"
    for url in (tampered, "/intake/not-a-token/"):
        response = client.get(url)
        assert response.status_code == 404
        assert "This link is not valid" in response.content.decode()
        assert client.post(url, _form_data()).status_code == 404
    assert not patient.histories.exists()


def test_an_expired_link_shows_a_plain_page_and_changes_nothing(client, link, patient):
    with time_machine.travel(NOW + timedelta(days=7, minutes=1), tick=False):
        response = client.get(link)
        assert response.status_code == 410
        assert "This link expired on November 27, 2026" in response.content.decode()
        assert client.post(link, _form_data()).status_code == 410
    assert not patient.histories.exists()


def test_a_link_cannot_write_to_another_client(client, link, patient):
    other = ClientFactory(first_name="Henry")
    data = _form_data()
    data["client"] = str(other.pk)
    data["client_id"] = str(other.pk)
    assert client.post(link, data).status_code == 302
    assert patient.histories.count() == 1
    assert not other.histories.exists()
