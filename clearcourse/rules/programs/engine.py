"""The one engine every program version runs through.

``evaluate`` judges each condition of a version on one day and says, for each, whether it is met,
why not (reasons with sources), since when, until when it stays met and, when it cannot be met yet,
from which day it can. ``decide`` folds that into a pharmacy's yes/no; ``status`` (in
``clearcourse.rules.status``) turns it into what is done, what is due and what to do next.

Only events dated on or before the judged day count, so a "what if" on a past day ignores what
happened later. All look-ups are ``bisect`` on the indexes that :class:`History` built once; no
decision sorts or scans the history more than once.

Day counting follows the scenario contract: "within N days of D" is D .. D+N-1.

Sources: the engine holds no clinical values. Every condition it reports cites the ``Source`` of the
version rule it applied (``ProgramVersion`` fields in the version modules); ``docs/rules.md`` lists
them all.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass
from typing import NamedTuple

from clearcourse.rules.programs import messages as m
from clearcourse.rules.programs.base import (
    MONTH_DAYS,
    Cadence,
    ContraceptionStandard,
    LeadInUntil,
    ProgramVersion,
    Rule,
)
from clearcourse.rules.programs.facts import (
    ABSTINENCE_NAME,
    METHOD_NAMES,
    NO_PARTICIPANTS,
    Certification,
    Contraception,
    Decision,
    History,
    Participants,
    Patient,
    PregnancyTest,
    Prescription,
    Reason,
    TestSetting,
)
from clearcourse.rules.sources import Source
from clearcourse.rules.text import Join, Text

DAY = dt.timedelta(days=1)
MONTH_BACK = dt.timedelta(days=MONTH_DAYS - 1)  # a monthly item dated on or after on - 29 still counts

# Condition keys (what status.py reports as done or due).
ENROLMENT = "enrolment"
PRESCRIPTION = "prescription"
NOT_DISPENSED = "not_dispensed"
SUPPLY = "supply"
NO_POSITIVE_TEST = "no_positive_test"
PREGNANCY_TEST = "pregnancy_test"
SCREENING_TEST = "screening_test"
MISSED_WINDOW_WAIT = "missed_window_wait"
CONTRACEPTION = "contraception"
CONTRACEPTION_LEAD_IN = "contraception_lead_in"
COUNSELING = "counseling"
COMPREHENSION = "comprehension"
PRESCRIPTION_WINDOW = "prescription_window"
SECOND_PRESCRIBER = "second_prescriber"
PRESCRIBER_CERTIFIED = "prescriber_certified"
PHARMACY_CERTIFIED = "pharmacy_certified"
PHARMACY_TRAINED = "pharmacy_trained"


class Condition(NamedTuple):
    """One condition of a version, judged on one day. (A NamedTuple: the engine builds many, cheaply.)"""

    key: str
    met: bool
    source: Source
    reasons: tuple[Reason, ...] = ()
    since: dt.date | None = None  # the day of the event that meets it
    until: dt.date | None = None  # last day it stays met (None: does not lapse with time)
    not_before: dt.date | None = None  # when unmet: the first day it could be met


@dataclass(frozen=True, slots=True)
class Evaluation:
    version: ProgramVersion
    on: dt.date
    first_fill: bool  # no dispense yet in the current course
    last_dispense: dt.date | None
    last_treatment_end: dt.date | None
    prescription: Prescription | None
    qualifying_test: PregnancyTest | None
    conditions: tuple[Condition, ...]

    @property
    def reasons(self) -> tuple[Reason, ...]:
        return tuple(r for c in self.conditions if not c.met for r in c.reasons)

    @property
    def allowed(self) -> bool:
        return all(c.met for c in self.conditions)

    def decision(self) -> Decision:
        reasons = self.reasons
        if reasons:
            return Decision(allowed=False, program=self.version.id, reasons=reasons, valid_through=None)
        untils = [c.until for c in self.conditions if c.until is not None]
        return Decision(allowed=True, program=self.version.id, reasons=(),
                        valid_through=min(untils) if untils else None)


def _unmet(key: str, source: Source, code: str, text: Text, not_before: dt.date | None = None) -> Condition:
    return Condition(key=key, met=False, source=source, reasons=(Reason(code, text, source),),
                     not_before=not_before)


def adequate(c: Contraception, standard: ContraceptionStandard) -> bool:
    """Does this confirmation meet the program's contraception standard? (sources: see the version's rule)"""
    primary = c.primary_count
    if standard is ContraceptionStandard.TWO_METHODS_ONE_PRIMARY:
        return c.abstinence or (primary >= 1 and primary + c.secondary_count >= 2)
    return c.user_independent_count >= 1 or c.complementary_user_dependent


def contraception_shortfall(c: Contraception, rule: Rule[ContraceptionStandard]) -> Reason | None:
    """Why a confirmation does not meet the program's contraception standard (with the rule's source), or
    None when it does. The program page, the pharmacy's answer and the patient's own page all say this."""
    if adequate(c, rule.value):
        return None
    template = (m.CONTRACEPTION_INADEQUATE_US if rule.value is ContraceptionStandard.TWO_METHODS_ONE_PRIMARY
                else m.CONTRACEPTION_INADEQUATE_EU)
    described = (*(Text.of(METHOD_NAMES[code]) if code in METHOD_NAMES else code for code in c.methods),
                 *((Text.of(ABSTINENCE_NAME),) if c.abstinence else ()))
    return Reason("contraception_not_confirmed",
                  Text.of(template, methods=Join(described) if described else Text.of(m.NO_METHODS)), rule.source)


def _fresh(day: dt.date, on: dt.date, last_dispense: dt.date | None) -> bool:
    """A monthly item counts when dated after the previous dispense and within the last month."""
    return day >= on - MONTH_BACK and (last_dispense is None or day > last_dispense)


@dataclass(frozen=True, slots=True)
class _Course:
    """Where the course stands on the judged day; every step of :func:`evaluate` reads it."""

    version: ProgramVersion
    patient: Patient
    history: History
    on: dt.date
    can_get_pregnant: bool
    last_dispense: dt.date | None  # the latest dispense on or before ``on``
    last_end: dt.date | None  # the latest treatment end on or before ``on``
    first_fill: bool  # no dispense yet in the current course


@dataclass(frozen=True, slots=True)
class _Asked:
    """The prescription asked about: the record (None when unknown or not yet written) and its date (the
    judged day when there is none: a prescription written today)."""

    prescription: Prescription | None
    written_on: dt.date


def evaluate(version: ProgramVersion, patient: Patient, history: History, on: dt.date,
             prescription_id: str | None, days_supply: int | None,
             participants: Participants = NO_PARTICIPANTS) -> Evaluation:
    """Judge every condition of ``version`` for dispensing ``prescription_id`` on ``on``.

    ``prescription_id=None`` asks about a prescription not yet written (dated ``on``), which is
    what the status page needs; ``days_supply=None`` skips the supply checks; a participant whose
    certification is not given is not checked. Each step below adds the conditions it judges.
    """
    course = _course_on(version, patient, history, on)
    conditions: list[Condition] = []
    add = conditions.append
    _enrolment(course, add)
    asked = _prescription_asked(course, prescription_id, add)
    if days_supply is not None:
        _supply(course, asked, days_supply, add)
    qualifying_test = _pregnancy_tests(course, asked, add)
    if course.can_get_pregnant:
        _contraception(version, history, on, course.last_dispense, course.first_fill, qualifying_test, add)
    _counselling(course, add)
    _comprehension(course, add)
    _prescription_window(course, asked, add)
    _second_prescriber(course, asked, add)
    _certified(version, participants, on, add)
    return Evaluation(version=version, on=on, first_fill=course.first_fill, last_dispense=course.last_dispense,
                      last_treatment_end=course.last_end, prescription=asked.prescription,
                      qualifying_test=qualifying_test, conditions=tuple(conditions))


def _course_on(version: ProgramVersion, patient: Patient, history: History, on: dt.date) -> _Course:
    """The latest dispense and treatment end known on ``on``, and whether the next fill is a course's first."""
    dispensed = bisect_right(history.dispense_dates, on)
    last_dispense = history.dispense_dates[dispensed - 1] if dispensed else None
    ended = bisect_right(history.treatment_ends, on)
    last_end = history.treatment_ends[ended - 1] if ended else None
    first_fill = last_dispense is None or (last_end is not None and last_dispense <= last_end)
    return _Course(version=version, patient=patient, history=history, on=on,
                   can_get_pregnant=patient.can_get_pregnant, last_dispense=last_dispense, last_end=last_end,
                   first_fill=first_fill)


