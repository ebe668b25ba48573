"""Reads of patients and courses, always filtered by what the user may see.

One helper per object type fetches and authorizes in one step and answers "not found" for anything
outside the user's scope (DESIGN.md conventions 1-2), so that an outsider cannot even learn that a
record exists.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Q, QuerySet

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core.errors import NotFoundError
from clearcourse.courses.models import Course, DosePlan, MissedDoseReport, Patient, WeightMeasurement
from clearcourse.rules import dosing


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Prescribers see their clinic's patients; delegates those of the prescribers they act for;
    a patient only themself; pharmacists and administrators no patient list at all."""
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    # Staff always have a clinic (a database constraint); "or 0" only satisfies the type checker.
    if user.role == Role.PRESCRIBER:
        return Patient.objects.filter(clinic_id=user.clinic_id or 0)
    if user.role == Role.DELEGATE:
        return Patient.objects.filter(clinic_id=user.clinic_id or 0, prescriber__in=user.acts_for.all())
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    return Patient.objects.none()


def courses_visible_to(user: User) -> QuerySet[Course]:
    return Course.objects.filter(patient__in=patients_visible_to(user))


def patient_search(*, user: User, query: str = "") -> QuerySet[Patient]:
    qs = patients_visible_to(user).select_related("prescriber")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(family_name__icontains=query) | Q(given_name__icontains=query) | Q(record_number__iexact=query)
        )
    return qs


def patient_get_for_user(*, user: User, patient_id: int, audit: str | None = "patient.view") -> Patient:
    """Fetch one patient the user may see, or raise NotFoundError. A read of the record is audited
    unless ``audit`` is None (for lookups that are part of a write that audits itself)."""
    patient = patients_visible_to(user).select_related("clinic", "prescriber").filter(pk=patient_id).first()
    if patient is None:
        raise NotFoundError()
    if audit:
        audit_read(actor=user, patient_id=patient.pk, action=audit, obj=patient)
    return patient


def course_get_for_user(*, user: User, course_id: int, audit: str | None = "course.view") -> Course:
    course = (courses_visible_to(user).select_related("patient", "clinic", "prescriber")
              .filter(pk=course_id).first())
    if course is None:
        raise NotFoundError()
    if audit:
        audit_read(actor=user, patient_id=course.patient_id, action=audit, obj=course)
    return course


def audit_read(*, actor: User, patient_id: int, action: str, obj: object = None) -> None:
    """A read writes its own audit entry in its own short transaction."""
    from django.db import transaction

    with transaction.atomic():
        audit_record(actor=actor, action=action, patient_id=patient_id, obj=obj)


# --- dose summary ------------------------------------------------------------------------------

NO_PROJECTION_STATUSES = frozenset({"completed", "closed", "stopped"})


