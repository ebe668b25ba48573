"""A course's state on one day: the one object every page, list, handout, export and answer draws.

Pure: it puts together what the rules core works out from one course's facts: the dose to date
(``rules.course_dose``: supply periods, cumulative dose, target reached or passed, projected end) and the
program's status (``rules.status``: what is done and due for the next fill, the open window, the next
steps). On top it says what follows from both together:

- the course's status as shown: a course still "planned" whose first dispense is recorded is on treatment
  (the dispense is the first day of treatment; ``courses`` records that status change at the dispense);
- the end of the course is due when the cumulative target is reached or passed while the course runs
  (sources: the target's, ``rules.dosing``): the next step is then to plan the end of the course, not the
  next prescription.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from clearcourse.rules.course_dose import CourseDose, TargetStatus
from clearcourse.rules.programs.engine import PRESCRIPTION
from clearcourse.rules.sources import DEFAULT_CUMULATIVE_220, SMPC_POSOLOGY, Source
from clearcourse.rules.status import (
    IN_TREATMENT,
    NOT_STARTED,
    WRITE_PRESCRIPTION,
    Action,
    CourseStatus,
    StatusItem,
)
from clearcourse.rules.text import Text

#: Course statuses (``courses.CourseStatus`` values) in which the course is over or not yet begun.
ENDED_STATUSES = frozenset({"completed", "closed", "stopped"})
PLANNED = "planned"
ACTIVE = "active"

#: The next step when the cumulative target is reached or passed.
PLAN_END = "plan_end"
PLAN_END_REACHED = "The cumulative target is reached: plan the end of the course."
PLAN_END_PASSED = "The cumulative target is passed: plan the end of the course."
#: Where the target comes from (the course's target is the prescriber's choice within these).
TARGET_SOURCES: tuple[Source, ...] = (SMPC_POSOLOGY, DEFAULT_CUMULATIVE_220)


@dataclass(frozen=True, slots=True)
class CourseState:
    """Where one course stands on ``on``. ``program`` is None when the course is over or no program
    version is in force (``program_error`` then says why, in English)."""

    on: dt.date
    recorded_status: str  # the course's status as recorded (``courses.CourseStatus`` value)
    dose: CourseDose
    program: CourseStatus | None
    program_error: str = ""

    @property
    def status(self) -> str:
        """The course's status as every page shows it: "planned" with a dispense recorded is on treatment."""
        if self.recorded_status == PLANNED and self.dose.periods:
            return ACTIVE
        return self.recorded_status

    @property
    def running(self) -> bool:
        return self.status not in ENDED_STATUSES

    @property
    def target_status(self) -> TargetStatus:
        return self.dose.target_status

    @property
    def percent_of_target(self) -> int | None:
        return self.dose.progress_percent

    @property
    def end_due(self) -> bool:
        """The cumulative target is reached or passed while the course runs: its end is to be planned."""
        return self.running and self.dose.target_reached

    @property
    def end_notice(self) -> Text | None:
        """What every page says of a course at or over its target (None: below it, or no target yet)."""
        if not self.dose.target_reached:
            return None
        return Text.of(PLAN_END_PASSED if self.dose.target_passed else PLAN_END_REACHED)

    @property
    def phase(self) -> str:
        """The program's phase (before the first fill, on treatment, ended); on treatment once dispensed."""
        if self.program is not None:
            return self.program.phase
        return IN_TREATMENT if self.dose.periods else NOT_STARTED

    @property
    def due(self) -> tuple[StatusItem, ...]:
        """The program's conditions still unmet for the next fill; at the target, a prescription still to be
        written is not asked for (the end of the course is planned instead)."""
        if self.program is None:
            return ()
        if not self.end_due:
            return self.program.due
        return tuple(i for i in self.program.due
                     if not (i.condition == PRESCRIPTION and i.codes == ("unknown_prescription",)))

    @property
    def next_fill_needs(self) -> tuple[str, ...]:
        """The program's conditions still unmet for the next fill (condition keys)."""
        return tuple(item.condition for item in self.due)

    @property
    def next_fill_due(self) -> dt.date | None:
        return self.program.next_fill_due if self.program is not None else None

    @property
    def next_steps(self) -> tuple[Action, ...]:
        """What to do next: at the target, plan the end of the course (and no new prescription); else the
        program's next steps."""
        actions = self.program.next_actions if self.program is not None else ()
        if not self.end_due:
            return actions
        notice = self.end_notice
        assert notice is not None  # noqa: S101 - end_due implies the target is reached
        return (Action(PLAN_END, notice, TARGET_SOURCES[0], by=self.on),
                *(a for a in actions if a.code != WRITE_PRESCRIPTION))


def course_state(*, on: dt.date, recorded_status: str, dose: CourseDose, program: CourseStatus | None,
                 program_error: str = "") -> CourseState:
    """The state of one course on ``on`` from its dose (``rules.course_dose``) and program status
    (``rules.status``), both worked out from the same loader's facts."""
    return CourseState(on=on, recorded_status=recorded_status, dose=dose, program=program,
                       program_error=program_error)
