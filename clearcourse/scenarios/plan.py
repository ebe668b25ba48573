"""``python -m clearcourse plan CASE.json``: dose plan and cumulative dose (scenario contract ``plan``).

Input keys: ``weight_kg`` (required, >0 and <=350), ``daily_mg_per_kg`` (required, >0; outside
0.1-2.0 needs ``dose_reason``), ``as_of`` (required date), ``target_mg_per_kg`` (default 120),
``strengths_mg`` (default: the product's strengths, else conventional 10/20/30/40), ``product``
(optional: ``conventional``, ``absorica``, ``absorica_ld``), ``dose_reason`` (optional text),
``dispenses`` (optional list of ``{date, daily_dose_mg, days_supply, days_missed?, weight_kg?,
product?}``). Other keys are ignored and listed in ``ignored_keys``.

The arithmetic lives in :mod:`clearcourse.rules.dosing`; this module only reads and writes JSON.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from clearcourse.rules import dosing
from clearcourse.rules.errors import InputError
from clearcourse.rules.parsing import as_date, as_int, as_list, as_number, as_str, get, require_mapping

KNOWN_KEYS = frozenset({"weight_kg", "daily_mg_per_kg", "target_mg_per_kg", "strengths_mg", "product", "as_of",
                        "dispenses", "dose_reason"})
MAX_STRENGTHS = 20  # the nearest-dose search tries every combination of up to three capsules
MAX_DISPENSES = 1000
_HUGE = 10**15
# Sanity bounds on one dispense, not clinical rules: no dispense covers more than a year, and no daily
# dose comes near 1,000 mg (350 kg x 2 mg/kg is 700 mg; whole capsules give at most 3 x 40 mg).
MAX_DISPENSE_DAYS = 366
MAX_DAILY_DOSE_MG = 1000
# The same plausibility bound as the dose-plan page (courses.services): catches typing errors; published
# targets are 120-150 mg/kg, with up to about 290 mg/kg reported (fact sheet 2.3).
MAX_TARGET_MG_PER_KG = 400


def read_decimal(value: Any, field: str, *, maximum: float | None = None) -> Decimal:
    """A JSON number greater than 0 as an exact Decimal (70 -> 70, 0.5 -> 0.5, never 0.5000000001)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > _HUGE:
        raise InputError(field, "is too large")
    number = as_number(value, field, minimum=0, exclusive_minimum=True, maximum=maximum)
    return Decimal(value) if isinstance(value, int) else Decimal(repr(number))


def json_number(value: Decimal) -> int | float:
    """A whole Decimal as a JSON integer (8400), anything else as a float (12.3)."""
    return int(value) if value == value.to_integral_value() else float(value)


def _optional(case: dict[str, Any], key: str) -> Any:
    return case.get(key)


def _product(case: dict[str, Any]) -> str | None:
    raw = _optional(case, "product")
    if raw is None:
        return None
    code = as_str(raw, "product")
    if code not in dosing.PRODUCTS:
        raise InputError("product", f"is not a known product (one of {', '.join(dosing.PRODUCTS)})")
    return code


def _strengths(case: dict[str, Any], product_code: str | None) -> list[Decimal]:
    raw = _optional(case, "strengths_mg")
    if raw is None:
        return list(dosing.PRODUCTS[product_code or "conventional"].strengths_mg)
    items = as_list(raw, "strengths_mg")
    if not items:
        raise InputError("strengths_mg", "must list at least one strength")
    if len(items) > MAX_STRENGTHS:
        raise InputError("strengths_mg", f"must list at most {MAX_STRENGTHS} strengths")
    values = [read_decimal(item, f"strengths_mg[{i}]") for i, item in enumerate(items)]
    return list(dict.fromkeys(values))  # a repeated strength adds nothing