def _enrolment(course: _Course, add: Callable[[Condition], None]) -> None:
    """Enrolled in the program on or before the day (where the version requires it)."""
    rule = course.version.enrolment
    if not rule.value:
        return
    enrolments = course.history.enrolments
    if bisect_right(enrolments, course.on):
        add(Condition(ENROLMENT, True, rule.source, since=enrolments[0]))
    else:
        add(_unmet(ENROLMENT, rule.source, "not_enrolled", Text.of(m.NOT_ENROLLED)))


def _prescription_asked(course: _Course, prescription_id: str | None,
                        add: Callable[[Condition], None]) -> _Asked:
    """The prescription exists, is written by the day, belongs to the current course and (one fill per
    prescription) is not dispensed yet."""
    once = course.version.one_fill_per_prescription
    history, on = course.history, course.on
    if prescription_id is None:
        return _Asked(None, on)
    prescription = history.prescriptions.get(prescription_id)
    if prescription is None:
        add(_unmet(PRESCRIPTION, once.source, "unknown_prescription", Text.of(m.UNKNOWN_PRESCRIPTION, id=repr(prescription_id))))
        return _Asked(None, on)
    if prescription.date > on:
        add(_unmet(PRESCRIPTION, once.source, "unknown_prescription",
                   Text.of(m.PRESCRIPTION_NOT_YET_WRITTEN, id=prescription.label, written=prescription.date)))
        return _Asked(None, on)
    if course.last_end is not None and prescription.date <= course.last_end:
        add(_unmet(PRESCRIPTION, once.source, "treatment_ended",
                   Text.of(m.TREATMENT_ENDED, id=prescription.label, ended=course.last_end)))
    else:
        add(Condition(PRESCRIPTION, True, once.source, since=prescription.date))
    if once.value:
        filled = history.dispensed_on.get(prescription.id, ())
        if filled and filled[0] <= on:
            add(_unmet(NOT_DISPENSED, once.source, "already_dispensed",
                       Text.of(m.ALREADY_DISPENSED, id=prescription.label, dispensed=filled[0])))
    return _Asked(prescription, prescription.date)


