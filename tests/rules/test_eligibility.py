from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearcourse.rules.eligibility import (
    ABSOLUTE,
    CONDITIONS,
    RELATIVE,
    THERAPIES,
    Contraindication,
    UnknownCodeError,
    assess_eligibility,
    find_contraindications,
    has_absolute,
    normalise_condition,
    normalise_therapy,
)
from clearcourse.rules.severity import GAGS_REGION_CODES, gags_score

MODERATE_GAGS = gags_score({"forehead": 2, "right_cheek": 3, "left_cheek": 3, "nose": 1, "chin": 2,
                            "chest_upper_back": 1})  # 4+6+6+1+2+3 = 22


def codes(found: Sequence[Contraindication]) -> list[tuple[str, str]]:
    return [(item.code, item.severity) for item in found]


def test_moderate_acne_with_no_other_indication_is_not_eligible() -> None:
    result = assess_eligibility(iga=3, gags=MODERATE_GAGS)
    assert MODERATE_GAGS.band.code == "moderate"
    assert (result.eligible, result.indication_codes) == (False, ())


@pytest.mark.parametrize("kwargs", [
    {"scarring": True}, {"psychosocial_burden": True}, {"failed_therapies": ["doxycycline"]}])
def test_any_one_aad_indication_is_enough(kwargs: dict[str, Any]) -> None:
    result = assess_eligibility(iga=2, gags=None, **kwargs)
    assert result.eligible
    assert len(result.indications) == 1


def test_indications_come_in_the_contract_order_with_reasons_and_sources() -> None:
    result = assess_eligibility(iga=4, gags=None, scarring=True, psychosocial_burden=True,
                                failed_therapies=["Benzoyl peroxide", "Solodyn"])
    assert result.indication_codes == ("severe", "scarring", "psychosocial_burden", "treatment_failure")
    assert "benzoyl peroxide, minocycline" in result.indications[-1].reason
    assert all(item.sources and item.sources[0].key == "D14" for item in result.indications)  # AAD 2024


def test_gags_severe_band_alone_makes_acne_severe() -> None:
    severe = gags_score(dict.fromkeys(GAGS_REGION_CODES, 3))  # 33
    result = assess_eligibility(iga=None, gags=severe)
    assert result.indication_codes == ("severe",)
    assert "GAGS 33" in result.indications[0].reason


def test_label_indications_are_information_not_a_gate() -> None:
    result = assess_eligibility(iga=1, gags=None, psychosocial_burden=True)
    assert result.eligible
    assert [note.code for note in result.label_notes] == ["us_label", "eu_smpc"]


def test_an_unknown_failed_therapy_is_refused_with_its_position() -> None:
    with pytest.raises(UnknownCodeError) as caught:
        assess_eligibility(iga=3, gags=None, failed_therapies=["adapalene", "aspirin"])
    assert (caught.value.index, caught.value.value) == (1, "aspirin")


@pytest.mark.parametrize(("name", "code"), [
    ("Doxycycline", "doxycycline"), ("oral antibiotics", "oral_antibiotic"),
    ("Epiduo", "adapalene_benzoyl_peroxide"),
    ("topical-retinoid", "topical_retinoid"), ("Combined pill", "combined_oral_contraceptive")])
def test_therapy_names_are_normalised_across_case_brands_and_spacing(name: str, code: str) -> None:
    assert normalise_therapy(name).code == code


def test_pregnancy_and_breastfeeding_are_absolute() -> None:
    found = find_contraindications(pregnant=True, breastfeeding=True)
    assert codes(found) == [("pregnancy", ABSOLUTE), ("breastfeeding", ABSOLUTE)]


@pytest.mark.parametrize("medication", [
    "doxycycline", "Doxycycline hyclate 100 mg", "MINOCYCLINE", "Solodyn", "lymecycline",
    "oxytetracycline", "tetracycline", "Tetralysal 408mg", "sarecycline"])
def test_every_tetracycline_by_generic_or_brand_name_is_absolute(medication: str) -> None:
    found = find_contraindications(medications=[medication])
    assert codes(found) == [("tetracycline_use", ABSOLUTE)]
    assert found[0].matched == (medication,)
    assert "US label says to avoid" in found[0].message


def test_unrelated_medications_and_allergies_raise_nothing() -> None:
    assert find_contraindications(medications=["ibuprofen", "cetirizine"], allergies=["penicillin"]) == ()


def test_soy_and_peanut_allergies_are_absolute_and_parabens_relative() -> None:
    found = find_contraindications(allergies=["Soya", "peanuts", "methylparaben"])
    assert codes(found) == [("soy_allergy", ABSOLUTE), ("peanut_allergy", ABSOLUTE),
                            ("paraben_allergy", RELATIVE)]


def test_vitamin_a_supplements_and_isotretinoin_hypersensitivity_are_flagged() -> None:
    found = find_contraindications(medications=["Vitamin A 10,000 IU"], allergies=["Accutane"])
    assert codes(found) == [("isotretinoin_hypersensitivity", ABSOLUTE), ("vitamin_a_supplement", ABSOLUTE)]


def test_history_codes_split_into_absolute_and_relative() -> None:
    found = find_contraindications(conditions=["hepatic_insufficiency", "Depression", "IBD", "obesity",
                                               "uncontrolled hyperlipidemia", "hypervitaminosis_a"])
    assert codes(found) == [
        ("hepatic_insufficiency", ABSOLUTE), ("uncontrolled_hyperlipidaemia", ABSOLUTE),
        ("hypervitaminosis_a", ABSOLUTE), ("depression", RELATIVE), ("inflammatory_bowel_disease", RELATIVE),
        ("obesity", RELATIVE)]
    assert has_absolute(found)


def test_cautions_alone_are_not_absolute() -> None:
    found = find_contraindications(conditions=["diabetes", "alcohol_misuse", "osteoporosis", "eating_disorder",
                                               "lipid_disorder", "psychiatric_history", "bone_disease"])
    assert {item.severity for item in found} == {RELATIVE}
    assert not has_absolute(found)


def test_an_unknown_condition_code_is_refused() -> None:
    with pytest.raises(UnknownCodeError) as caught:
        find_contraindications(conditions=["diabetes", "broken_leg"])
    assert caught.value.index == 1


def test_st_johns_wort_is_flagged_for_its_effect_on_contraception() -> None:
    found = find_contraindications(medications=["St John's wort"])
    assert codes(found) == [("st_johns_wort", RELATIVE)]


def test_a_condition_given_twice_appears_once() -> None:
    found = find_contraindications(conditions=["ibd", "crohns_disease"])
    assert codes(found) == [("inflammatory_bowel_disease", RELATIVE)]


@given(st.sampled_from(CONDITIONS))
def test_every_documented_condition_code_is_accepted_as_itself(code: str) -> None:
    assert normalise_condition(code) == code


@given(st.sampled_from(sorted(THERAPIES)))
def test_every_therapy_code_counts_as_treatment_failure(code: str) -> None:
    result = assess_eligibility(iga=2, gags=None, failed_therapies=[code])
    assert result.indication_codes == ("treatment_failure",)
