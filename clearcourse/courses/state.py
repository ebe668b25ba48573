"""A course's state, asked for by any app: its dose to date, the program's status, the pharmacy's answer.

The state is made of records of several apps (the course's own, the programs' records, the pharmacy's
dispenses), and this app sits below the apps that keep them (docs/architecture.md), so it cannot load them
itself. The one loader lives in the programs app, which sees all of them (``clearcourse.ppp.state``); it
plugs itself in here when the apps start (``PppConfig.ready``). Every page, export and answer asks through
these functions, so two places never work out the same number.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from clearcourse.rules import course_dose
from clearcourse.rules.course_state import CourseState
from clearcourse.rules.programs.facts import Decision
from clearcourse.rules.status import CourseStatus

if TYPE_CHECKING:
    from clearcourse.courses.models import Course, Prescription


class StateLoader(Protocol):
    """What the one loader answers (``clearcourse.ppp.state``)."""

    def dose_facts(self, course: Course, *, as_of: dt.date) -> course_dose.DoseFacts: ...

    def decision(self, course: Course, *, prescription: Prescription | int | str, request_date: dt.date,
                 days_supply: int, pharmacy_id: int | None = None) -> Decision: ...

    def status(self, course: Course, *, on: dt.date) -> CourseStatus: ...

    def states(self, courses: Sequence[Course], *, on: dt.date) -> dict[int, CourseState]: ...


_loader: StateLoader | None = None


def provide(loader: StateLoader) -> None:
    """Plug the one loader in (called once, from the app that holds it, when the apps start)."""
    global _loader
    _loader = loader


def _the_loader() -> StateLoader:
    if _loader is None:  # pragma: no cover - the programs app is always installed
        raise RuntimeError("No course-state loader: clearcourse.ppp is not installed or not ready.")
    return _loader


def course_dose_summary(course: Course, *, as_of: dt.date) -> course_dose.CourseDose:
    """Cumulative dose, remaining dose, target status and projected end on ``as_of`` (``rules.course_dose``)."""
    return course_dose.course_dose(_the_loader().dose_facts(course, as_of=as_of), as_of)


def course_decision(course: Course, *, prescription: Prescription | int | str, request_date: dt.date,
                    days_supply: int, pharmacy_id: int | None = None) -> Decision:
    """May ``prescription`` be dispensed on ``request_date`` (by ``pharmacy_id``: then the prescriber's and
    the pharmacy's certification are judged too)? (``rules.programs.decide``)"""
    return _the_loader().decision(course, prescription=prescription, request_date=request_date,
                                  days_supply=days_supply, pharmacy_id=pharmacy_id)


def course_status(course: Course, *, on: dt.date) -> CourseStatus:
    """What is done and due on ``on`` for the next fill (``rules.status.course_status``)."""
    return _the_loader().status(course, on=on)


def course_state(course: Course, *, on: dt.date) -> CourseState:
    """Where the course stands on ``on`` (``rules.course_state``): dose to date, target reached or passed,
    projected end, the program's status and next steps. Every page, list, handout and export draws this."""
    return _the_loader().states([course], on=on)[course.pk]


def course_states(courses: Sequence[Course], *, on: dt.date) -> dict[int, CourseState]:
    """:func:`course_state` of many courses in a fixed number of queries (the worklist)."""
    return _the_loader().states(courses, on=on) if courses else {}
