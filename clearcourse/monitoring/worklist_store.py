"""The stored clinic worklist: one derived row per course, so the page does not replay every history.

Computing the worklist means loading each course's complete program and monitoring history and asking
the rules core where it stands. For a clinic of 5,000 patients that took seconds on every request, so
the answer is kept per course in :class:`~clearcourse.monitoring.models.WorklistEntry` (a cache, not a
clinical record) and the page reads only the rows due within the week through an index.

Keeping the rows current:

- **Writes.** Every service that changes what a course's worklist shows (programs, monitoring,
  courses, pharmacy dispenses) calls :func:`refresh_on_commit`; after its transaction commits,
  :func:`worklist_refresh_course` recomputes that course's row with the same logic the page used to
  run (monitoring schedule from the core + program status and monthly questions). A refresh that fails
  is logged and never turns a committed write into an error.
- **The date.** Due items and windows move with the calendar, not only with writes, so
  :func:`worklist_refresh_all` runs nightly (``python -m clearcourse refresh_worklist``, and on every
  ``send_reminders --schedule`` pass once a day). Between refreshes the page stays right about what it
  stores: "overdue" is worked out when the page is read (due date before today), never stored.
- **Missing rows** (a fresh install, new courses, a new :data:`ENTRY_VERSION`): the page computes at
  most :data:`FALLBACK_LIMIT` of them per request and stores them, so it works at once and stays
  bounded; a full refresh fills the rest.
- Unacknowledged alerts are not stored here: the page queries them live (they are few).

Items are stored with English text keys (labels and the core's sentences); the page translates them
into the reader's language, so one stored row serves German and English readers alike.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import translation

from clearcourse.core import clock
from clearcourse.core.wording import draw
from clearcourse.courses.models import Course
from clearcourse.courses.state import course_states
from clearcourse.monitoring import config as monitoring_config
from clearcourse.monitoring import programs_bridge
from clearcourse.monitoring import schedule as monitoring_schedule
from clearcourse.monitoring.models import WorklistEntry

__all__ = [
    "ENTRY_VERSION", "FALLBACK_LIMIT", "HORIZON_DAYS", "WorklistEntry", "refresh_on_commit",
    "worklist_refresh_all", "worklist_refresh_clinic", "worklist_refresh_course", "worklist_refresh_courses",
]

logger = logging.getLogger(__name__)

#: Bump when the stored item format or the computation changes: older rows count as missing.
ENTRY_VERSION = 3
#: Items are stored this far ahead of the day they were computed, so a row computed a few days ago
#: still lists what became due "this week" since (the page shows 7 days).
HORIZON_DAYS = 35
#: Missing rows the page computes per request at most (a fresh install works; the cost stays bounded).
FALLBACK_LIMIT = 50
#: Courses loaded and computed together by the bulk refresh (memory bound).
CHUNK = 500
#: A bulk refresh of at least this many rows updates PostgreSQL's statistics for the table.
ANALYZE_AFTER = 1000


def _today(today: dt.date | None) -> dt.date:
    return today if today is not None else clock.today()


# ---------------------------------------------------------------------------------------------
# Computing rows
# ---------------------------------------------------------------------------------------------


def _source_keys(sources: Iterable[Any]) -> list[str]:
    return [str(getattr(s, "key", s)) for s in sources]


def compute_entries(courses: Sequence[Course], *, today: dt.date) -> list[WorklistEntry]:
    """Rows for ``courses`` (patient and clinic loaded) in a fixed number of queries.

    Same computation as the live worklist had: the core's monitoring schedule for followed courses,
    then the programs app's status (closing windows, pregnancy tests, the monthly visit, unanswered
    monthly questions). Courses outside the followed statuses get an empty row (not on the list).
    """

    followed = [c for c in courses if c.status in monitoring_schedule.SCHEDULED_STATUSES]
    until = today + dt.timedelta(days=HORIZON_DAYS)
    items: dict[int, list[dict[str, Any]]] = {c.pk: [] for c in courses}
    windows: dict[int, dt.date] = {}
    failed: set[int] = set()
    # Text is stored in the source language (English msgids); the page translates it when read.
    with translation.override(None):
        if followed:
            configs = monitoring_config.effective_configs({(c.clinic_id, c.clinic.program) for c in followed})
            facts = monitoring_schedule.load_course_facts(followed)
            for course in followed:
                schedule = monitoring_schedule.course_schedule(course, facts[course.pk], configs[course.clinic_id], today)
                if schedule is None:
                    continue
                for due in schedule.items:
                    if due.due > until:
                        continue
                    items[course.pk].append({
                        "kind": "due", "code": f"{due.check.value}:{due.occasion.value}", "due": due.due.isoformat(),
                        "title": str(monitoring_schedule.CHECK_LABELS[due.check]),
                        "detail": str(monitoring_schedule.OCCASION_LABELS[due.occasion]),
                        "signoff": bool(due.needs_clinical_signoff), "source": "monitoring",
                        "sources": _source_keys(due.sources)})
            _program_items(followed, today=today, until=until, items=items, windows=windows, failed=failed)
    entries = []
    for course in courses:
        course_items = sorted(items[course.pk], key=lambda i: (i["due"], i["kind"], i["code"]))
        entries.append(WorklistEntry(
            course_id=course.pk, clinic_id=course.clinic_id, prescriber_id=course.prescriber_id,
            next_due_on=dt.date.fromisoformat(course_items[0]["due"]) if course_items else None,
            items=course_items, has_open_window=course.pk in windows, closes_on=windows.get(course.pk),
            program_failed=course.pk in failed, computed_on=today, version=ENTRY_VERSION))
    return entries


def _program_items(courses: Sequence[Course], *, today: dt.date, until: dt.date,
                   items: dict[int, list[dict[str, Any]]], windows: dict[int, dt.date], failed: set[int]) -> None:
    """The programs app's part: windows closing, pregnancy tests and monthly questions due."""
    states = course_states(courses, on=today)
    for course in courses:
        state = states[course.pk]
        if state.program is None:  # no version in force, or bad data: one course never takes the list down
            failed.add(course.pk)
            continue
        if state.program.window is not None:
            windows[course.pk] = state.program.window.closes_on
        for entry in programs_bridge._items_for(course, state, as_of=today, until=until):
            items[course.pk].append({
                "kind": entry.kind, "code": entry.code, "due": entry.due.isoformat(), "title": entry.title,
                "detail": str(entry.detail or ""), "detail_text": entry.detail.as_data() if entry.detail else None,
                "signoff": False, "source": "programs", "sources": []})


