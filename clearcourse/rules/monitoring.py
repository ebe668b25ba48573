"""Safety monitoring: the alert vocabulary shared by the monitoring rules, and the monitoring schedule.

The schedule answers "which checks are due, and which are overdue, on this date" for one course.
It is pure: the course dates, the checks already on file, the patient's risk factors and the clinic's
configuration are all arguments, and ``as_of`` is the only notion of "today".

Sources (register ``../shared/clinical-sources.md`` sections 4-6):
- Before the first dose: a pregnancy test, fasting lipids including triglycerides and liver tests; no
  blood count (Absorica label, D2 §2.3). Lipids fasting and at least 36 hours after alcohol (D2 §5.15).
- EU/UK SmPC (D8 §4.4): liver enzymes and fasting lipids before treatment, 1 month after starting, then
  every 3 months, more often in patients at risk. The old US label (D3) rechecks lipids until the
  response is known, usually within 4 weeks.
- Mood: the US label's psychiatric warning (D1) and the EU neuropsychiatric warning (D7); UK: mental
  health and sexual function assessed before and during treatment (D10; asked at follow-up, D11). No
  regulator names a screening tool: the PHQ is a clinic default.
- Intervals the documents leave open (high-risk checks, the recheck after the peak dose, the age of a
  baseline, the end-of-treatment window) and routine blood counts are clinic defaults.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from clearcourse.rules import eligibility
from clearcourse.rules import sources as src
from clearcourse.rules.sources import Source
from clearcourse.rules.text import Text

# ---------------------------------------------------------------------------------------------
# Alerts: the vocabulary every safety rule (mood, labs, side effects, interactions) answers in.
# ---------------------------------------------------------------------------------------------


class Severity(StrEnum):
    """How soon someone must act. ``urgent`` means a clinician should look at it now."""

    INFO = "info"
    WARNING = "warning"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]


_SEVERITY_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.URGENT: 3}


@dataclass(frozen=True, slots=True)
class Alert:
    """One finding for a person to act on.

    ``message`` is the English advice; ``text`` the same as data (template and values, ``rules.text``) when
    it has values, which a page draws in its reader's language (:attr:`words`). ``needs_clinical_signoff``
    marks alerts whose rule rests on a weak source or on a value the register leaves open: they may inform,
    never hard-stop.
    """

    code: str
    severity: Severity
    message: str
    sources: tuple[Source, ...]
    needs_clinical_signoff: bool = False
    subject: str | None = None  # what the alert is about, e.g. the medication as written
    text: Text | None = None

    @property
    def words(self) -> Text:
        """The advice as data (a constant sentence is a template without values)."""
        return self.text if self.text is not None else Text.of(self.message)

    @classmethod
    def of(cls, code: str, severity: Severity, text: Text, sources: tuple[Source, ...], *,
           needs_clinical_signoff: bool = False, subject: str | None = None) -> Alert:
        """An alert whose advice has values: the English ``message`` and its ``text`` from one Text."""
        return cls(code, severity, str(text), sources, needs_clinical_signoff, subject, text)


def most_severe(alerts: Iterable[Alert]) -> Alert | None:
    """The most severe alert; on a tie the first one given (callers list the more specific first)."""
    best: Alert | None = None
    for alert in alerts:
        if best is None or alert.severity.rank > best.severity.rank:
            best = alert
    return best


def by_severity(alerts: Iterable[Alert]) -> tuple[Alert, ...]:
    """Most severe first; the order among equals is kept."""
    return tuple(sorted(alerts, key=lambda a: -a.severity.rank))


# ---------------------------------------------------------------------------------------------
# The monitoring schedule
# ---------------------------------------------------------------------------------------------


class MonitoringInputError(ValueError):
    """Facts that cannot describe a course (e.g. an end before the start); ``field`` names the argument."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Check(StrEnum):
    LIPIDS = "lipids"  # fasting triglycerides and cholesterol
    LIVER = "liver"  # ALT/AST
    MOOD = "mood"  # PHQ-2/PHQ-9 or the clinic's mental-health assessment
    SEXUAL_FUNCTION = "sexual_function"  # UK only (MHRA 2023)
    CBC = "cbc"  # only when the clinic chooses routine blood counts


