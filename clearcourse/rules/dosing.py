"""Dose plans: products and strengths, the nearest whole-capsule daily dose, cumulative dose.

Pure Python: no Django, no I/O, no clock (``as_of`` is an argument). Amounts are ``Decimal`` and
divisions use ``Fraction``, so sums are exact and mg/kg is rounded once, half up, to one decimal.

Sources (register ``../shared/clinical-sources.md`` section 3): US label D1 §2.1 (0.5-1 mg/kg/day with
food; up to 2 mg/kg/day, read only in quotations, and the Singapore PI D16); EU/UK SmPC D8 §4.2 (start
at 0.5 mg/kg/day; little extra benefit beyond a cumulative 120-150 mg/kg); Absorica label D2 §2-3
(strengths; Absorica and Absorica LD are not substitutable). A cumulative 220 mg/kg and the lowest
accepted daily dose have no primary source: clinic defaults.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from itertools import combinations_with_replacement

from clearcourse.rules.sources import (
    ABSORICA_LABEL,
    DEFAULT_CUMULATIVE_220,
    DEFAULT_DOSE_LIMITS,
    HSA_PI,
    SMPC_POSOLOGY,
    US_PI_DOSING,
    Source,
)


class DosingInputError(ValueError):
    """An impossible dosing input; ``part`` names it (``weight_kg``, ``dispenses[1].days_missed``...)."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part
        self.message = message


# --- products ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Product:
    code: str
    name: str
    strengths_mg: tuple[Decimal, ...]
    food: str
    sources: tuple[Source, ...]


def _mg(*values: int) -> tuple[Decimal, ...]:
    return tuple(Decimal(v) for v in values)


CONVENTIONAL = Product("conventional", "conventional isotretinoin (Amnesteem, Claravis, Zenatane, Myorisan, ...)",
                       _mg(10, 20, 30, 40), "take with meals", (US_PI_DOSING,))
ABSORICA_PRODUCT = Product("absorica", "Absorica (lidose) and its AB2-rated generics",
                           _mg(10, 20, 25, 30, 35, 40), "with or without meals", (ABSORICA_LABEL,))
ABSORICA_LD_PRODUCT = Product("absorica_ld", "Absorica LD (micronized)",
                              _mg(8, 16, 20, 24, 28, 32), "with or without food", (ABSORICA_LABEL,))
PRODUCTS: dict[str, Product] = {p.code: p for p in (CONVENTIONAL, ABSORICA_PRODUCT, ABSORICA_LD_PRODUCT)}

SWITCH_TO_OR_FROM_LD = ("Absorica LD is not substitutable with any other isotretinoin product, Absorica "
                        "included, even at the same strength; a switch needs a new prescription and a new "
                        "dose plan.")
SWITCH_ABSORICA_CONVENTIONAL = ("Absorica is not interchangeable with conventional isotretinoin; a switch "
                                "needs a new prescription and a new dose plan.")
MIXED_STRENGTHS = ("mixes capsules of products that are not interchangeable ({first} mg is only "
                   "{product}, {second} mg is not)")


@dataclass(frozen=True, slots=True)
class ProductSwitch:
    allowed: bool
    code: str  # "same_product" or "product_not_interchangeable"
    message: str
    sources: tuple[Source, ...]


def product(code: str) -> Product:
    """The catalogue entry for a product code; KeyError names the code when unknown."""
    return PRODUCTS[code]


def check_product_switch(current: str, new: str) -> ProductSwitch:
    """Refuse substituting one product family for another: they are not interchangeable.

    Conventional, Absorica and Absorica LD reach different exposures per mg, so neither mg/kg/day
    nor cumulative mg/kg carries over 1:1. Source: the Absorica label (D2 §2-3).
    """
    before, after = product(current), product(new)
    if before.code == after.code:
        return ProductSwitch(True, "same_product", "", ())
    if "absorica_ld" in (before.code, after.code):
        return ProductSwitch(False, "product_not_interchangeable", SWITCH_TO_OR_FROM_LD, (ABSORICA_LABEL,))
    return ProductSwitch(False, "product_not_interchangeable", SWITCH_ABSORICA_CONVENTIONAL, (ABSORICA_LABEL,))