def _supply(course: _Course, asked: _Asked, days_supply: int, add: Callable[[Condition], None]) -> None:
    """The days asked for are within the program's limit and within the prescription."""
    version = course.version
    limit_rule = version.supply_limit_days_can if course.can_get_pregnant else version.supply_limit_days_cannot
    reasons: list[Reason] = []
    if limit_rule.value is not None and days_supply > limit_rule.value:
        reasons.append(Reason("days_supply_exceeds_limit", Text.of(
            m.DAYS_SUPPLY_EXCEEDS_LIMIT, limit=limit_rule.value, days=days_supply), limit_rule.source))
    prescription = asked.prescription
    if prescription is not None and days_supply > prescription.days_supply:
        reasons.append(Reason("days_supply_exceeds_prescription", Text.of(
            m.DAYS_SUPPLY_EXCEEDS_PRESCRIPTION, id=prescription.label, prescribed=prescription.days_supply,
            days=days_supply),
            version.one_fill_per_prescription.source))
    add(Condition(SUPPLY, not reasons, limit_rule.source, reasons=tuple(reasons)))


def _pregnancy_tests(course: _Course, asked: _Asked, add: Callable[[Condition], None]) -> PregnancyTest | None:
    """No positive latest test; for a patient who can get pregnant, the negative test that authorizes this
    fill (and before a course's first fill the screening test and the missed-window wait). Returns that test."""
    version, history, on = course.version, course.history, course.on
    collected = bisect_right(history.test_dates, on)
    latest = history.tests[collected - 1] if collected else None
    positive_latest = latest is not None and not latest.negative
    stops = version.positive_test_stops
    if stops.value and latest is not None:
        if positive_latest:
            add(_unmet(NO_POSITIVE_TEST, stops.source, "pregnancy_test_positive",
                       Text.of(m.PREGNANCY_TEST_POSITIVE, collected=latest.date)))
        else:
            add(Condition(NO_POSITIVE_TEST, True, stops.source, since=latest.date))
    if not (course.can_get_pregnant and version.test_before_each_fill.value) or positive_latest:
        return None
    qualifying, index = _pregnancy_test(version, history, on, collected, asked.written_on, course.last_dispense,
                                        course.first_fill, add)
    if course.first_fill and qualifying is not None:
        _first_fill_tests(version, history, qualifying, index, course.last_end, add)
    return qualifying


