"""Issue 12: the first dispense starts a planned course (one status on every page), and passing the cumulative
target raises one alert."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from clearcourse.audit.models import AuditEntry
from clearcourse.courses.models import Course, DosePlan, WeightMeasurement
from clearcourse.pharmacy import services

pytestmark = pytest.mark.django_db


def test_the_first_dispense_puts_a_planned_course_on_treatment(ready_prescription: Any, authorize: Callable[..., Any],
                                                               pharmacist: Any, today: dt.date) -> None:
    course = ready_prescription.course
    assert course.status == "planned"
    authorization = authorize(ready_prescription)
    services.dispense_record(actor=pharmacist, authorization_id=authorization.pk, idempotency_key="k-1",
                             days_supply=30, today=today)
    course = Course.objects.get(pk=course.pk)
    assert course.status == "active" and course.started_on == today
    entry = AuditEntry.objects.filter(action="course.status").latest("id")
    assert entry.actor_id == pharmacist.pk and entry.detail["reason"] == "first dispense"


def test_passing_the_cumulative_target_raises_one_alert(ready_prescription: Any, authorize: Callable[..., Any],
                                                        pharmacist: Any, prescriber: Any, today: dt.date,
                                                        django_capture_on_commit_callbacks: Any) -> None:
    from clearcourse.monitoring.models import Alert
    from clearcourse.monitoring.services import TARGET_PASSED, cumulative_target_alert

    course = ready_prescription.course
    # A small target so that one 30-day supply of 40 mg/day at 8 kg passes it: 1200 mg / 8 kg = 150 mg/kg.
    WeightMeasurement.objects.create(patient=course.patient, measured_on=today - dt.timedelta(days=40),
                                     weight_kg=Decimal("8"), recorded_by=prescriber)
    DosePlan.objects.create(course=course, starts_on=today - dt.timedelta(days=2), weight_kg=Decimal("8"),
                            mg_per_kg=Decimal("5"), daily_dose_mg=40, target_mg_per_kg=Decimal("120"),
                            out_of_range_reason="test", recorded_by=prescriber)
    authorization = authorize(ready_prescription)
    with django_capture_on_commit_callbacks(execute=True):
        services.dispense_record(actor=pharmacist, authorization_id=authorization.pk, idempotency_key="k-1",
                                 days_supply=30, today=today)
    alerts = Alert.objects.filter(course=course, code=TARGET_PASSED)
    assert alerts.count() == 1
    alert = alerts.get()
    assert alert.kind == "dose" and alert.recorded_by is None
    assert "plan the end of the course" in alert.display_advice
    assert cumulative_target_alert(course_id=course.pk, today=today) is None  # once
    assert alerts.count() == 1
