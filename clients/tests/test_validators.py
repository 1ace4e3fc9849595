"""NPI check digits and ICD-10-CM / CPT formats (DESIGN.md section 7)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clients.forms.referrals import parse_cpt_codes, parse_icd10_codes, split_codes
from massageclinic.validators import (
    npi_is_valid,
    validate_cpt,
    validate_icd10,
    validate_npi,
)


@pytest.mark.parametrize("npi", ["1234567893", "1003000126", "1679576722"])
def test_it_accepts_an_npi_with_a_correct_check_digit(npi):
    assert npi_is_valid(npi)
    validate_npi(npi)


@pytest.mark.parametrize(
    "npi",
    [
        "1234567890",  # wrong check digit
        "1234567894",  # wrong check digit
        "123456789",  # nine digits
        "12345678930",  # eleven digits
        "12345678A3",  # a letter
        "",
        " 1234567893",
    ],
)
def test_it_rejects_an_npi_without_a_correct_check_digit(npi):
    assert not npi_is_valid(npi)
    with pytest.raises(ValidationError, match="not a valid NPI"):
        validate_npi(npi)


@pytest.mark.parametrize(
    "code",
    ["M54.50", "S13.4XXA", "M54.2", "M62.830", "G44.209", "M79.7", "M26.609", "M54"],
)
def test_it_accepts_well_formed_icd10_codes(code):
    validate_icd10(code)


@pytest.mark.parametrize(
    "code", ["54.50", "M5", "M54.50000", "M54.", "m54.50", "MM4.50", "M54-50", ""]
)
def test_it_rejects_malformed_icd10_codes(code):
    with pytest.raises(ValidationError, match="ICD-10-CM code such as M54.50"):
        validate_icd10(code)


@pytest.mark.parametrize("code", ["97124", "97140", "97112", "97010"])
def test_it_accepts_five_digit_cpt_codes(code):
    validate_cpt(code)


@pytest.mark.parametrize("code", ["9712", "971240", "9712A", "CPT97"])
def test_it_rejects_other_cpt_codes(code):
    with pytest.raises(ValidationError, match="five-digit CPT code"):
        validate_cpt(code)


def test_codes_are_split_on_commas_and_spaces_upper_cased_and_kept_once():
    assert split_codes(" m54.50, M62.830;s13.4xxa  m54.50 ") == [
        "M54.50",
        "M62.830",
        "S13.4XXA",
    ]


def test_the_form_parser_upper_cases_icd10_codes():
    assert parse_icd10_codes("m54.50 s13.4xxa") == ["M54.50", "S13.4XXA"]


def test_the_form_parser_names_each_bad_icd10_code():
    with pytest.raises(ValidationError) as raised:
        parse_icd10_codes("M54.50, 54.50, M5")
    message = raised.value.messages[0]
    assert "“54.50”, “M5” are not ICD-10-CM codes" in message
    assert "M54.50 or S13.4XXA" in message


def test_the_form_parser_needs_at_least_one_icd10_code():
    with pytest.raises(ValidationError, match="at least one ICD-10 code"):
        parse_icd10_codes(" , ")


def test_the_form_parser_names_a_bad_cpt_code():
    assert parse_cpt_codes("97124, 97140") == ["97124", "97140"]
    with pytest.raises(ValidationError, match="“9714” is not a CPT code"):
        parse_cpt_codes("97124 9714")
