"""Services and selectors write their own audit rows, inside their own transaction.

A view, the client's signed link and the admin each build one `AuditContext`; the
service records the change with it only when the change commits, and a read of
health data is recorded by the selector that reads it (DESIGN.md sections 3 and 6).
"""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from clients.client_services import (
    client_archive,
    client_create,
    client_unarchive,
    client_update,
)
from clients.intake_services import (
    history_for_reading,
    history_for_renewal,
    history_submit,
    history_version_for_reading,
    intake_invitation_create,
    intake_invitation_submit,
    intake_invitation_token,
)
from clients.models import Condition, IntakeCondition
from clients.referral_selectors import (
    active_authorizations_for_reading,
    client_referrals_for_reading,
)
from clients.referral_services import (
    ReferralDetails,
    authorization_create,
    insurance_policy_create,
    referral_create,
)
from clients.selectors import (
    client_notes_for_reading,
    client_overview_for_reading,
    client_plans_for_reading,
)
from clients.services import (
    contraindication_add,
    contraindication_resolve,
    contraindication_update,
)
from clients.tests.factories import (
    ClientFactory,
    InsurancePolicyFactory,
    PayerFactory,
    ReferringProviderFactory,
)
from clients.views import chart, intake, referrals
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.app_role import forget_audit_rows

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
TODAY = date(2026, 11, 20)


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
def desk_context(front_desk):
    return AuditContext(
        user=front_desk, ip_address="203.0.113.7", path="/clients/42/somewhere/"
    )


@pytest.fixture
def manager_context(manager):
    return AuditContext(
        user=manager, ip_address="198.51.100.4", path="/clients/42/history/"
    )


def _answers(**changes) -> dict:
    return {
        "chief_complaint": "Low back pain after lifting boxes",
        "pain_areas": ["lower_back"],
        "pain_level": 6,
        "conditions": [IntakeCondition.LOW_BACK_PAIN],
        "medications": "Warfarin 5 mg daily",
        "takes_anticoagulants": True,
        "consent_name": "Grace Okafor",
        **changes,
    }


def _details(**changes) -> ReferralDetails:
    fields = {
        "referred_on": TODAY - timedelta(days=3),
        "diagnosis_codes": ["M54.50"],
        "diagnosis_text": "Low back pain",
        "visits_authorized": 12,
        "expires_on": TODAY + timedelta(days=90),
        "cpt_codes": ["97124"],
        **changes,
    }
    return ReferralDetails(**fields)


def _only_event() -> AuditEvent:
    events = list(AuditEvent.objects.all())
    assert len(events) == 1, [(e.action, e.summary) for e in events]
    return events[0]


def _assert_from(event: AuditEvent, context: AuditContext) -> None:
    assert event.user == context.user
    assert event.ip_address == context.ip_address
    assert event.path == context.path


# --- (1) A service called directly, with no view, records its own change ------------


def test_a_history_submitted_without_a_view_is_recorded_once_with_each_flag(
    patient, manager, manager_context
):
    history = history_submit(
        client=patient,
        data=_answers(),
        submitted_by=manager,
        now=NOW,
        context=manager_context,
    )
    event, flag_event = AuditEvent.objects.order_by("pk")
    _assert_from(event, manager_context)
    assert event.action == AuditEvent.Action.CREATE
    assert (event.client_id, event.object_id) == (patient.pk, history.pk)
    assert event.object_type == "clients.MedicalHistory"
    assert event.summary == "Recorded medical history v1"
    # Each flag the history raised has its own row, from the same context.
    flag = patient.contraindications.get()
    assert flag.condition.slug == "anticoagulants"
    _assert_from(flag_event, manager_context)
    assert (flag_event.action, flag_event.object_type, flag_event.object_id) == (
        AuditEvent.Action.CREATE,
        "clients.Contraindication",
        flag.pk,
    )
    assert flag_event.summary == (
        "Flag added from the history v1: Anticoagulant medication (Warfarin 5 mg daily)"
    )


def test_a_flag_added_changed_and_resolved_without_a_view_is_recorded_each_time(
    patient, manager, manager_context
):
    flag = contraindication_add(
        client=patient,
        condition=Condition.objects.get(slug="fever"),
        severity="absolute",
        by=manager,
        context=manager_context,
    )
    event = _only_event()
    _assert_from(event, manager_context)
    assert (event.action, event.object_id) == (AuditEvent.Action.CREATE, flag.pk)
    assert event.summary == "Added safety flag: Fever"

    contraindication_update(
        flag=flag, by=manager, context=manager_context, detail="38.5 °C"
    )
    contraindication_resolve(flag=flag, by=manager, now=NOW, context=manager_context)
    changes = AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE)
    assert [e.summary for e in changes.order_by("pk")] == [
        "Changed safety flag: Fever",
        "Resolved safety flag: Fever",
    ]
    assert {(e.user, e.ip_address, e.path) for e in changes} == {
        (manager, "198.51.100.4", "/clients/42/history/")
    }