def _counselling(course: _Course, add: Callable[[Condition], None]) -> None:
    """Counselling recorded in the current course (monthly where the version says so)."""
    version = course.version
    rule = version.counseling_can if course.can_get_pregnant else version.counseling_cannot
    if rule.value is Cadence.NONE:
        return
    counselings = course.history.counselings
    found = bisect_right(counselings, course.on)
    seen = counselings[found - 1] if found else None
    if seen is not None and course.last_end is not None and seen <= course.last_end:
        seen = None  # counselling belongs to its course
    monthly = rule.value is Cadence.MONTHLY
    if seen is None:
        add(_unmet(COUNSELING, rule.source, "counseling_missing", Text.of(m.COUNSELING_MISSING)))
    elif monthly and not _fresh(seen, course.on, course.last_dispense):
        add(_unmet(COUNSELING, rule.source, "counseling_missing",
                   Text.of(m.COUNSELING_STALE, counseled=seen, days=MONTH_DAYS)))
    else:
        add(Condition(COUNSELING, True, rule.source, since=seen, until=seen + MONTH_BACK if monthly else None))


def _comprehension(course: _Course, add: Callable[[Condition], None]) -> None:
    """The comprehension questions passed in the current course (monthly where the version says so)."""
    rule = course.version.comprehension_can
    if not course.can_get_pregnant or rule.value is Cadence.NONE:
        return
    history = course.history
    found = bisect_right(history.comprehension_dates, course.on)
    answer = history.comprehensions[found - 1] if found else None
    if answer is not None and course.last_end is not None and answer.date <= course.last_end:
        answer = None  # the answers belong to their course
    monthly = rule.value is Cadence.MONTHLY
    if answer is None:
        add(_unmet(COMPREHENSION, rule.source, "comprehension_missing", Text.of(m.COMPREHENSION_MISSING)))
    elif not answer.passed:
        add(_unmet(COMPREHENSION, rule.source, "comprehension_missing",
                   Text.of(m.COMPREHENSION_FAILED, answered=answer.date)))
    elif monthly and not _fresh(answer.date, course.on, course.last_dispense):
        add(_unmet(COMPREHENSION, rule.source, "comprehension_missing",
                   Text.of(m.COMPREHENSION_STALE, answered=answer.date, days=MONTH_DAYS)))
    else:
        add(Condition(COMPREHENSION, True, rule.source, since=answer.date,
                      until=answer.date + MONTH_BACK if monthly else None))


