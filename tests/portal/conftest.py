"""Portal fixtures: a course with its records written straight to the tables, and a signed-in patient
client. The clock is frozen at the suite's ``today`` by the root conftest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

DAY = dt.timedelta(days=1)


@pytest.fixture
def set_category(prescriber: Any) -> Callable[..., Any]:
    def do(course: Any, can_get_pregnant: bool, on: dt.date = dt.date(2026, 10, 1)) -> Any:
        from clearcourse.ppp.models import RiskCategory

        return RiskCategory.objects.create(course=course, can_get_pregnant=can_get_pregnant, effective_on=on,
                                           recorded_by=prescriber)

    return do


@pytest.fixture
def planned(prescriber: Any) -> Callable[..., Any]:
    """``planned(course)``: a weight, a severe assessment and a 40 mg/day plan from 2026-10-01."""

    def do(course: Any, *, weight: str = "60.0", iga: int = 4) -> Any:
        from clearcourse.courses.models import Assessment, DosePlan, WeightMeasurement

        WeightMeasurement.objects.create(patient=course.patient, measured_on=dt.date(2026, 9, 20),
                                         weight_kg=Decimal(weight), recorded_by=prescriber)
        Assessment.objects.create(course=course, assessed_on=dt.date(2026, 9, 20), iga=iga, eligible=iga == 4,
                                  decision={"indicated": iga == 4, "eligible": iga == 4,
                                            "indications": [{"code": "severe"}] if iga == 4 else [],
                                            "contraindications": []},
                                  recorded_by=prescriber)
        return DosePlan.objects.create(course=course, starts_on=dt.date(2026, 10, 1), weight_kg=Decimal(weight),
                                       mg_per_kg=Decimal("0.67"), daily_dose_mg=40, capsules={"40": 1},
                                       target_mg_per_kg=Decimal(120), recorded_by=prescriber)

    return do


@pytest.fixture
def dispensed(prescriber: Any, pharmacy: Any) -> Callable[..., Any]:
    """``dispensed(course, on)``: a 30-day, 40 mg prescription written and dispensed on ``on``."""

    def do(course: Any, on: dt.date) -> Any:
        from clearcourse.courses.models import Prescription
        from clearcourse.pharmacy.models import Dispense

        rx = Prescription.objects.create(course=course, prescriber=prescriber, issued_on=on, product=course.product,
                                         daily_dose_mg=40, capsules={"40": 1}, days_supply=30, recorded_by=prescriber)
        return Dispense.objects.create(prescription=rx, pharmacy=pharmacy, dispensed_on=on, days_supply=30,
                                       daily_dose_mg=40, recorded_by=prescriber)

    return do


@pytest.fixture
def other_course(other_patient: Any, prescriber: Any) -> Any:
    from clearcourse.courses.services import course_create

    return course_create(actor=prescriber, patient=other_patient)


@pytest.fixture
def patient_client(login: Callable[[Any], Any], patient_user: Any) -> Any:
    return login(patient_user)


@pytest.fixture
def ready(prescriber: Any) -> Callable[..., Any]:
    """``ready(course, today)``: a first US fill whose every condition is met on ``today`` (a screening and a
    confirmation test 34 days apart, the confirmation 2 days ago; a prescription written that day)."""

    def do(course: Any, today: dt.date) -> Any:
        from clearcourse.courses.models import Prescription
        from clearcourse.ppp import models as ppp

        start, confirm = today - 36 * DAY, today - 2 * DAY
        ppp.Enrollment.objects.create(course=course, program=course.program, enrolled_on=start,
                                      recorded_by=prescriber)
        ppp.RiskCategory.objects.create(course=course, can_get_pregnant=True, effective_on=start,
                                        recorded_by=prescriber)
        for day in (start, confirm):
            ppp.Counseling.objects.create(course=course, counseled_on=day, counseled_by=prescriber,
                                          recorded_by=prescriber)
            ppp.ContraceptionConfirmation.objects.create(course=course, confirmed_on=day,
                                                         methods=["iud_copper", "male_condom"],
                                                         confirmed_by="prescriber", recorded_by=prescriber)
            ppp.PregnancyTest.objects.create(course=course, collected_on=day, setting="clinic", result="negative",
                                             recorded_by=prescriber)
        ppp.ComprehensionAttempt.objects.create(course=course, answered_on=confirm, program=course.program,
                                                answers={}, score=5, total=5, passed=True, recorded_by=prescriber)
        return Prescription.objects.create(course=course, prescriber=prescriber, issued_on=confirm,
                                           product=course.product, daily_dose_mg=40, capsules={"40": 1},
                                           days_supply=30, recorded_by=prescriber)

    return do