def test_a_referral_policy_and_authorization_without_a_view_are_recorded(
    patient, desk_context
):
    referral = referral_create(
        client=patient,
        details=_details(),
        provider=ReferringProviderFactory(),
        today=TODAY,
        context=desk_context,
    )
    event = _only_event()
    _assert_from(event, desk_context)
    assert (event.action, event.object_type, event.object_id) == (
        AuditEvent.Action.CREATE,
        "clients.Referral",
        referral.pk,
    )
    assert event.summary == "Referral M54.50"

    policy = insurance_policy_create(
        client=patient,
        payer=PayerFactory(name="Aetna"),
        member_id="W123",
        context=desk_context,
    )
    authorization = authorization_create(
        policy=policy,
        number="A-77",
        valid_from=TODAY,
        valid_to=TODAY + timedelta(days=60),
        visits_authorized=8,
        context=desk_context,
    )
    later = AuditEvent.objects.exclude(pk=event.pk).order_by("pk")
    assert [(e.object_type, e.object_id, e.client_id, e.summary) for e in later] == [
        (
            "clients.InsurancePolicy",
            policy.pk,
            patient.pk,
            "Insurance policy with Aetna",
        ),
        ("clients.Authorization", authorization.pk, patient.pk, "Authorization A-77"),
    ]
    assert {(e.user, e.path) for e in later} == {(desk_context.user, desk_context.path)}


def test_a_client_registered_changed_and_archived_without_a_view_is_recorded(
    front_desk, desk_context
):
    grace = client_create(
        by=front_desk,
        today=TODAY,
        context=desk_context,
        first_name="Grace",
        last_name="Okafor",
        phone="555 010 0199",
    )
    event = _only_event()
    _assert_from(event, desk_context)
    assert (event.action, event.client_id) == (AuditEvent.Action.CREATE, grace.pk)

    client_update(
        client=grace,
        by=front_desk,
        today=TODAY,
        context=desk_context,
        phone="555 010 0200",
        first_name="Grace",
    )
    changed = AuditEvent.objects.get(action=AuditEvent.Action.CHANGE)
    # The fields that changed, never their values.
    assert changed.summary == "Changed phone"
    # Saving the same values again changes nothing and records nothing.
    client_update(
        client=grace,
        by=front_desk,
        today=TODAY,
        context=desk_context,
        phone="555 010 0200",
    )
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE).count() == 1

    client_archive(client=grace, by=front_desk, now=NOW, context=desk_context)
    client_unarchive(client=grace, by=front_desk, context=desk_context)
    assert list(
        AuditEvent.objects.filter(action=AuditEvent.Action.CHANGE)
        .order_by("pk")
        .values_list("summary", flat=True)
    ) == ["Changed phone", "Archived the client", "Unarchived the client"]


# --- (2) No change, no row -----------------------------------------------------------


def test_a_refused_change_leaves_no_audit_row(patient, manager, manager_context):
    with pytest.raises(ValidationError):
        history_submit(
            client=patient,
            data=_answers(consent_name=""),
            submitted_by=manager,
            now=NOW,
            context=manager_context,
        )
    with pytest.raises(ValidationError):
        contraindication_add(
            client=patient,
            condition=Condition.objects.get(slug="recent-surgery"),
            severity="regional",
            body_region="",
            by=manager,
            context=manager_context,
        )
    with pytest.raises(ValidationError):
        referral_create(
            client=patient,
            details=_details(referred_on=TODAY + timedelta(days=1)),
            provider=ReferringProviderFactory(),
            today=TODAY,
            context=manager_context,
        )
    with pytest.raises(ValidationError):
        client_unarchive(client=patient, by=manager, context=manager_context)
    assert not AuditEvent.objects.exists()


def test_a_lost_duplicate_authorization_leaves_no_audit_row(patient, desk_context):
    policy = InsurancePolicyFactory(client=patient)
    fields = {
        "policy": policy,
        "number": "A-1",
        "valid_from": TODAY,
        "valid_to": TODAY + timedelta(days=30),
        "visits_authorized": 6,
        "context": desk_context,
    }
    authorization_create(**fields)
    with pytest.raises(ValidationError, match="already on file"):
        authorization_create(**fields)
    assert AuditEvent.objects.count() == 1


