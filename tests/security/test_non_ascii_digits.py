"""Issue 14, finding 10: full-width ("RX-９５") and Arabic-Indic ("١٢") digits are not read as the ASCII
number. One policy, in ``core/numbers.py``: a clinical number, reference or date written with other digits is
refused with "Use the digits 0-9." (forms, the API and CSV all go through it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from clearcourse.core import identifiers, numbers
from clearcourse.core.errors import DomainError
from clearcourse.courses.models import prescription_reference
from clearcourse.interop import csv_import, services
from clearcourse.monitoring.models import LabResult
from clearcourse.pharmacy import selectors

FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ARABIC_INDIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.parametrize("text", ["١٢", "１２", "12.５", "۱۲", "१२", "²"])
def test_the_one_reader_refuses_other_digits_with_a_clear_message(text: str) -> None:
    with pytest.raises(numbers.NumberInputError) as exc:
        numbers.parse_decimal(text)
    assert exc.value.code == "non_ascii_digits"
    assert exc.value.message == "Use the digits 0-9."
    with pytest.raises(numbers.NumberInputError):
        numbers.parse_int(text)


def test_a_full_width_prescription_reference_is_refused_not_looked_up() -> None:
    with pytest.raises(DomainError) as exc:
        selectors.parse_reference("RX-９５")
    assert exc.value.field == "reference" and exc.value.message == numbers.USE_ASCII_DIGITS


@pytest.mark.django_db
def test_the_api_look_up_refuses_a_full_width_reference(course: Any, prescriber: Any, today: dt.date, make_ready: Any,
                                                        pharmacist: Any, login: Any) -> None:
    ready_prescription = make_ready(course, prescriber, today)
    birth = ready_prescription.course.patient.birth_date.isoformat()
    reference = prescription_reference(ready_prescription).translate(FULL_WIDTH)
    response = login(pharmacist).get("/api/v1/pharmacy/prescriptions/lookup",
                                     {"reference": reference, "birth_date": birth})
    assert response.status_code == 422
    assert response.json()["error"]["message"] == numbers.USE_ASCII_DIGITS


@pytest.mark.django_db
def test_a_csv_value_in_arabic_indic_digits_is_refused(course: Any, prescriber: Any, today: dt.date) -> None:
    data = f"{csv_import.HEADER}\nR-0001,2004-03-01,2571-8,١٢,mg/dL,,2026-10-02\n".encode()
    report = services.lab_import(actor=prescriber, data=data, fmt="csv", today=today)
    assert [(p.line, p.field, p.message) for p in report.problems] == [(2, "value", csv_import.FIELD_ASCII_DIGITS)]
    assert LabResult.objects.count() == 0


@pytest.mark.django_db
def test_a_lab_page_value_in_full_width_digits_answers_400_with_the_message(course: Any, prescriber: Any,
                                                                             login: Any) -> None:
    response = login(prescriber).post(reverse("monitoring:lab_record", args=[course.pk]), {
        "loinc": "2571-8", "value": "１２", "unit": "mg/dL", "collected_on": "2026-10-02"})
    assert response.status_code == 400
    assert "Use the digits 0-9." in response.content.decode()
    assert LabResult.objects.count() == 0


@pytest.mark.django_db
def test_a_date_in_full_width_digits_is_refused_by_a_form(course: Any, prescriber: Any, login: Any) -> None:
    response = login(prescriber).post(reverse("monitoring:lab_record", args=[course.pk]), {
        "loinc": "2571-8", "value": "12", "unit": "mg/dL", "collected_on": "2026-10-02".translate(FULL_WIDTH)})
    assert response.status_code == 400
    assert "Use the digits 0-9." in response.content.decode()


def test_an_npi_in_arabic_indic_digits_is_not_valid() -> None:
    assert identifiers.npi_valid("1234567893")
    assert not identifiers.npi_valid("1234567893".translate(ARABIC_INDIC))
