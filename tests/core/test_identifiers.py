"""NPI check digits (Luhn over 80840 + the first nine digits), NCPDP IDs and NDC layouts."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from clearcourse.core.identifiers import (
    ndc11,
    npi_valid,
    npi_with_check_digit,
    validate_ncpdp,
    validate_npi,
)


@pytest.mark.parametrize("npi", ["1234567893", "1245319599", "1003000126"])
def test_published_example_npis_pass_the_check_digit(npi: str) -> None:
    assert npi_valid(npi)


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "12345678931", "123456789a", "", "0000000001"])
def test_a_wrong_check_digit_or_form_fails(npi: str) -> None:
    assert not npi_valid(npi)


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(min_value=0, max_value=9))
def test_exactly_one_last_digit_makes_a_valid_npi(first_nine: str, digit: int) -> None:
    valid = npi_with_check_digit(first_nine)
    assert npi_valid(valid)
    assert npi_valid(first_nine + str(digit)) == (str(digit) == valid[-1])


@given(st.text(alphabet="0123456789", min_size=9, max_size=9), st.integers(min_value=0, max_value=8))
def test_any_single_digit_typo_is_caught(first_nine: str, position: int) -> None:
    valid = npi_with_check_digit(first_nine)
    typo = valid[:position] + str((int(valid[position]) + 1) % 10) + valid[position + 1:]
    assert not npi_valid(typo)


def test_the_validators_refuse_with_a_message_and_accept_empty() -> None:
    validate_npi("")
    validate_ncpdp("")
    validate_ncpdp("0123456")
    with pytest.raises(ValidationError):
        validate_npi("1234567890")
    with pytest.raises(ValidationError):
        validate_ncpdp("12345")


@pytest.mark.parametrize(("given_ndc", "eleven"), [
    ("10631-115-31", "10631011531"), ("0555-1054-86", "00555105486"), ("12345-6789-1", "12345678901"),
    ("00555105486", "00555105486"), ("00555-1054-86", "00555105486"), ("0555105486", None), ("abc", None),
])
def test_ndc_layouts_normalise_to_eleven_digits(given_ndc: str, eleven: str | None) -> None:
    assert ndc11(given_ndc) == eleven


@pytest.mark.django_db
def test_a_user_or_pharmacy_with_a_bad_npi_does_not_validate(pharmacy: object, prescriber: object) -> None:
    from clearcourse.accounts.models import Pharmacy, User

    assert isinstance(prescriber, User) and isinstance(pharmacy, Pharmacy)
    prescriber.npi = "1234567890"
    with pytest.raises(ValidationError) as refused:
        prescriber.full_clean()
    assert "npi" in refused.value.message_dict
    pharmacy.ncpdp_id, pharmacy.npi = "12", "1234567893"
    with pytest.raises(ValidationError) as refused:
        pharmacy.full_clean()
    assert set(refused.value.message_dict) == {"ncpdp_id"}