def _dispense(raw: Any, index: int) -> dosing.Dispense:
    prefix = f"dispenses[{index}]."
    item = require_mapping(raw, f"dispenses[{index}]")
    days_supply = as_int(get(item, "days_supply", prefix), f"{prefix}days_supply", minimum=1,
                         maximum=MAX_DISPENSE_DAYS)
    missed_raw = item.get("days_missed")
    days_missed = 0 if missed_raw is None else as_int(missed_raw, f"{prefix}days_missed", minimum=0)
    if days_missed > days_supply:
        raise InputError(f"{prefix}days_missed", "must not exceed days_supply")
    weight_raw = item.get("weight_kg")
    product_raw = item.get("product")
    if product_raw is not None and as_str(product_raw, f"{prefix}product") not in dosing.PRODUCTS:
        raise InputError(f"{prefix}product", "is not a known product code")
    return dosing.Dispense(
        date=as_date(get(item, "date", prefix), f"{prefix}date"),
        daily_dose_mg=read_decimal(get(item, "daily_dose_mg", prefix), f"{prefix}daily_dose_mg",
                                   maximum=MAX_DAILY_DOSE_MG),
        days_supply=days_supply,
        days_missed=days_missed,
        weight_kg=None if weight_raw is None else read_decimal(weight_raw, f"{prefix}weight_kg", maximum=350),
        product=product_raw,
    )


def _dispenses(case: dict[str, Any]) -> list[dosing.Dispense]:
    raw = _optional(case, "dispenses")
    if raw is None:
        return []
    items = as_list(raw, "dispenses")
    if len(items) > MAX_DISPENSES:
        raise InputError("dispenses", f"must hold at most {MAX_DISPENSES} dispenses")
    return [_dispense(item, i) for i, item in enumerate(items)]


def _plan(case: dict[str, Any]) -> dosing.CoursePlan:
    weight = read_decimal(get(case, "weight_kg"), "weight_kg", maximum=350)
    mg_per_kg = read_decimal(get(case, "daily_mg_per_kg"), "daily_mg_per_kg")
    target_raw = _optional(case, "target_mg_per_kg")
    target = (dosing.DEFAULT_TARGET_MG_PER_KG if target_raw is None
              else read_decimal(target_raw, "target_mg_per_kg", maximum=MAX_TARGET_MG_PER_KG))
    reason_raw = _optional(case, "dose_reason")
    reason = None if reason_raw is None else as_str(reason_raw, "dose_reason")
    product_code = _product(case)
    strengths = _strengths(case, product_code)
    as_of = as_date(get(case, "as_of"), "as_of")
    dispenses = _dispenses(case)
    try:
        return dosing.plan_course(weight_kg=weight, daily_mg_per_kg=mg_per_kg, strengths_mg=strengths,
                                  as_of=as_of,
                                  dispenses=dispenses, target_mg_per_kg=target, dose_reason=reason,
                                  product_code=product_code)
    except dosing.DosingInputError as exc:
        raise InputError(exc.part, exc.message) from None


def run(case: dict[str, Any]) -> dict[str, Any]:
    plan = _plan(case)
    dose = plan.dose
    return {
        "daily_dose_mg": json_number(dose.daily_dose_mg),
        "capsules": {dosing.format_mg(c.strength_mg): c.count for c in dose.capsules},
        "target_mg": json_number(plan.target_mg),
        "cumulative_mg": json_number(plan.cumulative.mg),
        "cumulative_mg_per_kg": json_number(plan.cumulative.mg_per_kg),
        "remaining_mg": json_number(plan.remaining_mg),
        "days_remaining": plan.days_remaining,
        "projected_end": plan.projected_end.isoformat(),
        # Extras beyond the contract, for people reading the output.
        "wanted_daily_mg": json_number(dose.wanted_mg),
        "daily_dose_mg_per_kg": json_number(plan.achieved_mg_per_kg),
        "capsules_per_day": dose.capsule_count,
        "target_mg_per_kg": json_number(plan.target_mg_per_kg),
        "dose_in_range": plan.dose_range.within,
        "dose_reason": plan.dose_range.reason,
        "warnings": [{"code": w.code, "message": w.message} for w in plan.warnings],
        "sources": list(dict.fromkeys(s.cite() for s in (*plan.dose_range.sources,
                                                         *dosing.TARGET_CHOICES[0].sources))),
        "ignored_keys": sorted(set(case) - KNOWN_KEYS),
    }