def strengths_conflict(strengths: Iterable[Decimal]) -> str | None:
    """Why a strength list mixes product families (None when it does not).

    A strength found in only one catalogue (8/16/24/28/32 mg Absorica LD; 25/35 mg Absorica) ties
    the list to that product, so every other strength must belong to it too. Lists matching no
    catalogue (e.g. EU 2.5/5 mg) are accepted as a custom conventional range.
    """
    given = sorted(set(strengths))
    for strength in given:
        owners = [p for p in PRODUCTS.values() if strength in p.strengths_mg]
        if len(owners) != 1:
            continue
        outsiders = [s for s in given if s not in owners[0].strengths_mg]
        if outsiders:
            return MIXED_STRENGTHS.format(first=format_mg(strength), product=owners[0].name,
                                          second=format_mg(outsiders[0]))
    return None


# --- numbers -----------------------------------------------------------------------------------

ONE_DECIMAL = Decimal("0.1")


def round_one_decimal(value: Fraction | Decimal) -> Decimal:
    """Round half up to one decimal (12.25 -> 12.3), exactly."""
    exact = Fraction(value)
    tenths = math.floor(exact * 10 + Fraction(1, 2))
    return (Decimal(tenths) / 10).quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def format_mg(value: Decimal) -> str:
    """A Decimal written without exponent or trailing zeros (30, 2.5)."""
    return format(value.normalize(), "f")


# --- daily dose --------------------------------------------------------------------------------

MAX_CAPSULES_PER_DAY = 3  # scenario contract; the split into doses is the prescriber's (see below)

# OPEN QUESTION: once vs twice daily differs between the US label (two doses) and the EU SmPC (once or
# twice); the capsule breakdown here is per day and says nothing about how the day's dose is split.


@dataclass(frozen=True, slots=True)
class CapsuleCount:
    strength_mg: Decimal
    count: int


@dataclass(frozen=True, slots=True)
class DoseChoice:
    wanted_mg: Decimal
    daily_dose_mg: Decimal
    capsules: tuple[CapsuleCount, ...]

    @property
    def capsule_count(self) -> int:
        return sum(item.count for item in self.capsules)


def _combination_rank(combo: tuple[Decimal, ...]) -> tuple[int, int, tuple[Decimal, ...]]:
    # Fewest capsules (the contract), then fewest different strengths (one product line to stock and
    # take), then larger capsules first, so the choice is always the same.
    return len(combo), len(set(combo)), tuple(-s for s in sorted(combo, reverse=True))


def achievable_doses(strengths: Sequence[Decimal],
                     max_capsules: int = MAX_CAPSULES_PER_DAY) -> dict[Decimal, tuple[Decimal, ...]]:
    """Every daily dose 1..max_capsules whole capsules make -> the best combination for it."""
    best: dict[Decimal, tuple[Decimal, ...]] = {}
    for count in range(1, max_capsules + 1):
        for combo in combinations_with_replacement(sorted(set(strengths)), count):
            dose = sum(combo, Decimal(0))
            if dose not in best or _combination_rank(combo) < _combination_rank(best[dose]):
                best[dose] = combo
    return best


def _check_positive(value: Decimal, part: str) -> None:
    if not value.is_finite() or value <= 0:
        raise DosingInputError(part, "must be greater than 0")


