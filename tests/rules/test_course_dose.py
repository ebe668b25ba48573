"""The course's dose to date in the rules core: supply periods, missed days, target reached and passed."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clearcourse.rules.course_dose import (
    DispenseFacts,
    DoseFacts,
    PlanFacts,
    TargetStatus,
    course_dose,
)

D = dt.date
PLAN = PlanFacts(id=1, starts_on=D(2026, 1, 1), weight_kg=Decimal(60), daily_dose_mg=Decimal(60),
                 target_mg_per_kg=Decimal(120))


def _facts(*dispenses: tuple[dt.date, int], missed: tuple[tuple[dt.date, int], ...] = (),
           status: str = "active") -> DoseFacts:
    return DoseFacts(status=status, product="conventional", target_mg_per_kg=Decimal(120), plans=(PLAN,),
                     dispenses=tuple(DispenseFacts(i, i, day, days, Decimal(60), "conventional")
                                     for i, (day, days) in enumerate(dispenses, start=1)),
                     missed=missed)


def test_an_early_refill_starts_when_the_supply_on_hand_runs_out() -> None:
    dose = course_dose(_facts((D(2026, 1, 1), 30), (D(2026, 1, 25), 30)), D(2026, 3, 1))
    assert [p.starts_on for p in dose.periods] == [D(2026, 1, 1), D(2026, 1, 31)]
    assert dose.supply_ends_on == D(2026, 3, 1)


def test_missed_days_count_against_the_period_they_fall_in() -> None:
    dose = course_dose(_facts((D(2026, 1, 1), 30), (D(2026, 1, 31), 30), missed=((D(2026, 2, 2), 3),)),
                       D(2026, 3, 1))
    assert [p.days_missed for p in dose.periods] == [0, 3]
    assert dose.cumulative_mg == Decimal(60 * 57)


def test_below_the_target_the_course_projects_its_end() -> None:
    dose = course_dose(_facts((D(2026, 1, 1), 30)), D(2026, 1, 10))
    assert dose.target_status is TargetStatus.BELOW and not dose.target_reached
    assert dose.remaining_mg == Decimal(120 * 60 - 60 * 30)
    assert dose.projected_end is not None and dose.projected_end > D(2026, 1, 30)


def test_a_course_over_its_target_says_it_passed_it_and_shows_more_than_100_percent() -> None:
    # 150 days of 60 mg at 60 kg = 150 mg/kg against a 120 mg/kg target.
    dose = course_dose(_facts(*[(D(2026, 1, 1) + dt.timedelta(days=30 * i), 30) for i in range(5)]), D(2026, 6, 1))
    assert dose.target_status is TargetStatus.PASSED
    assert dose.target_reached and dose.target_passed
    assert dose.remaining_mg == 0
    assert dose.progress_percent == 125


def test_exactly_at_the_target_it_is_reached_not_passed() -> None:
    dose = course_dose(_facts(*[(D(2026, 1, 1) + dt.timedelta(days=30 * i), 30) for i in range(4)]), D(2026, 5, 1))
    assert dose.target_status is TargetStatus.REACHED
    assert dose.target_reached and not dose.target_passed


def test_without_a_weight_the_target_status_is_unknown() -> None:
    facts = DoseFacts(status="planned", product="conventional", target_mg_per_kg=Decimal(120))
    dose = course_dose(facts, D(2026, 1, 1))
    assert dose.target_status is TargetStatus.UNKNOWN and dose.target_mg is None


def test_a_completed_course_projects_nothing() -> None:
    dose = course_dose(_facts((D(2026, 1, 1), 30), status="completed"), D(2026, 3, 1))
    assert dose.projected_end is None and dose.projected_points == ()
