"""A course's monitoring schedule from its records: the facts the rules core needs, loaded for many courses
in a fixed number of queries, and the core's schedule (``rules.monitoring``). The stored worklist
(``worklist_store``) and the pages (``selectors``) both read it; neither imports the other for it.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from clearcourse.courses.models import Assessment, Course, CourseStatus, DosePlan
from clearcourse.monitoring import config as monitoring_config
from clearcourse.monitoring.models import LabResult, MoodScreen, SexualFunctionAssessment
from clearcourse.rules import labs
from clearcourse.rules import monitoring as rules_monitoring

#: Courses whose monitoring schedule is followed (closed and stopped courses only keep their alerts).
SCHEDULED_STATUSES = (CourseStatus.PLANNED, CourseStatus.ACTIVE, CourseStatus.PAUSED, CourseStatus.COMPLETED)

CHECK_LABELS = {
    rules_monitoring.Check.LIPIDS: _("Fasting lipids"),
    rules_monitoring.Check.LIVER: _("Liver tests (ALT/AST)"),
    rules_monitoring.Check.MOOD: _("Mood screen (PHQ)"),
    rules_monitoring.Check.SEXUAL_FUNCTION: _("Sexual-function assessment"),
    rules_monitoring.Check.CBC: _("Blood count"),
}
OCCASION_LABELS = {
    rules_monitoring.Occasion.BASELINE: _("baseline, before the first dose"),
    rules_monitoring.Occasion.FIRST_RECHECK: _("first recheck after starting"),
    rules_monitoring.Occasion.PEAK_DOSE: _("recheck after the peak dose"),
    rules_monitoring.Occasion.PERIODIC: _("regular check"),
    rules_monitoring.Occasion.END_OF_TREATMENT: _("end of treatment"),
}


# ---------------------------------------------------------------------------------------------
# Facts for the core, loaded in bulk
# ---------------------------------------------------------------------------------------------


@dataclass
class CourseFacts:
    """What the monitoring schedule needs about one course."""

    done: list[rules_monitoring.CheckDone] = field(default_factory=list)
    risk_factors: set[rules_monitoring.RiskFactor] = field(default_factory=set)
    peak_dose_date: dt.date | None = None


def load_course_facts(courses: Sequence[Course]) -> dict[int, CourseFacts]:
    """Checks on file, risk factors and peak-dose dates for many courses in five queries."""
    ids = [c.pk for c in courses]
    facts: dict[int, CourseFacts] = {cid: CourseFacts() for cid in ids}
    if not ids:
        return facts
    check_of = {a.value: labs.check_for(a) for a in labs.Analyte}
    for course_id, analyte, collected_on in (LabResult.objects.current().filter(course_id__in=ids)
                                             .values_list("course_id", "analyte", "collected_on").order_by().distinct()):
        check = check_of.get(analyte)
        if check is not None:
            facts[course_id].done.append(rules_monitoring.CheckDone(check, collected_on))
    for course_id, screened_on in (MoodScreen.objects.current().filter(course_id__in=ids)
                                   .values_list("course_id", "screened_on").order_by().distinct()):
        facts[course_id].done.append(rules_monitoring.CheckDone(rules_monitoring.Check.MOOD, screened_on))
    for course_id, assessed_on in (SexualFunctionAssessment.objects.current().filter(course_id__in=ids)
                                   .values_list("course_id", "assessed_on").order_by().distinct()):
        facts[course_id].done.append(rules_monitoring.CheckDone(rules_monitoring.Check.SEXUAL_FUNCTION,
                                                                assessed_on))
    # The latest assessment's conditions decide the risk factors (ordering puts it last).
    latest_conditions: dict[int, list[object]] = {}
    for course_id, conditions in (Assessment.objects.current().filter(course_id__in=ids)
                                  .order_by("assessed_on", "id").values_list("course_id", "conditions")):
        latest_conditions[course_id] = list(conditions or [])
    for course_id, conditions in latest_conditions.items():
        facts[course_id].risk_factors = rules_monitoring.risk_factors_from_conditions(conditions)
    plans: dict[int, list[tuple[dt.date, int]]] = defaultdict(list)
    for course_id, starts_on, dose in (DosePlan.objects.current().filter(course_id__in=ids)
                                       .values_list("course_id", "starts_on", "daily_dose_mg").order_by()):
        plans[course_id].append((starts_on, dose))
    by_id = {c.pk: c for c in courses}
    for course_id, rows in plans.items():
        peak = max(dose for _, dose in rows)
        first_at_peak = min(day for day, dose in rows if dose == peak)
        start = by_id[course_id].started_on
        if start is not None and first_at_peak > start:
            facts[course_id].peak_dose_date = first_at_peak
    return facts


def course_schedule(course: Course, facts: CourseFacts, effective: monitoring_config.EffectiveConfig,
                    as_of: dt.date) -> rules_monitoring.MonitoringSchedule | None:
    """The core's schedule for a course, or None when it has no first-dose date yet."""
    if course.started_on is None or course.status not in SCHEDULED_STATUSES:
        return None
    planned_end = course.ended_on if course.ended_on and course.ended_on >= course.started_on else None
    return rules_monitoring.monitoring_schedule(
        start=course.started_on, as_of=as_of, planned_end=planned_end, done=facts.done,
        risk_factors=facts.risk_factors, peak_dose_date=facts.peak_dose_date, config=effective.schedule,
    )
