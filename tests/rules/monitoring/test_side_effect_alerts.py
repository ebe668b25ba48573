from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearcourse.rules import side_effects as se
from clearcourse.rules.monitoring import Severity
from clearcourse.rules.side_effects import CATALOGUE, Grade, SideEffectInputError, SideEffectReport

GRADES = [Grade.MILD, Grade.MODERATE, Grade.SEVERE]


def _rank(report: SideEffectReport) -> int:
    alert = se.evaluate(report)
    return alert.severity.rank if alert else 0


def test_the_catalogue_covers_the_common_effects_the_fact_sheet_names() -> None:
    assert set(CATALOGUE) >= {"cheilitis", "xerosis", "dry_eyes", "epistaxis", "myalgia", "arthralgia", "back_pain",
                              "hair_thinning", "photosensitivity", "initial_flare", "dry_mucosa"}
    assert all(effect.sources for effect in CATALOGUE.values())


@pytest.mark.parametrize("code", ["cheilitis", "xerosis", "epistaxis", "myalgia", "hair_thinning", "initial_flare"])
def test_mild_common_effects_raise_no_alert_and_severe_ones_a_warning(code: str) -> None:
    assert se.evaluate(SideEffectReport.of({code: "mild"})) is None
    alert = se.evaluate(SideEffectReport.of({code: "severe"}))
    assert alert is not None and alert.severity == Severity.WARNING


@pytest.mark.parametrize(("symptoms", "code", "message"), [
    ({"headache": "severe", "vision_change": "mild"}, "possible_pseudotumor_cerebri", se.MSG_PSEUDOTUMOR),
    ({"headache": "severe", "nausea_vomiting": "moderate"}, "possible_pseudotumor_cerebri", se.MSG_PSEUDOTUMOR),
    ({"abdominal_pain": "severe"}, "side_effect_abdominal_pain", se.MSG_ABDOMINAL_SEVERE),
    ({"rectal_bleeding": "mild"}, "side_effect_rectal_bleeding", se.MSG_RECTAL_BLEEDING),
    ({"diarrhoea": "severe"}, "side_effect_diarrhoea", se.MSG_DIARRHOEA_SEVERE),
    ({"vision_change": "mild"}, "side_effect_vision_change", se.MSG_VISION),
    ({"decreased_night_vision": "moderate"}, "side_effect_decreased_night_vision", se.MSG_VISION),
    ({"suicidal_thoughts": "mild"}, "side_effect_suicidal_thoughts", se.MSG_SUICIDAL),
    ({"low_mood": "severe"}, "side_effect_low_mood", se.MSG_MOOD_SEVERE.format(name="low mood")),
])
def test_red_flags_raise_an_urgent_alert_with_the_guidelines_advice(symptoms: dict[str, str], code: str,
                                                                     message: str) -> None:
    alert = se.evaluate(SideEffectReport.of(symptoms))
    assert alert is not None
    assert (alert.code, alert.severity, alert.message) == (code, Severity.URGENT, message)
    assert alert.sources


def test_the_bowel_alerts_give_the_labels_stop_advice_and_cite_it() -> None:
    # US label D1 §5.11: stop at once for abdominal pain, rectal bleeding or severe diarrhoea.
    assert "stop isotretinoin at once" in se.MSG_RECTAL_BLEEDING
    assert "stop isotretinoin at once" in se.MSG_DIARRHOEA_SEVERE
    assert se.CATALOGUE["rectal_bleeding"].sources[0].key == "D1-5.11"


def test_a_severe_headache_alone_is_a_warning_not_urgent() -> None:
    alert = se.evaluate(SideEffectReport.of({"headache": "severe"}))
    assert alert is not None and alert.severity == Severity.WARNING


def test_low_mood_at_any_grade_asks_for_a_phq9() -> None:
    alert = se.evaluate(SideEffectReport.of({"low_mood": "mild"}))
    assert alert is not None and alert.severity == Severity.WARNING and "PHQ-9" in alert.message


def test_an_empty_report_raises_nothing() -> None:
    assert se.evaluate(SideEffectReport(())) is None


def test_unknown_effects_bad_grades_and_repeats_are_refused() -> None:
    with pytest.raises(SideEffectInputError) as caught:
        SideEffectReport.of({"spontaneous_levitation": "mild"})
    assert caught.value.field == "symptoms.spontaneous_levitation"
    with pytest.raises(SideEffectInputError):
        SideEffectReport.of({"cheilitis": "terrible"})
    with pytest.raises(SideEffectInputError):
        SideEffectReport((se.ReportedSymptom("cheilitis", Grade.MILD), se.ReportedSymptom("cheilitis", Grade.SEVERE)))


@given(st.sampled_from(list(CATALOGUE)), st.integers(0, 2), st.integers(0, 2))
def test_a_worse_grade_never_gives_a_lower_severity(code: str, a: int, b: int) -> None:
    low, high = sorted((a, b))
    assert _rank(SideEffectReport.of({code: GRADES[low]})) <= _rank(SideEffectReport.of({code: GRADES[high]}))


@given(st.dictionaries(st.sampled_from(list(CATALOGUE)), st.sampled_from(GRADES), max_size=5),
       st.sampled_from(list(CATALOGUE)), st.sampled_from(GRADES))
def test_reporting_one_more_symptom_never_lowers_the_severity(symptoms: dict[str, Grade], extra: str,
                                                             grade: Grade) -> None:
    more = {**symptoms, extra: grade} if extra not in symptoms else symptoms
    assert _rank(SideEffectReport.of(symptoms)) <= _rank(SideEffectReport.of(more))


@given(st.dictionaries(st.sampled_from(list(CATALOGUE)), st.sampled_from(GRADES), min_size=1, max_size=6))
def test_evaluate_returns_the_most_severe_of_all_alerts(symptoms: dict[str, Grade]) -> None:
    report = SideEffectReport.of(symptoms)
    alerts = se.evaluate_all(report)
    top = se.evaluate(report)
    assert (top is None) == (not alerts)
    if top is not None:
        assert top.severity.rank == max(a.severity.rank for a in alerts)
