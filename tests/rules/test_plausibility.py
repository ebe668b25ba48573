"""The plausibility table: every entry sourced, every lab analyte and unit covered, boundaries exact."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearcourse.rules import labs, plausibility
from clearcourse.rules import sources as register
from clearcourse.rules.plausibility import Outcome, Quantity, check


def test_every_limit_of_every_entry_names_a_registered_source() -> None:
    for entry in plausibility.TABLE:
        for limit in (entry.hard.low, entry.hard.high, entry.soft.low, entry.soft.high):
            if limit is None:
                continue
            assert register.is_registered(limit.source), (entry.quantity, entry.unit)
            assert limit.source.is_document or limit.source.kind in (
                register.Kind.PHYSIOLOGICAL_LIMIT, register.Kind.CLINIC_DEFAULT), (entry.quantity, limit)
        assert entry.sources


def test_the_soft_range_lies_inside_the_hard_range() -> None:
    for entry in plausibility.TABLE:
        for limit in (entry.soft.low, entry.soft.high):
            if limit is not None:
                assert entry.hard.contains(limit.value), (entry.quantity, entry.unit)


def test_every_numeric_analyte_has_an_entry_for_every_unit_the_project_accepts() -> None:
    for analyte, units in labs.ACCEPTED_UNITS.items():
        for unit in units:
            assert plausibility.entry(analyte.value, unit.value).quantity == analyte


@pytest.mark.parametrize("analyte", [labs.Analyte.TRIGLYCERIDES, labs.Analyte.TOTAL_CHOLESTEROL,
                                     labs.Analyte.HDL_CHOLESTEROL, labs.Analyte.LDL_CHOLESTEROL])
def test_a_lipid_is_judged_the_same_in_mg_dl_and_mmol_l_within_rounding(analyte: labs.Analyte) -> None:
    mg = plausibility.entry(analyte, "mg/dL")
    mmol = plausibility.entry(analyte, "mmol/L")
    for mg_range, mmol_range in ((mg.hard, mmol.hard), (mg.soft, mmol.soft)):
        for mg_limit, mmol_limit in ((mg_range.low, mmol_range.low), (mg_range.high, mmol_range.high)):
            assert mg_limit is not None and mmol_limit is not None
            converted = labs.convert(analyte, float(mg_limit.value), labs.Unit.MG_DL, labs.Unit.MMOL_L)
            # Rounded outwards, by less than 10 %.
            assert abs(float(mmol_limit.value) - converted) <= max(0.1 * converted, 0.01)


@pytest.mark.parametrize(("quantity", "unit", "value", "outcome"), [
    (Quantity.WEIGHT, "kg", "0.1", Outcome.REFUSED),
    (Quantity.WEIGHT, "kg", "1.9", Outcome.REFUSED),
    (Quantity.WEIGHT, "kg", "2", Outcome.NEEDS_CONFIRMATION),
    (Quantity.WEIGHT, "kg", "29.9", Outcome.NEEDS_CONFIRMATION),
    (Quantity.WEIGHT, "kg", "30", Outcome.OK),
    (Quantity.WEIGHT, "kg", "200", Outcome.OK),
    (Quantity.WEIGHT, "kg", "200.1", Outcome.NEEDS_CONFIRMATION),
    (Quantity.WEIGHT, "kg", "350", Outcome.NEEDS_CONFIRMATION),
    (Quantity.WEIGHT, "kg", "350.1", Outcome.REFUSED),
    (Quantity.AGE_AT_START, "years", 0, Outcome.REFUSED),
    (Quantity.AGE_AT_START, "years", 1, Outcome.NEEDS_CONFIRMATION),
    (Quantity.AGE_AT_START, "years", 11, Outcome.NEEDS_CONFIRMATION),
    (Quantity.AGE_AT_START, "years", 12, Outcome.OK),
    (Quantity.AGE_AT_START, "years", 120, Outcome.NEEDS_CONFIRMATION),
    (Quantity.AGE_AT_START, "years", 121, Outcome.REFUSED),
    (Quantity.TRIGLYCERIDES, "mg/dL", 0, Outcome.REFUSED),
    (Quantity.TRIGLYCERIDES, "mg/dL", 999_999, Outcome.REFUSED),
    (Quantity.TRIGLYCERIDES, "mg/dL", 150, Outcome.OK),
    (Quantity.TRIGLYCERIDES, "mg/dL", 1000, Outcome.OK),
    (Quantity.TRIGLYCERIDES, "mg/dL", 1001, Outcome.NEEDS_CONFIRMATION),
    (Quantity.TRIGLYCERIDES, "mmol/L", "1.7", Outcome.OK),
    (Quantity.TRIGLYCERIDES, "mmol/L", "0", Outcome.REFUSED),
    (Quantity.ALT, "U/L", 0, Outcome.NEEDS_CONFIRMATION),
    (Quantity.ALT, "U/L", 40, Outcome.OK),
    (Quantity.DAILY_DOSE_PER_KG, "mg/kg/day", "5", Outcome.REFUSED),
    (Quantity.DAILY_DOSE_PER_KG, "mg/kg/day", "4", Outcome.NEEDS_CONFIRMATION),
    (Quantity.DAILY_DOSE_PER_KG, "mg/kg/day", "1.0", Outcome.OK),
    (Quantity.DAILY_DOSE_PER_KG, "mg/kg/day", "0.5", Outcome.OK),
    (Quantity.DAILY_DOSE_PER_KG, "mg/kg/day", "0.49", Outcome.NEEDS_CONFIRMATION),
    (Quantity.DAILY_DOSE, "mg/day", 1000, Outcome.REFUSED),
    (Quantity.DAILY_DOSE, "mg/day", 120, Outcome.OK),
    (Quantity.DAILY_DOSE, "mg/day", 0, Outcome.REFUSED),
    (Quantity.DAYS_SUPPLY, "days", 30, Outcome.OK),
    (Quantity.DAYS_SUPPLY, "days", 31, Outcome.NEEDS_CONFIRMATION),
    (Quantity.DAYS_SUPPLY, "days", 91, Outcome.REFUSED),
    (Quantity.HEIGHT, "cm", 170, Outcome.OK),
    (Quantity.HEIGHT, "cm", 17, Outcome.REFUSED),
])
def test_boundaries(quantity: Quantity, unit: str, value: object, outcome: Outcome) -> None:
    assert check(quantity, value, unit).outcome is outcome  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "abc", "", True])
def test_what_is_not_a_finite_number_is_refused(value: object) -> None:
    assert check(Quantity.WEIGHT, value, "kg").refused  # type: ignore[arg-type]


def test_a_refusal_names_the_hard_range_and_a_confirmation_the_soft_one() -> None:
    refused = check(Quantity.WEIGHT, "0.1", "kg")
    assert refused.range == refused.entry.hard
    unusual = check(Quantity.WEIGHT, "250", "kg")
    assert unusual.range == unusual.entry.soft


def test_an_unknown_quantity_or_unit_is_a_programming_error() -> None:
    with pytest.raises(plausibility.PlausibilityError):
        check(Quantity.WEIGHT, 70, "lb")
    with pytest.raises(plausibility.PlausibilityError):
        check("shoe_size", 42, "EU")


@given(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-1000, max_value=1000))
def test_the_outcome_is_ok_exactly_inside_the_soft_range(value: Decimal) -> None:
    found = check(Quantity.WEIGHT, value, "kg")
    assert found.ok == (Decimal(30) <= value <= Decimal(200))
    assert found.refused == (not Decimal(2) <= value <= Decimal(350))


def test_age_in_whole_years() -> None:
    assert plausibility.age_in_years(dt.date(2010, 11, 27), dt.date(2026, 11, 26)) == 15
    assert plausibility.age_in_years(dt.date(2010, 11, 26), dt.date(2026, 11, 26)) == 16


@pytest.mark.parametrize(("text", "fine"), [
    ("", False), ("x", False), ("asdfasdfasdf", False), ("..........", False), ("a b c d e f g", False),
    ("Very severe truncal acne", True), ("Lower dose after dry lips", True), ("x" * 501, False),
    ("Patient wünscht Reduktion", True),
])
def test_a_reason_must_be_words(text: str, fine: bool) -> None:
    assert plausibility.reason_is_stated(text) is fine


def test_a_prescription_above_the_dose_plan_needs_a_stated_reason() -> None:
    assert plausibility.within_dose_plan(Decimal(60), Decimal(60)).within
    above = plausibility.within_dose_plan(Decimal(80), Decimal(60), "asdf")
    assert not above.within and above.needs_reason
    stated = plausibility.within_dose_plan(Decimal(80), Decimal(60), "Severe truncal disease, planned step up")
    assert not stated.within and not stated.needs_reason
    assert not plausibility.within_dose_plan(Decimal(80), None).needs_reason
