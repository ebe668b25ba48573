from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction
from itertools import product

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearcourse.rules import dosing
from clearcourse.rules.dosing import (
    DEFAULT_TARGET_MG_PER_KG,
    Dispense,
    DosingInputError,
    check_daily_mg_per_kg,
    check_product_switch,
    cumulative_dose,
    days_remaining,
    dispense_mg,
    nearest_daily_dose,
    plan_course,
    projected_end,
    remaining_mg,
    round_one_decimal,
    strengths_conflict,
)

D = Decimal
CONVENTIONAL = [D(10), D(20), D(30), D(40)]
AS_OF = dt.date(2026, 11, 1)

strengths_st = st.lists(st.sampled_from([D("2.5"), D(5), D(8), D(10), D(16), D(20), D(25), D(30), D(35), D(40)]),
                        min_size=1, max_size=6, unique=True)
weight_st = st.integers(200, 3500).map(lambda tenths: D(tenths) / 10)  # 20.0-350.0 kg
mg_per_kg_st = st.integers(10, 200).map(lambda hundredths: D(hundredths) / 100)  # 0.10-2.00
dispense_st = st.builds(
    lambda day, dose, supply, missed_share, weight: Dispense(
        date=AS_OF - dt.timedelta(days=day), daily_dose_mg=D(dose), days_supply=supply,
        days_missed=supply * missed_share // 10, weight_kg=weight),
    st.integers(0, 400), st.integers(8, 120), st.integers(1, 30), st.integers(0, 10), st.none() | weight_st)


def brute_force(weight: Decimal, mg_per_kg: Decimal, strengths: list[Decimal]) -> tuple[Decimal, int]:
    """An independent search: every ordered choice of 1-3 capsules; nearest, then lower, then fewest."""
    wanted = weight * mg_per_kg
    best: tuple[Decimal, Decimal, int] | None = None
    for count in (1, 2, 3):
        for combo in product(strengths, repeat=count):
            dose = sum(combo, D(0))
            key = (abs(dose - wanted), dose, count)
            if best is None or key < best:
                best = key
    assert best is not None
    return best[1], best[2]


def test_the_public_case_rounds_35_mg_down_to_30_mg_on_a_tie() -> None:
    choice = nearest_daily_dose(D(70), D("0.5"), CONVENTIONAL)
    assert choice.wanted_mg == 35
    assert choice.daily_dose_mg == 30
    assert [(c.strength_mg, c.count) for c in choice.capsules] == [(D(30), 1)]


def test_one_capsule_is_preferred_over_two_for_the_same_dose() -> None:
    choice = nearest_daily_dose(D(80), D("0.5"), CONVENTIONAL)
    assert (choice.daily_dose_mg, choice.capsule_count) == (40, 1)


def test_a_dose_above_one_capsule_uses_the_fewest_capsules_and_one_strength_when_possible() -> None:
    choice = nearest_daily_dose(D(100), D("0.8"), CONVENTIONAL)  # 80 mg = 2 x 40
    assert [(c.strength_mg, c.count) for c in choice.capsules] == [(D(40), 2)]


def test_never_more_than_three_capsules_a_day() -> None:
    choice = nearest_daily_dose(D(120), D("2.0"), CONVENTIONAL)  # wants 240 mg
    assert (choice.daily_dose_mg, choice.capsule_count) == (120, 3)


def test_at_least_one_capsule_even_when_the_wanted_dose_is_tiny() -> None:
    choice = nearest_daily_dose(D(30), D("0.1"), CONVENTIONAL)  # wants 3 mg
    assert choice.daily_dose_mg == 10


def test_absorica_ld_strengths_reach_doses_conventional_cannot() -> None:
    choice = nearest_daily_dose(D(60), D("0.4"), dosing.ABSORICA_LD_PRODUCT.strengths_mg)  # wants 24 mg
    assert [(c.strength_mg, c.count) for c in choice.capsules] == [(D(24), 1)]


@pytest.mark.parametrize(("strengths", "error_part"), [([], "strengths_mg"), ([D(10), D(0)], "strengths_mg[1]")])
def test_strength_lists_must_be_non_empty_and_positive(strengths: list[Decimal], error_part: str) -> None:
    with pytest.raises(DosingInputError) as caught:
        nearest_daily_dose(D(70), D("0.5"), strengths)
    assert caught.value.part == error_part


def test_switching_product_families_is_refused() -> None:
    assert check_product_switch("absorica_ld", "absorica_ld").allowed
    to_ld = check_product_switch("absorica", "absorica_ld")
    assert (to_ld.allowed, to_ld.code) == (False, "product_not_interchangeable")
    assert "not substitutable" in to_ld.message
    assert not check_product_switch("conventional", "absorica").allowed


def test_a_strength_list_that_mixes_absorica_ld_with_other_capsules_is_refused() -> None:
    assert strengths_conflict([D(8), D(10)]) is not None
    assert strengths_conflict([D(20), D(24)]) is None  # both Absorica LD
    assert strengths_conflict([D(10), D(25)]) is None  # both Absorica
    assert strengths_conflict([D("2.5"), D(5), D(10), D(20)]) is None  # EU custom range


def test_daily_mg_per_kg_outside_0_1_to_2_0_needs_a_reason() -> None:
    assert check_daily_mg_per_kg(D("0.5")).accepted
    assert not check_daily_mg_per_kg(D("2.5")).accepted
    assert check_daily_mg_per_kg(D("2.5"), "very severe truncal acne").accepted
    assert not check_daily_mg_per_kg(D("0.05"), "   ").accepted
    with pytest.raises(DosingInputError) as caught:
        plan_course(weight_kg=D(70), daily_mg_per_kg=D("2.5"), strengths_mg=CONVENTIONAL, as_of=AS_OF)
    assert caught.value.part == "daily_mg_per_kg"


def test_missed_days_are_subtracted_and_each_period_uses_its_own_weight() -> None:
    dispenses = [
        Dispense(date=dt.date(2026, 8, 1), daily_dose_mg=D(30), days_supply=30, days_missed=0, weight_kg=D(60)),
        Dispense(date=dt.date(2026, 9, 1), daily_dose_mg=D(40), days_supply=30, days_missed=5),
    ]
    total = cumulative_dose(dispenses, D(80))
    assert total.mg == 900 + 1000
    assert total.mg_per_kg_exact == Fraction(900, 60) + Fraction(1000, 80)  # 15 + 12.5
    assert total.mg_per_kg == D("27.5")


def test_more_missed_days_than_supplied_is_refused() -> None:
    bad = Dispense(date=AS_OF, daily_dose_mg=D(30), days_supply=30, days_missed=31)
    with pytest.raises(DosingInputError) as caught:
        cumulative_dose([bad], D(70))
    assert caught.value.part == "dispenses[0].days_missed"


@pytest.mark.parametrize("weight", [D(0), D(-5), D(351)])
def test_impossible_weights_are_refused(weight: Decimal) -> None:
    with pytest.raises(DosingInputError):
        plan_course(weight_kg=weight, daily_mg_per_kg=D("0.5"), strengths_mg=CONVENTIONAL, as_of=AS_OF)


def test_a_dispense_dated_after_as_of_is_refused() -> None:
    later = Dispense(date=AS_OF + dt.timedelta(days=1), daily_dose_mg=D(30), days_supply=30)
    with pytest.raises(DosingInputError) as caught:
        plan_course(weight_kg=D(70), daily_mg_per_kg=D("0.5"), strengths_mg=CONVENTIONAL, as_of=AS_OF,
                    dispenses=[later])
    assert caught.value.part == "dispenses[0].date"


def test_the_public_plan_case_end_to_end() -> None:
    plan = plan_course(weight_kg=D(70), daily_mg_per_kg=D("0.5"), strengths_mg=CONVENTIONAL, as_of=AS_OF,
                       target_mg_per_kg=D(120),
                       dispenses=[Dispense(date=dt.date(2026, 9, 1), daily_dose_mg=D(30), days_supply=30,
                                           days_missed=2)])
    assert (plan.target_mg, plan.cumulative.mg, plan.remaining_mg) == (8400, 840, 7560)
    assert (plan.days_remaining, plan.projected_end) == (252, dt.date(2027, 7, 11))
    assert plan.cumulative.mg_per_kg == 12


def test_a_finished_course_has_nothing_remaining_and_ends_on_as_of() -> None:
    plan = plan_course(weight_kg=D(50), daily_mg_per_kg=D("1.0"), strengths_mg=CONVENTIONAL, as_of=AS_OF,
                       dispenses=[Dispense(date=dt.date(2026, 1, 1), daily_dose_mg=D(50), days_supply=200)])
    assert (plan.remaining_mg, plan.days_remaining, plan.projected_end) == (0, 0, AS_OF)
    assert DEFAULT_TARGET_MG_PER_KG == 120


def test_days_remaining_rounds_a_part_day_up() -> None:
    assert days_remaining(D(61), D(30)) == 3
    assert days_remaining(D(60), D(30)) == 2


def test_mg_per_kg_rounds_half_up_to_one_decimal() -> None:
    assert round_one_decimal(Fraction(1225, 100)) == D("12.3")
    assert round_one_decimal(Fraction(1224, 100)) == D("12.2")


def test_mixed_products_in_the_history_are_flagged() -> None:
    plan = plan_course(weight_kg=D(70), daily_mg_per_kg=D("0.4"),
                       strengths_mg=list(dosing.ABSORICA_LD_PRODUCT.strengths_mg),
                       as_of=AS_OF, product_code="absorica_ld",
                       dispenses=[Dispense(date=dt.date(2026, 9, 1), daily_dose_mg=D(30), days_supply=30,
                                           product="conventional")])
    assert [w.code for w in plan.warnings] == ["product_not_interchangeable"]


# --- properties --------------------------------------------------------------------------------


@given(weight_st, mg_per_kg_st, strengths_st)
def test_the_chosen_dose_is_the_nearest_achievable_with_the_fewest_capsules(
        weight: Decimal, mg_per_kg: Decimal, strengths: list[Decimal]) -> None:
    choice = nearest_daily_dose(weight, mg_per_kg, strengths)
    expected_dose, expected_count = brute_force(weight, mg_per_kg, strengths)
    assert choice.daily_dose_mg == expected_dose
    assert choice.capsule_count == expected_count
    assert sum((c.strength_mg * c.count for c in choice.capsules), D(0)) == choice.daily_dose_mg
    assert all(c.strength_mg in strengths for c in choice.capsules)


@given(st.lists(dispense_st, max_size=12), weight_st)
def test_cumulative_equals_the_sum_of_its_parts(dispenses: list[Dispense], weight: Decimal) -> None:
    total = cumulative_dose(dispenses, weight)
    assert total.mg == sum((d.daily_dose_mg * (d.days_supply - d.days_missed) for d in dispenses), D(0))
    assert total.mg == sum(total.parts_mg, D(0))
    half = len(dispenses) // 2
    first, second = cumulative_dose(dispenses[:half], weight), cumulative_dose(dispenses[half:], weight)
    assert total.mg == first.mg + second.mg
    assert total.mg_per_kg_exact == first.mg_per_kg_exact + second.mg_per_kg_exact
    assert all(dispense_mg(d) >= 0 for d in dispenses)


@given(st.lists(dispense_st, max_size=12), weight_st, mg_per_kg_st, st.sampled_from([D(120), D(150), D(220)]))
def test_remaining_is_never_negative_and_the_end_never_before_as_of(
        dispenses: list[Dispense], weight: Decimal, mg_per_kg: Decimal, target: Decimal) -> None:
    plan = plan_course(weight_kg=weight, daily_mg_per_kg=mg_per_kg, strengths_mg=CONVENTIONAL, as_of=AS_OF,
                       dispenses=dispenses, target_mg_per_kg=target)
    assert plan.remaining_mg >= 0
    assert plan.projected_end >= AS_OF
    assert plan.projected_end == projected_end(AS_OF, plan.days_remaining)
    assert plan.days_remaining * plan.dose.daily_dose_mg >= plan.remaining_mg
    assert (plan.days_remaining - 1) * plan.dose.daily_dose_mg < plan.remaining_mg or plan.days_remaining == 0


@given(st.decimals(min_value=-1000, max_value=1000, places=2), st.decimals(min_value=0, max_value=1000, places=2))
def test_remaining_mg_is_never_below_zero(target: Decimal, cumulative: Decimal) -> None:
    assert remaining_mg(target, cumulative) >= 0
