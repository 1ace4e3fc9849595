"""Intake rules: versions, the diff, renewal, and the client's signed link."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import connection

from clients.intake_services import (
    INTAKE_LINK_SALT,
    IntakeLinkError,
    history_diff,
    history_needs_renewal,
    history_submit,
    intake_invitation_create,
    intake_invitation_open,
    intake_invitation_submit,
    intake_invitation_token,
)
from clients.models import IntakeCondition, IntakeInvitation, MedicalHistory
from clients.tests.factories import ClientFactory
from massageclinic.audit import AuditContext
from massageclinic.models import ClinicPolicy, clinic_policy
from massageclinic.tests.factories import LocationFactory, UserFactory

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
LINK = AuditContext(user=None, path="/intake/a-signed-token/")


def answers(**changes) -> dict:
    data = {
        "chief_complaint": "Low back pain after lifting boxes",
        "pain_areas": ["lower_back"],
        "pain_level": 6,
        "onset": "Three weeks ago, moving house",
        "conditions": [IntakeCondition.LOW_BACK_PAIN],
        "medications": "Ibuprofen as needed",
        "allergies": "",
        "consent_name": "Grace Okafor",
    }
    data.update(changes)
    return data


@pytest.fixture
def staff(db):
    return UserFactory(username="staff")


@pytest.fixture
def client_(db):
    return ClientFactory(first_name="Grace", last_name="Okafor")


# --- Versions --------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_submission_is_a_new_version_and_none_is_edited(client_, staff):
    first = history_submit(
        context=AuditContext.system("test"),
        client=client_,
        data=answers(),
        submitted_by=staff,
        now=NOW,
    )
    later = NOW + timedelta(days=30)
    second = history_submit(
        context=AuditContext.system("test"),
        client=client_,
        data=answers(pain_level=3),
        submitted_by=None,
        now=later,
    )
    assert (first.version, second.version) == (1, 2)
    first.refresh_from_db()
    assert first.pain_level == 6
    assert second.submitted_by is None
    assert second.submitted_at == second.consent_signed_at == later
    assert client_.histories.count() == 2


@pytest.mark.django_db
def test_a_submission_adds_the_flags_it_calls_for(client_, staff):
    history = history_submit(
        context=AuditContext.system("test"),
        client=client_,
        data=answers(takes_anticoagulants=True, pregnant=True, pregnancy_weeks=20),
        submitted_by=staff,
        now=NOW,
    )
    flags = {f.condition.slug: f for f in client_.contraindications.all()}
    assert set(flags) == {"anticoagulants", "pregnancy"}
    assert flags["pregnancy"].history == history
    assert flags["pregnancy"].created_by == staff


@pytest.mark.django_db
def test_surgeries_are_stored_as_a_list_without_empty_rows(client_, staff):
    history = history_submit(
        context=AuditContext.system("test"),
        client=client_,
        data=answers(
            surgeries=[
                {
                    "procedure": " Knee arthroscopy ",
                    "date": date(2026, 11, 2),
                    "site": "knee_left",
                },
                {"procedure": "", "date": None, "site": ""},
                {"procedure": "Appendectomy", "date": "2001-06-01", "site": ""},
            ]
        ),
        submitted_by=staff,
        now=NOW,
    )
    assert history.surgeries == [
        {"procedure": "Knee arthroscopy", "date": "2026-11-02", "site": "knee_left"},
        {"procedure": "Appendectomy", "date": "2001-06-01", "site": ""},
    ]
    assert client_.contraindications.get().body_region == "knee_left"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"chief_complaint": "  "}, "chief_complaint", "Say what brings you in."),
        ({"pain_level": 11}, "pain_level", "from 0 (none) to 10"),
        ({"pregnant": True, "pregnancy_weeks": 43}, "pregnancy_weeks", "from 1 to 42"),
        ({"pregnancy_weeks": 12}, "pregnancy_weeks", "only apply when pregnant"),
        ({"consent_name": ""}, "consent_name", "Type your full name"),
        (
            {"surgeries": [{"procedure": "Hip", "date": "2026-11-21", "site": ""}]},
            "surgeries",
            "in the future",
        ),
        (
            {"surgeries": [{"procedure": "", "date": "2026-01-02", "site": ""}]},
            "surgeries",
            "say what the operation was",
        ),
        ({"pain_areas": ["elbow"]}, "pain_areas", "from the list"),
        ({"onset": "x" * 201}, "onset", "under 200 characters"),
    ],
)
@pytest.mark.django_db
def test_it_refuses_answers_a_person_must_correct(
    client_, staff, changes, field, message
):
    with pytest.raises(ValidationError) as caught:
        history_submit(
            context=AuditContext.system("test"),
            client=client_,
            data=answers(**changes),
            submitted_by=staff,
            now=NOW,
        )
    assert message in " ".join(caught.value.message_dict[field])
    assert not client_.histories.exists()
    assert not client_.contraindications.exists()


@pytest.mark.django_db
def test_a_surgery_today_in_the_clients_zone_is_not_in_the_future(staff):
    # 23:30 in Sydney is still the afternoon before in UTC.
    sydney = LocationFactory(time_zone="Australia/Sydney")
    client = ClientFactory(preferred_location=sydney)
    now = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)  # Nov 20, 23:30 in Sydney
    history = history_submit(
        context=AuditContext.system("test"),
        client=client,
        data=answers(surgeries=[{"procedure": "Stitches", "date": "2026-11-20"}]),
        submitted_by=staff,
        now=now,
    )
    assert history.surgeries[0]["date"] == "2026-11-20"


@pytest.mark.django_db
def test_an_archived_client_gets_no_new_history(staff):
    client = ClientFactory(archived_at=NOW)
    with pytest.raises(ValidationError, match="archived"):
        history_submit(
            context=AuditContext.system("test"),
            client=client,
            data=answers(),
            submitted_by=staff,
            now=NOW,
        )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("reference_data")
def test_two_submissions_at_once_get_consecutive_versions():
    client = ClientFactory()
    barrier = threading.Barrier(2)
    versions, errors = [], []

    def submit():
        try:
            barrier.wait()
            history = history_submit(
                context=AuditContext.system("test"),
                client=client,
                data=answers(),
                submitted_by=None,
                now=NOW,
            )
            versions.append(history.version)
        except Exception as error:  # reported by the assertion below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(versions) == [1, 2]


# --- The diff --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_diff_lists_each_changed_answer_in_words(client_, staff):
    before = history_submit(
        context=AuditContext.system("test"),
        client=client_,
        data=answers(conditions=[IntakeCondition.NECK_PAIN]),
        submitted_by=staff,
        now=NOW,
    )
    after = history_submit(
        context=AuditContext.system("test"),
        client=client_,
        data=answers(
            pain_level=3,
            pain_areas=["lower_back", "hip_glute_left"],
            conditions=[IntakeCondition.NECK_PAIN, IntakeCondition.NEUROPATHY],
            takes_anticoagulants=True,
            surgeries=[
                {
                    "procedure": "Hip replacement",
                    "date": "2026-10-01",
                    "site": "hip_glute_left",
                }
            ],
            consent_name="Grace A. Okafor",
        ),
        submitted_by=staff,
        now=NOW + timedelta(days=40),
    )
    changes = {
        c.label: (c.before, c.after)
        for c in history_diff(current=after, previous=before)
    }
    assert changes == {
        "Where it hurts": ("Lower back", "Lower back, Left hip and glute"),
        "Pain (0-10)": ("6/10", "3/10"),
        "Conditions": ("Neck pain", "Neck pain, Neuropathy"),
        "Surgeries": ("(none)", "Hip replacement, Oct 1, 2026, left hip and glute"),
        "Takes anticoagulants (blood thinners)": ("No", "Yes"),
    }


@pytest.mark.django_db
def test_the_diff_of_a_first_version_or_an_unchanged_one_is_empty(client_, staff):
    first = history_submit(
        context=AuditContext.system("test"),
        client=client_,
        data=answers(),
        submitted_by=staff,
        now=NOW,
    )
    same = history_submit(
        context=AuditContext.system("test"),
        client=client_,
        data=answers(),
        submitted_by=None,
        now=NOW,
    )
    assert history_diff(current=first, previous=None) == []
    assert history_diff(current=same, previous=first) == []


# --- Renewal ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("months", "today", "needs_renewal"),
    [
        (12, date(2027, 11, 20), False),  # exactly 12 months: still current
        (12, date(2027, 11, 21), True),
        (6, date(2027, 5, 20), False),
        (6, date(2027, 5, 21), True),
    ],
)
@pytest.mark.django_db
def test_a_history_older_than_the_clinics_setting_needs_renewal(
    client_, staff, months, today, needs_renewal
):
    ClinicPolicy.objects.update_or_create(
        pk=1, defaults={"intake_renewal_months": months}
    )
    history = history_submit(
        context=AuditContext.system("test"),
        client=client_,
        data=answers(),
        submitted_by=staff,
        now=NOW,
    )
    assert history_needs_renewal(history=history, today=today) is needs_renewal


@pytest.mark.django_db
def test_renewal_counts_months_from_a_month_end():
    clinic_policy()
    history = MedicalHistory(submitted_at=datetime(2026, 1, 31, 12, tzinfo=UTC))
    ClinicPolicy.objects.filter(pk=1).update(intake_renewal_months=1)
    assert not history_needs_renewal(history=history, today=date(2026, 2, 28))
    assert history_needs_renewal(history=history, today=date(2026, 3, 1))


def test_no_history_needs_one():
    assert history_needs_renewal(history=None, today=date(2026, 1, 1))


# --- The signed link -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_link_expires_after_seven_days_and_its_email_is_queued(client_, staff):
    invitation = intake_invitation_create(client=client_, by=staff, now=NOW)
    assert invitation.expires_at == NOW + timedelta(days=7)
    assert invitation.sent_to == client_.email
    (email,) = client_.reminders.all()
    assert (email.kind, email.status, email.to_email) == (
        "intake_request",
        "pending",
        client_.email,
    )
    assert email.send_at == NOW
    assert email.appointment is None


@pytest.mark.parametrize(
    ("client_fields", "reason"),
    [
        ({"email": ""}, "no email address"),
        ({"email_reminders": False}, "client opted out of email"),
    ],
)
@pytest.mark.django_db
def test_a_link_without_email_is_recorded_as_skipped(staff, client_fields, reason):
    client = ClientFactory(**client_fields)
    invitation = intake_invitation_create(client=client, by=staff, now=NOW)
    assert invitation.sent_to == ""
    (email,) = client.reminders.all()
    assert (email.status, email.skip_reason) == ("skipped", reason)


@pytest.mark.django_db
def test_the_link_opens_its_own_invitation(client_, staff):
    invitation = intake_invitation_create(client=client_, by=staff, now=NOW)
    token = intake_invitation_token(invitation)
    opened = intake_invitation_open(token=token, now=NOW + timedelta(days=6))
    assert opened == invitation
    assert opened.client == client_


@pytest.mark.django_db
def test_a_tampered_link_is_refused(client_, staff):
    invitation = intake_invitation_create(client=client_, by=staff, now=NOW)
    token = intake_invitation_token(invitation)
    forged = signing.dumps(invitation.pk + 1, salt="another.salt")
    for bad in [token[:-2] + "xx", forged, "nonsense", ""]:
        with pytest.raises(IntakeLinkError, match="not valid") as caught:
            intake_invitation_open(token=bad, now=NOW)
        assert caught.value.code == "invalid"


@pytest.mark.django_db
def test_a_link_to_a_missing_invitation_is_refused():
    token = signing.dumps(987654, salt=INTAKE_LINK_SALT)
    with pytest.raises(IntakeLinkError, match="no longer valid"):
        intake_invitation_open(token=token, now=NOW)


@pytest.mark.django_db
def test_an_expired_link_is_refused_and_changes_nothing(client_, staff):
    invitation = intake_invitation_create(client=client_, by=staff, now=NOW)
    token = intake_invitation_token(invitation)
    later = NOW + timedelta(days=7)
    with pytest.raises(IntakeLinkError, match="expired on November 27, 2026") as caught:
        intake_invitation_submit(token=token, data=answers(), now=later, context=LINK)
    assert caught.value.code == "expired"
    assert not client_.histories.exists()
    invitation.refresh_from_db()
    assert invitation.used_at is None


@pytest.mark.django_db
def test_a_link_works_once(client_, staff):
    invitation = intake_invitation_create(client=client_, by=staff, now=NOW)
    token = intake_invitation_token(invitation)
    history = intake_invitation_submit(
        token=token, data=answers(dvt_history=True), now=NOW, context=LINK
    )
    invitation.refresh_from_db()
    assert invitation.used_at == NOW
    assert invitation.history == history
    assert history.submitted_by is None
    assert client_.contraindications.get().condition.slug == "dvt-history"
    with pytest.raises(IntakeLinkError, match="already sent") as caught:
        intake_invitation_submit(
            token=token, data=answers(), now=NOW + timedelta(hours=1), context=LINK
        )
    assert caught.value.code == "used"
    assert client_.histories.count() == 1


@pytest.mark.django_db
def test_a_link_only_ever_writes_its_own_clients_history(staff):
    alice = ClientFactory(first_name="Alice")
    bob = ClientFactory(first_name="Bob")
    alice_link = intake_invitation_token(
        intake_invitation_create(client=alice, by=staff, now=NOW)
    )
    intake_invitation_create(client=bob, by=staff, now=NOW)
    history = intake_invitation_submit(
        token=alice_link, data=answers(), now=NOW, context=LINK
    )
    assert history.client == alice
    assert not bob.histories.exists()
    # Data cannot redirect it either: the client is not a field of the answers.
    with pytest.raises(ValueError, match="client"):
        history_submit(
            context=AuditContext.system("test"),
            client=alice,
            data={**answers(), "client": bob},
            submitted_by=None,
            now=NOW,
        )


@pytest.mark.django_db
def test_a_link_with_bad_answers_stays_unused(client_, staff):
    invitation = intake_invitation_create(client=client_, by=staff, now=NOW)
    with pytest.raises(ValidationError):
        intake_invitation_submit(
            token=intake_invitation_token(invitation),
            data=answers(consent_name=""),
            now=NOW,
            context=LINK,
        )
    invitation.refresh_from_db()
    assert invitation.used_at is None
    assert IntakeInvitation.objects.get().history is None


@pytest.mark.django_db
def test_an_archived_client_gets_no_link(staff):
    with pytest.raises(ValidationError, match="archived"):
        intake_invitation_create(
            client=ClientFactory(archived_at=NOW), by=staff, now=NOW
        )
