"""course_dose_summary: cumulative dose from dispenses, less missed days, at each period's weight."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse

from clearcourse.courses import selectors, services
from clearcourse.courses.models import Prescription
from clearcourse.pharmacy.models import Dispense

pytestmark = pytest.mark.django_db

D = dt.date


def _dispense(course: Any, prescriber: Any, pharmacy: Any, on: dt.date, daily: int = 40, days: int = 30) -> Any:
    rx = Prescription.objects.create(course=course, prescriber=prescriber, issued_on=on, product=course.product,
                                     daily_dose_mg=daily, capsules={str(daily): 1}, days_supply=days,
                                     recorded_by=prescriber)
    return Dispense.objects.create(prescription=rx, pharmacy=pharmacy, dispensed_on=on, days_supply=days,
                                   daily_dose_mg=daily, recorded_by=prescriber)


@pytest.fixture
def planned(course: Any, prescriber: Any, today: dt.date) -> Any:
    services.course_status_change(actor=prescriber, course=course, status="active", on=D(2026, 9, 1), today=today)
    services.dose_plan_record(actor=prescriber, course=course, starts_on=D(2026, 9, 1), weight_kg=80,
                              mg_per_kg="0.5", today=today)
    course.refresh_from_db()
    return course


def test_no_dispenses_projects_from_the_plan_start(course: Any, prescriber: Any, today: dt.date) -> None:
    services.dose_plan_record(actor=prescriber, course=course, starts_on=D(2026, 12, 1), weight_kg=80,
                              mg_per_kg="0.5", today=today)
    summary = selectors.course_dose_summary(course, as_of=today)
    assert summary.cumulative_mg == 0 and summary.cumulative_mg_per_kg == 0
    assert summary.target_mg == Decimal(9600)
    assert summary.days_remaining == 240  # 9600 mg at 40 mg/day
    assert summary.projected_end == D(2026, 12, 1) + dt.timedelta(days=240)
    assert summary.actual_points == ()


def test_missed_days_are_subtracted_from_the_period_they_fall_in(planned: Any, prescriber: Any, pharmacy: Any,
                                                                 today: dt.date) -> None:
    _dispense(planned, prescriber, pharmacy, D(2026, 9, 1))
    _dispense(planned, prescriber, pharmacy, D(2026, 10, 1))
    services.missed_dose_record(actor=prescriber, course=planned, first_day=D(2026, 10, 5), days=3, today=today)
    summary = selectors.course_dose_summary(planned, as_of=today)
    assert [p.days_missed for p in summary.periods] == [0, 3]
    assert summary.cumulative_mg == Decimal(40 * 30 + 40 * 27)
    assert summary.missed_days == 3
    assert summary.cumulative_mg_per_kg == Decimal("28.5")  # 2280 / 80


def test_each_period_uses_the_weight_measured_for_it(planned: Any, prescriber: Any, pharmacy: Any,
                                                     today: dt.date) -> None:
    services.weight_record(actor=prescriber, patient=planned.patient, measured_on=D(2026, 8, 30), weight_kg=80,
                           today=today)
    services.weight_record(actor=prescriber, patient=planned.patient, measured_on=D(2026, 9, 28), weight_kg=60,
                           today=today)
    _dispense(planned, prescriber, pharmacy, D(2026, 9, 1))
    _dispense(planned, prescriber, pharmacy, D(2026, 10, 1))
    summary = selectors.course_dose_summary(planned, as_of=today)
    assert [p.weight_kg for p in summary.periods] == [Decimal(80), Decimal(60)]
    # 1200 mg / 80 kg + 1200 mg / 60 kg = 15 + 20
    assert summary.cumulative_mg_per_kg == Decimal("35.0")


def test_a_period_without_a_weight_uses_the_plan_weight(planned: Any, prescriber: Any, pharmacy: Any,
                                                        today: dt.date) -> None:
    _dispense(planned, prescriber, pharmacy, D(2026, 9, 1))
    summary = selectors.course_dose_summary(planned, as_of=today)
    assert summary.periods[0].weight_kg is None
    assert summary.cumulative_mg_per_kg == Decimal(15)


def test_an_early_refill_starts_when_the_supply_on_hand_runs_out(planned: Any, prescriber: Any, pharmacy: Any,
                                                                 today: dt.date) -> None:
    _dispense(planned, prescriber, pharmacy, D(2026, 11, 1))
    _dispense(planned, prescriber, pharmacy, D(2026, 11, 25))
    summary = selectors.course_dose_summary(planned, as_of=today)
    assert [p.starts_on for p in summary.periods] == [D(2026, 11, 1), D(2026, 12, 1)]
    assert summary.supply_ends_on == D(2026, 12, 30)
    # 9600 - 2400 = 7200 mg remaining at 40 mg/day = 180 days from the day after the supply runs out.
    assert summary.remaining_mg == Decimal(7200) and summary.days_remaining == 180
    assert summary.projected_end == D(2026, 12, 31) + dt.timedelta(days=180)


def test_the_chart_series_end_at_the_target_and_the_actual_line_stops_today(planned: Any, prescriber: Any,
                                                                            pharmacy: Any,
                                                                            today: dt.date) -> None:
    _dispense(planned, prescriber, pharmacy, D(2026, 9, 1))
    _dispense(planned, prescriber, pharmacy, D(2026, 10, 1))
    _dispense(planned, prescriber, pharmacy, D(2026, 11, 1))
    summary = selectors.course_dose_summary(planned, as_of=today)
    assert summary.actual_points[0] == (D(2026, 9, 1), 0.0)
    assert summary.actual_points[-1][0] == today
    # 30 + 30 + 25 days of 40 mg at 80 kg before today (no supply on hand on Oct 31).
    assert summary.actual_points[-1][1] == pytest.approx(85 * 0.5)
    assert dict(summary.actual_points)[D(2026, 10, 31)] == pytest.approx(30.0)
    assert summary.projected_points[-1] == (summary.projected_end, pytest.approx(120.0))
    assert summary.taken_mg_per_kg == Decimal("42.5")


def test_a_missed_run_flattens_the_actual_line(planned: Any, prescriber: Any, pharmacy: Any,
                                               today: dt.date) -> None:
    _dispense(planned, prescriber, pharmacy, D(2026, 9, 1))
    services.missed_dose_record(actor=prescriber, course=planned, first_day=D(2026, 9, 11), days=5, today=today)
    summary = selectors.course_dose_summary(planned, as_of=today)
    points = dict(summary.actual_points)
    assert points[D(2026, 9, 11)] == pytest.approx(5.0)
    assert points[D(2026, 9, 16)] == pytest.approx(5.0)  # nothing taken while doses were missed
    assert points[D(2026, 10, 1)] == pytest.approx(12.5)  # 25 days x 0.5 mg/kg


def test_a_completed_course_has_no_projection(planned: Any, prescriber: Any, pharmacy: Any,
                                              today: dt.date) -> None:
    _dispense(planned, prescriber, pharmacy, D(2026, 9, 1))
    services.course_status_change(actor=prescriber, course=planned, status="completed", on=D(2026, 9, 30),
                                  today=today)
    planned.refresh_from_db()
    summary = selectors.course_dose_summary(planned, as_of=today)
    assert summary.projected_end is None and summary.projected_points == ()
    assert summary.cumulative_mg == Decimal(1200)


def test_corrected_missed_day_reports_count_once(planned: Any, prescriber: Any, pharmacy: Any,
                                                 today: dt.date) -> None:
    _dispense(planned, prescriber, pharmacy, D(2026, 9, 1))
    old = services.missed_dose_record(actor=prescriber, course=planned, first_day=D(2026, 9, 3), days=4,
                                      today=today)
    services.missed_dose_record(actor=prescriber, course=planned, first_day=D(2026, 9, 3), days=2, today=today,
                                supersedes=old, correction_reason="patient remembered")
    summary = selectors.course_dose_summary(planned, as_of=today)
    assert summary.missed_days == 2


def test_a_course_over_its_target_says_so_on_the_course_page(planned: Any, prescriber: Any, pharmacy: Any,
                                                              client: Any, today: dt.date) -> None:
    # Target 120 mg/kg at 80 kg = 9600 mg; eleven months of 40 mg/day at 30 days = 13,200 mg (165 mg/kg).
    for month in range(11):
        _dispense(planned, prescriber, pharmacy, D(2025, 12, 1) + dt.timedelta(days=30 * month))
    summary = selectors.course_dose_summary(planned, as_of=today)
    assert summary.target_passed and summary.remaining_mg == 0
    assert summary.progress_percent is not None and summary.progress_percent > 100
    client.force_login(prescriber)
    html = client.get(reverse("courses:course_detail", args=[planned.pk])).content.decode()
    assert "The cumulative target is passed: plan the end of the course." in html