def _prescription_window(course: _Course, asked: _Asked, add: Callable[[Condition], None]) -> None:
    """The prescription is dispensed within the version's window from the day it was written."""
    version, prescription = course.version, asked.prescription
    rule = version.prescription_window_days_can if course.can_get_pregnant else version.prescription_window_days_cannot
    if rule.value is None or prescription is None:
        return
    last_day = prescription.date + dt.timedelta(days=rule.value - 1)
    if course.on > last_day:
        add(_unmet(PRESCRIPTION_WINDOW, rule.source, "prescription_window_expired",
                   Text.of(m.PRESCRIPTION_WINDOW_EXPIRED, id=prescription.label, written=prescription.date,
                           last_day=last_day, days=rule.value)))
    else:
        add(Condition(PRESCRIPTION_WINDOW, True, rule.source, since=prescription.date, until=last_day))


def _second_prescriber(course: _Course, asked: _Asked, add: Callable[[Condition], None]) -> None:
    """UK 2023: a second prescriber agrees to the first fill of a patient under 18."""
    rule, prescription = course.version.second_prescriber_under_18, asked.prescription
    if not (rule.value and course.first_fill and prescription is not None
            and course.patient.age_on(prescription.date) < 18):
        return
    if prescription.second_prescriber_agreed:
        add(Condition(SECOND_PRESCRIBER, True, rule.source, since=prescription.date))
    else:
        add(_unmet(SECOND_PRESCRIBER, rule.source, "second_prescriber_missing",
                   Text.of(m.SECOND_PRESCRIBER_MISSING, id=prescription.label)))


def _period(cert: Certification) -> Text:
    assert cert.activated is not None  # noqa: S101 - a participant never enrolled has no period
    if cert.expires:
        return Text.of(m.PERIOD_FROM_TO, start=cert.activated, end=cert.expires)
    return Text.of(m.PERIOD_FROM, start=cert.activated)


def _certified(v: ProgramVersion, participants: Participants, on: dt.date,
               add: Callable[[Condition], None]) -> None:
    """Only prescribers and pharmacies enrolled and active on the day take part (each checked when known),
    and where the version asks for it, a pharmacy's staff training attested within the last year."""
    rule = v.certified_participants
    if not rule.value:
        return
    checks = ((PRESCRIBER_CERTIFIED, participants.prescriber, "prescriber_not_certified",
               m.PRESCRIBER_NOT_CERTIFIED, m.PRESCRIBER_NEVER_CERTIFIED),
              (PHARMACY_CERTIFIED, participants.pharmacy, "pharmacy_not_certified",
               m.PHARMACY_NOT_CERTIFIED, m.PHARMACY_NEVER_CERTIFIED))
    for key, cert, code, message, never in checks:
        if cert is None:
            continue
        if cert.activated is None:
            add(_unmet(key, rule.source, code, Text.of(never)))
        elif cert.active_on(on):
            # Not an ``until``: valid_through is the program's window, and the contract's check is made
            # on the day asked (a fill is authorized for the day the participants are active).
            add(Condition(key, True, rule.source, since=cert.activated))
        else:
            not_before = cert.activated if on < cert.activated else None
            add(_unmet(key, rule.source, code, Text.of(message, on=on, period=_period(cert)),
                       not_before=not_before))
    _training(v, participants.pharmacy, on, add)


def _training(v: ProgramVersion, cert: Certification | None, on: dt.date,
              add: Callable[[Condition], None]) -> None:
    """The pharmacy's yearly staff training (iPLEDGE 2026): an attestation covers ``days`` days from the
    day it was made (day 1). Checked only when the caller knows the pharmacy's trainings."""
    rule = v.pharmacy_training_days
    if rule.value is None or cert is None or cert.trainings is None:
        return
    trained = cert.last_training(on)
    if trained is None:
        add(_unmet(PHARMACY_TRAINED, rule.source, "pharmacy_not_certified", Text.of(m.PHARMACY_TRAINING_MISSING)))
        return
    last_day = trained + dt.timedelta(days=rule.value - 1)
    if on > last_day:
        add(_unmet(PHARMACY_TRAINED, rule.source, "pharmacy_not_certified",
                   Text.of(m.PHARMACY_TRAINING_EXPIRED, trained=trained, last_day=last_day)))
    else:
        add(Condition(PHARMACY_TRAINED, True, rule.source, since=trained))


