from __future__ import annotations

import pytest

from massageclinic.billing import billing_units, cms_units, per_code_units


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
