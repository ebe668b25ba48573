"""The one reader of numbers people and other systems type or send (forms, the API, CSV and FHIR imports).

Python's ``Decimal()`` takes "NaN", "Infinity", "1e999" and 30-digit values that later make
``quantize`` raise ``decimal.InvalidOperation`` (a 500), and ``int()``/``Decimal()`` read full-width
("１２") and Arabic-Indic ("١٢") digits as ASCII numbers. A clinical number is read here instead: plain
decimal notation only (an optional sign, digits 0-9, at most one decimal point), finite, and at most
:data:`MAX_DIGITS` digits. Anything else raises :class:`NumberInputError` with a code the caller turns into
a message on its field; nothing is silently reinterpreted. The form fields at the end apply the same policy
to every number and date field of the pages (``numbers.IntegerField`` etc. instead of ``forms.IntegerField``).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

#: More digits than any clinical value or count needs; enough that a parsed value can always be rounded
#: to thousandths within Decimal's default precision (28 digits).
MAX_DIGITS = 18

# English constants (tests assert them); gettext_noop so that the catalogue has them for ``_(exc.message)``.
NOT_A_NUMBER = gettext_noop("Enter a number, for example 12 or 12.5.")
USE_ASCII_DIGITS = gettext_noop("Use the digits 0-9.")
TOO_MANY_DIGITS = gettext_noop("This number has too many digits.")

NOT_A_NUMBER_CODE = "not_a_number"

_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)
_INTEGER = re.compile(r"[+-]?[0-9]+", re.ASCII)


class NumberInputError(ValueError):
    """A value that is not a plain number; ``code``: ``not_a_number``, ``non_ascii_digits`` or
    ``too_many_digits``; ``message``: the English sentence for it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def has_non_ascii_digits(text: str) -> bool:
    """True when ``text`` holds a digit other than 0-9 (full-width, Arabic-Indic, Devanagari, superscript,
    ...): such text is refused with :data:`USE_ASCII_DIGITS`, never read as the ASCII number."""
    return any(ch.isdigit() and not ("0" <= ch <= "9") for ch in text)


def refuse_non_ascii_digits(text: str) -> None:
    if has_non_ascii_digits(text):
        raise NumberInputError("non_ascii_digits", USE_ASCII_DIGITS)


def _check_digits(digits: str) -> None:
    if len(digits.lstrip("0")) > MAX_DIGITS:
        raise NumberInputError("too_many_digits", TOO_MANY_DIGITS)


def parse_decimal(value: object) -> Decimal:
    """A finite Decimal from a str (plain notation), an int, a float (finite) or a Decimal (finite); raises
    :class:`NumberInputError` otherwise. Whitespace around a string is ignored."""
    if isinstance(value, bool):
        raise NumberInputError("not_a_number", NOT_A_NUMBER)
    if isinstance(value, int):
        _check_digits(str(abs(value)))
        return Decimal(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise NumberInputError("not_a_number", NOT_A_NUMBER)
        return parse_decimal(format(Decimal(repr(value)), "f"))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise NumberInputError("not_a_number", NOT_A_NUMBER)
        return parse_decimal(format(value, "f"))
    if not isinstance(value, str):
        raise NumberInputError("not_a_number", NOT_A_NUMBER)
    text = value.strip()
    refuse_non_ascii_digits(text)
    if not _PLAIN.fullmatch(text):
        raise NumberInputError("not_a_number", NOT_A_NUMBER)
    _check_digits(text.lstrip("+-").replace(".", ""))
    try:
        return Decimal(text)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise NumberInputError("not_a_number", NOT_A_NUMBER) from None


def parse_int(value: object) -> int:
    """A whole number from an int or a str of ASCII digits (optional sign); raises :class:`NumberInputError`."""
    if isinstance(value, bool):
        raise NumberInputError("not_a_number", NOT_A_NUMBER)
    if isinstance(value, int):
        _check_digits(str(abs(value)))
        return value
    if not isinstance(value, str):
        raise NumberInputError("not_a_number", NOT_A_NUMBER)
    text = value.strip()
    refuse_non_ascii_digits(text)
    if not _INTEGER.fullmatch(text):
        raise NumberInputError("not_a_number", NOT_A_NUMBER)
    _check_digits(text.lstrip("+-"))
    return int(text)


# --- form fields: the same policy for every number and date a page reads -----------------------------------


class _AsciiDigitsOnly:
    """Refuses text holding digits other than 0-9 before the field reads it (Django's fields read "１２" as 12
    through ``int()``/``Decimal()``/``strptime``)."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str) and has_non_ascii_digits(value):
            raise ValidationError(_(USE_ASCII_DIGITS), code="non_ascii_digits")
        return super().to_python(value)  # type: ignore[misc]


class IntegerField(_AsciiDigitsOnly, forms.IntegerField):
    pass


class DecimalField(_AsciiDigitsOnly, forms.DecimalField):
    pass


class FloatField(_AsciiDigitsOnly, forms.FloatField):
    pass


class DateField(_AsciiDigitsOnly, forms.DateField):
    pass
