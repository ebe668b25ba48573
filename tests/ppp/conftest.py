"""Fixtures for the pregnancy-prevention records: a course with records written straight to the tables
(the loader tests must not depend on the services they are checking against)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

D = dt.date


@pytest.fixture
def add(course: Any, prescriber: Any) -> Callable[..., Any]:
    """``add("test", collected_on=..., ...)`` inserts one record for ``course`` and returns it."""
    from clearcourse.courses.models import Prescription
    from clearcourse.pharmacy.models import Dispense
    from clearcourse.ppp import models as m

    def make(kind: str, **fields: Any) -> Any:
        fields.setdefault("recorded_by", prescriber)
        if kind == "verification":
            fields.setdefault("verified_by", prescriber)
            fields.setdefault("outcome", "confirmed")
            return m.HomeTestVerification.objects.create(**fields)
        if kind == "dispense":
            from clearcourse.accounts.models import Pharmacy

            fields.setdefault("pharmacy", Pharmacy.objects.first() or Pharmacy.objects.create(
                name="P", program="us-ipledge", registration_number="NCPDP-LOADER"))
            rx = fields["prescription"]
            fields.setdefault("days_supply", rx.days_supply)
            fields.setdefault("daily_dose_mg", rx.daily_dose_mg)
            return Dispense.objects.create(**fields)
        fields.setdefault("course", course)
        if kind == "rx":
            fields.setdefault("prescriber", prescriber)
            fields.setdefault("product", course.product)
            fields.setdefault("daily_dose_mg", 40)
            fields.setdefault("days_supply", 30)
            return Prescription.objects.create(**fields)
        model = {
            "enrolled": m.Enrollment, "risk": m.RiskCategory, "counseling": m.Counseling,
            "contraception": m.ContraceptionConfirmation, "test": m.PregnancyTest,
            "comprehension": m.ComprehensionAttempt, "end": m.TreatmentEnd,
        }[kind]
        if kind == "enrolled":
            fields.setdefault("program", course.program)
        if kind == "counseling":
            fields.setdefault("counseled_by", prescriber)
        if kind == "contraception":
            fields.setdefault("confirmed_by", "prescriber")
        if kind == "comprehension":
            fields.setdefault("program", course.program)
            fields.setdefault("answers", {})
            fields.setdefault("score", 10)
            fields.setdefault("total", 10)
        return model.objects.create(**fields)

    return make


@pytest.fixture
def ready_course(course: Any, add: Callable[..., Any]) -> Any:
    """A can-get-pregnant US patient whose every condition is met on 2026-10-07 for prescription ``rx``
    (the contract's example case)."""
    add("enrolled", enrolled_on=D(2026, 9, 1))
    add("risk", can_get_pregnant=True, effective_on=D(2026, 9, 1))
    add("counseling", counseled_on=D(2026, 9, 1))
    add("contraception", confirmed_on=D(2026, 9, 1), methods=["iud_copper", "male_condom"])
    add("test", collected_on=D(2026, 9, 10), setting="clinic", result="negative")
    add("test", collected_on=D(2026, 10, 5), setting="clinic", result="negative")
    add("comprehension", answered_on=D(2026, 10, 5), passed=True)
    # Monthly: counselling and contraception are confirmed again at the visit that opens the window.
    add("counseling", counseled_on=D(2026, 10, 5))
    add("contraception", confirmed_on=D(2026, 10, 5), methods=["iud_copper", "male_condom"])
    course.rx = add("rx", issued_on=D(2026, 10, 5))
    return course