def _accepted(v: ProgramVersion, first_fill: bool) -> frozenset[str]:
    return v.pre_treatment_settings.value if first_fill else v.treatment_settings.value


def remote_accepted(v: ProgramVersion, first_fill: bool, collected: dt.date) -> bool:
    """A medically supervised remote test counts: during treatment only, collected on or after the day the
    version accepts it from (UK: the MHRA's autumn 2025 update; the first appointment stays in person)."""
    start = v.remote_supervised_from.value
    return not first_fill and start is not None and collected >= start


def _pregnancy_test(v: ProgramVersion, h: History, on: dt.date, nt: int, rx_date: dt.date,
                    last_dispense: dt.date | None, first_fill: bool,
                    add: Callable[[Condition], None]) -> tuple[PregnancyTest | None, int]:
    """Find the negative test that authorizes this fill, or say why there is none.

    The test must be collected after the previous dispense (a test authorizes one fill), inside
    the version's window, in an accepted setting, and (home tests) verified when required.
    """
    tests = h.tests
    window = v.test_window_days
    before_rx = v.test_before_prescription_days
    if window.value is not None:
        floor = on - dt.timedelta(days=window.value - 1)
        window_source = window.source
    elif before_rx.value is not None:
        floor = rx_date - dt.timedelta(days=before_rx.value - 1)
        window_source = before_rx.source
    else:  # pragma: no cover - every version sets one of the two
        floor = dt.date.min
        window_source = v.test_before_each_fill.source
    settings = _accepted(v, first_fill)
    settings_rule = v.pre_treatment_settings if first_fill else v.treatment_settings
    needs_verification = v.home_test_needs_verification.value
    rejected: list[PregnancyTest] = []
    unverified: list[PregnancyTest] = []
    expired: PregnancyTest | None = None
    for i in range(nt - 1, -1, -1):
        t = tests[i]
        if last_dispense is not None and t.date <= last_dispense:
            break
        if t.date < floor:
            if t.negative:
                expired = t
                break
            continue
        if not t.negative:
            continue  # an earlier positive followed by a later negative: the later test decides
        if t.setting not in settings and not (t.setting == TestSetting.REMOTE
                                              and remote_accepted(v, first_fill, t.date)):
            rejected.append(t)
            continue
        if t.setting == TestSetting.HOME and needs_verification and not t.verified_by_prescriber:
            unverified.append(t)
            continue
        until = t.date + dt.timedelta(days=window.value - 1) if window.value is not None else None
        add(Condition(PREGNANCY_TEST, True, window_source, since=t.date, until=until))
        return t, i
    reasons: list[Reason] = []
    if rejected:
        t = rejected[0]
        shown = settings | ({TestSetting.REMOTE.value} if remote_accepted(v, first_fill, on) else set())
        phase = m.BEFORE_FIRST_FILL if first_fill else m.DURING_TREATMENT
        reasons.append(Reason("pregnancy_test_setting_not_accepted", Text.of(
            m.PREGNANCY_TEST_SETTING_NOT_ACCEPTED, collected=t.date, setting=Text.of(m.SETTING_WORDS[t.setting]),
            phase=Text.of(phase), accepted=_places(frozenset(shown))),
            v.remote_supervised_from.source if t.setting == TestSetting.REMOTE else settings_rule.source))
    if unverified:
        reasons.append(Reason("home_test_not_verified", Text.of(
            m.HOME_TEST_NOT_VERIFIED, collected=unverified[0].date), v.home_test_needs_verification.source))
    if not reasons:
        if expired is not None and window.value is not None:
            last_day = expired.date + dt.timedelta(days=window.value - 1)
            reasons.append(Reason("pregnancy_test_window_expired", Text.of(
                m.PREGNANCY_TEST_WINDOW_EXPIRED, collected=expired.date, last_day=last_day), window_source))
        elif expired is not None:
            assert before_rx.value is not None  # noqa: S101 - no window: the version counts from the prescription
            reasons.append(Reason("pregnancy_test_window_expired", Text.of(
                m.PREGNANCY_TEST_TOO_EARLY, collected=expired.date, days=before_rx.value, written=rx_date),
                window_source))
        elif last_dispense is not None:
            reasons.append(Reason("pregnancy_test_missing", Text.of(
                m.PREGNANCY_TEST_MISSING, since=last_dispense), v.test_before_each_fill.source))
        else:
            reasons.append(Reason("pregnancy_test_missing", Text.of(m.PREGNANCY_TEST_MISSING_EVER),
                                  v.test_before_each_fill.source))
    add(Condition(PREGNANCY_TEST, False, window_source, reasons=tuple(reasons)))
    return None, -1


