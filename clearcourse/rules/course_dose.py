"""A course's dose to date: supply periods, missed days, cumulative dose, the target and the projected end.

Pure: the Django layer loads the course's dispenses, dose plans, weights and missed-dose reports into
:class:`DoseFacts`; :func:`course_dose` lays the dispenses out on the calendar and applies
``rules.dosing`` (cumulative dose, target, remaining, projection). Every page, export and the worklist draw
the one :class:`CourseDose` this returns, so no two places compute the cumulative dose.

Rules (sources as in ``rules.dosing``: EU SmPC 4.2, MSD Manual 120-150 mg/kg, US label):

- a refill picked up before the supply on hand runs out starts the day after it runs out (the patient
  does not take two supplies at once);
- a reported missed day counts against the supply period it falls in, at most the period's length;
- each period's dose is divided by the weight measured for it (the latest on or before its dispense),
  else by the dose plan's weight;
- the target is reached when the cumulative dose (dispensed less missed days) is at least the target and
  passed when it is more; from then on there is nothing to project and the course's end is due;
- the projection counts from the day the supply on hand runs out (or from the day asked / the plan's start
  when nothing was dispensed), at the planned daily dose, and only for courses still running.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from clearcourse.rules import dosing

DAY = dt.timedelta(days=1)
#: Course statuses (``courses.CourseStatus`` values) for which no end is projected: the course is over.
NO_PROJECTION_STATUSES = frozenset({"completed", "closed", "stopped"})


class TargetStatus(StrEnum):
    """Where the cumulative dose stands against the cumulative target."""

    UNKNOWN = "unknown"  # no weight yet: the target in mg cannot be worked out
    BELOW = "below"
    REACHED = "reached"  # exactly at the target
    PASSED = "passed"  # above the target


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """One current dose plan."""

    id: int
    starts_on: dt.date
    weight_kg: Decimal
    daily_dose_mg: Decimal
    target_mg_per_kg: Decimal
    out_of_range_reason: str = ""


@dataclass(frozen=True, slots=True)
class DispenseFacts:
    """One current dispense of the course."""

    id: int
    prescription_id: int
    dispensed_on: dt.date
    days_supply: int
    daily_dose_mg: Decimal
    product: str


@dataclass(frozen=True, slots=True)
class DoseFacts:
    """What the dose rules need about one course: current records only (superseded ones left out)."""

    status: str  # the course's status (``courses.CourseStatus`` value)
    product: str
    target_mg_per_kg: Decimal  # the course's own target, used while no plan sets one
    plans: tuple[PlanFacts, ...] = ()  # ordered by start, then id
    dispenses: tuple[DispenseFacts, ...] = ()  # ordered by day, then id
    weights: tuple[tuple[dt.date, Decimal], ...] = ()  # (measured_on, kg) ordered by day
    missed: tuple[tuple[dt.date, int], ...] = ()  # (first day, days) of each missed-dose report


@dataclass(frozen=True, slots=True)
class SupplyPeriod:
    """One dispense laid out on the calendar."""

    dispense_id: int
    prescription_id: int
    dispensed_on: dt.date
    starts_on: dt.date
    ends_on: dt.date  # last day of the supply
    daily_dose_mg: Decimal
    days_supply: int
    days_missed: int
    weight_kg: Decimal | None  # the weight measured for this period (None: the plan's weight is used)
    product: str
    mg: Decimal


@dataclass(frozen=True, slots=True)
class CourseDose:
    as_of: dt.date
    plan: PlanFacts | None
    plan_weight_kg: Decimal | None
    daily_dose_mg: Decimal | None
    target_mg_per_kg: Decimal
    target_mg: Decimal | None
    periods: tuple[SupplyPeriod, ...]
    missed_days: int  # missed days that fall in a supply period
    cumulative_mg: Decimal  # dispensed less missed days
    cumulative_mg_per_kg: Decimal | None
    taken_mg_per_kg: Decimal | None  # estimate of what was taken before as_of
    remaining_mg: Decimal | None
    days_remaining: int | None
    supply_ends_on: dt.date | None
    projection_from: dt.date | None
    projected_end: dt.date | None
    target_status: TargetStatus
    actual_points: tuple[tuple[dt.date, float], ...]
    projected_points: tuple[tuple[dt.date, float], ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def progress_percent(self) -> int | None:
        """The cumulative dose in percent of the target (not capped: 126 means 26 % over it)."""
        if self.cumulative_mg_per_kg is None or not self.target_mg_per_kg:
            return None
        return int(self.cumulative_mg_per_kg / self.target_mg_per_kg * 100)

    @property
    def target_reached(self) -> bool:
        """At or over the target: the end of the course is due."""
        return self.target_status in (TargetStatus.REACHED, TargetStatus.PASSED)

    @property
    def target_passed(self) -> bool:
        return self.target_status is TargetStatus.PASSED


def current_plan(plans: Sequence[PlanFacts], as_of: dt.date) -> PlanFacts | None:
    """The plan in force on ``as_of``: the latest plan already started, else the next one."""
    started = [p for p in plans if p.starts_on <= as_of]
    if started:
        return started[-1]
    return plans[0] if plans else None


def missed_days(reports: Sequence[tuple[dt.date, int]], as_of: dt.date) -> set[dt.date]:
    """Every reported missed day up to ``as_of``."""
    days: set[dt.date] = set()
    for first_day, count in reports:
        for offset in range(count):
            day = first_day + dt.timedelta(days=offset)
            if day <= as_of:
                days.add(day)
    return days


def weight_on(weights: Sequence[tuple[dt.date, Decimal]], day: dt.date) -> Decimal | None:
    """The latest weight measured on or before ``day``."""
    found: Decimal | None = None
    for measured_on, kg in weights:  # ordered by day
        if measured_on <= day:
            found = kg
    return found


def supply_periods(facts: DoseFacts, as_of: dt.date, missed: set[dt.date]) -> list[SupplyPeriod]:
    """The dispenses up to ``as_of`` laid out on the calendar (an early refill starts when the last supply ends)."""
    periods: list[SupplyPeriod] = []
    next_free: dt.date | None = None
    for row in facts.dispenses:
        if row.dispensed_on > as_of:
            continue
        start = row.dispensed_on if next_free is None else max(row.dispensed_on, next_free)
        last_day = start + dt.timedelta(days=row.days_supply - 1)
        days_missed = min(row.days_supply, sum(1 for d in missed if start <= d <= last_day))
        weight = weight_on(facts.weights, row.dispensed_on)
        item = dosing.Dispense(date=row.dispensed_on, daily_dose_mg=Decimal(row.daily_dose_mg),
                               days_supply=row.days_supply, days_missed=days_missed, weight_kg=weight,
                               product=row.product)
        periods.append(SupplyPeriod(
            dispense_id=row.id, prescription_id=row.prescription_id, dispensed_on=row.dispensed_on,
            starts_on=start, ends_on=last_day, daily_dose_mg=item.daily_dose_mg, days_supply=row.days_supply,
            days_missed=days_missed, weight_kg=weight, product=row.product, mg=dosing.dispense_mg(item)))
        next_free = last_day + DAY
    return periods


def _taken_line(periods: Sequence[SupplyPeriod], missed: set[dt.date], plan_weight: Decimal,
                as_of: dt.date) -> tuple[list[tuple[dt.date, float]], Fraction]:
    """What was taken before each day (mg/kg), one point wherever the daily amount changes."""
    actual: list[tuple[dt.date, float]] = []
    taken = Fraction(0)
    if not periods:
        return actual, taken
    first, stop = periods[0].starts_on, min(as_of, periods[-1].ends_on + DAY)
    rate_by_day: dict[dt.date, Fraction] = {}
    for period in periods:
        per_kg = Fraction(period.daily_dose_mg) / Fraction(period.weight_kg or plan_weight)
        day = period.starts_on
        while day <= period.ends_on:
            if day not in missed:
                rate_by_day[day] = rate_by_day.get(day, Fraction(0)) + per_kg
            day += DAY
    previous_rate: Fraction | None = None
    day = first
    while day < stop:
        rate = rate_by_day.get(day, Fraction(0))
        if rate != previous_rate:
            actual.append((day, float(taken)))
            previous_rate = rate
        taken += rate
        day += DAY
    actual.append((stop, float(taken)))
    return actual, taken


def _target_status(cumulative_mg: Decimal, target_mg: Decimal | None) -> TargetStatus:
    if target_mg is None:
        return TargetStatus.UNKNOWN
    if cumulative_mg > target_mg:
        return TargetStatus.PASSED
    if cumulative_mg == target_mg:
        return TargetStatus.REACHED
    return TargetStatus.BELOW


def course_dose(facts: DoseFacts, as_of: dt.date) -> CourseDose:
    """The course's dose on ``as_of`` (see the module docstring)."""
    missed = missed_days(facts.missed, as_of)
    plan = current_plan(facts.plans, as_of)
    latest_weight = weight_on(facts.weights, as_of)
    plan_weight = plan.weight_kg if plan else latest_weight
    target_per_kg = plan.target_mg_per_kg if plan else facts.target_mg_per_kg
    periods = supply_periods(facts, as_of, missed)
    supply_ends_on = periods[-1].ends_on if periods else None

    warnings: list[str] = []
    products = {p.product for p in periods} | {facts.product}
    if len(products) > 1:
        warnings.append(dosing.PRODUCTS_MIXED.format(products=", ".join(sorted(products))))

    cumulative_mg = sum((p.mg for p in periods), Decimal(0))
    missed_total = sum(p.days_missed for p in periods)
    if plan_weight is None:
        return CourseDose(
            as_of=as_of, plan=plan, plan_weight_kg=None, daily_dose_mg=None, target_mg_per_kg=target_per_kg,
            target_mg=None, periods=tuple(periods), missed_days=missed_total, cumulative_mg=cumulative_mg,
            cumulative_mg_per_kg=None, taken_mg_per_kg=None, remaining_mg=None, days_remaining=None,
            supply_ends_on=supply_ends_on, projection_from=None, projected_end=None,
            target_status=TargetStatus.UNKNOWN, actual_points=(), projected_points=(), warnings=tuple(warnings))

    core_dispenses = [dosing.Dispense(date=p.dispensed_on, daily_dose_mg=p.daily_dose_mg, days_supply=p.days_supply,
                                      days_missed=p.days_missed, weight_kg=p.weight_kg, product=p.product)
                      for p in periods]
    cumulative = dosing.cumulative_dose(core_dispenses, plan_weight)
    target = dosing.target_mg(plan_weight, target_per_kg)
    remaining = dosing.remaining_mg(target, cumulative.mg)
    status = _target_status(cumulative.mg, target)
    actual, taken = _taken_line(periods, missed, plan_weight, as_of)

    projected: list[tuple[dt.date, float]] = []
    days_left: int | None = None
    end: dt.date | None = None
    anchor: dt.date | None = None
    daily = Decimal(plan.daily_dose_mg) if plan else None
    if daily and facts.status not in NO_PROJECTION_STATUSES:
        days_left = dosing.days_remaining(remaining, daily)
        anchor = max(d for d in (as_of, supply_ends_on + DAY if supply_ends_on else None,
                                 None if periods or plan is None else plan.starts_on) if d is not None)
        end = dosing.projected_end(anchor, days_left)
        start_value = float(taken) if periods else 0.0
        projected.append((actual[-1][0] if actual else anchor, start_value))
        if anchor > projected[-1][0]:
            projected.append((anchor, float(cumulative.mg_per_kg_exact)))
        end_value = cumulative.mg_per_kg_exact + Fraction(remaining) / Fraction(plan_weight)
        projected.append((end, float(end_value)))
        if plan is not None and not plan.out_of_range_reason:
            achieved = Fraction(daily) / Fraction(plan.weight_kg)
            if not dosing.DAILY_MG_PER_KG_MIN <= achieved <= dosing.DAILY_MG_PER_KG_MAX:
                warnings.append(dosing.ACHIEVED_OUTSIDE_RANGE.format(value=dosing.round_one_decimal(achieved)))

    return CourseDose(
        as_of=as_of, plan=plan, plan_weight_kg=plan_weight, daily_dose_mg=daily, target_mg_per_kg=target_per_kg,
        target_mg=target, periods=tuple(periods), missed_days=missed_total, cumulative_mg=cumulative.mg,
        cumulative_mg_per_kg=cumulative.mg_per_kg, taken_mg_per_kg=dosing.round_one_decimal(taken) if periods else None,
        remaining_mg=remaining, days_remaining=days_left, supply_ends_on=supply_ends_on, projection_from=anchor,
        projected_end=end, target_status=status, actual_points=tuple(actual), projected_points=tuple(projected),
        warnings=tuple(warnings))