@dataclass(frozen=True, slots=True)
class SupplyPeriod:
    """One dispense laid out on the calendar: a refill picked up early starts when the last supply ends."""

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
class CourseDoseSummary:
    as_of: dt.date
    plan: DosePlan | None
    plan_weight_kg: Decimal | None
    daily_dose_mg: Decimal | None
    target_mg_per_kg: Decimal
    target_mg: Decimal | None
    periods: tuple[SupplyPeriod, ...]
    missed_days: int  # missed days that fall in a supply period
    cumulative_mg: Decimal  # dispensed less missed days (the core's cumulative dose)
    cumulative_mg_per_kg: Decimal | None
    taken_mg_per_kg: Decimal | None  # estimate of what was taken before as_of
    remaining_mg: Decimal | None
    days_remaining: int | None
    supply_ends_on: dt.date | None
    projection_from: dt.date | None
    projected_end: dt.date | None
    actual_points: tuple[tuple[dt.date, float], ...]
    projected_points: tuple[tuple[dt.date, float], ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def progress_percent(self) -> int | None:
        if self.cumulative_mg_per_kg is None or not self.target_mg_per_kg:
            return None
        return min(100, int(self.cumulative_mg_per_kg / self.target_mg_per_kg * 100))


def current_dose_plan(course: Course, *, as_of: dt.date) -> DosePlan | None:
    """The plan in force on ``as_of``: the latest current plan already started, else the next one."""
    plans = list(DosePlan.objects.current().filter(course=course).order_by("starts_on", "id"))
    started = [p for p in plans if p.starts_on <= as_of]
    if started:
        return started[-1]
    return plans[0] if plans else None


def _missed_days(course: Course, as_of: dt.date) -> set[dt.date]:
    days: set[dt.date] = set()
    for report in MissedDoseReport.objects.current().filter(course=course, first_day__lte=as_of):
        for offset in range(report.days):
            day = report.first_day + dt.timedelta(days=offset)
            if day <= as_of:
                days.add(day)
    return days


def _weight_on(weights: list[WeightMeasurement], day: dt.date) -> Decimal | None:
    """The latest weight measured on or before ``day``."""
    found: Decimal | None = None
    for item in weights:  # ordered by measured_on
        if item.measured_on <= day:
            found = item.weight_kg
    return found


def course_dose_summary(course: Course, *, as_of: dt.date) -> CourseDoseSummary:
    """Cumulative dose, remaining dose and projected end of a course on ``as_of``.

    Dispenses (pharmacy app) less the reported missed days that fall in each supply period, each
    period divided by the weight measured for it (rules.dosing.cumulative_dose); target, remaining,
    days remaining and projected end from rules.dosing. The projection counts from the day the
    supply on hand runs out (or from today / the plan's start when there is none), because the
    cumulative dose already includes the supply dispensed but not yet taken.
    """
    from clearcourse.pharmacy.models import Dispense

    rows = list(
        Dispense.objects.current()
        .filter(prescription__course=course, dispensed_on__lte=as_of)
        .select_related("prescription")
        .order_by("dispensed_on", "id")
    )
    weights = list(WeightMeasurement.objects.current().filter(patient_id=course.patient_id,
                                                             measured_on__lte=as_of).order_by("measured_on", "id"))
    missed = _missed_days(course, as_of)
    plan = current_dose_plan(course, as_of=as_of)
    plan_weight = plan.weight_kg if plan else (weights[-1].weight_kg if weights else None)
    target_per_kg = plan.target_mg_per_kg if plan else course.target_mg_per_kg

    periods: list[SupplyPeriod] = []
    core_dispenses: list[dosing.Dispense] = []
    next_free: dt.date | None = None
    for row in rows:
        start = row.dispensed_on if next_free is None else max(row.dispensed_on, next_free)
        last_day = start + dt.timedelta(days=row.days_supply - 1)
        days_missed = min(row.days_supply, sum(1 for d in missed if start <= d <= last_day))
        weight = _weight_on(weights, row.dispensed_on)
        item = dosing.Dispense(date=row.dispensed_on, daily_dose_mg=Decimal(row.daily_dose_mg),
                               days_supply=row.days_supply, days_missed=days_missed, weight_kg=weight,
                               product=row.prescription.product)
        core_dispenses.append(item)
        periods.append(SupplyPeriod(
            dispense_id=row.pk, prescription_id=row.prescription_id, dispensed_on=row.dispensed_on,
            starts_on=start, ends_on=last_day, daily_dose_mg=item.daily_dose_mg, days_supply=row.days_supply,
            days_missed=days_missed, weight_kg=weight, product=row.prescription.product,
            mg=dosing.dispense_mg(item),
        ))
        next_free = last_day + dt.timedelta(days=1)

    warnings: list[str] = []
    products = {p.product for p in periods} | {course.product}
    if len(products) > 1:
        warnings.append(dosing.PRODUCTS_MIXED.format(products=", ".join(sorted(products))))

    cumulative_mg = sum((p.mg for p in periods), Decimal(0))
    if plan_weight is None:
        return CourseDoseSummary(
            as_of=as_of, plan=plan, plan_weight_kg=None, daily_dose_mg=None, target_mg_per_kg=target_per_kg,
            target_mg=None, periods=tuple(periods), missed_days=sum(p.days_missed for p in periods),
            cumulative_mg=cumulative_mg, cumulative_mg_per_kg=None, taken_mg_per_kg=None, remaining_mg=None,
            days_remaining=None, supply_ends_on=next_free - dt.timedelta(days=1) if next_free else None,
            projection_from=None, projected_end=None, actual_points=(), projected_points=(),
            warnings=tuple(warnings),
        )

    cumulative = dosing.cumulative_dose(core_dispenses, plan_weight)
    target = dosing.target_mg(plan_weight, target_per_kg)
    remaining = dosing.remaining_mg(target, cumulative.mg)
    supply_ends_on = next_free - dt.timedelta(days=1) if next_free else None

    # Actual line: what was taken before each day, one point wherever the daily amount changes.
    actual: list[tuple[dt.date, float]] = []
    taken = Fraction(0)
    if periods:
        first, stop = periods[0].starts_on, min(as_of, periods[-1].ends_on + dt.timedelta(days=1))
        rate_by_day: dict[dt.date, Fraction] = {}
        for period in periods:
            per_kg = Fraction(period.daily_dose_mg) / Fraction(period.weight_kg or plan_weight)
            day = period.starts_on
            while day <= period.ends_on:
                if day not in missed:
                    rate_by_day[day] = rate_by_day.get(day, Fraction(0)) + per_kg
                day += dt.timedelta(days=1)
        previous_rate: Fraction | None = None
        day = first
        while day < stop:
            rate = rate_by_day.get(day, Fraction(0))
            if rate != previous_rate:
                actual.append((day, float(taken)))
                previous_rate = rate
            taken += rate
            day += dt.timedelta(days=1)
        actual.append((stop, float(taken)))

    projected: list[tuple[dt.date, float]] = []
    days_left: int | None = None
    end: dt.date | None = None
    anchor: dt.date | None = None
    daily = Decimal(plan.daily_dose_mg) if plan else None
    if daily and course.status not in NO_PROJECTION_STATUSES:
        days_left = dosing.days_remaining(remaining, daily)
        anchor = max(d for d in (as_of, supply_ends_on + dt.timedelta(days=1) if supply_ends_on else None,
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

    return CourseDoseSummary(
        as_of=as_of, plan=plan, plan_weight_kg=plan_weight, daily_dose_mg=daily, target_mg_per_kg=target_per_kg,
        target_mg=target, periods=tuple(periods), missed_days=sum(p.days_missed for p in periods),
        cumulative_mg=cumulative.mg, cumulative_mg_per_kg=cumulative.mg_per_kg,
        taken_mg_per_kg=dosing.round_one_decimal(taken) if periods else None,
        remaining_mg=remaining, days_remaining=days_left, supply_ends_on=supply_ends_on,
        projection_from=anchor, projected_end=end, actual_points=tuple(actual),
        projected_points=tuple(projected), warnings=tuple(warnings),
    )
