"""Insurance policies and authorizations: the forms, and the front desk's list."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine
from django.urls import reverse

from clients.models import Authorization, InsurancePolicy, Payer
from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
    PayerFactory,
    ReferralFactory,
)
from massageclinic.models import AuditEvent
from sessions.tests.factories import AppointmentFactory, visit_with_note

pytestmark = pytest.mark.django_db

LIST = "/authorizations/"


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
        client=patient, payer=PayerFactory(name="Empire Health"), member_id="XJH1"
    )


def _policy_add(patient) -> str:
    return reverse("clients:policy_add", args=[patient.pk])


def _auth_add(patient) -> str:
    return reverse("clients:authorization_add", args=[patient.pk])


# --- Access -----------------------------------------------------------------------


def test_the_list_url_is_the_one_the_navigation_links_to():
    assert reverse("clients:authorizations") == LIST


def test_anonymous_people_are_sent_to_log_in(client, patient):
    for url in (LIST, _policy_add(patient), _auth_add(patient)):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login"))


def test_a_therapist_may_not_use_the_list_nor_the_forms(
    client, therapist, patient, policy
):
    AppointmentFactory(client=patient, therapist=therapist)
    auth = AuthorizationFactory(policy=policy)
    client.force_login(therapist.user)

    assert client.get(LIST).status_code == 403
    assert client.get(_policy_add(patient)).status_code == 403
    assert client.get(_auth_add(patient)).status_code == 403
    edit = reverse("clients:authorization_edit", args=[patient.pk, auth.pk])
    assert client.post(edit, {}).status_code == 403


def test_a_therapist_who_does_not_treat_the_client_gets_404(client, therapist, patient):
    client.force_login(therapist.user)
    assert client.get(_policy_add(patient)).status_code == 404
    assert client.get(_auth_add(patient)).status_code == 404


# --- Policy -------------------------------------------------------------------------


def test_the_front_desk_adds_a_policy_with_a_payer_from_the_list(
    client, front_desk, patient
):
    payer = PayerFactory(name="Empire Health")
    client.force_login(front_desk)

    response = client.post(
        _policy_add(patient),
        {
            "payer": payer.pk,
            "member_id": " XJH123 ",
            "group_number": "G-77",
            "subscriber_name": "Grace Okafor",
        },
    )

    assert response.status_code == 302
    policy = InsurancePolicy.objects.get()
    assert (policy.client, policy.payer, policy.member_id) == (patient, payer, "XJH123")
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).count() == 1


def test_a_new_payer_is_added_once(client, front_desk, patient):
    PayerFactory(name="Aetna")
    client.force_login(front_desk)

    client.post(_policy_add(patient), {"new_payer_name": "aetna", "member_id": "1"})
    client.post(_policy_add(patient), {"new_payer_name": "Cigna", "member_id": "2"})

    assert sorted(Payer.objects.values_list("name", flat=True)) == ["Aetna", "Cigna"]
    assert InsurancePolicy.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"member_id": "1"}, "payer", "Choose the payer, or enter a new payer's name."),
        ({"new_payer_name": "Cigna"}, "member_id", "This field is required."),
    ],
)
def test_the_policy_form_names_what_is_missing(
    client, front_desk, patient, data, field, message
):
    client.force_login(front_desk)
    response = client.post(_policy_add(patient), data)
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]


def test_a_member_id_already_on_file_is_refused_clearly(client, front_desk, policy):
    other = ClientFactory()
    client.force_login(front_desk)

    response = client.post(
        _policy_add(other), {"payer": policy.payer_id, "member_id": "XJH1"}
    )

    assert response.context["form"].errors["member_id"] == [
        "Member id XJH1 at Empire Health is already on file for Grace Okafor; "
        "check the card."
    ]


# --- Authorization ------------------------------------------------------------------


def _auth_post(policy, **changes) -> dict[str, object]:
    data = {
        "policy": policy.pk,
        "referral": "",
        "number": "A-778",
        "visits_authorized": "12",
        "units_authorized": "",
        "valid_from": "2026-03-01",
        "valid_to": "2026-06-30",
    }
    data.update(changes)
    return data


def test_the_front_desk_records_an_authorization(client, front_desk, patient, policy):
    referral = ReferralFactory(client=patient)
    client.force_login(front_desk)

    response = client.post(
        _auth_add(patient),
        _auth_post(policy, referral=referral.pk, units_authorized="48"),
    )

    assert response.status_code == 302
    auth = Authorization.objects.get()
    assert (auth.policy, auth.referral, auth.number) == (policy, referral, "A-778")
    assert (auth.visits_authorized, auth.units_authorized) == (12, 48)
    assert AuditEvent.objects.get().object_type == "clients.Authorization"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"visits_authorized": "", "units_authorized": ""},
            "visits_authorized",
            "Enter the visits authorized, the units authorized, or both.",
        ),
        (
            {"valid_from": "2026-06-30", "valid_to": "2026-03-01"},
            "valid_to",
            "The authorization cannot end before it starts (Jun 30, 2026); check both "
            "dates.",
        ),
        (
            {"units_authorized": "0"},
            "units_authorized",
            "Ensure this value is greater than or equal to 1.",
        ),
        ({"valid_to": "not a date"}, "valid_to", "Enter a valid date."),
        ({"number": "  "}, "number", "This field is required."),
    ],
)
def test_the_authorization_form_names_what_is_wrong(
    client, front_desk, patient, policy, changes, field, message
):
    client.force_login(front_desk)

    response = client.post(_auth_add(patient), _auth_post(policy, **changes))

    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    assert not Authorization.objects.exists()


def test_a_duplicate_number_on_the_same_policy_is_refused(
    client, front_desk, patient, policy
):
    AuthorizationFactory(policy=policy, number="A-778")
    client.force_login(front_desk)

    response = client.post(_auth_add(patient), _auth_post(policy))

    assert response.context["form"].errors["number"] == [
        "Authorization A-778 is already on file for this policy."
    ]


def test_another_clients_policy_or_referral_cannot_be_chosen(
    client, front_desk, patient, policy
):
    elsewhere = AuthorizationFactory()
    foreign_referral = ReferralFactory()
    client.force_login(front_desk)

    response = client.post(
        _auth_add(patient),
        _auth_post(elsewhere.policy, referral=foreign_referral.pk),
    )

    errors = response.context["form"].errors
    assert "Select a valid choice" in errors["policy"][0]
    assert "Select a valid choice" in errors["referral"][0]


def test_without_a_policy_the_form_says_to_add_one_first(client, front_desk, patient):
    client.force_login(front_desk)
    page = client.get(_auth_add(patient)).content.decode()
    assert "this client has none yet" in page
    assert _policy_add(patient) in page


def test_an_authorization_is_corrected_through_its_edit_form(
    client, manager, patient, policy
):
    auth = AuthorizationFactory(policy=policy, number="A-1", visits_authorized=6)
    url = reverse("clients:authorization_edit", args=[patient.pk, auth.pk])
    client.force_login(manager)

    assert 'value="A-1"' in client.get(url).content.decode()
    response = client.post(url, _auth_post(policy, number="A-1", visits_authorized="8"))

    assert response.status_code == 302
    auth.refresh_from_db()
    assert auth.visits_authorized == 8


def test_an_authorization_of_another_client_is_not_found_here(
    client, front_desk, patient
):
    elsewhere = AuthorizationFactory()
    client.force_login(front_desk)
    url = reverse("clients:authorization_edit", args=[patient.pk, elsewhere.pk])
    assert client.get(url).status_code == 404


# --- The list -----------------------------------------------------------------------


def test_the_list_shows_active_authorizations_with_bars_and_warnings(
    client, front_desk, patient, policy
):
    near = AuthorizationFactory(
        policy=policy,
        number="A-NEAR",
        visits_authorized=5,
        units_authorized=20,
        valid_to=date(2026, 3, 30),
    )
    for _ in range(4):
        visit_with_note(client=patient, authorization=near, minutes={"swedish": 53})
    AuthorizationFactory(number="A-CALM", valid_to=date(2026, 9, 1))
    AuthorizationFactory(
        number="A-OLD", valid_from=date(2026, 1, 1), valid_to=date(2026, 3, 19)
    )
    client.force_login(front_desk)

    response = client.get(LIST)

    page = response.content.decode()
    assert "A-NEAR" in page and "A-CALM" in page and "A-OLD" not in page
    assert page.index("A-NEAR") < page.index("A-CALM")
    assert reverse("clients:referrals", args=[patient.pk]) in page
    assert 'aria-valuetext="4 of 5 visits used"' in page
    assert 'aria-valuetext="16 of 20 units used"' in page
    assert "4 of 5 authorized visits used (80%): 1 left." in page
    assert "Expires in 10 days." in page
    assert AuditEvent.objects.get().summary == "List of active authorizations (2 shown)"


def test_the_list_filters_what_needs_attention_and_sorts(client, manager):
    exhausted = AuthorizationFactory(number="A-USED", visits_authorized=1)
    visit_with_note(client=exhausted.policy.client, authorization=exhausted)
    AuthorizationFactory(number="A-CALM", valid_to=date(2026, 9, 1))
    client.force_login(manager)

    page = client.get(LIST, {"attention": "1"}).content.decode()
    assert "A-USED" in page and "A-CALM" not in page
    assert "All 1 authorized visits are used" in page

    by_payer = client.get(LIST, {"sort": "payer"})
    assert by_payer.context["sort"] == "payer"
    assert client.get(LIST, {"sort": "nonsense"}).context["sort"] == "expiry"


@pytest.mark.parametrize("count", [2, 8])
def test_the_list_query_count_does_not_grow_with_rows(
    client, front_desk, count, django_assert_max_num_queries
):
    for n in range(count):
        auth = AuthorizationFactory(
            valid_to=date(2026, 4, 1 + n), visits_authorized=5, units_authorized=20
        )
        visit_with_note(client=auth.policy.client, authorization=auth)
    client.force_login(front_desk)
    client.get(LIST)  # the clinic policy row exists on a running clinic

    # Session, user, roles, the authorizations with used visits, the techniques of
    # their signed notes, the clinic policy, the audit line: 7, whatever the count.
    with django_assert_max_num_queries(8):
        response = client.get(LIST)
    assert len(response.context["rows"]) == count
