"""The note, the superbill and the authorization's tally bill every visit alike.

One decision (`clients.referral_selectors.visits_billing`) picks each visit's payer
(its authorization's, else the client's active policy on the visit's local date,
else none) and turns its timed minutes into units under that payer's rule; the
three paths only gather and show.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clients.models import Authorization, InsurancePolicy, Payer
from clients.referral_selectors import units_used_by_authorization
from clients.tests.factories import (
    AuthorizationFactory,
    ClientFactory,
    InsurancePolicyFactory,
    PayerFactory,
)
from massageclinic.models import BillingUnitRule, clinic_policy
from sessions.models import Appointment, NoteTechnique, SessionNote
from sessions.tests.factories import shared_place, signed_visit
from sessions.treatment.billing import note_units
from sessions.treatment.superbill import superbill
from therapists.models import Modality

pytestmark = pytest.mark.django_db

CMS, PER_CODE = BillingUnitRule.CMS_8_MINUTE, BillingUnitRule.PER_CODE
NOW = datetime(2026, 6, 1, 14, tzinfo=UTC)
SPRING = (date(2026, 3, 1), date(2026, 4, 30))
MARCH_3 = datetime(2026, 3, 3, 15, tzinfo=UTC)  # 10:00 in New York


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def place():
    return shared_place()


def _note_total(visit: Appointment) -> int:
    note = SessionNote.objects.select_related(
        "appointment__authorization__policy__payer", "appointment__location"
    ).get(appointment=visit)
    return sum(note_units(note).values())


def _authorization(client, *, payer: Payer, number: str, **dates) -> Authorization:
    return AuthorizationFactory(
        policy=InsurancePolicyFactory(client=client, payer=payer),
        number=number,
        units_authorized=40,
        **dates,
    )


# --- Examples ------------------------------------------------------------------------


def test_a_superbill_over_two_payers_bills_each_visit_by_its_own(therapist, place):
    grace = ClientFactory(first_name="Grace", last_name="Okafor")
    cms = PayerFactory(name="Medicare Part B", billing_unit_rule=CMS)
    per_code = PayerFactory(name="Empire Health", billing_unit_rule=PER_CODE)
    march = _authorization(
        grace, payer=cms, number="AUTH-M", valid_to=date(2026, 3, 31)
    )
    april = _authorization(
        grace,
        payer=per_code,
        number="AUTH-A",
        valid_from=date(2026, 4, 1),
        valid_to=date(2026, 4, 30),
    )
    # 20 + 20 timed minutes: 3 units on the CMS total of 40; per code, 1 + 1.
    minutes = {"swedish": 20, "trigger-point": 20}
    first = signed_visit(
        client=grace,
        therapist=therapist,
        place=place,
        starts_at=MARCH_3,
        minutes=minutes,
        authorization=march,
    )
    second = signed_visit(
        client=grace,
        therapist=therapist,
        place=place,
        starts_at=MARCH_3 + timedelta(weeks=5),
        minutes=minutes,
        authorization=april,
    )

    bill = superbill(client=grace, period=SPRING)

    assert [(line.day, line.cpt_code, line.units) for line in bill.lines] == [
        (date(2026, 3, 3), "97124", 1),
        (date(2026, 3, 3), "97140", 2),
        (date(2026, 4, 7), "97124", 1),
        (date(2026, 4, 7), "97140", 1),
    ]
    assert bill.total_units == 5 == _note_total(first) + _note_total(second)
    assert units_used_by_authorization([march, april]) == {march.pk: 3, april.pk: 2}
    assert "Medicare Part B" in bill.rule_label and "Empire Health" in bill.rule_label


def test_a_visit_without_an_authorization_bills_the_active_policy_everywhere(
    therapist, place
):
    clinic = clinic_policy()
    clinic.billing_unit_rule = CMS
    clinic.save()
    grace = ClientFactory()
    payer = PayerFactory(
        name="Strict Care", billing_unit_rule=PER_CODE, refused_cpt_codes=["97140"]
    )
    InsurancePolicyFactory(client=grace, payer=payer)
    visit = signed_visit(
        client=grace,
        therapist=therapist,
        place=place,
        starts_at=MARCH_3,
        minutes={"swedish": 20, "deep-tissue": 5, "trigger-point": 20},
    )
    note = SessionNote.objects.get(appointment=visit)
    # Per code on 25 minutes of 97124: 2 units; 97140 is not billed to this payer.
    assert note_units(note) == {"97124": 2}
    bill = superbill(client=grace, visit=visit)
    assert bill.total_units == 2
    assert bill.not_billed == ["97140"] and bill.refusing_payers == ["Strict Care"]


def test_the_policy_whose_authorization_covers_the_day_is_the_visits_payer(
    therapist, place
):
    grace = ClientFactory()
    # "Acme" comes first by name, but "Zenith" authorized March.
    acme = PayerFactory(name="Acme Mutual", billing_unit_rule=CMS)
    InsurancePolicyFactory(client=grace, payer=acme)
    zenith = PayerFactory(name="Zenith Health", billing_unit_rule=PER_CODE)
    _authorization(grace, payer=zenith, number="Z-1", valid_to=date(2026, 3, 31))
    minutes = {"swedish": 20, "trigger-point": 20}
    march = signed_visit(
        client=grace,
        therapist=therapist,
        place=place,
        starts_at=MARCH_3,
        minutes=minutes,
    )
    may = signed_visit(
        client=grace,
        therapist=therapist,
        place=place,
        starts_at=datetime(2026, 5, 5, 14, tzinfo=UTC),
        minutes=minutes,
    )
    assert _note_total(march) == 2  # Zenith, per code
    assert _note_total(may) == 3  # no authorization covers May: Acme, CMS
    bill = superbill(client=grace, period=(date(2026, 3, 1), date(2026, 5, 31)))
    assert bill.total_units == 5


def test_the_day_of_the_visit_is_its_local_date(therapist, place):
    """21:30 in New York on March 31 is April 1 in UTC: March's authorization."""
    grace = ClientFactory()
    march_payer = PayerFactory(name="March Payer", billing_unit_rule=PER_CODE)
    april_payer = PayerFactory(name="April Payer", billing_unit_rule=CMS)
    _authorization(grace, payer=march_payer, number="M", valid_to=date(2026, 3, 31))
    _authorization(
        grace,
        payer=april_payer,
        number="A",
        valid_from=date(2026, 4, 1),
        valid_to=date(2026, 4, 30),
    )
    visit = signed_visit(
        client=grace,
        therapist=therapist,
        place=place,
        starts_at=datetime(2026, 4, 1, 1, 30, tzinfo=UTC),
        minutes={"swedish": 20, "trigger-point": 20},
    )
    assert _note_total(visit) == 2
    assert superbill(client=grace, visit=visit).total_units == 2