def test_when_the_surrounding_transaction_rolls_back_no_audit_row_remains(
    patient, manager, front_desk, manager_context, desk_context
):
    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        history_submit(
            client=patient,
            data=_answers(),
            submitted_by=manager,
            now=NOW,
            context=manager_context,
        )
        client_archive(client=patient, by=front_desk, now=NOW, context=desk_context)
        # The history, its flag and the archiving: written inside, not after.
        assert AuditEvent.objects.count() == 3
        raise Abandoned

    patient.refresh_from_db()
    assert patient.archived_at is None
    assert not patient.histories.exists()
    assert not AuditEvent.objects.exists()


def test_a_refused_form_on_a_page_leaves_no_audit_row(client, manager, patient):
    client.force_login(manager)
    response = client.post(
        reverse("clients:flag_add", args=[patient.pk]),
        {
            "condition": Condition.objects.get(slug="recent-surgery").pk,
            "severity": "regional",
            "body_region": "",
        },
    )
    assert response.status_code == 200
    assert not patient.contraindications.exists()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).exists()


# --- (3) The client's own link -------------------------------------------------------


def test_a_link_submission_is_recorded_with_its_path_and_no_user(patient, front_desk):
    invitation = intake_invitation_create(client=patient, by=front_desk, now=NOW)
    token = intake_invitation_token(invitation)
    link = AuditContext(user=None, ip_address="192.0.2.55", path=f"/intake/{token}/")
    history = intake_invitation_submit(
        token=token, data=_answers(), now=NOW, context=link
    )
    event, flag_event = AuditEvent.objects.order_by("pk")
    _assert_from(event, link)
    _assert_from(flag_event, link)  # the flag the client's answers raised
    assert (event.action, event.client_id, event.object_id) == (
        AuditEvent.Action.CREATE,
        patient.pk,
        history.pk,
    )
    assert event.summary == "Client sent medical history v1 by link"


def test_a_used_link_records_nothing(patient, front_desk):
    invitation = intake_invitation_create(client=patient, by=front_desk, now=NOW)
    token = intake_invitation_token(invitation)
    link = AuditContext(user=None, path=f"/intake/{token}/")
    intake_invitation_submit(token=token, data=_answers(), now=NOW, context=link)
    recorded = AuditEvent.objects.count()  # the history and its flag
    with pytest.raises(ValidationError, match="already sent"):
        intake_invitation_submit(token=token, data=_answers(), now=NOW, context=link)
    assert AuditEvent.objects.count() == recorded == 2


