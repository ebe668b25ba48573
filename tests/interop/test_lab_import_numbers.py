"""Issue 14, finding 6: a lab import (API, CSV, FHIR) with a 30-digit value, NaN, infinity or 1e999 answers a
refusal on the value's field, never a 500 (``decimal.InvalidOperation``); every reader goes through
``core.numbers``."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clearcourse.core import numbers
from clearcourse.core.errors import DomainError
from clearcourse.interop import csv_import, services
from clearcourse.monitoring.models import LabResult
from clearcourse.monitoring.services import lab_result_record

HEADER = csv_import.HEADER
THIRTY_DIGITS = "1" * 30
BAD_VALUES = [THIRTY_DIGITS, "NaN", "nan", "Infinity", "-inf", "1e999", "1E5", "sNaN", "12,5", "0x10", ""]


def _csv_row(value: str, uln: str = "40") -> bytes:
    return f"{HEADER}\nR-0001,2004-03-01,1742-6,{value},U/L,{uln},2026-10-02\n".encode()


def _observation(value_json: str) -> bytes:
    """A FHIR ALT Observation whose valueQuantity.value is ``value_json`` as written in the JSON text (so that
    1e999 and NaN reach the reader as Python's json reads them)."""
    obs = {
        "resourceType": "Observation", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "1742-6"}]},
        "subject": {"reference": "#p"}, "effectiveDateTime": "2026-10-02",
        "contained": [{"resourceType": "Patient", "id": "p", "identifier": [{"value": "R-0001"}],
                       "birthDate": "2004-03-01"}],
        "valueQuantity": {"value": 12345, "unit": "U/L", "system": "http://unitsofmeasure.org", "code": "U/L"},
        "referenceRange": [{"high": {"value": 40, "unit": "U/L"}}],
    }
    return json.dumps(obs).replace("12345", value_json).encode()


@pytest.mark.parametrize("text", BAD_VALUES)
def test_the_one_reader_refuses_what_is_not_a_plain_number(text: str) -> None:
    with pytest.raises(numbers.NumberInputError):
        numbers.parse_decimal(text)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), Decimal("NaN"), Decimal("Infinity"), True, 10**30])
def test_the_one_reader_refuses_non_finite_and_huge_values_of_any_type(value: Any) -> None:
    with pytest.raises(numbers.NumberInputError):
        numbers.parse_decimal(value)


@pytest.mark.parametrize(("value", "expected"), [("12", "12"), (" 1.90 ", "1.90"), ("-0.5", "-0.5"), (".5", "0.5"),
                                                 (55, "55"), (1.9, "1.9"), (Decimal("40.000"), "40.000")])
def test_the_one_reader_reads_plain_numbers(value: Any, expected: str) -> None:
    assert numbers.parse_decimal(value) == Decimal(expected)


@pytest.mark.django_db
@pytest.mark.parametrize("value", [THIRTY_DIGITS, "NaN", "Infinity", "1e999"])
def test_the_api_answers_a_refusal_on_the_value_field_for_a_csv(course: Any, prescriber: Any, login: Any,
                                                                value: str) -> None:
    response = login(prescriber).post("/api/v1/interop/labs/import",
                                      {"file": SimpleUploadedFile("labs.csv", _csv_row(value))})
    assert response.status_code == 422, response.content[:300]
    problems = response.json()["error"]["report"]["problems"]
    assert [(p["line"], p["field"]) for p in problems] == [(2, "value")]
    assert LabResult.objects.count() == 0


@pytest.mark.django_db
def test_a_30_digit_upper_limit_is_refused_on_its_field(course: Any, prescriber: Any, today: dt.date) -> None:
    report = services.lab_import(actor=prescriber, data=_csv_row("55", uln=THIRTY_DIGITS), fmt="csv", today=today)
    assert [(p.line, p.field) for p in report.problems] == [(2, "uln")]


@pytest.mark.django_db
@pytest.mark.parametrize("value_json", ["1" * 30, "1e999", "-1e999", "NaN", "Infinity", '"12"'])
def test_the_api_answers_a_refusal_for_a_fhir_observation(course: Any, prescriber: Any, login: Any,
                                                          value_json: str) -> None:
    response = login(prescriber).post("/api/v1/interop/labs/import",
                                      {"file": SimpleUploadedFile("obs.json", _observation(value_json))})
    assert response.status_code == 422, response.content[:300]
    problems = response.json()["error"]["report"]["problems"]
    # Named on its field by the reader (30 digits) or by the R4 validator that runs first (the others).
    assert len(problems) == 1 and "value" in problems[0]["field"] + problems[0]["message"], problems
    assert LabResult.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("value", [THIRTY_DIGITS, Decimal("1" * 30), float("inf"), "NaN"])
def test_the_lab_service_refuses_on_the_value_field(course: Any, prescriber: Any, today: dt.date, value: Any) -> None:
    with pytest.raises(DomainError) as exc:
        lab_result_record(actor=prescriber, course=course, loinc="2571-8", value=value, unit="mg/dL",
                          collected_on=dt.date(2026, 10, 2), today=today)
    assert exc.value.field == "value"


@pytest.mark.django_db
def test_the_lab_page_answers_400_for_a_30_digit_value(course: Any, prescriber: Any, login: Any) -> None:
    from django.urls import reverse

    response = login(prescriber).post(reverse("monitoring:lab_record", args=[course.pk]), {
        "loinc": "2571-8", "value": THIRTY_DIGITS, "unit": "mg/dL", "collected_on": "2026-10-02"})
    assert response.status_code == 400
    assert LabResult.objects.count() == 0