def _store(entries: Sequence[WorklistEntry]) -> None:
    if not entries:
        return
    WorklistEntry.objects.bulk_create(
        list(entries), update_conflicts=True, unique_fields=["course"],
        update_fields=["clinic", "prescriber", "next_due_on", "items", "has_open_window", "closes_on",
                       "program_failed", "computed_on", "version"])


def _courses() -> Any:
    return Course.objects.select_related("patient", "clinic")


def worklist_refresh_courses(course_ids: Iterable[int], *, today: dt.date | None = None) -> int:
    """Recompute the rows of these courses (in chunks); returns how many were written."""
    day = _today(today)
    ids = sorted(set(course_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        courses = list(_courses().filter(pk__in=ids[start:start + CHUNK]))
        entries = compute_entries(courses, today=day)
        with transaction.atomic():
            _store(entries)
        written += len(entries)
    return written


def worklist_refresh_course(course_id: int, *, today: date | None = None) -> None:
    """Recompute one course's row with the current records (a no-op for a course that does not exist)."""
    worklist_refresh_courses([course_id], today=today)


def worklist_refresh_clinic(clinic_id: int, *, today: dt.date | None = None) -> int:
    """Recompute every course of a clinic (a changed clinic configuration, the nightly refresh)."""
    ids = list(Course.objects.filter(clinic_id=clinic_id).order_by("pk").values_list("pk", flat=True))
    return worklist_refresh_courses(ids, today=today)


def worklist_refresh_all(*, today: dt.date | None = None, stale_only: bool = False) -> int:
    """Recompute every course's row (nightly). ``stale_only`` skips rows already computed today."""
    day = _today(today)
    qs = Course.objects.order_by("pk")
    if stale_only:
        qs = qs.exclude(worklist_entry__computed_on__gte=day, worklist_entry__version=ENTRY_VERSION)
    written = worklist_refresh_courses(qs.values_list("pk", flat=True), today=day)
    if written >= ANALYZE_AFTER:
        analyze()
    return written


def analyze() -> None:
    """Fresh planner statistics after a bulk refresh (PostgreSQL): without them the page's query plan
    sorted every joined row of the clinic instead of reading the index (about 10x slower)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{WorklistEntry._meta.db_table}"')


def refresh_on_commit(course_id: int, *, today: dt.date | None = None) -> None:
    """Call at the end of a write service: refresh the course's row once the transaction has committed.

    ``robust``: the write has committed by then, so a failing refresh is logged, not raised (the row is
    fixed by the next write or the nightly refresh).
    """
    def refresh_worklist_row() -> None:  # a named function: Django's log of a failure names it
        worklist_refresh_course(course_id, today=today)

    transaction.on_commit(refresh_worklist_row, robust=True)


def refresh_worklist_row(sender: object, *, course_id: int, today: dt.date | None = None, **kwargs: Any) -> None:
    """The listener of the courses, ppp and pharmacy events (connected in ``MonitoringConfig.ready``): the
    write has committed, so the course's row is recomputed now."""
    worklist_refresh_course(course_id, today=today)


def clinic_refresh_on_commit(clinic_id: int, *, today: dt.date | None = None) -> None:
    """As :func:`refresh_on_commit` for a whole clinic (its monitoring configuration changed)."""
    def refresh_clinic_worklist() -> None:
        worklist_refresh_clinic(clinic_id, today=today)

    transaction.on_commit(refresh_clinic_worklist, robust=True)


def missing_courses(courses: Any) -> Any:
    """Of a course queryset, those without a current row (none yet, or from an older version)."""
    return courses.filter(Q(worklist_entry__isnull=True) | ~Q(worklist_entry__version=ENTRY_VERSION))


def fill_missing(courses: Any, *, today: dt.date, limit: int = FALLBACK_LIMIT) -> int:
    """Compute and store rows for at most ``limit`` of ``courses`` that have none (fixed queries)."""
    batch = list(missing_courses(courses).select_related("patient", "clinic").order_by("pk")[:limit])
    if not batch:
        return 0
    entries = compute_entries(batch, today=today)
    with transaction.atomic():
        _store(entries)
    return len(entries)


# ---------------------------------------------------------------------------------------------
# Reading rows
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredItem:
    """One stored item as the page shows it (text translated, overdue worked out for ``today``)."""

    kind: str
    code: str
    due: dt.date
    overdue: bool
    title: str
    detail: str
    needs_clinical_signoff: bool


def translator() -> Callable[[str], str]:
    """Translate stored English labels (msgids) for the active language, each distinct text once per page."""
    cache: dict[str, str] = {}

    def translate(text: str) -> str:
        if text not in cache:
            cache[text] = draw(text)
        return cache[text]

    return translate


def entry_items(entry: WorklistEntry, *, today: dt.date, until: dt.date,
                translate: Callable[[str], str]) -> list[StoredItem]:
    out = []
    for raw in entry.items or []:
        due = dt.date.fromisoformat(raw["due"])
        if due > until:
            continue
        out.append(StoredItem(kind=raw["kind"], code=raw["code"], due=due, overdue=due < today,
                              title=translate(raw.get("title", "")),
                              detail=draw(raw["detail_text"]) if raw.get("detail_text") else translate(
                                  raw.get("detail", "")),
                              needs_clinical_signoff=bool(raw.get("signoff"))))
    return out

