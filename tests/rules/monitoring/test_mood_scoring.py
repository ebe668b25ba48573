from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearcourse.rules import mood
from clearcourse.rules.monitoring import Severity
from clearcourse.rules.mood import Band, Instrument, MoodInputError

PHQ9_ORDER = [Band.MINIMAL, Band.MILD, Band.MODERATE, Band.MODERATELY_SEVERE, Band.SEVERE]
answer = st.integers(min_value=0, max_value=3)
phq9_answers = st.lists(answer, min_size=9, max_size=9)
nine_item = st.sampled_from([Instrument.PHQ9, Instrument.PHQ9_TEEN])


@given(nine_item, phq9_answers)
def test_the_score_is_the_sum_of_the_answers(instrument: Instrument, answers: list[int]) -> None:
    assert mood.score(instrument, answers).score == sum(answers)


@given(st.lists(answer, min_size=2, max_size=2))
def test_the_phq2_score_is_the_sum_and_positive_from_3(answers: list[int]) -> None:
    result = mood.score("phq2", answers)
    assert result.score == sum(answers)
    assert (result.band == Band.POSITIVE) == (sum(answers) >= 3)
    assert result.recommend_phq9 == (sum(answers) >= 3)
    assert result.urgent is False
    assert result.item9_positive is None


@given(st.integers(0, 27), st.integers(0, 27))
def test_a_higher_phq9_total_never_gives_a_lower_band(a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert PHQ9_ORDER.index(mood.phq9_band(low)) <= PHQ9_ORDER.index(mood.phq9_band(high))


@pytest.mark.parametrize(("total", "band"), [
    (0, Band.MINIMAL), (4, Band.MINIMAL), (5, Band.MILD), (9, Band.MILD), (10, Band.MODERATE),
    (14, Band.MODERATE), (15, Band.MODERATELY_SEVERE), (19, Band.MODERATELY_SEVERE), (20, Band.SEVERE),
    (27, Band.SEVERE),
])
def test_phq9_band_edges_follow_the_contract(total: int, band: Band) -> None:
    assert mood.phq9_band(total) == band


@given(nine_item, phq9_answers, st.integers(1, 3))
def test_item9_above_0_is_always_urgent(instrument: Instrument, answers: list[int], item9: int) -> None:
    answers[8] = item9
    result = mood.score(instrument, answers)
    assert result.urgent is True
    assert result.item9_positive is True
    assert result.alert is not None and result.alert.code == "mood_self_harm"
    assert result.alert.severity == Severity.URGENT


@given(nine_item, phq9_answers)
def test_urgent_means_item9_or_a_severe_total(instrument: Instrument, answers: list[int]) -> None:
    result = mood.score(instrument, answers)
    assert result.urgent == (answers[8] > 0 or sum(answers) >= 20)
    assert (result.alert is not None and result.alert.severity == Severity.URGENT) == result.urgent


@given(phq9_answers)
def test_scoring_from_the_total_and_item9_agrees_with_scoring_the_answers(answers: list[int]) -> None:
    full = mood.score("phq9", answers)
    short = mood.score_total("phq9", sum(answers), item9=answers[8])
    assert (short.score, short.band, short.urgent, short.item9_positive) == (
        full.score, full.band, full.urgent, full.item9_positive)


def test_the_teen_form_keeps_self_harm_as_item_9_and_has_its_own_loinc() -> None:
    spec = mood.INSTRUMENTS[Instrument.PHQ9_TEEN]
    assert "hurting yourself" in spec.items[8]
    assert spec.loinc_total == "89204-2"
    assert mood.INSTRUMENTS[Instrument.PHQ9].loinc_total == "44261-6"
    assert mood.INSTRUMENTS[Instrument.PHQ2].loinc_total == "55758-7"


def test_the_phq2_items_are_the_first_two_phq9_items() -> None:
    assert mood.INSTRUMENTS[Instrument.PHQ2].items == mood.PHQ9_ITEMS[:2]
    assert len(mood.ANSWER_OPTIONS) == 4


@pytest.mark.parametrize(("answers", "field"), [
    ([0] * 8, "answers"),
    ([0] * 8 + [4], "answers[8]"),
    ([-1] + [0] * 8, "answers[0]"),
    ([0, True] + [0] * 7, "answers[1]"),
    ([0, 1.0] + [0] * 7, "answers[1]"),
])
def test_the_core_refuses_answers_that_do_not_fit(answers: list[object], field: str) -> None:
    with pytest.raises(MoodInputError) as caught:
        mood.score("phq9", answers)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_an_unknown_instrument_is_refused() -> None:
    with pytest.raises(MoodInputError) as caught:
        mood.score("gad7", [0] * 7)
    assert caught.value.field == "instrument"


def test_a_total_with_item9_above_the_total_is_refused() -> None:
    with pytest.raises(MoodInputError) as caught:
        mood.score_total("phq9", 1, item9=2)
    assert caught.value.field == "item9"
    with pytest.raises(MoodInputError):
        mood.score_total("phq2", 3, item9=0)
    with pytest.raises(MoodInputError):
        mood.score_total("phq9", 28, item9=0)


def test_a_positive_phq2_asks_for_a_phq9_with_a_warning() -> None:
    result = mood.score("phq2", [2, 1])
    assert result.alert is not None
    assert result.alert.severity == Severity.WARNING
    assert result.alert.message == mood.MSG_PHQ2_POSITIVE


def test_every_result_cites_its_sources() -> None:
    for instrument, n in ((Instrument.PHQ9, 9), (Instrument.PHQ9_TEEN, 9), (Instrument.PHQ2, 2)):
        assert mood.score(instrument, [0] * n).sources