def nearest_daily_dose(weight_kg: Decimal, mg_per_kg: Decimal, strengths: Sequence[Decimal]) -> DoseChoice:
    """The daily dose nearest to weight x mg/kg that whole capsules make.

    At most three capsules a day, at least one; for that dose the fewest capsules; a tie between a
    lower and a higher dose goes to the lower one. Source: the scenario contract (``plan``); the
    strengths come from the product catalogue (D1 §2.1; D2 §2-3).
    """
    _check_positive(weight_kg, "weight_kg")
    _check_positive(mg_per_kg, "daily_mg_per_kg")
    if not strengths:
        raise DosingInputError("strengths_mg", "must list at least one strength")
    for index, strength in enumerate(strengths):
        _check_positive(strength, f"strengths_mg[{index}]")
    wanted = weight_kg * mg_per_kg
    options = achievable_doses(strengths)
    dose = min(options, key=lambda d: (abs(d - wanted), d))
    combo = options[dose]
    capsules = tuple(CapsuleCount(s, combo.count(s)) for s in sorted(set(combo), reverse=True))
    return DoseChoice(wanted_mg=wanted, daily_dose_mg=dose, capsules=capsules)


# OPEN QUESTION: low-dose regimens (0.25-0.4 mg/kg/day) have no primary source. 0.1-2.0 mg/kg/day is the
# project's range: 2.0 is the label's upper dose for very severe disease (D1 §2.1, read only in quotations;
# D16), 0.1 a clinic default; outside it the prescriber must state a reason.
DAILY_MG_PER_KG_MIN = Decimal("0.1")
DAILY_MG_PER_KG_MAX = Decimal("2.0")
DOSE_OUTSIDE_RANGE = "is outside 0.1-2.0 mg/kg/day; a stated reason (dose_reason) is required"


@dataclass(frozen=True, slots=True)
class DoseRangeCheck:
    within: bool
    accepted: bool
    reason: str | None
    sources: tuple[Source, ...] = (US_PI_DOSING, SMPC_POSOLOGY, HSA_PI, DEFAULT_DOSE_LIMITS)


def check_daily_mg_per_kg(mg_per_kg: Decimal, reason: str | None = None) -> DoseRangeCheck:
    """Is a daily mg/kg inside 0.1-2.0? Outside it is accepted only with a stated reason.

    Sources: US label D1 §2.1 (0.5-1, up to 2 mg/kg/day), SmPC D8 §4.2 (0.5-1.0), Singapore PI D16 (up to 2);
    the lower bound 0.1 is a clinic default.
    """
    within = DAILY_MG_PER_KG_MIN <= mg_per_kg <= DAILY_MG_PER_KG_MAX
    stated = reason.strip() if reason and reason.strip() else None
    return DoseRangeCheck(within=within, accepted=within or stated is not None, reason=stated)


# --- cumulative dose ---------------------------------------------------------------------------

MAX_WEIGHT_KG = Decimal(350)


@dataclass(frozen=True, slots=True)
class Dispense:
    date: dt.date
    daily_dose_mg: Decimal
    days_supply: int
    days_missed: int = 0
    weight_kg: Decimal | None = None  # the patient's weight in this period, when recorded
    product: str | None = None


def dispense_mg(dispense: Dispense) -> Decimal:
    """mg taken from one dispense: daily dose x (days supplied - days missed)."""
    return dispense.daily_dose_mg * (dispense.days_supply - dispense.days_missed)


def check_dispense(dispense: Dispense, part: str) -> None:
    """Reject an impossible dispense (non-positive dose or supply, more missed days than supplied)."""
    _check_positive(dispense.daily_dose_mg, f"{part}.daily_dose_mg")
    if dispense.days_supply < 1:
        raise DosingInputError(f"{part}.days_supply", "must be at least 1")
    if not 0 <= dispense.days_missed <= dispense.days_supply:
        raise DosingInputError(f"{part}.days_missed", "must be from 0 to days_supply")
    if dispense.weight_kg is not None:
        _check_weight(dispense.weight_kg, f"{part}.weight_kg")
    if dispense.product is not None and dispense.product not in PRODUCTS:
        raise DosingInputError(f"{part}.product", "is not a known product code")


def _check_weight(weight_kg: Decimal, part: str) -> None:
    _check_positive(weight_kg, part)
    if weight_kg > MAX_WEIGHT_KG:
        raise DosingInputError(part, f"must be at most {MAX_WEIGHT_KG} kg")