@pytest.mark.parametrize("visits", [2, 6])
def test_the_superbill_reads_a_fixed_number_of_queries(
    therapist, place, visits, django_assert_max_num_queries
):
    grace = ClientFactory()
    payers = [
        PayerFactory(name="Medicare Part B", billing_unit_rule=CMS),
        PayerFactory(name="Empire Health", billing_unit_rule=PER_CODE),
    ]
    authorizations = [
        _authorization(grace, payer=payer, number=f"AUTH-{n}")
        for n, payer in enumerate(payers)
    ]
    for n in range(visits):
        # Every third visit has no authorization: the active policy pays.
        signed_visit(
            client=grace,
            therapist=therapist,
            place=place,
            starts_at=MARCH_3 + timedelta(days=n),
            authorization=None if n % 3 == 2 else authorizations[n % 2],
        )
    clinic_policy()  # its row exists, as in a running clinic
    # Notes, techniques, policies, their authorizations, referrals, clinic policy (x2).
    with django_assert_max_num_queries(7):
        bill = superbill(client=grace, period=SPRING)
    assert bill.visit_count == visits
    loaded = list(
        Authorization.objects.filter(policy__client=grace).select_related(
            "policy__payer"
        )
    )
    with django_assert_max_num_queries(1):
        units_used_by_authorization(loaded)


# --- The property: the superbill and the tally are sums of the notes' units ---------

SLUGS = [
    "swedish",  # 97124 timed
    "deep-tissue",  # 97124 timed
    "trigger-point",  # 97140 timed
    "myofascial-release",  # 97140 timed
    "hot-cold-packs",  # 97010 untimed
    "reflexology",  # no code
]
RULES = st.sampled_from(["", CMS, PER_CODE])


@dataclass(frozen=True)
class VisitPlan:
    day: int  # days after March 1
    hour: int  # UTC hour: 13-23 and 0-2 cross the New York date line
    authorization: int | None  # 0: March's, 1: April's, None: none
    signed: bool
    techniques: tuple[tuple[str, int], ...]