def _places(settings: frozenset[str]) -> Text | Join:
    """Where tests are accepted: "in a clinic or a laboratory", "at home or a laboratory", "in nowhere"."""
    words = [m.SETTING_WORDS[s] for s in sorted(settings)] or [m.NOWHERE]
    first = Text.of(m.AT_HOME) if words[0] == m.SETTING_WORDS["home"] else Text.of(m.IN_PLACE, place=Text.of(words[0]))
    return Join((first, *(Text.of(word) for word in words[1:])), "or")


def _first_fill_tests(v: ProgramVersion, h: History, confirmation: PregnancyTest, index: int,
                      last_end: dt.date | None, add: Callable[[Condition], None]) -> None:
    """Before the first fill: the screening test 19+ days earlier, and (2021) the missed-window wait."""
    tests = h.tests
    # Only tests after the last positive result and after the end of any earlier course count.
    np_ = bisect_left(h.positive_test_dates, confirmation.date)
    floor = h.positive_test_dates[np_ - 1] if np_ else None
    if last_end is not None and (floor is None or last_end > floor):
        floor = last_end
    gap = v.screening_gap_days
    if gap.value is not None:
        latest_screening_day = confirmation.date - dt.timedelta(days=gap.value)
        too_close: PregnancyTest | None = None
        found: PregnancyTest | None = None
        screening_settings = v.screening_settings.value
        for i in range(index - 1, -1, -1):
            t = tests[i]
            if floor is not None and t.date <= floor:
                break
            if not t.negative or t.setting not in screening_settings:
                continue
            if t.date <= latest_screening_day:
                found = t
                break
            too_close = t  # keeps the earliest such test, which allows the earliest confirmation
        if found is not None:
            add(Condition(SCREENING_TEST, True, gap.source, since=found.date))
        elif too_close is not None:
            not_before = too_close.date + dt.timedelta(days=gap.value)
            add(_unmet(SCREENING_TEST, gap.source, "waiting_period", Text.of(
                m.WAITING_PERIOD_SCREENING, collected=confirmation.date, gap=gap.value, screening=too_close.date,
                not_before=not_before), not_before=not_before))
        else:
            add(_unmet(SCREENING_TEST, gap.source, "pregnancy_test_missing", Text.of(
                m.SCREENING_TEST_MISSING, gap=gap.value, collected=confirmation.date)))
    wait = v.missed_window_wait_days
    if wait.value is not None and v.test_window_days.value is not None:
        missed = latest_missed_window(v, h, confirmation.date, floor)
        if missed is not None and confirmation.date < missed.date + dt.timedelta(days=wait.value):
            not_before = missed.date + dt.timedelta(days=wait.value)
            add(_unmet(MISSED_WINDOW_WAIT, wait.source, "waiting_period",
                       Text.of(m.WAITING_PERIOD_MISSED_WINDOW, missed=missed.date, not_before=not_before),
                       not_before=not_before))
            return
        add(Condition(MISSED_WINDOW_WAIT, True, wait.source))


