from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearcourse.rules import labs
from clearcourse.rules.labs import Analyte, LabInputError, LabThreshold, Qualitative, Unit
from clearcourse.rules.monitoring import Check, Severity

values = st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False)
lipids = st.sampled_from([Analyte.TRIGLYCERIDES, Analyte.TOTAL_CHOLESTEROL, Analyte.HDL_CHOLESTEROL,
                          Analyte.LDL_CHOLESTEROL])


def _rank(evaluation: labs.LabEvaluation) -> int:
    return evaluation.severity.rank if evaluation.severity else 0


@pytest.mark.parametrize(("code", "analyte"), [
    ("2571-8", Analyte.TRIGLYCERIDES), ("2093-3", Analyte.TOTAL_CHOLESTEROL), ("2085-9", Analyte.HDL_CHOLESTEROL),
    ("2089-1", Analyte.LDL_CHOLESTEROL), ("13457-7", Analyte.LDL_CHOLESTEROL), ("18262-6", Analyte.LDL_CHOLESTEROL),
    ("1742-6", Analyte.ALT), ("1920-8", Analyte.AST), ("2106-3", Analyte.HCG_URINE), ("2118-8", Analyte.HCG_SERUM),
    ("80384-1", Analyte.HCG_URINE), ("19080-1", Analyte.HCG_QUANTITATIVE),
])
def test_loinc_codes_name_their_analyte(code: str, analyte: Analyte) -> None:
    assert labs.analyte_for_loinc(code) == analyte


def test_an_unknown_loinc_code_is_refused() -> None:
    with pytest.raises(LabInputError) as caught:
        labs.analyte_for_loinc("1234-5")
    assert caught.value.field == "loinc"


def test_results_map_to_the_schedule_checks_they_satisfy() -> None:
    assert labs.check_for(Analyte.LDL_CHOLESTEROL) == Check.LIPIDS
    assert labs.check_for(Analyte.AST) == Check.LIVER
    assert labs.check_for(Analyte.HCG_URINE) is None


@given(lipids, values)
def test_converting_to_mmol_and_back_gives_the_value_again(analyte: Analyte, value: float) -> None:
    there = labs.convert(analyte, value, Unit.MG_DL, Unit.MMOL_L)
    back = labs.convert(analyte, there, Unit.MMOL_L, Unit.MG_DL)
    assert math.isclose(back, value, rel_tol=1e-12, abs_tol=1e-12)


def test_the_fact_sheet_conversion_factors_are_used() -> None:
    assert labs.convert(Analyte.TRIGLYCERIDES, 1.0, Unit.MMOL_L, Unit.MG_DL) == pytest.approx(88.57)
    assert labs.convert(Analyte.LDL_CHOLESTEROL, 1.0, Unit.MMOL_L, Unit.MG_DL) == pytest.approx(38.67)


@pytest.mark.parametrize(("analyte", "unit"), [
    (Analyte.TRIGLYCERIDES, "U/L"), (Analyte.ALT, "mg/dL"), (Analyte.AST, "mmol/L"),
    (Analyte.TOTAL_CHOLESTEROL, "g/L"), (Analyte.TRIGLYCERIDES, "banana"),
])
def test_a_unit_that_does_not_fit_the_analyte_is_an_error(analyte: Analyte, unit: str) -> None:
    with pytest.raises(LabInputError) as caught:
        labs.lab_result(analyte, 100, unit, uln=40 if analyte in labs.ENZYMES else None)
    assert caught.value.field == "unit"


@pytest.mark.parametrize("unit", ["mg/dL", "MG/DL", " mg/dl ", "mmol/L", "mmol/l"])
def test_lipid_units_are_read_whatever_their_case(unit: str) -> None:
    assert labs.lab_result("2571-8", 150, unit).unit in (Unit.MG_DL, Unit.MMOL_L)


def test_enzyme_iu_per_litre_is_read_as_u_per_litre() -> None:
    assert labs.lab_result(Analyte.ALT, 30, "IU/L", uln=40).unit == Unit.U_L


@pytest.mark.parametrize("value", [-0.1, -500])
def test_a_negative_value_is_an_error(value: float) -> None:
    with pytest.raises(LabInputError) as caught:
        labs.lab_result(Analyte.TRIGLYCERIDES, value, "mg/dL")
    assert caught.value.field == "value"