def test_the_link_page_records_the_client_not_a_staff_login_on_that_browser(
    client, patient, front_desk
):
    invitation = intake_invitation_create(client=patient, by=front_desk, now=NOW)
    path = reverse("clients:intake_public", args=[intake_invitation_token(invitation)])
    # Staff hand their logged-in tablet to the client, who fills in their own form.
    client.force_login(front_desk)
    response = client.post(
        path,
        {
            "chief_complaint": "Low back pain",
            "pain_areas": ["lower_back"],
            "pain_level": "5",
            "consent_name": "Grace Okafor",
            "consent_agreed": "on",
            "surgeries-TOTAL_FORMS": "0",
            "surgeries-INITIAL_FORMS": "0",
        },
        REMOTE_ADDR="192.0.2.80",
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    event = _only_event()
    assert event.user is None
    assert (event.path, event.ip_address) == (path, "192.0.2.80")


# --- (4) Reads of health data go through a selector that records them ------------------


def test_reading_the_history_through_its_selector_records_a_view(
    patient, manager, manager_context
):
    history_submit(
        client=patient,
        data=_answers(),
        submitted_by=manager,
        now=NOW,
        context=manager_context,
    )
    forget_audit_rows()  # the submit's own row; the read is tested here

    reading = history_for_reading(patient, context=manager_context)
    assert [h.version for h in reading.versions] == [1]
    assert [f.condition.slug for f in reading.flags] == ["anticoagulants"]
    event = _only_event()
    _assert_from(event, manager_context)
    assert (event.action, event.object_type, event.object_id) == (
        AuditEvent.Action.VIEW,
        "clients.MedicalHistory",
        reading.current.pk,
    )
    assert event.summary == "Viewed medical history v1 and safety flags"


def test_every_history_read_records_a_view(patient, manager, manager_context):
    history_submit(
        client=patient,
        data=_answers(),
        submitted_by=manager,
        now=NOW,
        context=manager_context,
    )
    forget_audit_rows()  # the submit's own row; the reads are tested here
    assert history_version_for_reading(patient, 1, context=manager_context) is not None
    assert history_version_for_reading(patient, 9, context=manager_context) is None
    assert history_for_renewal(patient, context=manager_context).version == 1
    assert list(AuditEvent.objects.order_by("pk").values_list("action", "summary")) == [
        ("view", "Viewed medical history v1"),
        ("view", "Opened medical history v1 to renew it"),
    ]


def test_chart_and_referral_reads_record_a_view(patient, manager, manager_context):
    client_overview_for_reading(
        client=patient, now=NOW, today=TODAY, reads_health=True, context=manager_context
    )
    client_plans_for_reading(patient, with_goals=True, context=manager_context)
    client_notes_for_reading(patient, reads_health=True, context=manager_context)
    client_referrals_for_reading(client=patient, today=TODAY, context=manager_context)
    active_authorizations_for_reading(today=TODAY, context=manager_context)
    events = list(AuditEvent.objects.order_by("pk"))
    assert [e.summary for e in events] == [
        "Opened the chart overview",
        "Viewed the treatment plans",
        "Viewed the SOAP notes",
        "Referrals and authorizations: 0 referrals, 0 authorizations",
        "List of active authorizations (0 shown)",
    ]
    assert {(e.action, e.user, e.path) for e in events} == {
        ("view", manager, "/clients/42/history/")
    }


def test_a_read_without_health_detail_records_nothing(patient, desk_context):
    client_overview_for_reading(
        client=patient, now=NOW, today=TODAY, reads_health=False, context=desk_context
    )
    client_plans_for_reading(patient, with_goals=False, context=desk_context)
    client_notes_for_reading(patient, reads_health=False, context=desk_context)
    assert not AuditEvent.objects.exists()


# --- The views only hand a context on --------------------------------------------------


@pytest.mark.parametrize("module", [chart, intake, referrals])
def test_no_clients_view_writes_an_audit_row_itself(module):
    source = inspect.getsource(module)
    assert "audit(" not in source
    assert "audit_record(" not in source
    assert "AuditContext.from_request(request)" in source


def test_the_admins_archive_action_is_recorded_with_the_admins_request(
    admin_client, admin_user, patient
):
    url = reverse("admin:clients_client_changelist")
    response = admin_client.post(
        url,
        {"action": "archive", "_selected_action": [patient.pk]},
        REMOTE_ADDR="10.0.0.9",
    )
    assert response.status_code == 302
    event = _only_event()
    assert (event.user, event.ip_address, event.path) == (admin_user, "10.0.0.9", url)
    assert (event.action, event.summary) == (
        AuditEvent.Action.CHANGE,
        "Archived the client",
    )


def test_an_authorization_is_not_saved_in_the_admin_so_nothing_goes_unaudited(
    admin_client, patient
):
    # Until the clients admin became view-only it saved authorizations with its own
    # checks and audit rows; now only their page, through the service, writes them.
    policy = InsurancePolicyFactory(client=patient)
    authorization = authorization_create(
        policy=policy,
        referral=None,
        number="A-9",
        visits_authorized=6,
        units_authorized=None,
        valid_from=date(2026, 11, 20),
        valid_to=date(2026, 12, 31),
        context=AuditContext.system("test"),
    )
    forget_audit_rows()
    data = {
        "policy": policy.pk,
        "number": "A-10",
        "visits_authorized": "60",
        "valid_from": "2026-11-20",
        "valid_to": "2026-12-31",
    }
    add_url = reverse("admin:clients_authorization_add")
    change_url = reverse("admin:clients_authorization_change", args=[authorization.pk])

    added = admin_client.post(add_url, {**data, "number": "A-11"})
    changed = admin_client.post(change_url, data)

    assert (added.status_code, changed.status_code) == (403, 403)
    assert list(policy.authorizations.values_list("number", "visits_authorized")) == [
        ("A-9", 6)
    ]
    assert not AuditEvent.objects.exists()


def test_an_authorization_is_not_added_inline_on_its_policy_in_the_admin(
    admin_client, patient
):
    policy = InsurancePolicyFactory(client=patient)
    url = reverse("admin:clients_insurancepolicy_change", args=[policy.pk])
    response = admin_client.post(
        url,
        {
            "client": patient.pk,
            "payer": policy.payer_id,
            "member_id": policy.member_id,
            "group_number": policy.group_number,
            "subscriber_name": policy.subscriber_name,
            "is_active": "on" if policy.is_active else "",
            "authorizations-TOTAL_FORMS": "1",
            "authorizations-INITIAL_FORMS": "0",
            "authorizations-0-number": "B-1",
            "authorizations-0-visits_authorized": "4",
            "authorizations-0-valid_from": "2026-11-20",
            "authorizations-0-valid_to": "2026-12-31",
            "authorizations-0-policy": policy.pk,
        },
    )
    assert response.status_code == 403
    assert not policy.authorizations.exists()
    assert not AuditEvent.objects.exists()
