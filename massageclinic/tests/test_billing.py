from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from massageclinic.billing import (
    TechniqueMinutes,
    billing_units,
    cms_units,
    per_code_units,
    visit_units,
)
from massageclinic.models import BillingUnitRule


@pytest.mark.parametrize(
    ("minutes", "units"),
    [
        (7, 0),
        (8, 1),
        (22, 1),
        (23, 2),
        (37, 2),
        (38, 3),
        (52, 3),
        (53, 4),
        (67, 4),
        (68, 5),
    ],
)
def test_the_8_minute_rule_on_one_code(minutes, units):
    assert sum(cms_units({"97124": minutes}).values()) == units


def test_units_go_to_whole_units_first_then_the_largest_leftover():
    # 33 + 7 = 40 minutes -> 3 units: 97140 has 2 whole units, the third goes to
    # the code with the most minutes left over (97124's 7 beat 97140's 3).
    assert cms_units({"97140": 33, "97124": 7}) == {"97140": 2, "97124": 1}


def test_under_8_minutes_in_total_nothing_is_billed():
    assert cms_units({"97124": 4, "97140": 3}) == {}


def test_two_small_codes_share_one_unit_by_total():
    # 5 + 5 = 10 minutes -> 1 unit, to one code only.
    assert sum(cms_units({"97124": 5, "97140": 5}).values()) == 1


def test_per_code_units_count_each_code_alone():
    assert per_code_units({"97124": 10, "97140": 5}) == {"97124": 1}


def test_the_rule_is_chosen_by_name():
    assert billing_units({"97124": 5, "97140": 5}, "per_code") == {}
    assert sum(billing_units({"97124": 5, "97140": 5}, "cms_8_minute").values()) == 1


# --- Gathering a visit's technique rows (visit_units) ---------------------------------

TIMED = st.builds(
    TechniqueMinutes,
    code=st.sampled_from(["97124", "97140", "97112"]),
    minutes=st.integers(1, 120),
    timed=st.just(True),
    name=st.sampled_from(["Swedish", "Myofascial release", "Re-education"]),
)
UNBILLED = st.one_of(
    st.builds(
        TechniqueMinutes,
        code=st.just("97010"),
        minutes=st.integers(1, 60),
        timed=st.just(False),
        name=st.just("Hot or cold packs"),
    ),
    st.builds(
        TechniqueMinutes,
        code=st.just(""),
        minutes=st.integers(1, 60),
        name=st.just("Reflexology"),
    ),
)
RULES = st.sampled_from([BillingUnitRule.CMS_8_MINUTE, BillingUnitRule.PER_CODE])
REFUSED = st.sampled_from([(), ("97140",), ("97124", "97112")])


@settings(max_examples=500, deadline=None)
@given(
    timed=st.lists(TIMED, max_size=5),
    unbilled=st.lists(UNBILLED, max_size=3),
    rule=RULES,
    refused=REFUSED,
    order=st.randoms(use_true_random=False),
)
def test_a_visits_units_are_its_timed_billed_minutes_by_code_under_the_rule(
    timed, unbilled, rule, refused, order
):
    rows = [*timed, *unbilled]
    order.shuffle(rows)
    result = visit_units(rows, rule=rule, refused=refused)

    billed: dict[str, int] = {}
    for row in timed:
        if row.code not in refused:
            billed[row.code] = billed.get(row.code, 0) + row.minutes
    assert result.units == billing_units(billed, rule)
    assert result.timed_minutes == sum(billed.values())
    assert result.total_minutes == sum(row.minutes for row in rows)
    assert not set(result.units) & set(refused)
    assert len(result.untimed) + len(result.not_billable) == len(unbilled)
    # Untimed and codeless rows never change the units.
    assert visit_units(timed, rule=rule, refused=refused).units == result.units
    if rule == BillingUnitRule.CMS_8_MINUTE:
        total = sum(billed.values())
        assert result.total_units == (0 if total < 8 else (total - 8) // 15 + 1)
