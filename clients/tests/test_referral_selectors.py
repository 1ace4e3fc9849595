"""Usage of referrals and authorizations, derived from signed notes; the warnings."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import time_machine

from clients.models import Authorization, Referral
from clients.referral_selectors import (
    Usage,
    active_authorizations,
    authorization_statuses,
    client_referrals,
    units_used_by_authorization,
    with_used_visits,
)
from clients.tests.factories import (
    AuthorizationFactory,
    InsurancePolicyFactory,
    PayerFactory,
    ReferralFactory,
)
from massageclinic.models import BillingUnitRule, clinic_policy
from sessions.tests.factories import visit_with_note

pytestmark = pytest.mark.django_db

TODAY = date(2026, 3, 20)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(datetime(2026, 3, 20, 15, tzinfo=UTC), tick=False):
        yield


def _status(authorization: Authorization, today: date = TODAY):
    (status,) = authorization_statuses(
        with_used_visits(Authorization.objects.select_related("policy__payer")).filter(
            pk=authorization.pk
        ),
        today=today,
    )
    return status


def test_a_visit_counts_only_once_its_note_is_signed():
    auth = AuthorizationFactory(visits_authorized=10, units_authorized=40)
    client = auth.policy.client
    visit_with_note(client=client, authorization=auth, minutes={"swedish": 53})
    visit_with_note(
        client=client, authorization=auth, minutes={"swedish": 60}, signed=False
    )

    status = _status(auth)

    assert status.visits == Usage(used=1, authorized=10)
    assert status.units == Usage(used=4, authorized=40)


def test_units_follow_the_eight_minute_rule_on_the_total_of_timed_minutes():
    auth = AuthorizationFactory(visits_authorized=None, units_authorized=20)
    client = auth.policy.client
    # 30 + 23 = 53 timed minutes -> 4 units; 7 minutes alone -> nothing.
    visit_with_note(
        client=client,
        authorization=auth,
        minutes={"swedish": 30, "trigger-point": 23},
    )
    visit_with_note(client=client, authorization=auth, minutes={"swedish": 7})

    assert units_used_by_authorization([auth]) == {auth.pk: 4}
    assert _status(auth).visits is None


def test_untimed_codes_and_modalities_without_a_code_use_no_units():
    auth = AuthorizationFactory(units_authorized=20)
    visit_with_note(
        client=auth.policy.client,
        authorization=auth,
        minutes={"hot-cold-packs": 15, "reflexology": 30, "swedish": 8},
    )

    assert units_used_by_authorization([auth]) == {auth.pk: 1}


def test_units_follow_the_payers_rule_when_it_has_one():
    per_code = PayerFactory(billing_unit_rule=BillingUnitRule.PER_CODE)
    auth = AuthorizationFactory(
        policy=InsurancePolicyFactory(payer=per_code), units_authorized=20
    )
    # Per code: 10 + 10 minutes -> 1 + 1 units (the CMS rule would give 1 for 20).
    visit_with_note(
        client=auth.policy.client,
        authorization=auth,
        minutes={"swedish": 10, "trigger-point": 10},
    )

    assert units_used_by_authorization([auth]) == {auth.pk: 2}


def test_units_follow_the_clinics_rule_when_the_payer_has_none():
    policy = clinic_policy()
    policy.billing_unit_rule = BillingUnitRule.PER_CODE
    policy.save()
    auth = AuthorizationFactory(units_authorized=20)
    visit_with_note(
        client=auth.policy.client,
        authorization=auth,
        minutes={"swedish": 10, "trigger-point": 10},
    )

    assert units_used_by_authorization([auth]) == {auth.pk: 2}


def test_codes_the_payer_refuses_use_none_of_its_units():
    payer = PayerFactory(refused_cpt_codes=["97140"])
    auth = AuthorizationFactory(
        policy=InsurancePolicyFactory(payer=payer), units_authorized=20
    )
    visit_with_note(
        client=auth.policy.client,
        authorization=auth,
        minutes={"swedish": 30, "myofascial-release": 30},
    )

    assert units_used_by_authorization([auth]) == {auth.pk: 2}


def test_visits_of_another_authorization_do_not_count():
    auth = AuthorizationFactory()
    other = AuthorizationFactory(policy=auth.policy)
    visit_with_note(client=auth.policy.client, authorization=other)

    assert _status(auth).visits.used == 0
    assert _status(other).visits.used == 1


def test_it_warns_at_eighty_percent_of_the_visits():
    auth = AuthorizationFactory(visits_authorized=5, valid_to=date(2026, 6, 30))
    for _ in range(3):
        visit_with_note(client=auth.policy.client, authorization=auth)
    assert _status(auth).warnings == []

    visit_with_note(client=auth.policy.client, authorization=auth)
    status = _status(auth)

    assert status.near_limit and not status.exhausted
    assert status.warnings == ["4 of 5 authorized visits used (80%): 1 left."]
    assert status.visits.level == "warning"


def test_it_says_when_every_authorized_unit_is_used():
    auth = AuthorizationFactory(visits_authorized=None, units_authorized=4)
    visit_with_note(
        client=auth.policy.client, authorization=auth, minutes={"swedish": 53}
    )

    status = _status(auth)

    assert status.exhausted
    assert status.units.percent == 100
    assert status.warnings == [
        "All 4 authorized units are used: ask the payer for more before the next visit."
    ]


def test_it_warns_within_fourteen_days_of_expiry():
    soon = AuthorizationFactory(valid_to=date(2026, 4, 3))  # 14 days from TODAY
    later = AuthorizationFactory(valid_to=date(2026, 4, 4))  # 15 days
    today = AuthorizationFactory(valid_from=date(2026, 3, 1), valid_to=TODAY)

    assert _status(soon).warnings == ["Expires in 14 days."]
    assert _status(soon).expiring_soon
    assert _status(later).warnings == []
    assert _status(later).expiry_phrase == "expires in 15 days"
    assert _status(today).warnings == ["Expires today."]


def test_an_expired_authorization_says_so_and_warns_no_more():
    auth = AuthorizationFactory(valid_from=date(2026, 1, 1), valid_to=date(2026, 3, 1))

    status = _status(auth)

    assert status.expired
    assert status.expiry_phrase == "expired"
    assert status.warnings == []


def _referral_status(referral: Referral):
    (status,) = [
        s
        for s in client_referrals(client=referral.client, today=TODAY).referrals
        if s.referral.pk == referral.pk
    ]
    return status


def test_a_referral_counts_its_visits_with_signed_notes():
    referral = ReferralFactory(visits_authorized=12)
    visit_with_note(client=referral.client, referral=referral)
    visit_with_note(client=referral.client, referral=referral)
    visit_with_note(client=referral.client, referral=referral, signed=False)

    status = _referral_status(referral)

    assert status.visits == Usage(used=2, authorized=12)
    assert not status.progress_report_due


def test_a_progress_report_is_due_when_the_prescribed_weeks_have_passed():
    # Mar 2 + 2 weeks = Mar 16, before TODAY (Mar 20).
    referral = ReferralFactory(referred_on=date(2026, 3, 2), duration_weeks=2)

    status = _referral_status(referral)

    assert status.progress_report_due
    assert "the prescribed 2 weeks ended on Mar 16, 2026" in (
        status.progress_report_reason
    )


def test_a_progress_report_is_due_when_the_prescribed_visits_are_done():
    referral = ReferralFactory(visits_authorized=2, duration_weeks=6)
    visit_with_note(client=referral.client, referral=referral)
    assert not _referral_status(referral).progress_report_due

    visit_with_note(client=referral.client, referral=referral)
    status = _referral_status(referral)

    assert status.progress_report_due
    assert "all 2 prescribed visits are done" in status.progress_report_reason


def test_a_referral_shows_its_expiry_and_common_diagnosis_names():
    referral = ReferralFactory(
        expires_on=date(2026, 3, 30), diagnosis_codes=["M54.50", "Z99.89"]
    )
    expired = ReferralFactory(
        client=referral.client,
        referred_on=date(2026, 1, 5),
        expires_on=date(2026, 3, 19),
    )

    status = _referral_status(referral)

    assert status.expiry_phrase == "expires in 10 days"
    assert status.warnings == ["Expires in 10 days."]
    assert [(d.code, d.name) for d in status.diagnoses] == [
        ("M54.50", "Low back pain"),
        ("Z99.89", ""),
    ]
    assert _referral_status(expired).expiry_phrase == "expired"


def test_the_chart_reads_everything_in_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    def build(n: int):
        referral = ReferralFactory()
        for _ in range(n):
            policy = InsurancePolicyFactory(client=referral.client)
            auth = AuthorizationFactory(
                policy=policy, referral=referral, units_authorized=30
            )
            visit_with_note(client=referral.client, authorization=auth)
            ReferralFactory(client=referral.client)
        return referral.client

    small, large = build(1), build(4)
    clinic_policy()  # created once, as on a running clinic

    with django_assert_max_num_queries(6) as few:
        client_referrals(client=small, today=TODAY)
    with django_assert_max_num_queries(len(few.captured_queries)):
        data = client_referrals(client=large, today=TODAY)
    assert data.authorization_count == 4
    assert len(data.referrals) == 5


def test_the_desk_list_keeps_authorizations_valid_today_soonest_first():
    late = AuthorizationFactory(valid_to=date(2026, 8, 1))
    soon = AuthorizationFactory(valid_to=date(2026, 3, 25))
    AuthorizationFactory(valid_from=date(2026, 1, 1), valid_to=date(2026, 3, 19))

    rows = active_authorizations(today=TODAY)

    assert [r.authorization for r in rows] == [soon, late]
    assert [
        r.authorization
        for r in active_authorizations(today=TODAY, needs_attention=True)
    ] == [soon]
