"""The clients admin is no back door: clients, flags, referrals, policies and
authorizations are listed and viewed there, and written only on their pages.

Their pages call the services, with the rules and the audit trail. Until this change
the admin added and changed them with its own copies of some checks and its own audit
rows; now an add or change page answers 403, for a superuser too, and a forged POST
writes nothing. Each view page links to the page that writes the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.db import models
from django.urls import reverse
from django.utils import timezone

from clients.models import (
    Authorization,
    Client,
    Condition,
    Contraindication,
    InsurancePolicy,
    Referral,
)
from clients.services import contraindication_resolve
from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    ReferralFactory,
)
from massageclinic.audit import AuditContext
from massageclinic.models import AuditEvent
from massageclinic.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

FIVE = [Client, Contraindication, Referral, InsurancePolicy, Authorization]


@pytest.fixture(params=["manager", "admin_user"])
def staff(request, client):
    """The admin as the clinic manager, and as a superuser."""
    client.force_login(request.getfixturevalue(request.param))
    return client


@dataclass
class Records:
    patient: Client
    flag: Contraindication
    referral: Referral
    policy: InsurancePolicy
    authorization: Authorization

    def of(self, model: type[models.Model]) -> models.Model:
        return {
            Client: self.patient,
            Contraindication: self.flag,
            Referral: self.referral,
            InsurancePolicy: self.policy,
            Authorization: self.authorization,
        }[model]


@pytest.fixture
def records(db) -> Records:
    patient = ClientFactory(first_name="Grace", last_name="Okafor")
    flag = Contraindication.objects.create(
        client=patient,
        condition=Condition.objects.get(slug="anticoagulants"),
        severity="modify",
    )
    referral = ReferralFactory(client=patient)
    authorization = AuthorizationFactory(
        policy__client=patient, referral=referral, number="A-1"
    )
    return Records(patient, flag, referral, authorization.policy, authorization)


def _url(model: type[models.Model], view: str, *args: object) -> str:
    opts = model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_{view}", args=args)


def _forged_form(model: type[models.Model], records: Records) -> dict[str, Any]:
    """What the admin's add or change form posted before, with made-up values."""
    patient = records.patient.pk
    return {
        Client: {
            "first_name": "Forged",
            "last_name": "Entry",
            "date_of_birth": "1980-01-01",
            "email": "forged@example.org",
            "email_reminders": "on",
        },
        Contraindication: {
            "client": patient,
            "condition": Condition.objects.get(slug="pregnancy").pk,
            "severity": "absolute",
            "detail": "typed in the admin",
            "source": "staff",
            "resolved_at_0": f"{timezone.now():%Y-%m-%d}",
            "resolved_at_1": "09:00:00",
            "cleared_on": f"{timezone.now():%Y-%m-%d}",
            "cleared_by_physician": "Dr. Nobody",
        },
        Referral: {
            "client": patient,
            "provider": records.referral.provider_id,
            "referred_on": "2026-03-02",
            "expires_on": "2026-01-01",
            "diagnosis_codes": "M54.50",
            "diagnosis_text": "Forged",
            "visits_authorized": "99",
        },
        InsurancePolicy: {
            "client": patient,
            "payer": records.policy.payer_id,
            "member_id": "FORGED-1",
            "is_active": "",
            "authorizations-TOTAL_FORMS": "1",
            "authorizations-INITIAL_FORMS": "0",
            "authorizations-0-number": "FORGED-AUTH",
            "authorizations-0-visits_authorized": "99",
            "authorizations-0-valid_from": "2026-03-01",
            "authorizations-0-valid_to": "2026-12-31",
        },
        Authorization: {
            "policy": records.policy.pk,
            "number": "FORGED-AUTH",
            "visits_authorized": "99",
            "valid_from": "2026-03-01",
            "valid_to": "2026-01-01",
        },
    }[model]


def _everything() -> dict[str, list[dict[str, Any]]]:
    return {
        model._meta.label: list(model._default_manager.order_by("pk").values())
        for model in FIVE
    }


@pytest.mark.parametrize("model", FIVE, ids=lambda m: m._meta.label)
def test_the_add_and_change_pages_are_forbidden_and_a_forged_post_writes_nothing(
    staff, records, model
):
    obj = records.of(model)
    add, change = _url(model, "add"), _url(model, "change", obj.pk)
    data = _forged_form(model, records)
    before = _everything()

    assert staff.get(add).status_code == 403
    assert staff.post(add, data).status_code == 403
    assert staff.post(change, data).status_code == 403
    assert staff.post(change, {**data, "_continue": "1"}).status_code == 403

    assert _everything() == before
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("model", FIVE, ids=lambda m: m._meta.label)
def test_nothing_is_deleted_here_either(staff, records, model):
    obj = records.of(model)
    delete = _url(model, "delete", obj.pk)

    assert staff.get(delete).status_code == 403
    assert staff.post(delete, {"post": "yes"}).status_code == 403
    changelist = staff.get(_url(model, "changelist")).content.decode()
    assert "delete_selected" not in changelist
    assert model._default_manager.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", FIVE, ids=lambda m: m._meta.label)