class Occasion(StrEnum):
    BASELINE = "baseline"
    FIRST_RECHECK = "first_recheck"
    PEAK_DOSE = "peak_dose"
    PERIODIC = "periodic"
    END_OF_TREATMENT = "end_of_treatment"


class RiskFactor(StrEnum):
    """Patients the label and SmPC say need more frequent lipid and liver checks."""

    DIABETES = "diabetes"
    OBESITY = "obesity"
    ALCOHOL = "alcohol"  # heavy alcohol use
    LIPID_DISORDER = "lipid_disorder"
    FAMILY_HISTORY = "family_history"  # of diabetes or lipid disorders


#: The assessment's conditions (``rules.eligibility`` codes) that are risk factors for the lipid and liver
#: checks (same sources as :class:`RiskFactor`).
RISK_BY_CONDITION = {
    "diabetes": RiskFactor.DIABETES,
    "obesity": RiskFactor.OBESITY,
    "alcohol_misuse": RiskFactor.ALCOHOL,
    "lipid_disorder": RiskFactor.LIPID_DISORDER,
    "uncontrolled_hyperlipidaemia": RiskFactor.LIPID_DISORDER,
}


def risk_factors_from_conditions(conditions: Iterable[object]) -> set[RiskFactor]:
    """The risk factors among an assessment's conditions; an unknown free-text condition is none."""
    found: set[RiskFactor] = set()
    for entry in conditions:
        if not isinstance(entry, str):
            continue
        try:
            code = eligibility.normalise_condition(entry)
        except eligibility.UnknownCodeError:
            continue
        if code in RISK_BY_CONDITION:
            found.add(RISK_BY_CONDITION[code])
    return found


#: The longest interval a clinic may configure, in days. A data bound, not a clinical one: ten years is
#: longer than any course, and it keeps every value inside the database's small-integer columns (a larger
#: number used to crash the settings page).
MAX_INTERVAL_DAYS = 3650


