from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearcourse.rules.severity import (
    GAGS_BAND_CODES,
    GAGS_REGION_CODES,
    GAGS_SCORE_MAX,
    SeverityInputError,
    gags_band,
    gags_score,
    iga_grade,
    iga_success,
    is_severe,
)

ALL_ZERO = dict.fromkeys(GAGS_REGION_CODES, 0)
grades_strategy = st.fixed_dictionaries({code: st.integers(0, 4) for code in GAGS_REGION_CODES})


def grades(**overrides: int) -> dict[str, int]:
    return {**ALL_ZERO, **overrides}


def test_iga_labels_are_plain_english_with_stable_codes() -> None:
    assert [(g.value, g.code, g.label) for g in map(iga_grade, range(5))] == [
        (0, "clear", "clear"), (1, "almost_clear", "almost clear"), (2, "mild", "mild"),
        (3, "moderate", "moderate"), (4, "severe", "severe")]


@pytest.mark.parametrize("value", [-1, 5, True, 2.0])
def test_iga_refuses_values_off_the_scale(value: object) -> None:
    with pytest.raises(SeverityInputError):
        iga_grade(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(("baseline", "current", "success"), [
    (3, 1, True), (4, 0, True), (2, 0, True),
    (2, 1, False),  # clear enough but only one grade better
    (4, 2, False),  # two grades better but not clear or almost clear
    (1, 1, False),
])
def test_fda_success_needs_iga_0_or_1_and_two_grades_better(baseline: int, current: int, success: bool) -> None:
    assert iga_success(baseline, current) is success


def test_gags_weights_each_region_by_its_factor() -> None:
    result = gags_score({"forehead": 4, "right_cheek": 4, "left_cheek": 3, "nose": 1, "chin": 2,
                         "chest_upper_back": 3})
    assert result.score == 8 + 8 + 6 + 1 + 2 + 9
    assert result.band.code == "severe"
    assert [s.region.factor for s in result.local_scores] == [2, 2, 2, 1, 1, 3]


def test_gags_maximum_is_44_and_very_severe() -> None:
    result = gags_score(dict.fromkeys(GAGS_REGION_CODES, 4))
    assert (result.score, result.band.code) == (44, "very_severe")


@pytest.mark.parametrize(("score", "band"), [
    (0, "none"), (1, "mild"), (18, "mild"), (19, "moderate"), (30, "moderate"), (31, "severe"),
    (38, "severe"), (39, "very_severe"), (44, "very_severe")])
def test_gags_bands_change_exactly_at_the_published_boundaries(score: int, band: str) -> None:
    assert gags_band(score).code == band


def test_gags_refuses_a_missing_region_rather_than_scoring_it_zero() -> None:
    partial = grades()
    del partial["chest_upper_back"]
    with pytest.raises(SeverityInputError) as caught:
        gags_score(partial)
    assert caught.value.part == "chest_upper_back"


def test_gags_refuses_an_unknown_region_and_a_grade_above_4() -> None:
    with pytest.raises(SeverityInputError):
        gags_score({**ALL_ZERO, "back": 2})
    with pytest.raises(SeverityInputError):
        gags_score(grades(nose=5))


def test_severe_means_iga_4_or_a_severe_gags_band() -> None:
    assert is_severe(iga=4, gags_band_code=None)
    assert is_severe(iga=None, gags_band_code="very_severe")
    assert is_severe(iga=2, gags_band_code="severe")
    assert not is_severe(iga=3, gags_band_code="moderate")
    assert not is_severe(iga=None, gags_band_code=None)


@given(grades_strategy)
def test_gags_score_stays_within_0_to_44(region_grades: dict[str, int]) -> None:
    assert 0 <= gags_score(region_grades).score <= GAGS_SCORE_MAX


@given(st.integers(0, GAGS_SCORE_MAX), st.integers(0, GAGS_SCORE_MAX))
def test_gags_band_never_falls_as_the_score_rises(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert GAGS_BAND_CODES.index(gags_band(low).code) <= GAGS_BAND_CODES.index(gags_band(high).code)


@given(grades_strategy, st.sampled_from(GAGS_REGION_CODES))
def test_worsening_one_region_never_lowers_the_score(region_grades: dict[str, int], region: str) -> None:
    worse = {**region_grades, region: min(4, region_grades[region] + 1)}
    assert gags_score(worse).score >= gags_score(region_grades).score
