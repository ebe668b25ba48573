"""Pharmacy fixtures: a course whose conditions are met today, and the ``postgres`` marker's skip.

``ready_prescription`` builds, through the ppp records the loader reads, a first fill under iPLEDGE for
a patient who can get pregnant: enrolment, counselling, contraception from 36 days before, a screening
test and a confirmation test 34 days apart, comprehension passed, and a 30-day prescription written two
days before ``today``. Dispensing is allowed today; the window runs to collection + 6 days.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

DAY = dt.timedelta(days=1)


@pytest.fixture(autouse=True)
def _postgres_only(request: pytest.FixtureRequest) -> None:
    """Tests marked ``postgres`` need real row locks and concurrent connections; SQLite has neither
    (it serialises whole-database writers), so there they are skipped, saying why."""
    if request.node.get_closest_marker("postgres") is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and concurrent connections); set DATABASE_URL=postgres://...")


def make_ready_prescription(course: Any, prescriber: Any, today: dt.date, *, days_supply: int = 30,
                            can_get_pregnant: bool = True) -> Any:
    from clearcourse.courses.models import Prescription
    from clearcourse.ppp import models as ppp

    start, confirm = today - 36 * DAY, today - 2 * DAY
    ppp.Enrollment.objects.create(course=course, program=course.program, enrolled_on=start, recorded_by=prescriber)
    ppp.RiskCategory.objects.create(course=course, can_get_pregnant=can_get_pregnant, effective_on=start,
                                    recorded_by=prescriber)
    for day in (start, confirm):
        ppp.Counseling.objects.create(course=course, counseled_on=day, counseled_by=prescriber, recorded_by=prescriber)
        ppp.ContraceptionConfirmation.objects.create(course=course, confirmed_on=day,
                                                     methods=["iud_copper", "male_condom"], confirmed_by="prescriber",
                                                     recorded_by=prescriber)
        ppp.PregnancyTest.objects.create(course=course, collected_on=day, setting="clinic", result="negative",
                                         recorded_by=prescriber)
    ppp.ComprehensionAttempt.objects.create(course=course, answered_on=confirm, program=course.program, answers={},
                                            score=5, total=5, passed=True, recorded_by=prescriber)
    return Prescription.objects.create(course=course, prescriber=prescriber, issued_on=confirm,
                                       product=course.product, daily_dose_mg=40, capsules={"40": 1},
                                       days_supply=days_supply, recorded_by=prescriber)


@pytest.fixture
def make_ready() -> Callable[..., Any]:
    """``make_ready(course, prescriber, today, days_supply=30, can_get_pregnant=True)``."""
    return make_ready_prescription


@pytest.fixture
def ready_prescription(course: Any, prescriber: Any, today: dt.date) -> Any:
    return make_ready_prescription(course, prescriber, today)


@pytest.fixture
def bare_prescription(course: Any, prescriber: Any, today: dt.date) -> Any:
    """A prescription with nothing else recorded: every condition is missing."""
    from clearcourse.courses.models import Prescription

    return Prescription.objects.create(course=course, prescriber=prescriber, issued_on=today - DAY,
                                       product=course.product, daily_dose_mg=40, capsules={"40": 1}, days_supply=30,
                                       recorded_by=prescriber)


@pytest.fixture
def authorize(pharmacist: Any, patient: Any, today: dt.date) -> Callable[..., Any]:
    """Asks for an authorization of ``prescription`` as ``actor`` (default: the pharmacist)."""
    from clearcourse.pharmacy import services

    def do(prescription: Any, *, actor: Any = None, days_supply: int = 30, on: dt.date | None = None,
           birth_date: dt.date | None = None, **extra: Any) -> Any:
        return services.authorization_request(
            actor=actor or pharmacist, reference=f"RX-{prescription.pk}",
            birth_date=birth_date or prescription.course.patient.birth_date, days_supply=days_supply,
            today=on or today, **extra)

    return do
