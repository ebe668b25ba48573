"""Small strict readers for scenario JSON: each names the field it rejects (pure; the scenario CLI and
``rules.programs.parse`` use them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from clearcourse.rules.errors import InputError


def require_mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise InputError(field, "must be a JSON object")
    return value


def get(obj: Mapping[str, Any], key: str, field_prefix: str = "") -> Any:
    field = f"{field_prefix}{key}"
    if key not in obj:
        raise InputError(field, "is required")
    return obj[key]


def as_int(value: Any, field: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    # bool is an int in Python; in JSON true is not a number.
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            raise InputError(field, "must be a whole number")
    if minimum is not None and value < minimum:
        raise InputError(field, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise InputError(field, f"must be at most {maximum}")
    return value


def as_number(value: Any, field: str, *, minimum: float | None = None, maximum: float | None = None,
              exclusive_minimum: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(field, "must be a number")
    number = float(value)
    if number != number or number in (float("inf"), float("-inf")):
        raise InputError(field, "must be a finite number")
    if minimum is not None:
        if exclusive_minimum and number <= minimum:
            raise InputError(field, f"must be greater than {minimum:g}")
        if not exclusive_minimum and number < minimum:
            raise InputError(field, f"must be at least {minimum:g}")
    if maximum is not None and number > maximum:
        raise InputError(field, f"must be at most {maximum:g}")
    return number


def as_bool(value: Any, field: str) -> bool:
    if not isinstance(value, bool):
        raise InputError(field, "must be true or false")
    return value


def as_str(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise InputError(field, "must be a non-empty string")
    return value


def as_date(value: Any, field: str) -> dt.date:
    if not isinstance(value, str):
        raise InputError(field, "must be a date as YYYY-MM-DD")
    try:
        if len(value) != 10:
            raise ValueError
        return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(field, "must be a real calendar date as YYYY-MM-DD") from None


def as_list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise InputError(field, "must be a list")
    return value