@pytest.mark.parametrize("value", [math.nan, math.inf, "12", True])
def test_a_value_that_is_not_a_finite_number_is_an_error(value: object) -> None:
    with pytest.raises(LabInputError):
        labs.lab_result(Analyte.TRIGLYCERIDES, value, "mg/dL")  # type: ignore[arg-type]


@pytest.mark.parametrize("uln", [None, 0, -40])
def test_liver_enzymes_need_a_positive_upper_limit_of_normal(uln: float | None) -> None:
    with pytest.raises(LabInputError) as caught:
        labs.lab_result(Analyte.ALT, 50, "U/L", uln=uln)
    assert caught.value.field == "uln"


def test_a_qualitative_pregnancy_test_is_not_a_number() -> None:
    with pytest.raises(LabInputError):
        labs.lab_result(Analyte.HCG_URINE, 1, "IU/L")
    assert labs.qualitative_result("2106-3", "positive") == Qualitative.POSITIVE
    with pytest.raises(LabInputError):
        labs.qualitative_result("2106-3", "unclear")


def test_a_positive_pregnancy_test_is_urgent() -> None:
    alert = labs.evaluate_pregnancy_test(Qualitative.POSITIVE)
    assert alert is not None and alert.severity == Severity.URGENT
    assert labs.evaluate_pregnancy_test(Qualitative.NEGATIVE) is None


@pytest.mark.parametrize(("value", "unit", "code", "severity"), [
    (150, "mg/dL", None, None),
    (442, "mg/dL", None, None),
    (5.01, "mmol/L", "tg_refer", Severity.WARNING),
    (500, "mg/dL", "tg_refer", Severity.WARNING),
    (501, "mg/dL", "tg_reduce_dose", Severity.WARNING),
    (797, "mg/dL", "tg_reduce_dose", Severity.WARNING),
    (9.0, "mmol/L", "tg_reduce_dose", Severity.WARNING),
    (797.13, "mg/dL", "tg_reduce_dose", Severity.WARNING),
    (9.01, "mmol/L", "tg_pancreatitis_stop", Severity.URGENT),
    (800, "mg/dL", "tg_pancreatitis_stop", Severity.URGENT),
    (2000, "mg/dL", "tg_pancreatitis_stop", Severity.URGENT),
])
def test_default_triglyceride_thresholds(value: float, unit: str, code: str | None,
                                         severity: Severity | None) -> None:
    evaluation = labs.evaluate_lab(labs.lab_result(Analyte.TRIGLYCERIDES, value, unit))
    assert evaluation.severity == severity
    assert (evaluation.highest.code if evaluation.highest else None) == code


@pytest.mark.parametrize(("value", "code", "severity"), [
    (40, None, None), (41, "alt_above_uln", Severity.INFO), (119, "alt_above_uln", Severity.INFO),
    (120, "alt_3x_uln", Severity.WARNING), (400, "alt_3x_uln", Severity.WARNING),
])
def test_default_alt_thresholds_compare_multiples_of_the_lab_uln(value: float, code: str | None,
                                                                 severity: Severity | None) -> None:
    evaluation = labs.evaluate_lab(labs.lab_result(Analyte.ALT, value, "U/L", uln=40))
    assert evaluation.severity == severity
    assert (evaluation.highest.code if evaluation.highest else None) == code


def test_the_same_enzyme_value_is_judged_against_each_labs_own_uln() -> None:
    assert labs.evaluate_lab(labs.lab_result(Analyte.AST, 100, "U/L", uln=35)).severity == Severity.INFO
    assert labs.evaluate_lab(labs.lab_result(Analyte.AST, 100, "U/L", uln=30)).severity == Severity.WARNING