@dataclass(frozen=True, slots=True)
class CumulativeDose:
    mg: Decimal
    mg_per_kg_exact: Fraction
    parts_mg: tuple[Decimal, ...]

    @property
    def mg_per_kg(self) -> Decimal:
        return round_one_decimal(self.mg_per_kg_exact)


def cumulative_dose(dispenses: Sequence[Dispense], plan_weight_kg: Decimal) -> CumulativeDose:
    """Sum of daily dose x (days supplied - days missed); mg/kg divides each dispense by its own weight.

    A dispense without a recorded weight uses the plan's weight. Cumulative mg/kg as the target measure is
    from the EU/UK SmPC (D8 §4.2).
    """
    _check_weight(plan_weight_kg, "weight_kg")
    for index, item in enumerate(dispenses):
        check_dispense(item, f"dispenses[{index}]")
    parts = tuple(dispense_mg(item) for item in dispenses)
    per_kg = sum((Fraction(mg) / Fraction(item.weight_kg or plan_weight_kg)
                  for mg, item in zip(parts, dispenses, strict=True)), Fraction(0))
    return CumulativeDose(mg=sum(parts, Decimal(0)), mg_per_kg_exact=per_kg, parts_mg=parts)


# --- target and projection ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TargetChoice:
    mg_per_kg: Decimal
    label: str
    informational: bool  # True: shown for discussion, not offered as a default
    sources: tuple[Source, ...]


# OPEN QUESTION: the AAD 2024 wording on 120-150 vs >220 mg/kg was not read (abstract only); the SmPC
# (D8 §4.2) says little extra benefit is expected beyond 120-150 mg/kg; the US label is silent. 220 mg/kg
# is offered for discussion only, as a clinic default.
TARGET_CHOICES: tuple[TargetChoice, ...] = (
    TargetChoice(Decimal(120), "120 mg/kg (classic target, lower end)", False, (SMPC_POSOLOGY,)),
    TargetChoice(Decimal(150), "150 mg/kg (classic target, upper end)", False, (SMPC_POSOLOGY,)),
    TargetChoice(Decimal(220), "220 mg/kg (some experts; less retreatment, not statistically significant)",
                 True, (DEFAULT_CUMULATIVE_220,)),
)
DEFAULT_TARGET_MG_PER_KG = Decimal(120)


def target_mg(weight_kg: Decimal, target_mg_per_kg: Decimal) -> Decimal:
    """Course target in mg: weight x target mg/kg. Source: SmPC D8 §4.2 (120-150 mg/kg)."""
    _check_weight(weight_kg, "weight_kg")
    _check_positive(target_mg_per_kg, "target_mg_per_kg")
    return weight_kg * target_mg_per_kg


def remaining_mg(target: Decimal, cumulative: Decimal) -> Decimal:
    """What is left to reach the target; never below 0."""
    return max(Decimal(0), target - cumulative)


def days_remaining(remaining: Decimal, daily_dose_mg: Decimal) -> int:
    """Days at the daily dose to give the remaining mg, rounded up (a part day is a whole day)."""
    _check_positive(daily_dose_mg, "daily_dose_mg")
    if remaining <= 0:
        return 0
    return math.ceil(Fraction(remaining) / Fraction(daily_dose_mg))


def projected_end(as_of: dt.date, days: int) -> dt.date:
    """as_of + days (the contract's projection; never before as_of)."""
    if days < 0:
        raise DosingInputError("days_remaining", "must not be negative")
    try:
        return as_of + dt.timedelta(days=days)
    except OverflowError:
        raise DosingInputError("target_mg_per_kg", "gives a course too long to project") from None


# --- the whole plan ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanWarning:
    code: str
    message: str


@dataclass(frozen=True, slots=True)
class CoursePlan:
    weight_kg: Decimal
    dose: DoseChoice
    dose_range: DoseRangeCheck
    target_mg_per_kg: Decimal
    target_mg: Decimal
    cumulative: CumulativeDose
    remaining_mg: Decimal
    days_remaining: int
    projected_end: dt.date
    warnings: tuple[PlanWarning, ...] = field(default=())

    @property
    def achieved_mg_per_kg(self) -> Decimal:
        """The chosen daily dose per kg of the plan weight, to one decimal."""
        return round_one_decimal(Fraction(self.dose.daily_dose_mg) / Fraction(self.weight_kg))


