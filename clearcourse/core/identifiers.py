"""Identifiers the US pharmacy and EHR ecosystem uses for people, places and products, and their checks.

- **NPI** (National Provider Identifier, CMS): ten digits, the last a Luhn check digit computed over the
  first nine with the constant prefix ``80840`` (the ISO 7812 health-industry issuer prefix), so that the
  check is the same as for a full 15-digit card number. CMS publishes the algorithm ("Requirements for
  the NPI check digit"); an example valid NPI is 1234567893.
- **NCPDP Provider ID** (a pharmacy's NCPDP number): seven digits. NCPDP publishes no check digit, so
  only the form is checked.
- **NDC** (National Drug Code, FDA): a labeler, product and package code in a 4-4-2, 5-3-2 or 5-4-1
  layout (ten digits); HIPAA transactions and FHIR's ``http://hl7.org/fhir/sid/ndc`` use the 11-digit
  5-4-2 form with the short segment padded by a leading zero. :func:`ndc11` normalises either.

Django validators for the model fields are here too, so forms, the admin and the services refuse the
same values with the same words.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

NPI_PREFIX = "80840"
NPI_INVALID = _("Enter the 10-digit NPI; its last digit is a check digit, so a typing error is caught.")
NCPDP_INVALID = _("Enter the pharmacy's 7-digit NCPDP Provider ID.")

_DIGITS = re.compile(r"^\d+$", re.ASCII)  # "１２" is not 12 (issue 14, finding 10)
_NDC_HYPHENATED = re.compile(r"^(\d{4,5})-(\d{3,4})-(\d{1,2})$", re.ASCII)


def luhn_check_digit(digits: str) -> int:
    """The Luhn check digit to append to ``digits``."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 0:  # every second digit from the right of the payload is doubled
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return (10 - total % 10) % 10


def npi_valid(value: str) -> bool:
    """Ten digits whose last is the Luhn check digit of ``80840`` + the first nine."""
    if len(value) != 10 or not _DIGITS.match(value):
        return False
    return luhn_check_digit(NPI_PREFIX + value[:9]) == int(value[9])


def npi_with_check_digit(first_nine: str) -> str:
    """A valid NPI from nine digits (for demo data and tests)."""
    if len(first_nine) != 9 or not _DIGITS.match(first_nine):
        raise ValueError("nine digits")
    return first_nine + str(luhn_check_digit(NPI_PREFIX + first_nine))


def ncpdp_valid(value: str) -> bool:
    return len(value) == 7 and bool(_DIGITS.match(value))


def validate_npi(value: str) -> None:
    if value and not npi_valid(value):
        raise ValidationError(NPI_INVALID, code="invalid_npi")


def validate_ncpdp(value: str) -> None:
    if value and not ncpdp_valid(value):
        raise ValidationError(NCPDP_INVALID, code="invalid_ncpdp")


def ndc11(value: str) -> str | None:
    """The 11-digit 5-4-2 NDC for a hyphenated 10-digit NDC (any of the three layouts) or an 11-digit one
    (with or without hyphens); None for anything else. An unhyphenated 10-digit NDC is ambiguous and gives
    None (the caller may still compare it with :func:`ndc10_digits` of a known code)."""
    text = (value or "").strip()
    match = _NDC_HYPHENATED.match(text)
    if match is not None:
        labeler, product, package = match.groups()
        if len(labeler) + len(product) + len(package) not in (10, 11):
            return None
        return labeler.zfill(5) + product.zfill(4) + package.zfill(2)
    if len(text) == 11 and _DIGITS.match(text):
        return text
    return None


def ndc10_digits(value: str) -> str:
    """A hyphenated NDC's digits without hyphens (the 10-digit form as printed, hyphens removed)."""
    return value.replace("-", "")
