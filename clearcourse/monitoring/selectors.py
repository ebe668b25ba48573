"""Reads for safety monitoring, always filtered by what the user may see.

The worklist loads the facts of every course on it in a fixed number of queries (one per kind of
record) and asks the rules core for each course's schedule in memory, so its query count does not grow
with the number of patients or the length of their histories (a test holds it to that).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_read, audit_record
from clearcourse.core.errors import NotFoundError
from clearcourse.courses.models import Course
from clearcourse.courses.selectors import courses_visible_to
from clearcourse.monitoring import config as monitoring_config
from clearcourse.monitoring import programs_bridge, schedule, worklist_store
from clearcourse.monitoring.models import (
    Alert,
    LabResult,
    MoodScreen,
    SexualFunctionAssessment,
    SideEffectReport,
    WorklistEntry,
)
from clearcourse.rules import monitoring as rules_monitoring

WEEK_DAYS = 7
#: Courses per worklist page (about 100 items; the unpaged page was 1.9 MB for 5,000 patients).
PAGE_COURSES = 50

# The schedule (moved to ``monitoring/schedule.py``, which the stored worklist reads too).
CHECK_LABELS = schedule.CHECK_LABELS
OCCASION_LABELS = schedule.OCCASION_LABELS
SCHEDULED_STATUSES = schedule.SCHEDULED_STATUSES
CourseFacts = schedule.CourseFacts
load_course_facts = schedule.load_course_facts
course_schedule = schedule.course_schedule


# ---------------------------------------------------------------------------------------------
# The worklist
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WorkItem:
    course: Course
    kind: str  # "due" | "window" | "questions"
    code: str
    title: str
    due: dt.date
    overdue: bool
    detail: str = ""
    needs_clinical_signoff: bool = False


@dataclass
class Worklist:
    today: dt.date
    week_end: dt.date
    alerts: list[Alert]
    today_items: list[WorkItem]
    week_items: list[WorkItem]
    prescribers: list[User]
    prescriber_id: int | None
    programs: programs_bridge.BridgeResult
    course_count: int
    signoff_needed: bool
    page: int = 1
    page_count: int = 1
    due_course_count: int = 0  # courses with something due this week (all pages)

    @property
    def urgent_alerts(self) -> list[Alert]:
        return [a for a in self.alerts if a.is_urgent]


def worklist_courses(user: User, prescriber_id: int | None = None) -> QuerySet[Course]:
    qs = courses_visible_to(user).select_related("patient", "prescriber", "clinic")
    if prescriber_id:
        qs = qs.filter(prescriber_id=prescriber_id)
    return qs


def prescribers_for_filter(user: User) -> list[User]:
    if user.role == Role.DELEGATE:
        return list(user.acts_for.filter(clinic_id=user.clinic_id or 0).order_by("last_name", "first_name"))
    if user.role == Role.PRESCRIBER:
        return list(User.objects.filter(role=Role.PRESCRIBER, clinic_id=user.clinic_id or 0, is_active=True)
                    .order_by("last_name", "first_name"))
    return []


def worklist(*, user: User, today: dt.date, prescriber_id: int | None = None, page: int = 1) -> Worklist:
    """Today's and this week's work for the user's clinic (delegates: for their prescribers).

    Unacknowledged alerts come first (read live), urgent before warning before information, oldest
    first within a severity; then due and overdue checks from the core's schedule, closing
    pregnancy-test windows and unanswered monthly questions, read from the stored per-course rows
    (``worklist_store``) due within the week, :data:`PAGE_COURSES` courses per page, most urgent first.
    "Overdue" is worked out here for ``today``, so a row computed on an earlier day is still right.
    """

    week_end = today + dt.timedelta(days=WEEK_DAYS - 1)
    prescribers = prescribers_for_filter(user)
    if prescriber_id is not None and prescriber_id not in {p.pk for p in prescribers}:
        prescriber_id = None
    base = worklist_courses(user, prescriber_id)
    alerts = list(
        Alert.objects.current().filter(course__in=base.values("pk"), acknowledgement__isnull=True)
        .select_related("course__patient", "course__prescriber")
        .order_by("-severity_rank", "recorded_at", "id")
    )
    followed = base.filter(status__in=SCHEDULED_STATUSES)
    current = Q(worklist_entry__version=worklist_store.ENTRY_VERSION)
    tally = {"courses": Count("pk"), "missing": Count("pk", filter=~current | Q(worklist_entry__isnull=True)),
             "failed": Count("pk", filter=current & Q(worklist_entry__program_failed=True)),
             "due": Count("pk", filter=current & Q(worklist_entry__next_due_on__lte=week_end))}
    counts = followed.order_by().aggregate(**tally)
    if counts["missing"]:
        # A fresh install or new courses: compute a bounded number of missing rows now (fixed queries).
        worklist_store.fill_missing(followed, today=today)
        counts = followed.order_by().aggregate(**tally)
    page_count = max(1, -(-int(counts["due"]) // PAGE_COURSES))
    page = min(max(1, page), page_count)
    # Two steps: the page's row ids through the (clinic, next_due_on) index without joins, then the
    # rows with their courses and patients (sorting thousands of wide joined rows cost most of the page).
    page_ids = list(WorklistEntry.objects
                    .filter(clinic_id=user.clinic_id or 0, next_due_on__lte=week_end,
                            version=worklist_store.ENTRY_VERSION, course__in=followed.values("pk"))
                    .order_by("next_due_on", "course_id")
                    .values_list("pk", flat=True)[(page - 1) * PAGE_COURSES:page * PAGE_COURSES])
    entries = (WorklistEntry.objects.filter(pk__in=page_ids)
               .select_related("course__patient", "course__prescriber", "course__clinic"))
    translate = worklist_store.translator()
    items: list[WorkItem] = []
    for entry in entries:
        for stored in worklist_store.entry_items(entry, today=today, until=week_end, translate=translate):
            items.append(WorkItem(course=entry.course, kind=stored.kind, code=stored.code, title=stored.title,
                                  detail=stored.detail, due=stored.due, overdue=stored.overdue,
                                  needs_clinical_signoff=stored.needs_clinical_signoff))
    items.sort(key=lambda i: (i.due, i.course.patient.family_name, i.kind, i.code))
    programs = programs_bridge.BridgeResult()
    if counts["failed"]:
        programs.failed = int(counts["failed"])
        programs.reason = str(programs_bridge.SOME_COURSES_FAILED % {"count": programs.failed})
    # The notice about unsigned defaults is about the clinic whose courses are listed.
    configs = (monitoring_config.effective_configs({(user.clinic.pk, user.clinic.program)})
               if counts["courses"] and user.clinic is not None else {})
    return Worklist(
        today=today, week_end=week_end, alerts=alerts,
        today_items=[i for i in items if i.due <= today], week_items=[i for i in items if i.due > today],
        prescribers=prescribers, prescriber_id=prescriber_id, programs=programs,
        course_count=int(counts["courses"]),
        signoff_needed=any(c.needs_clinical_signoff for c in configs.values()),
        page=page, page_count=page_count, due_course_count=int(counts["due"]),
    )


def audit_worklist_view(*, user: User, worklist: Worklist) -> None:
    """The worklist shows many patients' names and alerts: one audit entry for the whole page (a fixed
    number of queries), naming how much was shown."""
    from django.db import transaction

    with transaction.atomic():
        audit_record(actor=user, action="worklist.view", detail={
            "courses": worklist.course_count, "alerts": len(worklist.alerts),
            "prescriber": worklist.prescriber_id, "date": worklist.today.isoformat()})


# ---------------------------------------------------------------------------------------------
# One course
# ---------------------------------------------------------------------------------------------


@dataclass
class CourseMonitoring:
    course: Course
    labs: list[LabResult]
    screens: list[MoodScreen]
    sexual_function: list[SexualFunctionAssessment]
    side_effects: list[SideEffectReport]
    alerts: list[Alert]
    schedule: rules_monitoring.MonitoringSchedule | None
    config: monitoring_config.EffectiveConfig

    def schedule_rows(self) -> list[dict[str, object]]:
        """The schedule with readable names for the page."""
        if self.schedule is None:
            return []
        return [{"check": CHECK_LABELS[i.check], "occasion": OCCASION_LABELS[i.occasion], "item": i}
                for i in self.schedule.items]


def course_monitoring(*, course: Course, today: dt.date) -> CourseMonitoring:
    """Everything the course monitoring page shows (the caller has authorised and audited the read)."""
    effective = monitoring_config.effective_config(course.clinic_id, course.clinic.program)
    facts = load_course_facts([course])[course.pk]
    return CourseMonitoring(
        course=course,
        labs=list(LabResult.objects.current().filter(course=course).order_by("collected_on", "id")),
        screens=list(MoodScreen.objects.current().filter(course=course).order_by("screened_on", "id")),
        sexual_function=list(SexualFunctionAssessment.objects.current().filter(course=course)),
        side_effects=list(SideEffectReport.objects.current().filter(course=course).order_by("-reported_on", "id")),
        alerts=list(Alert.objects.current().filter(course=course).select_related("acknowledgement__recorded_by")
                    .order_by("-severity_rank", "-recorded_at")),
        schedule=course_schedule(course, facts, effective, today),
        config=effective,
    )


def alert_get_for_user(*, user: User, alert_id: int, audit: str | None = "alert.view") -> Alert:
    alert = (Alert.objects.filter(pk=alert_id, course__in=courses_visible_to(user).values("pk"))
             .select_related("course__patient", "course__clinic").first())
    if alert is None:
        raise NotFoundError()
    if audit:
        audit_read(actor=user, patient_id=alert.course.patient_id, action=audit, obj=alert)
    return alert