def test_every_default_threshold_cites_a_source_and_awaits_clinical_signoff() -> None:
    for threshold in labs.DEFAULT_THRESHOLDS:
        assert threshold.sources
        assert threshold.needs_clinical_signoff is True
    # No regulator gives these levels: each is a clinic default, labelled so, and shows no web page.
    defaults = {t.code for t in labs.DEFAULT_THRESHOLDS if t.sources[0].is_clinic_default}
    assert defaults == {"tg_refer", "tg_reduce_dose", "alt_above_uln", "alt_3x_uln", "ast_above_uln", "ast_3x_uln"}
    for threshold in labs.DEFAULT_THRESHOLDS:
        if threshold.code in defaults:
            assert threshold.sources[0].cite() == "Clinic default: no published threshold"
            assert threshold.sources[0].url == ""
            assert "Clinic default: no published threshold." in threshold.message


def test_the_stop_alert_says_what_the_bnf_and_label_suggest() -> None:
    evaluation = labs.evaluate_lab(labs.lab_result(Analyte.TRIGLYCERIDES, 10, "mmol/L"))
    assert evaluation.highest is not None
    assert evaluation.highest.message == labs.MSG_TG_STOP
    assert "pancreatitis" in evaluation.highest.message
    assert [a.code for a in evaluation.alerts] == ["tg_pancreatitis_stop", "tg_reduce_dose", "tg_refer"]


@given(values, values)
def test_a_higher_triglyceride_never_gives_a_lower_severity(a: float, b: float) -> None:
    low, high = sorted((a, b))
    for unit in ("mg/dL", "mmol/L"):
        assert _rank(labs.evaluate_lab(labs.lab_result(Analyte.TRIGLYCERIDES, low, unit))) <= _rank(
            labs.evaluate_lab(labs.lab_result(Analyte.TRIGLYCERIDES, high, unit)))


@given(values, values, st.floats(min_value=1, max_value=500))
def test_a_higher_alt_never_gives_a_lower_severity(a: float, b: float, uln: float) -> None:
    low, high = sorted((a, b))
    assert _rank(labs.evaluate_lab(labs.lab_result(Analyte.ALT, low, "U/L", uln=uln))) <= _rank(
        labs.evaluate_lab(labs.lab_result(Analyte.ALT, high, "U/L", uln=uln)))


threshold_sets = st.lists(
    st.builds(lambda i, bound, unit, inclusive, severity: LabThreshold(
        f"t{i}", Analyte.TRIGLYCERIDES, bound, unit, inclusive, severity, "m", ()),
        st.integers(0, 10_000), st.floats(0, 2000), st.sampled_from([Unit.MG_DL, Unit.MMOL_L]), st.booleans(),
        st.sampled_from(list(Severity))),
    max_size=6, unique_by=lambda t: t.code)


@given(threshold_sets, values, values, st.sampled_from(["mg/dL", "mmol/L"]))
def test_no_clinic_threshold_set_lets_a_higher_value_lower_the_severity(
        thresholds: list[LabThreshold], a: float, b: float, unit: str) -> None:
    low, high = sorted((a, b))
    configured = labs.validate_thresholds(thresholds)
    assert _rank(labs.evaluate_lab(labs.lab_result(Analyte.TRIGLYCERIDES, low, unit), configured)) <= _rank(
        labs.evaluate_lab(labs.lab_result(Analyte.TRIGLYCERIDES, high, unit), configured))


def test_a_clinic_threshold_set_replaces_the_defaults() -> None:
    strict = (LabThreshold("tg_clinic", Analyte.TRIGLYCERIDES, 300, Unit.MG_DL, True, Severity.URGENT,
                           "clinic rule", ()),)
    result = labs.lab_result(Analyte.TRIGLYCERIDES, 300, "mg/dL")
    assert labs.evaluate_lab(result, strict).severity == Severity.URGENT
    assert labs.evaluate_lab(result).severity is None


def test_thresholds_refuse_units_that_do_not_fit_and_duplicate_codes() -> None:
    with pytest.raises(LabInputError):
        LabThreshold("x", Analyte.ALT, 3, Unit.U_L, True, Severity.INFO, "m", ())
    with pytest.raises(LabInputError):
        LabThreshold("x", Analyte.TRIGLYCERIDES, 3, Unit.X_ULN, True, Severity.INFO, "m", ())
    one = LabThreshold("x", Analyte.TRIGLYCERIDES, 3, Unit.MMOL_L, True, Severity.INFO, "m", ())
    with pytest.raises(LabInputError):
        labs.validate_thresholds([one, one])
