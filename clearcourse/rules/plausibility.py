"""Plausibility of every clinical number a person or a system enters: one table, each limit with its source.

Each entry is a quantity in one unit (a weight in kg, triglycerides in mg/dL, a daily dose in mg/kg/day...)
with two ranges, both inclusive:

- the **hard** range: a value outside it cannot be true (a typing error, a wrong unit). It is refused, and
  the message names the range.
- the **soft** range: a value outside it is possible but unusual. It is saved only after an explicit
  confirmation by the person (or a confirm flag from a system).

Every limit names its source: a document of the register (``sources.py``) where one gives the number (the
label's usual dose of 0.5-1 mg/kg/day, D1 §2.1 and D8 §4.2; age 12 and over, D1 §1; the 30-day supply), a
*physiological limit* (what a human body can show; not a clinical claim), or a labelled clinic default
(``default-usual-ranges``, ``default-input-bounds``). None of the soft ranges is a clinical threshold: the
lab alerts stay in ``labs.py``. Pure Python: no Django, no I/O, no clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from types import MappingProxyType

from clearcourse.rules.labs import Analyte, Unit
from clearcourse.rules.sources import (
    DEFAULT_INPUT_BOUNDS,
    DEFAULT_US_SUPPLY,
    DEFAULT_USUAL_RANGES,
    PHYSIOLOGICAL_LIMIT,
    SMPC_POSOLOGY,
    US_PI_DOSING,
    US_PI_INDICATION,
    Source,
)


class Quantity(StrEnum):
    WEIGHT = "weight"
    HEIGHT = "height"
    AGE_AT_START = "age_at_course_start"
    TRIGLYCERIDES = Analyte.TRIGLYCERIDES.value
    TOTAL_CHOLESTEROL = Analyte.TOTAL_CHOLESTEROL.value
    HDL_CHOLESTEROL = Analyte.HDL_CHOLESTEROL.value
    LDL_CHOLESTEROL = Analyte.LDL_CHOLESTEROL.value
    ALT = Analyte.ALT.value
    AST = Analyte.AST.value
    HCG_QUANTITATIVE = Analyte.HCG_QUANTITATIVE.value
    DAILY_DOSE = "daily_dose"
    DAILY_DOSE_PER_KG = "daily_dose_per_kg"
    DAYS_SUPPLY = "days_supply"


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"  # outside the hard range: cannot be true
    NEEDS_CONFIRMATION = "needs_confirmation"  # inside the hard range, outside the soft range: unusual


KG = "kg"
CM = "cm"
YEARS = "years"
MG_PER_DAY = "mg/day"
MG_PER_KG_PER_DAY = "mg/kg/day"
DAYS = "days"

#: What each quantity is called in messages (English; pages translate these by msgid).
QUANTITY_NAMES: Mapping[Quantity, str] = MappingProxyType({
    Quantity.WEIGHT: "Weight",
    Quantity.HEIGHT: "Height",
    Quantity.AGE_AT_START: "Age at the start of the course",
    Quantity.TRIGLYCERIDES: "Triglycerides",
    Quantity.TOTAL_CHOLESTEROL: "Total cholesterol",
    Quantity.HDL_CHOLESTEROL: "HDL cholesterol",
    Quantity.LDL_CHOLESTEROL: "LDL cholesterol",
    Quantity.ALT: "ALT",
    Quantity.AST: "AST",
    Quantity.HCG_QUANTITATIVE: "Quantitative serum hCG",
    Quantity.DAILY_DOSE: "Daily dose",
    Quantity.DAILY_DOSE_PER_KG: "Daily dose per kg",
    Quantity.DAYS_SUPPLY: "Days of supply",
})


class PlausibilityError(ValueError):
    """A quantity/unit pair the table does not hold (a programming error, never a user's)."""


@dataclass(frozen=True, slots=True)
class Limit:
    value: Decimal
    source: Source


@dataclass(frozen=True, slots=True)
class Range:
    """From ``low`` to ``high``, both inclusive; ``None`` leaves that side open."""

    low: Limit | None
    high: Limit | None

    def contains(self, value: Decimal) -> bool:
        if self.low is not None and value < self.low.value:
            return False
        return not (self.high is not None and value > self.high.value)

    @property
    def sources(self) -> tuple[Source, ...]:
        found: dict[str, Source] = {}
        for limit in (self.low, self.high):
            if limit is not None:
                found.setdefault(limit.source.key, limit.source)
        return tuple(found.values())


@dataclass(frozen=True, slots=True)
class Entry:
    quantity: Quantity
    unit: str
    hard: Range
    soft: Range

    @property
    def name(self) -> str:
        return QUANTITY_NAMES[self.quantity]

    @property
    def sources(self) -> tuple[Source, ...]:
        found: dict[str, Source] = {}
        for source in (*self.hard.sources, *self.soft.sources):
            found.setdefault(source.key, source)
        return tuple(found.values())


@dataclass(frozen=True, slots=True)
class Check:
    outcome: Outcome
    entry: Entry
    value: Decimal

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.OK

    @property
    def refused(self) -> bool:
        return self.outcome is Outcome.REFUSED

    @property
    def needs_confirmation(self) -> bool:
        return self.outcome is Outcome.NEEDS_CONFIRMATION

    @property
    def range(self) -> Range:
        """The range the value is held against: the hard one when refused, else the soft one."""
        return self.entry.hard if self.refused else self.entry.soft


def _d(value: str | int) -> Decimal:
    return Decimal(str(value))


def _range(low: tuple[str | int, Source] | None, high: tuple[str | int, Source] | None) -> Range:
    return Range(None if low is None else Limit(_d(low[0]), low[1]),
                 None if high is None else Limit(_d(high[0]), high[1]))


_P = PHYSIOLOGICAL_LIMIT
_U = DEFAULT_USUAL_RANGES
_B = DEFAULT_INPUT_BOUNDS


def _entry(quantity: Quantity, unit: str, hard: tuple[tuple[str | int, Source] | None, tuple[str | int, Source] | None],
           soft: tuple[tuple[str | int, Source] | None, tuple[str | int, Source] | None]) -> Entry:
    return Entry(quantity, unit, _range(*hard), _range(*soft))


# The table. Lipid ranges in mmol/L are the mg/dL ranges converted with labs.py's molar-mass factors
# (triglycerides 88.57, cholesterol 38.67) and rounded outwards, so a value is judged the same in either unit.
# The weight's hard upper limit is the weight record's own bound (350 kg, dosing.MAX_WEIGHT_KG).
TABLE: tuple[Entry, ...] = (
    _entry(Quantity.WEIGHT, KG, ((2, _P), (350, _P)), ((30, _U), (200, _U))),
    _entry(Quantity.HEIGHT, CM, ((40, _P), (250, _P)), ((120, _U), (210, _U))),
    # Age: the US label's indication is for patients aged 12 and over (D1 §1); younger is unusual, under 1
    # year is refused (a typing error in the date of birth); over 120 years cannot be true.
    _entry(Quantity.AGE_AT_START, YEARS, ((1, _B), (120, _P)), ((12, US_PI_INDICATION), (70, _U))),
    _entry(Quantity.TRIGLYCERIDES, Unit.MG_DL.value, ((5, _P), (20000, _P)), ((20, _U), (1000, _U))),
    _entry(Quantity.TRIGLYCERIDES, Unit.MMOL_L.value, (("0.05", _P), (226, _P)), (("0.22", _U), ("11.3", _U))),
    _entry(Quantity.TOTAL_CHOLESTEROL, Unit.MG_DL.value, ((20, _P), (2000, _P)), ((80, _U), (400, _U))),
    _entry(Quantity.TOTAL_CHOLESTEROL, Unit.MMOL_L.value, (("0.5", _P), (52, _P)), (("2.0", _U), ("10.4", _U))),
    _entry(Quantity.HDL_CHOLESTEROL, Unit.MG_DL.value, ((1, _P), (300, _P)), ((15, _U), (130, _U))),
    _entry(Quantity.HDL_CHOLESTEROL, Unit.MMOL_L.value, (("0.02", _P), ("7.8", _P)), (("0.38", _U), ("3.4", _U))),
    _entry(Quantity.LDL_CHOLESTEROL, Unit.MG_DL.value, ((1, _P), (1500, _P)), ((20, _U), (300, _U))),
    _entry(Quantity.LDL_CHOLESTEROL, Unit.MMOL_L.value, (("0.02", _P), (39, _P)), (("0.5", _U), ("7.8", _U))),
    _entry(Quantity.ALT, Unit.U_L.value, ((0, _P), (30000, _P)), ((3, _U), (1000, _U))),
    _entry(Quantity.AST, Unit.U_L.value, ((0, _P), (30000, _P)), ((3, _U), (1000, _U))),
    _entry(Quantity.HCG_QUANTITATIVE, Unit.IU_L.value, ((0, _P), (10_000_000, _P)), (None, (300_000, _U))),
    # Daily dose: whole capsules, at most three a day, make at most 120 mg (dosing.MAX_CAPSULES_PER_DAY with
    # the 40 mg capsule); the dose plan bounds each prescription further (see ``within_dose_plan``).
    _entry(Quantity.DAILY_DOSE, MG_PER_DAY, ((1, _B), (120, _B)), ((8, _U), (120, _B))),
    # mg/kg/day: the label's usual 0.5-1 mg/kg/day (D1 §2.1; D8 §4.2 "usually 0.5-1.0"); outside 0.1-2.0 a
    # reason is needed as well (dosing.check_daily_mg_per_kg); above 4 is refused.
    _entry(Quantity.DAILY_DOSE_PER_KG, MG_PER_KG_PER_DAY, (("0.01", _B), (4, _B)),
           (("0.5", US_PI_DOSING), ("1.0", SMPC_POSOLOGY))),
    # Days of supply: the prescription record holds at most 90; at most a 30-day supply per fill (iPLEDGE:
    # the register's clinic default DEFAULT_US_SUPPLY; EU/UK: MHRA D9).
    _entry(Quantity.DAYS_SUPPLY, DAYS, ((1, _B), (90, _B)), ((1, _B), (30, DEFAULT_US_SUPPLY))),
)

BY_KEY: Mapping[tuple[Quantity, str], Entry] = MappingProxyType({(e.quantity, e.unit): e for e in TABLE})

#: The unit each lab quantity is entered in (labs.ACCEPTED_UNITS) maps to its entry.
LAB_QUANTITIES: Mapping[Analyte, Quantity] = MappingProxyType({
    Analyte(q.value): q for q in Quantity if q.value in Analyte._value2member_map_})


def entry(quantity: Quantity | str, unit: str) -> Entry:
    """The table's entry for ``quantity`` in ``unit``; PlausibilityError when there is none."""
    try:
        return BY_KEY[(Quantity(quantity), unit)]
    except (KeyError, ValueError):
        raise PlausibilityError(f"no plausibility entry for {quantity!r} in {unit!r}") from None


def as_number(value: Decimal | int | float | str) -> Decimal | None:
    if isinstance(value, bool):
        return None
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def check(quantity: Quantity | str, value: Decimal | int | float | str, unit: str) -> Check:
    """Judge ``value`` (in ``unit``) against the table: ok, refused (outside the hard range) or
    needs_confirmation (inside the hard range, outside the soft one). A value that is not a finite number
    is refused."""
    found = entry(quantity, unit)
    number = as_number(value)
    if number is None or not found.hard.contains(number):
        return Check(Outcome.REFUSED, found, number if number is not None else Decimal(0))
    if not found.soft.contains(number):
        return Check(Outcome.NEEDS_CONFIRMATION, found, number)
    return Check(Outcome.OK, found, number)


def age_in_years(birth: dt.date, on: dt.date) -> int:
    """Whole years from ``birth`` to ``on`` (dates); negative when ``on`` is before birth."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- the dose plan bounds a prescription ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DosePlanBound:
    within: bool
    plan_daily_mg: Decimal | None  # None: no dose plan to compare with
    needs_reason: bool


def within_dose_plan(daily_dose_mg: Decimal, plan_daily_mg: Decimal | None, reason: str = "") -> DosePlanBound:
    """A prescription's daily dose may not exceed the current dose plan's (its mg/kg/day times the weight, in
    whole capsules) unless a reason is recorded. Without a dose plan there is nothing to compare with."""
    if plan_daily_mg is None:
        return DosePlanBound(True, None, False)
    within = daily_dose_mg <= plan_daily_mg
    return DosePlanBound(within, plan_daily_mg, not within and not reason_is_stated(reason))


# --- reasons ------------------------------------------------------------------------------------------

REASON_MIN_LENGTH = 10
REASON_MAX_LENGTH = 500
_WORD = re.compile(r"[^\W\d_]{2,}")
REASON_TOO_SHORT = "Give the reason in words: at least 10 characters and two words."
REASON_TOO_LONG = "Keep the reason to 500 characters or fewer."


def reason_problem(text: str | None) -> str | None:
    """Why a stated reason is not one (too short, no two words of letters, too long); None when it is fine.

    A reason must say something a reader can check later; "x", "....." or "asdfasdf" does not.
    """
    stated = (text or "").strip()
    if len(stated) > REASON_MAX_LENGTH:
        return REASON_TOO_LONG
    if len(stated) < REASON_MIN_LENGTH or len(_WORD.findall(stated)) < 2:
        return REASON_TOO_SHORT
    return None


def reason_is_stated(text: str | None) -> bool:
    return reason_problem(text) is None
