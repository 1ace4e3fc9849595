"""Correcting an insurance policy on file: the service, the page, and what billing picks
after a policy is marked inactive."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clients.models import InsurancePolicy
from clients.referral_selectors import BillableVisit, visits_billing
from clients.referral_services import insurance_policy_update
from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
    PayerFactory,
)
from massageclinic.audit import AuditContext
from massageclinic.billing import TechniqueMinutes
from massageclinic.models import AuditEvent
from sessions.scheduling.paperwork import ClientPaperwork
from sessions.tests.factories import AppointmentFactory

pytestmark = pytest.mark.django_db

CONTEXT = AuditContext.system("test")


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 3, 20, 15, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def patient():
    return ClientFactory(first_name="Grace", last_name="Okafor")


@pytest.fixture
def policy(patient):
    return InsurancePolicyFactory(
        client=patient,
        payer=PayerFactory(name="Aetna"),
        member_id="W1234",
        group_number="G-77",
        subscriber_name="",
    )


def _update(policy: InsurancePolicy, **changes) -> InsurancePolicy:
    data = {
        "member_id": policy.member_id,
        "group_number": policy.group_number,
        "subscriber_name": policy.subscriber_name,
        "is_active": policy.is_active,
    } | changes
    return insurance_policy_update(policy=policy, context=CONTEXT, **data)


def _changes(policy: InsurancePolicy) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=AuditEvent.Action.CHANGE,
            object_type="clients.InsurancePolicy",
            object_id=policy.pk,
        )
    )


# --- The service ------------------------------------------------------------------


def test_it_corrects_the_member_id_group_and_subscriber(policy):
    _update(
        policy,
        member_id=" W1243 ",
        group_number="G-78",
        subscriber_name=" Ben Okafor ",
    )

    policy.refresh_from_db()
    assert (policy.member_id, policy.group_number, policy.subscriber_name) == (
        "W1243",
        "G-78",
        "Ben Okafor",
    )
    assert policy.payer.name == "Aetna"


def test_the_audit_row_names_what_changed(policy):
    _update(policy, member_id="W1243", is_active=False)

    [event] = _changes(policy)
    assert event.summary == "Insurance policy with Aetna: member id, active"
    assert event.client_id == policy.client_id
    assert event.path == "test"


def test_nothing_changed_writes_nothing(policy):
    with CaptureQueriesContext(connection) as queries:
        _update(policy, member_id=" W1234 ", group_number="G-77")

    assert not [q["sql"] for q in queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert not AuditEvent.objects.exists()


def test_a_member_id_on_another_policy_at_the_payer_is_refused(policy):
    InsurancePolicyFactory(
        client=ClientFactory(first_name="Ada", last_name="Lund"),
        payer=policy.payer,
        member_id="W9999",
    )

    with pytest.raises(ValidationError) as caught:
        _update(policy, member_id="W9999", group_number="G-1")

    assert caught.value.message_dict == {
        "member_id": [
            "Member id W9999 at Aetna is already on file for Ada Lund; check the card."
        ]
    }
    policy.refresh_from_db()
    assert (policy.member_id, policy.group_number) == ("W1234", "G-77")
    assert _changes(policy) == []


def test_the_same_member_id_at_another_payer_is_fine(policy):
    InsurancePolicyFactory(payer=PayerFactory(name="Cigna"), member_id="W9999")

    _update(policy, member_id="W9999")

    policy.refresh_from_db()
    assert policy.member_id == "W9999"


def test_a_member_id_is_required(policy):
    with pytest.raises(ValidationError) as caught:
        _update(policy, member_id="  ")

    assert caught.value.message_dict == {
        "member_id": ["Enter the member id from the card."]
    }


def test_a_policy_with_valid_authorizations_can_be_deactivated(policy):
    authorization = AuthorizationFactory(
        policy=policy, valid_from=date(2026, 3, 1), valid_to=date(2026, 6, 30)
    )

    _update(policy, is_active=False)

    policy.refresh_from_db()
    assert policy.is_active is False
    authorization.refresh_from_db()
    assert authorization.policy == policy
    [event] = _changes(policy)
    assert event.summary == "Insurance policy with Aetna: active"


def _new_visit(patient, day: date) -> BillableVisit:
    return BillableVisit(
        key=1,
        client_id=patient.pk,
        day=day,
        authorization=None,
        techniques=[TechniqueMinutes("97124", 30)],
    )


def test_billing_no_longer_picks_a_deactivated_policy_for_a_new_visit(patient, policy):
    cigna = InsurancePolicyFactory(client=patient, payer=PayerFactory(name="Cigna"))
    AuthorizationFactory(
        policy=policy, valid_from=date(2026, 3, 1), valid_to=date(2026, 6, 30)
    )
    day = date(2026, 3, 25)
    assert visits_billing([_new_visit(patient, day)])[1].policy == policy
    assert ClientPaperwork.load(patient).authorization_on(day).policy == policy

    _update(policy, is_active=False)

    assert visits_billing([_new_visit(patient, day)])[1].policy == cigna
    assert ClientPaperwork.load(patient).authorization_on(day) is None


def test_with_its_only_policy_deactivated_a_new_visit_has_no_payer(patient, policy):
    _update(policy, is_active=False)

    assert visits_billing([_new_visit(patient, date(2026, 3, 25))])[1].policy is None


# --- The page -----------------------------------------------------------------------


def _edit(patient, policy) -> str:
    return reverse("clients:policy_edit", args=[patient.pk, policy.pk])


def _post(policy, **changes) -> dict[str, object]:
    data = {
        "member_id": policy.member_id,
        "group_number": policy.group_number,
        "subscriber_name": policy.subscriber_name,
    }
    if policy.is_active:
        data["is_active"] = "on"
    return data | changes


def test_the_url_is_under_the_clients_policies():
    assert reverse("clients:policy_edit", args=[3, 7]) == "/clients/3/policies/7/edit/"


def test_anonymous_people_are_sent_to_log_in(client, patient, policy):
    response = client.get(_edit(patient, policy))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_a_therapist_may_not_use_the_form(client, therapist, patient, policy):
    AppointmentFactory(client=patient, therapist=therapist)
    client.force_login(therapist.user)

    assert client.get(_edit(patient, policy)).status_code == 403
    assert client.post(_edit(patient, policy), _post(policy)).status_code == 403
    policy.refresh_from_db()
    assert policy.member_id == "W1234"


def test_a_therapist_who_does_not_treat_the_client_gets_404(
    client, therapist, patient, policy
):
    client.force_login(therapist.user)
    assert client.get(_edit(patient, policy)).status_code == 404


def test_a_policy_of_another_client_gives_404(client, front_desk, patient):
    elsewhere = InsurancePolicyFactory()
    client.force_login(front_desk)

    assert client.get(_edit(patient, elsewhere)).status_code == 404
    assert client.post(_edit(patient, elsewhere), _post(elsewhere)).status_code == 404


@pytest.mark.parametrize("persona", ["front_desk", "manager"])
def test_the_form_starts_from_the_policy_and_its_read_is_audited(
    client, request, persona, patient, policy
):
    client.force_login(request.getfixturevalue(persona))

    response = client.get(_edit(patient, policy))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Edit the policy with Aetna" in page
    assert 'value="W1234"' in page
    assert 'value="G-77"' in page
    assert "a different payer is a new policy" in page
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW,
        object_type="clients.InsurancePolicy",
        object_id=policy.pk,
    ).exists()


def test_the_referrals_tab_links_each_policy_to_its_form(
    client, front_desk, patient, policy
):
    client.force_login(front_desk)

    page = client.get(reverse("clients:referrals", args=[patient.pk])).content.decode()

    assert f'href="{_edit(patient, policy)}"' in page
    assert 'Edit<span class="visually-hidden"> the policy with Aetna</span>' in page


def test_the_tab_shows_no_edit_link_to_a_treating_therapist(
    client, therapist, patient, policy
):
    AppointmentFactory(client=patient, therapist=therapist)
    client.force_login(therapist.user)

    page = client.get(reverse("clients:referrals", args=[patient.pk])).content.decode()

    assert _edit(patient, policy) not in page


@pytest.mark.parametrize("persona", ["front_desk", "manager"])
def test_saving_corrects_the_policy_and_returns_to_it(
    client, request, persona, patient, policy
):
    client.force_login(request.getfixturevalue(persona))

    response = client.post(
        _edit(patient, policy),
        _post(policy, member_id="W1243", subscriber_name="Ben Okafor", payer="x"),
    )

    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('clients:referrals', args=[patient.pk])}#policy-{policy.pk}"
    )
    policy.refresh_from_db()
    assert (policy.member_id, policy.subscriber_name) == ("W1243", "Ben Okafor")
    assert policy.payer.name == "Aetna"  # the disabled field ignores what is posted
    [event] = _changes(policy)
    assert event.summary == "Insurance policy with Aetna: member id, subscriber"
    page = client.get(response["Location"]).content.decode()
    assert "Policy with Aetna updated." in page
    assert "Member W1243" in page


def test_saving_without_changes_says_so_and_writes_nothing(
    client, front_desk, patient, policy
):
    client.force_login(front_desk)

    response = client.post(_edit(patient, policy), _post(policy), follow=True)

    assert "Nothing changed on the policy with Aetna." in response.content.decode()
    assert _changes(policy) == []


def test_deactivating_with_valid_authorizations_warns_they_stay_on_file(
    client, front_desk, patient, policy
):
    AuthorizationFactory(
        policy=policy, valid_from=date(2026, 3, 1), valid_to=date(2026, 6, 30)
    )
    AuthorizationFactory(
        policy=policy, valid_from=date(2025, 3, 1), valid_to=date(2025, 6, 30)
    )
    client.force_login(front_desk)
    data = _post(policy)
    del data["is_active"]

    response = client.post(_edit(patient, policy), data, follow=True)

    page = response.content.decode()
    assert (
        "Policy with Aetna updated and marked inactive: new visits are no longer "
        "billed to it. It has 1 authorization still valid today: its authorizations "
        "stay on file" in page
    )
    assert "Inactive" in page
    policy.refresh_from_db()
    assert policy.is_active is False


def test_deactivating_without_valid_authorizations_does_not_mention_them(
    client, front_desk, patient, policy
):
    client.force_login(front_desk)
    data = _post(policy)
    del data["is_active"]

    page = client.post(_edit(patient, policy), data, follow=True).content.decode()

    assert "marked inactive" in page
    assert "stay on file" not in page


def test_a_policy_can_be_made_active_again(client, front_desk, patient, policy):
    policy.is_active = False
    policy.save()
    client.force_login(front_desk)

    response = client.post(_edit(patient, policy), _post(policy, is_active="on"))

    assert response.status_code == 302
    policy.refresh_from_db()
    assert policy.is_active is True


def test_a_duplicate_member_id_shows_the_message_and_keeps_what_was_typed(
    client, front_desk, patient, policy
):
    InsurancePolicyFactory(
        client=ClientFactory(first_name="Ada", last_name="Lund"),
        payer=policy.payer,
        member_id="W9999",
    )
    client.force_login(front_desk)

    response = client.post(
        _edit(patient, policy),
        _post(policy, member_id="W9999", group_number="G-90", subscriber_name="Ben"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["member_id"] == [
        "Member id W9999 at Aetna is already on file for Ada Lund; check the card."
    ]
    page = response.content.decode()
    assert "Please correct the fields marked below" in page
    for value in ("W9999", "G-90", "Ben"):
        assert f'value="{value}"' in page
    policy.refresh_from_db()
    assert (policy.member_id, policy.group_number) == ("W1234", "G-77")
    assert _changes(policy) == []


def test_an_empty_member_id_is_refused(client, front_desk, patient, policy):
    client.force_login(front_desk)

    response = client.post(
        _edit(patient, policy), _post(policy, member_id=" ", group_number="G-90")
    )

    assert response.context["form"].errors["member_id"] == ["This field is required."]
    assert 'value="G-90"' in response.content.decode()
    policy.refresh_from_db()
    assert policy.group_number == "G-77"
