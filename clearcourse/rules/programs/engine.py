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
)
from clearcourse.rules.programs.facts import (
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


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day else "-"


def _unmet(key: str, source: Source, code: str, message: str, not_before: dt.date | None = None) -> Condition:
    return Condition(key=key, met=False, source=source, reasons=(Reason(code, message, source),),
                     not_before=not_before)


def adequate(c: Contraception, standard: ContraceptionStandard) -> bool:
    """Does this confirmation meet the program's contraception standard? (sources: see the version's rule)"""
    primary = c.primary_count
    if standard is ContraceptionStandard.TWO_METHODS_ONE_PRIMARY:
        return c.abstinence or (primary >= 1 and primary + c.secondary_count >= 2)
    return primary >= 1


def _fresh(day: dt.date, on: dt.date, last_dispense: dt.date | None) -> bool:
    """A monthly item counts when dated after the previous dispense and within the last month."""
    return day >= on - MONTH_BACK and (last_dispense is None or day > last_dispense)


def evaluate(version: ProgramVersion, patient: Patient, history: History, on: dt.date,
             prescription_id: str | None, days_supply: int | None,
             participants: Participants = NO_PARTICIPANTS) -> Evaluation:
    """Judge every condition of ``version`` for dispensing ``prescription_id`` on ``on``.

    ``prescription_id=None`` asks about a prescription not yet written (dated ``on``), which is
    what the status page needs; ``days_supply=None`` skips the supply checks; a participant whose
    certification is not given is not checked.
    """
    v = version
    h = history
    can = patient.can_get_pregnant
    out: list[Condition] = []
    add = out.append

    nd = bisect_right(h.dispense_dates, on)
    last_dispense = h.dispense_dates[nd - 1] if nd else None
    ne = bisect_right(h.treatment_ends, on)
    last_end = h.treatment_ends[ne - 1] if ne else None
    first_fill = last_dispense is None or (last_end is not None and last_dispense <= last_end)

    # --- enrolment ---------------------------------------------------------------------------
    rule_b = v.enrolment
    if rule_b.value:
        ne_ = bisect_right(h.enrolments, on)
        if ne_:
            add(Condition(ENROLMENT, True, rule_b.source, since=h.enrolments[0]))
        else:
            add(_unmet(ENROLMENT, rule_b.source, "not_enrolled", m.NOT_ENROLLED))

    # --- the prescription asked about ---------------------------------------------------------
    once = v.one_fill_per_prescription
    rx = h.prescriptions.get(prescription_id) if prescription_id is not None else None
    if prescription_id is None:
        rx_date = on
    elif rx is None:
        rx_date = on
        add(_unmet(PRESCRIPTION, once.source, "unknown_prescription", m.UNKNOWN_PRESCRIPTION.format(id=prescription_id)))
    elif rx.date > on:
        rx_date = on
        rx = None
        add(_unmet(PRESCRIPTION, once.source, "unknown_prescription",
                   m.PRESCRIPTION_NOT_YET_WRITTEN.format(id=prescription_id, written=_iso(h.prescriptions[prescription_id].date))))
    else:
        rx_date = rx.date
        if last_end is not None and rx.date <= last_end:
            add(_unmet(PRESCRIPTION, once.source, "treatment_ended",
                       m.TREATMENT_ENDED.format(id=rx.id, ended=_iso(last_end))))
        else:
            add(Condition(PRESCRIPTION, True, once.source, since=rx.date))
        if once.value:
            filled = h.dispensed_on.get(rx.id, ())
            if filled and filled[0] <= on:
                add(_unmet(NOT_DISPENSED, once.source, "already_dispensed",
                           m.ALREADY_DISPENSED.format(id=rx.id, dispensed=_iso(filled[0]))))

    # --- supply -------------------------------------------------------------------------------
    limit_rule = v.supply_limit_days_can if can else v.supply_limit_days_cannot
    if days_supply is not None:
        reasons: list[Reason] = []
        if limit_rule.value is not None and days_supply > limit_rule.value:
            reasons.append(Reason("days_supply_exceeds_limit", m.DAYS_SUPPLY_EXCEEDS_LIMIT.format(
                limit=limit_rule.value, days=days_supply), limit_rule.source))
        if rx is not None and days_supply > rx.days_supply:
            reasons.append(Reason("days_supply_exceeds_prescription", m.DAYS_SUPPLY_EXCEEDS_PRESCRIPTION.format(
                id=rx.id, prescribed=rx.days_supply, days=days_supply), once.source))
        add(Condition(SUPPLY, not reasons, limit_rule.source, reasons=tuple(reasons)))

    # --- pregnancy tests ----------------------------------------------------------------------
    nt = bisect_right(h.test_dates, on)
    tests = h.tests
    latest = tests[nt - 1] if nt else None
    qualifying: PregnancyTest | None = None
    pos_rule = v.positive_test_stops
    positive_latest = latest is not None and not latest.negative
    if pos_rule.value:
        if positive_latest:
            assert latest is not None  # noqa: S101 - narrows the type for mypy
            add(_unmet(NO_POSITIVE_TEST, pos_rule.source, "pregnancy_test_positive",
                       m.PREGNANCY_TEST_POSITIVE.format(collected=_iso(latest.date))))
        elif latest is not None:
            add(Condition(NO_POSITIVE_TEST, True, pos_rule.source, since=latest.date))
    if can and v.test_before_each_fill.value and not positive_latest:
        qualifying, qualifying_index = _pregnancy_test(v, h, on, nt, rx_date, last_dispense, first_fill, add)
        if first_fill and qualifying is not None:
            _first_fill_tests(v, h, qualifying, qualifying_index, last_end, add)

    # --- contraception ------------------------------------------------------------------------
    if can:
        _contraception(v, h, on, last_dispense, first_fill, qualifying, add)

    # --- counselling and comprehension ---------------------------------------------------------
    counsel_rule = v.counseling_can if can else v.counseling_cannot
    if counsel_rule.value is not Cadence.NONE:
        nc = bisect_right(h.counselings, on)
        seen = h.counselings[nc - 1] if nc else None
        if seen is not None and last_end is not None and seen <= last_end:
            seen = None  # counselling belongs to its course
        if seen is None:
            add(_unmet(COUNSELING, counsel_rule.source, "counseling_missing", m.COUNSELING_MISSING))
        elif counsel_rule.value is Cadence.MONTHLY and not _fresh(seen, on, last_dispense):
            add(_unmet(COUNSELING, counsel_rule.source, "counseling_missing",
                       m.COUNSELING_STALE.format(counseled=_iso(seen), days=MONTH_DAYS)))
        else:
            until = seen + MONTH_BACK if counsel_rule.value is Cadence.MONTHLY else None
            add(Condition(COUNSELING, True, counsel_rule.source, since=seen, until=until))

    comp_rule = v.comprehension_can
    if can and comp_rule.value is not Cadence.NONE:
        nq = bisect_right(h.comprehension_dates, on)
        answer = h.comprehensions[nq - 1] if nq else None
        if answer is not None and last_end is not None and answer.date <= last_end:
            answer = None
        if answer is None:
            add(_unmet(COMPREHENSION, comp_rule.source, "comprehension_missing", m.COMPREHENSION_MISSING))
        elif not answer.passed:
            add(_unmet(COMPREHENSION, comp_rule.source, "comprehension_missing",
                       m.COMPREHENSION_FAILED.format(answered=_iso(answer.date))))
        elif comp_rule.value is Cadence.MONTHLY and not _fresh(answer.date, on, last_dispense):
            add(_unmet(COMPREHENSION, comp_rule.source, "comprehension_missing",
                       m.COMPREHENSION_STALE.format(answered=_iso(answer.date), days=MONTH_DAYS)))
        else:
            until = answer.date + MONTH_BACK if comp_rule.value is Cadence.MONTHLY else None
            add(Condition(COMPREHENSION, True, comp_rule.source, since=answer.date, until=until))

    # --- prescription window ------------------------------------------------------------------
    window_rule = v.prescription_window_days_can if can else v.prescription_window_days_cannot
    if window_rule.value is not None and rx is not None:
        last_day = rx.date + dt.timedelta(days=window_rule.value - 1)
        if on > last_day:
            add(_unmet(PRESCRIPTION_WINDOW, window_rule.source, "prescription_window_expired",
                       m.PRESCRIPTION_WINDOW_EXPIRED.format(id=rx.id, written=_iso(rx.date),
                                                            last_day=_iso(last_day), days=window_rule.value)))
        else:
            add(Condition(PRESCRIPTION_WINDOW, True, window_rule.source, since=rx.date, until=last_day))

    # --- UK 2023: a second prescriber for patients under 18 -------------------------------------
    second = v.second_prescriber_under_18
    if second.value and first_fill and rx is not None and patient.age_on(rx.date) < 18:
        if rx.second_prescriber_agreed:
            add(Condition(SECOND_PRESCRIBER, True, second.source, since=rx.date))
        else:
            add(_unmet(SECOND_PRESCRIBER, second.source, "second_prescriber_missing",
                       m.SECOND_PRESCRIBER_MISSING.format(id=rx.id)))

    # --- certified prescriber and pharmacy ----------------------------------------------------
    _certified(v, participants, on, add)

    return Evaluation(version=v, on=on, first_fill=first_fill, last_dispense=last_dispense,
                      last_treatment_end=last_end, prescription=rx, qualifying_test=qualifying,
                      conditions=tuple(out))


def _period(cert: Certification) -> str:
    return f"{_iso(cert.activated)} to {_iso(cert.expires)}" if cert.expires else f"from {_iso(cert.activated)}"


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
            add(_unmet(key, rule.source, code, never))
        elif cert.active_on(on):
            # Not an ``until``: valid_through is the program's window, and the contract's check is made
            # on the day asked (a fill is authorized for the day the participants are active).
            add(Condition(key, True, rule.source, since=cert.activated))
        else:
            not_before = cert.activated if on < cert.activated else None
            add(_unmet(key, rule.source, code, message.format(on=_iso(on), period=_period(cert)),
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
        add(_unmet(PHARMACY_TRAINED, rule.source, "pharmacy_not_certified", m.PHARMACY_TRAINING_MISSING))
        return
    last_day = trained + dt.timedelta(days=rule.value - 1)
    if on > last_day:
        add(_unmet(PHARMACY_TRAINED, rule.source, "pharmacy_not_certified",
                   m.PHARMACY_TRAINING_EXPIRED.format(trained=_iso(trained), last_day=_iso(last_day))))
    else:
        add(Condition(PHARMACY_TRAINED, True, rule.source, since=trained))


def _accepted(v: ProgramVersion, first_fill: bool) -> frozenset[str]:
    return v.pre_treatment_settings.value if first_fill else v.treatment_settings.value


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
        if t.setting not in settings:
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
        accepted = " or ".join(m.SETTING_WORDS[s] for s in sorted(settings)) or "nowhere"
        phase = "before the first fill" if first_fill else "during treatment"
        reasons.append(Reason("pregnancy_test_setting_not_accepted", m.PREGNANCY_TEST_SETTING_NOT_ACCEPTED.format(
            collected=_iso(t.date), setting=m.SETTING_WORDS[t.setting], phase=phase,
            accepted=f"in {accepted}".replace("in home", "at home")), settings_rule.source))
    if unverified:
        reasons.append(Reason("home_test_not_verified", m.HOME_TEST_NOT_VERIFIED.format(
            collected=_iso(unverified[0].date)), v.home_test_needs_verification.source))
    if not reasons:
        if expired is not None and window.value is not None:
            last_day = expired.date + dt.timedelta(days=window.value - 1)
            reasons.append(Reason("pregnancy_test_window_expired", m.PREGNANCY_TEST_WINDOW_EXPIRED.format(
                collected=_iso(expired.date), last_day=_iso(last_day)), window_source))
        elif expired is not None:
            reasons.append(Reason("pregnancy_test_window_expired", m.PREGNANCY_TEST_TOO_EARLY.format(
                collected=_iso(expired.date), days=before_rx.value, written=_iso(rx_date)), window_source))
        elif last_dispense is not None:
            reasons.append(Reason("pregnancy_test_missing", m.PREGNANCY_TEST_MISSING.format(
                since=_iso(last_dispense)), v.test_before_each_fill.source))
        else:
            reasons.append(Reason("pregnancy_test_missing", m.PREGNANCY_TEST_MISSING_EVER,
                                  v.test_before_each_fill.source))
    add(Condition(PREGNANCY_TEST, False, window_source, reasons=tuple(reasons)))
    return None, -1


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
            add(_unmet(SCREENING_TEST, gap.source, "waiting_period", m.WAITING_PERIOD_SCREENING.format(
                collected=_iso(confirmation.date), gap=gap.value, screening=_iso(too_close.date),
                not_before=_iso(not_before)), not_before=not_before))
        else:
            add(_unmet(SCREENING_TEST, gap.source, "pregnancy_test_missing", m.SCREENING_TEST_MISSING.format(
                gap=gap.value, collected=_iso(confirmation.date))))
    wait = v.missed_window_wait_days
    if wait.value is not None and v.test_window_days.value is not None:
        missed = latest_missed_window(v, h, confirmation.date, floor)
        if missed is not None and confirmation.date < missed.date + dt.timedelta(days=wait.value):
            not_before = missed.date + dt.timedelta(days=wait.value)
            add(_unmet(MISSED_WINDOW_WAIT, wait.source, "waiting_period",
                       m.WAITING_PERIOD_MISSED_WINDOW.format(missed=_iso(missed.date), not_before=_iso(not_before)),
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
        add(_unmet(CONTRACEPTION, rule.source, "contraception_not_confirmed", m.CONTRACEPTION_NONE))
        return
    items = h.contraceptions
    latest = items[n - 1]
    if not adequate(latest, standard):
        described = ", ".join(latest.methods) + (", abstinence" if latest.abstinence else "")
        template = (m.CONTRACEPTION_INADEQUATE_US if standard is ContraceptionStandard.TWO_METHODS_ONE_PRIMARY
                    else m.CONTRACEPTION_INADEQUATE_EU)
        add(_unmet(CONTRACEPTION, rule.source, "contraception_not_confirmed",
                   template.format(methods=described.lstrip(", ") or "no methods")))
        return
    cadence = v.contraception_cadence
    if cadence.value is Cadence.MONTHLY and not _fresh(latest.date, on, last_dispense):
        add(_unmet(CONTRACEPTION, cadence.source, "contraception_not_confirmed",
                   m.CONTRACEPTION_STALE.format(confirmed=_iso(latest.date), days=MONTH_DAYS)))
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
        point, what = qualifying.date, "the confirmation pregnancy test"
    else:
        point, what = on, "the first dose"
    have = (point - start).days
    if have >= lead.value:
        add(Condition(CONTRACEPTION_LEAD_IN, True, lead.source, since=start))
    else:
        not_before = start + dt.timedelta(days=lead.value)
        add(_unmet(CONTRACEPTION_LEAD_IN, lead.source, "contraception_lead_in_too_short",
                   m.CONTRACEPTION_LEAD_IN_TOO_SHORT.format(since=_iso(start), have=have, until_what=what,
                                                            until=_iso(point), days=lead.value,
                                                            not_before=_iso(not_before)),
                   not_before=not_before))