visit_plans = st.builds(
    VisitPlan,
    day=st.integers(0, 60),
    hour=st.sampled_from([1, 14, 15, 23]),
    authorization=st.sampled_from([None, 0, 1]),
    signed=st.booleans(),
    techniques=st.lists(
        st.tuples(st.sampled_from(SLUGS), st.integers(1, 70)),
        min_size=1,
        max_size=3,
        unique_by=lambda t: t[0],  # a technique once per note
    ).map(tuple),
)

scenarios = st.fixed_dictionaries(
    {
        "clinic_rule": st.sampled_from([CMS, PER_CODE]),
        "payers": st.lists(
            st.tuples(RULES, st.sampled_from([(), ("97140",), ("97124",)])),
            min_size=2,
            max_size=2,
        ),
        "active": st.tuples(st.booleans(), st.booleans()),
        "visits": st.lists(
            visit_plans, min_size=1, max_size=4, unique_by=lambda v: v.day
        ),
    }
)


def _build(scenario, *, client, therapist, place, modalities) -> list[Authorization]:
    policy = clinic_policy()
    policy.billing_unit_rule = scenario["clinic_rule"]
    policy.save()
    authorizations = []
    windows = [
        (date(2026, 3, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 4, 30)),
    ]
    for n, ((rule, refused), active, (start, end)) in enumerate(
        zip(scenario["payers"], scenario["active"], windows, strict=True)
    ):
        payer = Payer.objects.create(
            name=f"Payer {n}", billing_unit_rule=rule, refused_cpt_codes=list(refused)
        )
        insurance = InsurancePolicy.objects.create(
            client=client, payer=payer, member_id=f"M{n}", is_active=active
        )
        authorizations.append(
            Authorization.objects.create(
                policy=insurance,
                number=f"AUTH-{n}",
                units_authorized=100,
                valid_from=start,
                valid_to=end,
            )
        )
    location, room = place
    for plan in scenario["visits"]:
        starts_at = datetime(2026, 3, 1, plan.hour, tzinfo=UTC) + timedelta(
            days=plan.day
        )
        visit = Appointment.objects.create(
            client=client,
            therapist=therapist,
            modality=modalities["swedish"],
            location=location,
            room=room,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=60),
            status=Appointment.Status.COMPLETED,
            booked_by=therapist.user,
            authorization=(
                authorizations[plan.authorization]
                if plan.authorization is not None
                else None
            ),
        )
        note = SessionNote.objects.create(appointment=visit, therapist=therapist)
        NoteTechnique.objects.bulk_create(
            NoteTechnique(note=note, modality=modalities[slug], minutes=minutes)
            for slug, minutes in plan.techniques
        )
        if plan.signed:
            SessionNote.objects.filter(pk=note.pk).update(
                signed_at=starts_at + timedelta(hours=2),
                signed_by=therapist.user,
                content_sha256="a" * 64,
            )
    return authorizations


@settings(
    max_examples=500,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(scenario=scenarios)
def test_the_superbill_and_the_tally_are_the_sums_of_the_notes_units(
    scenario, therapist, place
):
    modalities = {m.slug: m for m in Modality.objects.filter(slug__in=SLUGS)}
    with transaction.atomic():
        client = ClientFactory()
        authorizations = _build(
            scenario,
            client=client,
            therapist=therapist,
            place=place,
            modalities=modalities,
        )
        notes = list(
            SessionNote.objects.filter(
                appointment__client=client, signed_at__isnull=False
            ).select_related(
                "appointment__authorization__policy__payer", "appointment__location"
            )
        )
        units = {n.appointment_id: sum(note_units(n).values()) for n in notes}

        bill = superbill(client=client, period=(date(2026, 2, 28), date(2026, 5, 2)))
        assert bill.total_units == sum(units.values())
        assert bill.visit_count == len(notes)

        tally = units_used_by_authorization(
            list(
                Authorization.objects.filter(pk__in=[a.pk for a in authorizations])
                .select_related("policy__payer")
                .order_by("pk")
            )
        )
        for authorization in authorizations:
            expected = sum(
                units[n.appointment_id]
                for n in notes
                if n.appointment.authorization_id == authorization.pk
            )
            assert tally.get(authorization.pk, 0) == expected
        transaction.set_rollback(True)
