"""The one loader of a course's state: the facts of the rules core, from every app's records.

This app sits above every app whose records make up a course's state (courses, pharmacy), so the loader
lives here and plugs itself into ``clearcourse.courses.state`` when the apps start (``PppConfig.ready``);
every other app asks through that module (docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from clearcourse.courses.models import Course, DosePlan, MissedDoseReport, Prescription, WeightMeasurement
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp import selectors
from clearcourse.rules import course_dose
from clearcourse.rules.course_state import CourseState, course_state
from clearcourse.rules.programs.facts import Decision
from clearcourse.rules.programs.registry import ProgramNotFound
from clearcourse.rules.status import CourseStatus
from clearcourse.rules.status import course_status as core_status

logger = logging.getLogger(__name__)

#: Why a course's state has no program status (``CourseState.program_error``).
PROGRAM_NOT_IN_FORCE = "no_program_in_force"
PROGRAM_FAILED = "failed"


def dose_facts(course: Course, *, as_of: dt.date) -> course_dose.DoseFacts:
    """The course's current dispenses, dose plans, weights and missed-dose reports known on ``as_of``."""
    return dose_facts_many([course], as_of=as_of)[course.pk]


def dose_facts_many(courses: Sequence[Course], *, as_of: dt.date) -> dict[int, course_dose.DoseFacts]:
    """:func:`dose_facts` for many courses in four queries (dispenses, plans, weights, missed doses)."""
    ids = [c.pk for c in courses]
    patients = {c.patient_id for c in courses}
    dispenses: dict[int, list[course_dose.DispenseFacts]] = defaultdict(list)
    for cid, pk, rx, day, days, mg, product in (
            Dispense.objects.current().filter(prescription__course_id__in=ids, dispensed_on__lte=as_of)
            .order_by("dispensed_on", "id")
            .values_list("prescription__course_id", "id", "prescription_id", "dispensed_on", "days_supply",
                         "daily_dose_mg", "prescription__product")):
        dispenses[cid].append(course_dose.DispenseFacts(pk, rx, day, days, Decimal(mg), product))
    plans: dict[int, list[course_dose.PlanFacts]] = defaultdict(list)
    for cid, pk, start, kg, mg, target, reason in (
            DosePlan.objects.current().filter(course_id__in=ids).order_by("starts_on", "id")
            .values_list("course_id", "id", "starts_on", "weight_kg", "daily_dose_mg", "target_mg_per_kg",
                         "out_of_range_reason")):
        plans[cid].append(course_dose.PlanFacts(pk, start, Decimal(kg), Decimal(mg), Decimal(target), reason or ""))
    weights: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for patient_id, day, kg in (WeightMeasurement.objects.current()
                                .filter(patient_id__in=patients, measured_on__lte=as_of)
                                .order_by("measured_on", "id").values_list("patient_id", "measured_on", "weight_kg")):
        weights[patient_id].append((day, Decimal(kg)))
    missed: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for cid, day, days in (MissedDoseReport.objects.current().filter(course_id__in=ids, first_day__lte=as_of)
                           .order_by("first_day", "id").values_list("course_id", "first_day", "days")):
        missed[cid].append((day, days))
    return {c.pk: course_dose.DoseFacts(
        status=c.status, product=c.product, target_mg_per_kg=Decimal(c.target_mg_per_kg),
        plans=tuple(plans[c.pk]), dispenses=tuple(dispenses[c.pk]), weights=tuple(weights[c.patient_id]),
        missed=tuple(missed[c.pk])) for c in courses}


def course_states(courses: Sequence[Course], *, on: dt.date) -> dict[int, CourseState]:
    """The state of each course on ``on`` (``rules.course_state``): its dose from :func:`dose_facts_many`
    and its program status from the one loader of program facts (``selectors.course_facts_many``), in a
    fixed number of queries whatever the number of courses. A course whose program status cannot be worked
    out (no version in force, or bad data) keeps its dose and says why (``program_error``)."""
    doses = dose_facts_many(courses, as_of=on)
    program_facts = selectors.course_facts_many(courses, as_of=on)
    states: dict[int, CourseState] = {}
    for course in courses:
        program: CourseStatus | None = None
        error = ""
        if course.pk in program_facts:
            patient, history = program_facts[course.pk]
            try:
                program = core_status(course.program, patient, history, on)
            except ProgramNotFound:
                error = PROGRAM_NOT_IN_FORCE
            except Exception:  # one course's bad data must not take a list of courses down
                logger.exception("program status failed for course %s", course.pk)
                error = PROGRAM_FAILED
        states[course.pk] = course_state(on=on, recorded_status=course.status,
                                         dose=course_dose.course_dose(doses[course.pk], on), program=program,
                                         program_error=error)
    return states


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

    def states(self, courses: Sequence[Course], *, on: dt.date) -> dict[int, CourseState]:
        return course_states(courses, on=on)


LOADER = Loader()
