"""Pharmacy fixtures: a course whose conditions are met today (``make_ready`` in tests/conftest.py), and
the ``postgres`` marker's skip."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from clearcourse.courses.models import prescription_reference

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


@pytest.fixture
def ready_prescription(course: Any, prescriber: Any, today: dt.date, make_ready: Callable[..., Any]) -> Any:
    return make_ready(course, prescriber, today)


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
            actor=actor or pharmacist, reference=prescription_reference(prescription),
            birth_date=birth_date or prescription.course.patient.birth_date, days_supply=days_supply,
            today=on or today, **extra)

    return do