def test_the_list_opens_without_an_add_button(staff, records, model):
    response = staff.get(_url(model, "changelist"))

    assert response.status_code == 200
    assert response.context["cl"].result_count >= 1
    assert _url(model, "add") not in response.content.decode()


def _its_page(records: Records) -> dict[type[models.Model], tuple[str, str]]:
    patient = records.patient.pk
    return {
        Client: (reverse("clients:edit", args=[patient]), "Change this on its page"),
        Contraindication: (
            reverse("clients:flag_edit", args=[patient, records.flag.pk]),
            "Change this on its page",
        ),
        Referral: (
            reverse("clients:referral_edit", args=[patient, records.referral.pk]),
            "Change this on its page",
        ),
        InsurancePolicy: (
            reverse("clients:policy_edit", args=[patient, records.policy.pk]),
            "Change this on its page",
        ),
        Authorization: (
            reverse(
                "clients:authorization_edit", args=[patient, records.authorization.pk]
            ),
            "Change this on its page",
        ),
    }


@pytest.mark.parametrize("model", FIVE, ids=lambda m: m._meta.label)
def test_the_view_page_is_read_only_and_links_to_its_page(staff, records, model):
    obj = records.of(model)
    href, text = _its_page(records)[model]

    response = staff.get(_url(model, "change", obj.pk))

    assert response.status_code == 200
    page = response.content.decode()
    assert f'<a href="{href}">{text}' in page
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert response.context["adminform"].form.fields == {}


def test_a_resolved_flag_links_to_the_flags_list_where_a_new_one_is_added(
    staff, records
):
    flag = contraindication_resolve(
        flag=records.flag,
        by=UserFactory(),
        now=timezone.now(),
        note="Off the medication",
        context=AuditContext.system("test"),
    )

    page = staff.get(_url(Contraindication, "change", flag.pk)).content.decode()

    flags = reverse("clients:history", args=[records.patient.pk]) + "#flags"
    assert f'<a href="{flags}">' in page
    assert reverse("clients:flag_edit", args=[records.patient.pk, flag.pk]) not in page


def test_the_policys_authorizations_are_shown_read_only_with_their_pages(
    staff, records
):
    second = AuthorizationFactory(policy=records.policy, number="A-2")

    response = staff.get(_url(InsurancePolicy, "change", records.policy.pk))

    page = response.content.decode()
    for authorization in (records.authorization, second):
        edit = reverse(
            "clients:authorization_edit",
            args=[records.patient.pk, authorization.pk],
        )
        assert f'<a href="{edit}">Change this on its page</a>' in page
    assert 'name="authorizations-0-number"' not in page
    formset = response.context["inline_admin_formsets"][0]
    assert (formset.has_add_permission, formset.has_change_permission) == (
        False,
        False,
    )
    assert formset.has_delete_permission is False


def test_restoring_in_the_admin_goes_through_the_service_and_is_audited(staff, records):
    patient = records.patient
    patient.archived_at = timezone.now()
    patient.save(update_fields=["archived_at"])
    url = _url(Client, "changelist")

    response = staff.post(
        url, {"action": "restore", "_selected_action": [patient.pk]}, follow=True
    )

    assert response.status_code == 200
    assert "Restored 1 client(s)." in response.content.decode()
    patient.refresh_from_db()
    assert patient.archived_at is None
    event = AuditEvent.objects.get()
    assert (event.action, event.summary, event.path, event.client_id) == (
        AuditEvent.Action.CHANGE,
        "Unarchived the client",
        url,
        patient.pk,
    )


def test_the_flags_list_shows_no_condition_and_is_not_searched_by_one(staff, records):
    # The list is metadata: whose flag and when. Which condition a client has is
    # read on the flag's page, which writes an audit row; the list writes none.
    condition = records.flag.condition
    url = _url(Contraindication, "changelist")

    listed = staff.get(url)
    searched = staff.get(url, {"q": condition.name})
    # Nor filtered by one, not even by a lookup typed into the address.
    filtered = staff.get(url, {"condition__id__exact": condition.pk})
    by_severity = staff.get(url, {"severity": "modify"})

    assert listed.context["cl"].result_count == 1
    assert "Okafor" in listed.content.decode()
    assert filtered.status_code == 400 and by_severity.status_code == 400
    for response in (listed, searched, filtered, by_severity):
        # Only the search box repeats what was typed.
        page = response.content.decode().replace(
            f'value="{condition.name}" id="searchbar"', ""
        )
        assert condition.name.lower() not in page.lower()
        assert "Modify" not in page  # the severity
    assert searched.context["cl"].result_count == 0
    assert not AuditEvent.objects.exists()

    opened = staff.get(_url(Contraindication, "change", records.flag.pk))

    assert condition.name in opened.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.VIEW, client_id=records.patient.pk
    ).exists()
