"""The one loader of a course's state: the facts of the rules core, from every app's records.

This app sits above every app whose records make up a course's state (courses, pharmacy), so the loader
lives here and plugs itself into ``clearcourse.courses.state`` when the apps start (``PppConfig.ready``);
every other app asks through that module (docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from clearcourse.courses.models import Course, DosePlan, MissedDoseReport, Prescription, WeightMeasurement
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp import selectors
from clearcourse.rules import course_dose
from clearcourse.rules.programs.facts import Decision
from clearcourse.rules.status import CourseStatus


def dose_facts(course: Course, *, as_of: dt.date) -> course_dose.DoseFacts:
    """The course's current dispenses, dose plans, weights and missed-dose reports known on ``as_of``."""
    dispenses = (Dispense.objects.current().filter(prescription__course=course, dispensed_on__lte=as_of)
                 .order_by("dispensed_on", "id")
                 .values_list("id", "prescription_id", "dispensed_on", "days_supply", "daily_dose_mg",
                              "prescription__product"))
    plans = (DosePlan.objects.current().filter(course=course).order_by("starts_on", "id")
             .values_list("id", "starts_on", "weight_kg", "daily_dose_mg", "target_mg_per_kg", "out_of_range_reason"))
    weights = (WeightMeasurement.objects.current().filter(patient_id=course.patient_id, measured_on__lte=as_of)
               .order_by("measured_on", "id").values_list("measured_on", "weight_kg"))
    missed = (MissedDoseReport.objects.current().filter(course=course, first_day__lte=as_of)
              .values_list("first_day", "days"))
    return course_dose.DoseFacts(
        status=course.status, product=course.product, target_mg_per_kg=Decimal(course.target_mg_per_kg),
        plans=tuple(course_dose.PlanFacts(pk, start, Decimal(kg), Decimal(mg), Decimal(target), reason or "")
                    for pk, start, kg, mg, target, reason in plans),
        dispenses=tuple(course_dose.DispenseFacts(pk, rx, day, days, Decimal(mg), product)
                        for pk, rx, day, days, mg, product in dispenses),
        weights=tuple((day, Decimal(kg)) for day, kg in weights),
        missed=tuple((day, days) for day, days in missed),
    )


class Loader:
    """The ``courses.state.StateLoader`` this installation uses."""

    def dose_facts(self, course: Course, *, as_of: dt.date) -> course_dose.DoseFacts:
        return dose_facts(course, as_of=as_of)

    def decision(self, course: Course, *, prescription: Prescription | int | str, request_date: dt.date,
                 days_supply: int, pharmacy_id: int | None = None) -> Decision:
        return selectors.course_decision(course, prescription=prescription, request_date=request_date,
                                         days_supply=days_supply, pharmacy_id=pharmacy_id)

    def status(self, course: Course, *, on: dt.date) -> CourseStatus:
        return selectors.course_status(course, on=on)


LOADER = Loader()
