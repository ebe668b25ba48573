"""Where a patient stands on a day: what is done, what is due, the open window and what to do next.

Pure: it takes the facts and a date and runs the same engine as ``decide``. The prescriber's worklist,
the patient's page and the reminders read this; "window closes in 2 days, on 11 Oct" is
``Countdown(closes_on=2026-10-11, days_left=2)`` and the wording belongs to the page.

The prescription judged is the one asked about, or else the newest prescription of the current
course that has not been dispensed. With none open, the status describes the next fill: what must be
done before a new prescription can be dispensed. ``next_fill_due`` (the day after the last supply
runs out) is planning information, not a program rule.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from clearcourse.rules.programs import engine
from clearcourse.rules.programs.base import LeadInUntil, ProgramVersion
from clearcourse.rules.programs.engine import Condition, Evaluation
from clearcourse.rules.programs.facts import Decision, History, Patient, Prescription
from clearcourse.rules.programs.registry import resolve
from clearcourse.rules.sources import Source
from clearcourse.rules.text import Join, Text, Value

# Phases of a course.
NOT_STARTED = "not_started"  # no dispense yet in this course
IN_TREATMENT = "in_treatment"
ENDED = "ended"  # a treatment_end after the last dispense

# Action codes (what someone has to do next).
ENROL = "enrol"
WRITE_PRESCRIPTION = "write_prescription"
REDUCE_SUPPLY = "reduce_supply"
STOP_AND_REFER = "stop_and_refer"
SCREENING_TEST = "screening_test"
PREGNANCY_TEST = "pregnancy_test"
VERIFY_HOME_TEST = "verify_home_test"
CONFIRM_CONTRACEPTION = "confirm_contraception"
WAIT_FOR_LEAD_IN = "wait_for_contraception_lead_in"
COUNSEL = "counsel"
COMPREHENSION = "comprehension_questions"
SECOND_PRESCRIBER = "second_prescriber"
DISPENSE = "dispense"

ACTION_MESSAGES = {
    ENROL: "Enrol the patient in the program.",
    WRITE_PRESCRIPTION: "Write a new prescription.",
    REDUCE_SUPPLY: "Dispense no more than the allowed and prescribed days.",
    STOP_AND_REFER: "Do not dispense: stop treatment and refer the patient (positive pregnancy test).",
    SCREENING_TEST: "Take the screening pregnancy test ({settings}).",
    PREGNANCY_TEST: "Collect a pregnancy test ({settings}).",
    VERIFY_HOME_TEST: "Verify the patient's home pregnancy test.",
    CONFIRM_CONTRACEPTION: "Confirm the contraception in use.",
    WAIT_FOR_LEAD_IN: "Wait until contraception has been in use for the required month.",
    COUNSEL: "Counsel the patient and record it.",
    COMPREHENSION: "Have the patient answer the comprehension questions.",
    SECOND_PRESCRIBER: "Record a second independent prescriber's agreement to start treatment.",
    DISPENSE: "Ready: the prescription may be dispensed.",
}

_CODE_TO_ACTION = {
    "not_enrolled": ENROL,
    "unknown_prescription": WRITE_PRESCRIPTION,
    "treatment_ended": WRITE_PRESCRIPTION,
    "already_dispensed": WRITE_PRESCRIPTION,
    "prescription_window_expired": WRITE_PRESCRIPTION,
    "days_supply_exceeds_limit": REDUCE_SUPPLY,
    "days_supply_exceeds_prescription": REDUCE_SUPPLY,
    "pregnancy_test_positive": STOP_AND_REFER,
    "pregnancy_test_missing": PREGNANCY_TEST,
    "pregnancy_test_window_expired": PREGNANCY_TEST,
    "pregnancy_test_setting_not_accepted": PREGNANCY_TEST,
    "waiting_period": PREGNANCY_TEST,
    "home_test_not_verified": VERIFY_HOME_TEST,
    "contraception_not_confirmed": CONFIRM_CONTRACEPTION,
    "contraception_lead_in_too_short": WAIT_FOR_LEAD_IN,
    "counseling_missing": COUNSEL,
    "comprehension_missing": COMPREHENSION,
    "second_prescriber_missing": SECOND_PRESCRIBER,
}
#: The order actions are listed in: what blocks everything first, then the visit's steps in order.
ACTION_ORDER = (STOP_AND_REFER, ENROL, SECOND_PRESCRIBER, COUNSEL, CONFIRM_CONTRACEPTION, WAIT_FOR_LEAD_IN,
                SCREENING_TEST, PREGNANCY_TEST, VERIFY_HOME_TEST, COMPREHENSION, WRITE_PRESCRIPTION, REDUCE_SUPPLY,
                DISPENSE)
_WINDOW_CONDITIONS = frozenset({engine.PREGNANCY_TEST, engine.PRESCRIPTION_WINDOW})
CONFIRMATION_TEST_DUE = ("The negative test of {screening} is the screening test; the confirmation test can be "
                         "collected at least {gap} days later.")
_SETTING_WORDS = {"lab": "laboratory", "clinic": "clinic", "home": "home, verified by the prescriber",
                  "remote": "remote, with medical supervision"}


@dataclass(frozen=True, slots=True)
class Countdown:
    """The open dispensing window: it closes at the end of ``closes_on``; 0 days left = closes today."""

    condition: str  # the condition whose lapse closes it (e.g. "pregnancy_test")
    opened_on: dt.date | None
    closes_on: dt.date
    days_left: int


@dataclass(frozen=True, slots=True)
class StatusItem:
    """One program condition for the next fill."""

    condition: str
    met: bool
    source: Source
    since: dt.date | None = None
    until: dt.date | None = None
    not_before: dt.date | None = None
    codes: tuple[str, ...] = ()
    texts: tuple[Text, ...] = ()  # the reasons' words as data (rules.text)

    @property
    def messages(self) -> tuple[str, ...]:
        """The reasons in English."""
        return tuple(str(t) for t in self.texts)


@dataclass(frozen=True, slots=True)
class Action:
    code: str
    text: Text
    source: Source
    not_before: dt.date | None = None  # cannot be done (usefully) before this day
    by: dt.date | None = None  # should be done by this day

    @property
    def message(self) -> str:
        """What to do, in English."""
        return str(self.text)


@dataclass(frozen=True, slots=True)
class CourseStatus:
    program: str  # the version applied on ``on``
    on: dt.date
    phase: str
    prescription: str | None  # the prescription judged, if one is open
    decision: Decision | None  # the pharmacy's answer for that prescription today (None: none open)
    done: tuple[StatusItem, ...]
    due: tuple[StatusItem, ...]
    window: Countdown | None
    supply_ends_on: dt.date | None  # last day covered by the latest dispense
    next_fill_due: dt.date | None
    next_actions: tuple[Action, ...]


def course_status(program: str, patient: Patient, history: History, on: dt.date,
                  prescription_id: str | None = None) -> CourseStatus:
    """What is done and due on ``on`` for the next fill, the window countdown and the next actions."""
    version = resolve(program, on)
    rx = _open_prescription(history, on) if prescription_id is None else history.prescriptions.get(prescription_id)
    rx_id = rx.id if rx is not None else prescription_id
    days = rx.days_supply if rx is not None else None
    ev = engine.evaluate(version, patient, history, on, rx_id, days)

    phase = _phase(ev)
    supply_ends_on = next_fill_due = None
    if phase == IN_TREATMENT:
        nd = bisect_right(history.dispense_dates, on)
        last = history.dispenses[nd - 1]
        supply_ends_on = last.date + dt.timedelta(days=last.days_supply - 1)
        next_fill_due = supply_ends_on + dt.timedelta(days=1)

    items = [_item(c) for c in ev.conditions]
    window = _countdown(ev)
    if ev.first_fill and _lone_test_is_the_screening_test(version, ev, items):
        items = _as_screening_test(version, ev, items)
        window = None  # no fill is possible before the confirmation test: no pick-up window to count down
    if rx_id is None:
        items.append(StatusItem(condition=engine.PRESCRIPTION, met=False, source=version.one_fill_per_prescription.source,
                                codes=("unknown_prescription",), texts=(Text.of(ACTION_MESSAGES[WRITE_PRESCRIPTION]),)))
    done = tuple(i for i in items if i.met)
    due = tuple(i for i in items if not i.met)
    decision = ev.decision() if rx_id is not None else None
    return CourseStatus(
        program=version.id, on=on, phase=phase, prescription=rx_id, decision=decision, done=done, due=due,
        window=window, supply_ends_on=supply_ends_on, next_fill_due=next_fill_due,
        next_actions=_actions(version, patient, history, ev, due, decision, next_fill_due),
    )


def _open_prescription(history: History, on: dt.date) -> Prescription | None:
    """The newest prescription written by ``on`` in the current course and not yet dispensed by then."""
    ne = bisect_right(history.treatment_ends, on)
    last_end = history.treatment_ends[ne - 1] if ne else None
    best: Prescription | None = None
    for rx in history.prescriptions.values():
        if rx.date > on or (last_end is not None and rx.date <= last_end):
            continue
        filled = history.dispensed_on.get(rx.id, ())
        if filled and filled[0] <= on:
            continue
        if best is None or rx.date >= best.date:
            best = rx
    return best


def _phase(ev: Evaluation) -> str:
    if ev.last_dispense is None:
        return NOT_STARTED
    if ev.last_treatment_end is not None and ev.last_dispense <= ev.last_treatment_end:
        return ENDED
    return IN_TREATMENT


def _item(c: Condition) -> StatusItem:
    return StatusItem(condition=c.key, met=c.met, source=c.source, since=c.since, until=c.until,
                      not_before=c.not_before, codes=tuple(r.code for r in c.reasons),
                      texts=tuple(r.text for r in c.reasons))


def _lone_test_is_the_screening_test(version: ProgramVersion, ev: Evaluation, items: list[StatusItem]) -> bool:
    """Before the first fill, with one negative test and no screening test before it: the engine judges that
    test as the confirmation test and asks for a screening test before it. Shown as it is for the patient
    and the clinic: that test is the screening test (when taken where screening tests count), and the
    confirmation test is due at least the screening gap later."""
    by_key = {i.condition: i for i in items}
    screening, test, found = by_key.get(engine.SCREENING_TEST), by_key.get(engine.PREGNANCY_TEST), ev.qualifying_test
    return (screening is not None and test is not None and found is not None and not screening.met and test.met
            and "pregnancy_test_missing" in screening.codes and version.screening_gap_days.value is not None
            and found.setting in version.screening_settings.value)


def _as_screening_test(version: ProgramVersion, ev: Evaluation, items: list[StatusItem]) -> list[StatusItem]:
    found = ev.qualifying_test
    gap = version.screening_gap_days.value
    assert found is not None and gap is not None  # noqa: S101 - checked by _lone_test_is_the_screening_test
    not_before = found.date + dt.timedelta(days=gap)
    out: list[StatusItem] = []
    for item in items:
        if item.condition == engine.SCREENING_TEST:
            out.append(StatusItem(condition=item.condition, met=True, source=item.source, since=found.date))
        elif item.condition == engine.PREGNANCY_TEST:
            out.append(StatusItem(condition=item.condition, met=False, source=version.screening_gap_days.source,
                                  not_before=not_before if not_before > ev.on else None,
                                  codes=("pregnancy_test_missing",),
                                  texts=(Text.of(CONFIRMATION_TEST_DUE, screening=found.date, gap=gap),)))
        else:
            out.append(item)
    return out


def _countdown(ev: Evaluation) -> Countdown | None:
    """The pick-up window (test or prescription window) if one is open; it closes when the first
    timed condition lapses, so a counselling that lapses earlier closes it earlier."""
    timed = [c for c in ev.conditions if c.met and c.until is not None]
    if not any(c.key in _WINDOW_CONDITIONS for c in timed):
        return None
    first = min(timed, key=lambda c: c.until or dt.date.max)
    assert first.until is not None  # noqa: S101 - filtered above
    return Countdown(condition=first.key, opened_on=first.since, closes_on=first.until,
                     days_left=(first.until - ev.on).days)


def _settings_words(settings: frozenset[str]) -> Join:
    return Join(tuple(Text.of(_SETTING_WORDS[s]) for s in sorted(settings)), "or")


def _actions(version: ProgramVersion, patient: Patient, history: History, ev: Evaluation,
             due: tuple[StatusItem, ...], decision: Decision | None,
             next_fill_due: dt.date | None) -> tuple[Action, ...]:
    if decision is not None and decision.allowed:
        return (Action(DISPENSE, Text.of(ACTION_MESSAGES[DISPENSE]), version.one_fill_per_prescription.source,
                       by=decision.valid_through),)
    actions: dict[str, Action] = {}

    def want(code: str, source: Source, not_before: dt.date | None = None, **fmt: Value) -> None:
        if not_before is not None and not_before <= ev.on:
            not_before = None
        old = actions.get(code)
        if old is not None and old.not_before is not None and (not_before is None or old.not_before > not_before):
            not_before = old.not_before
        by = next_fill_due if next_fill_due is not None and next_fill_due > ev.on else None
        actions[code] = Action(code, Text.of(ACTION_MESSAGES[code], **fmt), old.source if old else source,
                               not_before=not_before, by=by)

    settings = (version.pre_treatment_settings if ev.first_fill else version.treatment_settings).value
    if engine.remote_accepted(version, ev.first_fill, ev.on):
        settings = settings | {"remote"}
    words = _settings_words(settings)
    for item in due:
        for code in item.codes:
            action = _CODE_TO_ACTION.get(code, WRITE_PRESCRIPTION)
            if action == PREGNANCY_TEST and item.condition == engine.SCREENING_TEST and code != "waiting_period":
                action = SCREENING_TEST
            if action == WAIT_FOR_LEAD_IN and version.contraception_lead_in_until.value is LeadInUntil.CONFIRMATION_TEST:
                # The month is counted to the confirmation test: the test waits, not only the dispense.
                want(PREGNANCY_TEST, item.source, item.not_before, settings=words)
            if action in (PREGNANCY_TEST, SCREENING_TEST):
                test_words = _settings_words(version.screening_settings.value) if action == SCREENING_TEST else words
                want(action, item.source, item.not_before, settings=test_words)
            else:
                want(action, item.source, item.not_before)
    if PREGNANCY_TEST in actions and ev.first_fill and patient.can_get_pregnant:
        _plan_first_tests(version, history, ev, want, words)
    return tuple(sorted(actions.values(), key=lambda a: ACTION_ORDER.index(a.code)))


def _plan_first_tests(version: ProgramVersion, history: History, ev: Evaluation, want: Callable[..., None],
                      words: Join) -> None:
    """Before the first fill with no usable confirmation test: when can the next test count?"""
    floor = ev.last_treatment_end
    np_ = bisect_right(history.positive_test_dates, ev.on)
    if np_ and (floor is None or history.positive_test_dates[np_ - 1] > floor):
        floor = history.positive_test_dates[np_ - 1]
    course_tests = [t for t in history.tests[: bisect_right(history.test_dates, ev.on)]
                    if floor is None or t.date > floor]
    gap = version.screening_gap_days
    if gap.value is not None:
        screenings = [t for t in course_tests if t.negative and t.setting in version.screening_settings.value]
        if not screenings:
            want(SCREENING_TEST, gap.source, None, settings=_settings_words(version.screening_settings.value))
            want(PREGNANCY_TEST, gap.source, ev.on + dt.timedelta(days=gap.value), settings=words)
        else:
            want(PREGNANCY_TEST, gap.source, screenings[0].date + dt.timedelta(days=gap.value), settings=words)
    wait = version.missed_window_wait_days
    if wait.value is not None:
        missed = engine.latest_missed_window(version, history, ev.on, floor)
        if missed is not None:
            want(PREGNANCY_TEST, wait.source, missed.date + dt.timedelta(days=wait.value), settings=words)
