"""The worklist's view of the pregnancy-prevention programs: closing windows, tests and monthly questions.

The programs app's one loader (``ppp.selectors.course_facts_many``: one statement for one course or for
every course of the clinic) gives the facts and the rules core says where each course stands
(``rules.status.course_status``).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

from clearcourse.courses.models import Course
from clearcourse.courses.state import course_states
from clearcourse.rules import status as rules_status
from clearcourse.rules.course_state import PLAN_END, CourseState
from clearcourse.rules.text import Text

logger = logging.getLogger(__name__)

SOME_COURSES_FAILED = _("The program status of %(count)s course(s) could not be worked out; open the course to "
                        "check it.")


ACTION_LABELS = {
    "write_prescription": _("Monthly visit and next prescription"),
    "pregnancy_test": _("Pregnancy test"),
    "verify_home_test": _("Verify home pregnancy test"),
    "comprehension_questions": _("Monthly comprehension questions"),
    "confirm_contraception": _("Monthly contraception confirmation"),
}
CONDITION_LABELS = {
    "pregnancy_test": _("counted from the pregnancy test"),
    "prescription_window": _("counted from the prescription"),
}


@dataclass(frozen=True, slots=True)
class ProgramItem:
    course: Course
    kind: str  # "window" | "due" | "questions"
    code: str
    title: str
    due: dt.date
    detail: Text | None = None  # the core's words as data (drawn in the reader's language)


@dataclass
class BridgeResult:
    items: list[ProgramItem] = field(default_factory=list)
    reason: str = ""
    failed: int = 0


def program_items(courses: Sequence[Course], *, as_of: dt.date, until: dt.date) -> BridgeResult:
    """Program work due by ``until`` for ``courses``: open windows closing by then, pregnancy tests due,
    and the patient's monthly questions (comprehension, contraception confirmation) not yet answered."""
    result = BridgeResult()
    if not courses:
        return result
    states = course_states(courses, on=as_of)
    for course in courses:
        state = states[course.pk]
        if state.program is None:  # no version in force, or bad data: counted, never fatal
            result.failed += 1
            continue
        result.items.extend(_items_for(course, state, as_of=as_of, until=until))
    if result.failed:
        result.reason = str(SOME_COURSES_FAILED % {"count": result.failed})
    return result


def _items_for(course: Course, state: CourseState, *, as_of: dt.date, until: dt.date) -> list[ProgramItem]:
    """The worklist items of one course's state (``rules.course_state``): at its cumulative target the end of
    the course is to be planned (and no next prescription is asked for)."""
    status = state.program
    assert status is not None  # noqa: S101 - the callers skip courses without a program status
    items: list[ProgramItem] = []
    if state.end_due:
        items.append(ProgramItem(course, "due", f"program:{PLAN_END}", str(_("Plan the end of the course")), as_of,
                                 detail=state.end_notice))
    window = status.window
    if window is not None and window.closes_on <= until:
        items.append(ProgramItem(course, "window", f"window:{window.condition}", str(_("Pick-up window closes")),
                                 window.closes_on, detail=Text.of(str(CONDITION_LABELS.get(window.condition,
                                                                                          window.condition)))))
    if status.phase == rules_status.ENDED and window is None:
        return items
    for action in state.next_steps:
        due = action.by or action.not_before or as_of
        if due > until:
            continue
        if action.code in (rules_status.PREGNANCY_TEST, rules_status.VERIFY_HOME_TEST):
            items.append(ProgramItem(course, "due", f"program:{action.code}",
                                     str(ACTION_LABELS.get(action.code, action.code)), due,
                                     detail=action.text))
        elif action.code == rules_status.WRITE_PRESCRIPTION and status.phase == rules_status.IN_TREATMENT \
                and status.next_fill_due is not None:
            # The supply runs out: the patient needs the monthly visit and a new prescription.
            items.append(ProgramItem(course, "due", "program:visit", str(ACTION_LABELS[action.code]),
                                     status.next_fill_due, detail=action.text))
        elif action.code in (rules_status.COMPREHENSION, rules_status.CONFIRM_CONTRACEPTION) \
                and status.phase == rules_status.IN_TREATMENT:
            items.append(ProgramItem(course, "questions", f"program:{action.code}",
                                     str(ACTION_LABELS.get(action.code, action.code)), due,
                                     detail=action.text))
    return items