def latest_missed_window(v: ProgramVersion, h: History, before: dt.date,
                         floor: dt.date | None) -> PregnancyTest | None:
    """Before the first fill: the latest test whose dispensing window closed before ``before`` unused.

    A test opened a window when a prescription was written inside it, or when it was itself a valid
    confirmation test (negative, in an accepted pre-treatment setting, at least the screening gap after
    a negative screening test). The second half is the safer reading: the history may not record the
    prescription that was never picked up. Only tests after ``floor`` (last positive test or end of an
    earlier course) count. Source: the version's ``missed_window_wait_days`` rule.
    """
    window = v.test_window_days.value
    if window is None:
        return None
    span = dt.timedelta(days=window - 1)
    tests = h.tests
    first = bisect_right(h.test_dates, floor) if floor is not None else 0
    last = bisect_left(h.test_dates, before - span)  # tests whose window closed before ``before``
    if last <= first:
        return None
    gap = v.screening_gap_days.value
    screening_settings = v.screening_settings.value
    earliest_screening = next((t.date for t in tests[first:last] if t.negative and t.setting in screening_settings),
                              None)
    confirmation_settings = v.pre_treatment_settings.value
    rx_dates = h.prescription_dates
    for i in range(last - 1, first - 1, -1):
        t = tests[i]
        if not t.negative:
            continue
        j = bisect_left(rx_dates, t.date)
        if j < len(rx_dates) and rx_dates[j] <= t.date + span:
            return t
        if (gap is not None and earliest_screening is not None and t.setting in confirmation_settings
                and earliest_screening <= t.date - dt.timedelta(days=gap)):
            return t
    return None


def _contraception(v: ProgramVersion, h: History, on: dt.date, last_dispense: dt.date | None,
                   first_fill: bool, qualifying: PregnancyTest | None,
                   add: Callable[[Condition], None]) -> None:
    rule = v.contraception
    standard = rule.value
    n = bisect_right(h.contraception_dates, on)
    if not n:
        add(_unmet(CONTRACEPTION, rule.source, "contraception_not_confirmed", Text.of(m.CONTRACEPTION_NONE)))
        return
    items = h.contraceptions
    latest = items[n - 1]
    shortfall = contraception_shortfall(latest, rule)
    if shortfall is not None:
        add(_unmet(CONTRACEPTION, rule.source, shortfall.code, shortfall.text))
        return
    cadence = v.contraception_cadence
    if cadence.value is Cadence.MONTHLY and not _fresh(latest.date, on, last_dispense):
        add(_unmet(CONTRACEPTION, cadence.source, "contraception_not_confirmed",
                   Text.of(m.CONTRACEPTION_STALE, confirmed=latest.date, days=MONTH_DAYS)))
    else:
        until = latest.date + MONTH_BACK if cadence.value is Cadence.MONTHLY else None
        add(Condition(CONTRACEPTION, True, rule.source, since=latest.date, until=until))
    if not first_fill:
        return
    # Lead-in: the current unbroken run of adequate confirmations must start early enough.
    start = latest.date
    for i in range(n - 2, -1, -1):
        if not adequate(items[i], standard):
            break
        start = items[i].date
    lead = v.contraception_lead_in_days
    until_rule = v.contraception_lead_in_until
    if until_rule.value is LeadInUntil.CONFIRMATION_TEST and qualifying is not None:
        point, what = qualifying.date, m.THE_CONFIRMATION_TEST
    else:
        point, what = on, m.THE_FIRST_DOSE
    have = (point - start).days
    if have >= lead.value:
        add(Condition(CONTRACEPTION_LEAD_IN, True, lead.source, since=start))
    else:
        not_before = start + dt.timedelta(days=lead.value)
        add(_unmet(CONTRACEPTION_LEAD_IN, lead.source, "contraception_lead_in_too_short",
                   Text.of(m.CONTRACEPTION_LEAD_IN_TOO_SHORT, since=start, have=have, until_what=Text.of(what),
                           until=point, days=lead.value, not_before=not_before),
                   not_before=not_before))