ACHIEVED_OUTSIDE_RANGE = "The whole-capsule dose is {value} mg/kg/day, outside 0.1-2.0 mg/kg/day."
PRODUCTS_MIXED = ("The dispenses mix products that are not interchangeable ({products}); mg/kg sums across "
                  "them are not equivalent.")


def _warnings(dose: DoseChoice, weight_kg: Decimal, dispenses: Sequence[Dispense],
              plan_product: str | None) -> tuple[PlanWarning, ...]:
    found: list[PlanWarning] = []
    achieved = Fraction(dose.daily_dose_mg) / Fraction(weight_kg)
    if not DAILY_MG_PER_KG_MIN <= achieved <= DAILY_MG_PER_KG_MAX:
        found.append(PlanWarning("dose_outside_range",
                                 ACHIEVED_OUTSIDE_RANGE.format(value=round_one_decimal(achieved))))
    products = {item.product for item in dispenses if item.product}
    if plan_product:
        products.add(plan_product)
    if len(products) > 1:
        message = PRODUCTS_MIXED.format(products=", ".join(sorted(products)))
        found.append(PlanWarning("product_not_interchangeable", message))
    return tuple(found)


def _check_product_strengths(code: str, strengths: Sequence[Decimal]) -> None:
    if code not in PRODUCTS:
        raise DosingInputError("product", "is not a known product code")
    for index, strength in enumerate(strengths):
        if strength not in PRODUCTS[code].strengths_mg:
            raise DosingInputError(f"strengths_mg[{index}]", f"is not a strength of {PRODUCTS[code].name}")


def plan_course(*, weight_kg: Decimal, daily_mg_per_kg: Decimal, strengths_mg: Sequence[Decimal],
                as_of: dt.date, dispenses: Sequence[Dispense] = (),
                target_mg_per_kg: Decimal = DEFAULT_TARGET_MG_PER_KG,
                dose_reason: str | None = None, product_code: str | None = None) -> CoursePlan:
    """The dose plan and where the course stands on ``as_of`` (scenario contract ``plan``).

    Daily dose: :func:`nearest_daily_dose`. Cumulative: :func:`cumulative_dose`. Remaining:
    target mg - cumulative mg, never below 0; days remaining rounded up; projected end = as_of +
    days remaining. Sources: SmPC D8 §4.2, US label D1 §2.1.
    """
    _check_weight(weight_kg, "weight_kg")
    _check_positive(daily_mg_per_kg, "daily_mg_per_kg")
    dose_range = check_daily_mg_per_kg(daily_mg_per_kg, dose_reason)
    if not dose_range.accepted:
        raise DosingInputError("daily_mg_per_kg", DOSE_OUTSIDE_RANGE)
    if product_code is not None:
        _check_product_strengths(product_code, strengths_mg)
    conflict = strengths_conflict(strengths_mg)
    if conflict:
        raise DosingInputError("strengths_mg", conflict)
    dose = nearest_daily_dose(weight_kg, daily_mg_per_kg, strengths_mg)
    for index, item in enumerate(dispenses):
        if item.date > as_of:
            raise DosingInputError(f"dispenses[{index}].date", "is after as_of")
    cumulative = cumulative_dose(dispenses, weight_kg)
    target = target_mg(weight_kg, target_mg_per_kg)
    remaining = remaining_mg(target, cumulative.mg)
    days = days_remaining(remaining, dose.daily_dose_mg)
    return CoursePlan(weight_kg=weight_kg, dose=dose, dose_range=dose_range, target_mg_per_kg=target_mg_per_kg,
                      target_mg=target,
                      cumulative=cumulative, remaining_mg=remaining, days_remaining=days,
                      projected_end=projected_end(as_of, days),
                      warnings=_warnings(dose, weight_kg, dispenses, product_code))