@dataclass(frozen=True, slots=True)
class MonitoringConfig:
    """A clinic's monitoring intervals, in days. The defaults follow the SmPC where it gives a number.

    Values the documents do not give are marked OPEN QUESTION below; each is the safer (earlier,
    more frequent) reading and a clinic may change it.
    """

    # SmPC: "1 month after starting"; the scenario contract reads 1 month as 30 days.
    first_recheck_days: int = 30
    # SmPC: liver tests every 3 months after the first recheck.
    liver_interval_days: int = 90
    # SmPC: lipids only at 1 month and at the end; a clinic may add a regular interval.
    lipid_interval_days: int | None = None
    # OPEN QUESTION: "more frequent" checks for patients at risk (D8 §4.4) carry no number; monthly (the
    # visit cadence) is the safer reading until a clinician sets it (a clinic default).
    high_risk_interval_days: int = 30
    # OPEN QUESTION: a recheck after reaching the peak dose has no primary source (the AAD text was not
    # read beyond its abstract); 1 month after it mirrors the SmPC's 1 month after starting (a clinic default).
    peak_recheck_days: int = 30
    # OPEN QUESTION: how old a pre-treatment result may be and still count as the baseline is not
    # stated; 30 days keeps the baseline inside the month before the first dose (a clinic default).
    baseline_max_age_days: int = 30
    # OPEN QUESTION: "at the end of treatment" gives no window; a result in the last 30 days of the
    # course (or after it) counts (a clinic default).
    end_of_treatment_window_days: int = 30
    # Monthly mood screening (baseline + monthly); "1 month" is 30 days in the contract.
    mood_interval_days: int = 30
    # UK clinics: the MHRA (D10, D11) asks for sexual-function assessment before and during treatment.
    assess_sexual_function: bool = False
    # No blood count is among the label's tests before the first dose (D2 §2.3); a clinic may add them.
    routine_cbc: bool = False

    def __post_init__(self) -> None:
        for name in ("first_recheck_days", "liver_interval_days", "high_risk_interval_days",
                     "peak_recheck_days", "mood_interval_days", "end_of_treatment_window_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise MonitoringInputError(name, "must be a whole number of days, at least 1")
        if isinstance(self.baseline_max_age_days, bool) or not isinstance(self.baseline_max_age_days, int) \
                or self.baseline_max_age_days < 0:
            raise MonitoringInputError("baseline_max_age_days", "must be a whole number of days, at least 0")
        if self.lipid_interval_days is not None and (
                isinstance(self.lipid_interval_days, bool) or not isinstance(self.lipid_interval_days, int)
                or self.lipid_interval_days < 1):
            raise MonitoringInputError("lipid_interval_days", "must be empty or a whole number of days, at least 1")
        for name in ("first_recheck_days", "liver_interval_days", "lipid_interval_days", "high_risk_interval_days",
                     "peak_recheck_days", "baseline_max_age_days", "end_of_treatment_window_days",
                     "mood_interval_days"):
            value = getattr(self, name)
            if value is not None and value > MAX_INTERVAL_DAYS:
                raise MonitoringInputError(name, f"must be at most {MAX_INTERVAL_DAYS} days")


#: The EU SmPC schedule as shipped.
EU_CONFIG = MonitoringConfig()
#: UK clinics add the MHRA sexual-function assessment (D10, D11).
UK_CONFIG = MonitoringConfig(assess_sexual_function=True)
#: US clinics: the label gives no interval after the first recheck, so the SmPC's 3-monthly liver
#: tests are kept as the default (the safer reading, and no source argues against it).
US_CONFIG = MonitoringConfig()


@dataclass(frozen=True, slots=True)
class CheckDone:
    """A check on file: a lab drawn or a questionnaire answered on ``date``."""

    check: Check
    date: dt.date


@dataclass(frozen=True, slots=True)
class DueItem:
    """The next check of one kind that the course needs.

    ``due_now`` means it is due on or before ``as_of``; ``overdue`` means its due date has passed.
    """

    check: Check
    occasion: Occasion
    due: dt.date
    due_now: bool
    overdue: bool
    sources: tuple[Source, ...]
    needs_clinical_signoff: bool = False


@dataclass(frozen=True, slots=True)
class Note:
    code: str
    message: str
    sources: tuple[Source, ...]
    needs_clinical_signoff: bool = False


@dataclass(frozen=True, slots=True)
class MonitoringSchedule:
    as_of: dt.date
    items: tuple[DueItem, ...]  # one per check kind still needed, earliest due first
    high_risk: bool
    risk_factors: frozenset[RiskFactor]
    notes: tuple[Note, ...]

    @property
    def due_now(self) -> tuple[DueItem, ...]:
        return tuple(item for item in self.items if item.due_now)

    @property
    def overdue(self) -> tuple[DueItem, ...]:
        return tuple(item for item in self.items if item.overdue)

    def item(self, check: Check) -> DueItem | None:
        return next((item for item in self.items if item.check == check), None)


NOTE_HIGH_RISK = ("Higher-risk patient (diabetes, obesity, heavy alcohol use, lipid disorder or family history): "
                  "check lipids and liver tests more often.")
NOTE_DIABETES_GLUCOSE = "People with diabetes may need blood-glucose checks during treatment."
NOTE_FASTING_LIPIDS = ("Lipid tests are taken fasting, and with no alcohol for at least 36 hours before the "
                       "blood is drawn.")
NOTE_CBC_NOT_ROUTINE = ("No blood count is scheduled: the label's tests before the first dose are a pregnancy "
                        "test, fasting lipids and liver tests.")
NOTE_CBC_CLINIC_CHOICE = ("This clinic orders blood counts routinely (a clinic default): the label's tests "
                          "before the first dose include no blood count.")

_LAB_SOURCES = (src.SMPC_WARNINGS, src.ABSORICA_BASELINE_TESTS, src.ACCUTANE_2010)
_MOOD_SOURCES = (src.DEFAULT_MOOD_TOOL, src.US_PI_PSYCHIATRIC, src.EMA_2018)


def monitoring_schedule(
    *,
    start: dt.date,
    as_of: dt.date,
    planned_end: dt.date | None = None,
    done: Iterable[CheckDone] = (),
    risk_factors: Iterable[RiskFactor] = (),
    peak_dose_date: dt.date | None = None,
    config: MonitoringConfig = EU_CONFIG,
) -> MonitoringSchedule:
    """The next due check of each kind on ``as_of``, with due dates and overdue flags.

    Rules (sources in the module docstring):
    - Lipids and liver tests: a baseline before the first dose (a result within
      ``baseline_max_age_days`` before ``start``, or on it); a recheck ``first_recheck_days`` after
      starting (SmPC 1 month; old US label usually within 4 weeks); a recheck after reaching the peak
      dose if that comes later than the start (a clinic default); then liver tests every
      ``liver_interval_days`` (SmPC 3 months) and lipids at the end of treatment (SmPC) or every
      ``lipid_interval_days`` if the clinic sets one. High-risk patients use
      ``high_risk_interval_days`` for both (SmPC "more often"; the number is a clinic default).
    - Mood: baseline, then every ``mood_interval_days`` during treatment (US and EU psychiatric
      warnings; UK MHRA; the tool and the interval are clinic defaults).
    - Sexual function: the same schedule, for clinics that set ``assess_sexual_function`` (UK).
    - CBC: not scheduled unless the clinic sets ``routine_cbc`` (the label's list has none; D2 §2.3).

    ``planned_end`` is the planned (or actual) last day of treatment: nothing but the end-of-treatment
    lipids is scheduled after it. Checks dated after ``as_of`` are ignored, so the schedule on a past
    date is what the clinic would have seen that day.
    """
    if planned_end is not None and planned_end < start:
        raise MonitoringInputError("planned_end", "must not be before the start of treatment")
    if peak_dose_date is not None and peak_dose_date < start:
        raise MonitoringInputError("peak_dose_date", "must not be before the start of treatment")
    factors = frozenset(RiskFactor(f) for f in risk_factors)
    high_risk = bool(factors)
    by_check: dict[Check, list[dt.date]] = {check: [] for check in Check}
    for record in done:
        if record.date <= as_of:
            by_check[Check(record.check)].append(record.date)
    for dates in by_check.values():
        dates.sort()

    items: list[DueItem] = []
    liver_interval = config.high_risk_interval_days if high_risk else config.liver_interval_days
    lipid_interval = config.high_risk_interval_days if high_risk else config.lipid_interval_days
    lab_checks: list[tuple[Check, int | None, bool]] = [
        (Check.LIPIDS, lipid_interval, True),
        (Check.LIVER, liver_interval, False),
    ]
    if config.routine_cbc:
        # OPEN QUESTION: no source gives a CBC interval; a clinic that orders CBCs follows the
        # liver-test schedule.
        lab_checks.append((Check.CBC, liver_interval, False))
    for check, interval, end_check in lab_checks:
        item = _next_lab_check(check, by_check[check], start=start, as_of=as_of, planned_end=planned_end,
                               peak_dose_date=peak_dose_date, interval=interval, end_check=end_check,
                               high_risk=high_risk, config=config)
        if item is not None:
            items.append(item)

    questionnaire_checks = [(Check.MOOD, _MOOD_SOURCES + ((src.MHRA_2023,) if config.assess_sexual_function else ()),
                             False)]
    if config.assess_sexual_function:
        # OPEN QUESTION: the MHRA asks for monitoring "during treatment" (D10) and at follow-up (D11)
        # without an interval; it is assessed at the same monthly visits as mood.
        questionnaire_checks.append((Check.SEXUAL_FUNCTION, (src.MHRA_2023, src.MHRA_2025), True))
    for check, sources, signoff in questionnaire_checks:
        item = _next_questionnaire(check, by_check[check], start=start, as_of=as_of, planned_end=planned_end,
                                   config=config, sources=sources, signoff=signoff)
        if item is not None:
            items.append(item)

    items.sort(key=lambda i: (i.due, list(Check).index(i.check)))
    return MonitoringSchedule(as_of=as_of, items=tuple(items), high_risk=high_risk, risk_factors=factors,
                              notes=_notes(factors, config))


def _item(check: Check, occasion: Occasion, due: dt.date, as_of: dt.date, sources: Sequence[Source],
          signoff: bool = False) -> DueItem:
    return DueItem(check=check, occasion=occasion, due=due, due_now=due <= as_of, overdue=due < as_of,
                   sources=tuple(sources), needs_clinical_signoff=signoff)


def _has_baseline(dates: Sequence[dt.date], start: dt.date, config: MonitoringConfig) -> bool:
    earliest = start - dt.timedelta(days=config.baseline_max_age_days)
    return any(earliest <= d <= start for d in dates)


def _next_lab_check(check: Check, dates: Sequence[dt.date], *, start: dt.date, as_of: dt.date,
                    planned_end: dt.date | None, peak_dose_date: dt.date | None, interval: int | None,
                    end_check: bool, high_risk: bool, config: MonitoringConfig) -> DueItem | None:
    # A result on the first day counts as the baseline: blood is drawn before the first capsule.
    on_treatment = [d for d in dates if d > start]
    cbc_signoff = check == Check.CBC
    sources: tuple[Source, ...] = (src.DEFAULT_CBC,) if check == Check.CBC else _LAB_SOURCES
    if not on_treatment:
        if not _has_baseline(dates, start, config):
            # A missed baseline stays overdue until any result arrives: the clinic must see the gap.
            return _item(check, Occasion.BASELINE, start, as_of, sources, cbc_signoff)
        first = start + dt.timedelta(days=config.first_recheck_days)
        if planned_end is None or first <= planned_end:
            return _item(check, Occasion.FIRST_RECHECK, first, as_of, sources, cbc_signoff)
    candidates: list[DueItem] = []
    if on_treatment:
        last = on_treatment[-1]
        if peak_dose_date is not None and peak_dose_date > start and not any(d > peak_dose_date for d in on_treatment):
            candidates.append(_item(check, Occasion.PEAK_DOSE,
                                    peak_dose_date + dt.timedelta(days=config.peak_recheck_days), as_of,
                                    (src.DEFAULT_MONITORING_INTERVALS,), True))
        if interval is not None:
            periodic_sources = sources + ((src.DEFAULT_MONITORING_INTERVALS,) if high_risk else ())
            candidates.append(_item(check, Occasion.PERIODIC, last + dt.timedelta(days=interval), as_of,
                                    periodic_sources, high_risk or cbc_signoff))
    if planned_end is not None:
        # Nothing but the end-of-treatment lipids is due once treatment has ended.
        candidates = [c for c in candidates if c.due <= planned_end]
        if end_check:
            window_start = planned_end - dt.timedelta(days=config.end_of_treatment_window_days - 1)
            if not any(d >= window_start and d > start for d in dates):
                candidates.append(_item(check, Occasion.END_OF_TREATMENT, planned_end, as_of,
                                        (src.SMPC_WARNINGS,)))
    if not candidates:
        return None
    return min(candidates, key=lambda c: c.due)


def _next_questionnaire(check: Check, dates: Sequence[dt.date], *, start: dt.date, as_of: dt.date,
                        planned_end: dt.date | None, config: MonitoringConfig, sources: Sequence[Source],
                        signoff: bool) -> DueItem | None:
    on_treatment = [d for d in dates if d > start]
    if not on_treatment and not _has_baseline(dates, start, config):
        return _item(check, Occasion.BASELINE, start, as_of, sources, signoff)
    # The first screen during treatment is a month after starting (baseline + monthly), however early
    # the baseline was taken; after that, a month after the last screen.
    due = (on_treatment[-1] if on_treatment else start) + dt.timedelta(days=config.mood_interval_days)
    if planned_end is not None and due > planned_end:
        return None
    return _item(check, Occasion.PERIODIC, due, as_of, sources, signoff)


def _notes(factors: frozenset[RiskFactor], config: MonitoringConfig) -> tuple[Note, ...]:
    notes = [Note("fasting_lipids", NOTE_FASTING_LIPIDS, (src.ABSORICA_LAB_TESTS,))]
    if factors:
        notes.append(Note("high_risk", NOTE_HIGH_RISK, (src.SMPC_WARNINGS, src.DEFAULT_MONITORING_INTERVALS), True))
    if RiskFactor.DIABETES in factors:
        notes.append(Note("diabetes_glucose", NOTE_DIABETES_GLUCOSE, (src.DEFAULT_DIABETES_GLUCOSE,), True))
    if config.routine_cbc:
        notes.append(Note("cbc_clinic_choice", NOTE_CBC_CLINIC_CHOICE, (src.DEFAULT_CBC, src.ABSORICA_BASELINE_TESTS),
                          True))
    else:
        notes.append(Note("cbc_not_routine", NOTE_CBC_NOT_ROUTINE, (src.ABSORICA_BASELINE_TESTS,)))
    return tuple(notes)
