from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clearcourse.rules import interactions as ix
from clearcourse.rules.interactions import DrugClass
from clearcourse.rules.monitoring import Severity


def codes(*meds: str, **kwargs: object) -> list[tuple[str, Severity]]:
    return [(a.code, a.severity) for a in ix.check_interactions(meds, **kwargs)]  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["doxycycline", "Doxycycline hyclate 100 mg", "MINOCYCLINE", "Solodyn ER 105mg",
                                  "Vibramycin", "lymecycline (Tetralysal)", "sarecycline", "Oracea 40 mg"])
def test_tetracyclines_are_urgent_by_generic_or_brand_name(name: str) -> None:
    assert codes(name) == [("tetracycline", Severity.URGENT)]


def test_the_tetracycline_alert_explains_why_and_cites_the_smpc() -> None:
    alert = ix.check_interactions(["doxycycline"])[0]
    assert "pseudotumor cerebri" in alert.message and "EU/UK" in alert.message
    assert alert.subject == "doxycycline"
    assert [s.key for s in alert.sources] == ["D8-4.3", "D1-intracranial"]  # SmPC §4.3; the US label's "avoid"


@pytest.mark.parametrize("name", ["isotretinoin", "Accutane", "acetylsalicylic acid", "paracetamol", "ibuprofen"])
def test_names_only_match_as_whole_words(name: str) -> None:
    assert codes(name) == []


@pytest.mark.parametrize("name", ["Vitamin A 10,000 IU", "retinyl palmitate", "cod liver oil capsules"])
def test_vitamin_a_supplements_warn(name: str) -> None:
    assert codes(name) == [("vitamin_a_supplement", Severity.WARNING)]


def test_a_multivitamin_prompts_a_label_check() -> None:
    assert codes("Daily multivitamin") == [("multivitamin_check_vitamin_a", Severity.INFO)]


@pytest.mark.parametrize("name", ["St John's Wort", "st. johns wort 300mg", "ST JOHN’S WORT", "Hypericum perforatum"])
def test_st_johns_wort_with_hormonal_contraception_is_urgent(name: str) -> None:
    assert codes(name, contraception_methods=["implant", "male_condom"]) == [
        ("st_johns_wort_hormonal_contraception", Severity.URGENT)]
    assert codes(name, "Microgynon 30") == [("st_johns_wort_hormonal_contraception", Severity.URGENT)]


def test_st_johns_wort_without_hormonal_contraception() -> None:
    assert codes("St John's wort", contraception_methods=["iud_copper"], can_get_pregnant=True) == [
        ("st_johns_wort", Severity.WARNING)]
    assert codes("St John's wort", can_get_pregnant=False) == []


@pytest.mark.parametrize("name", ["Cerazette", "progestogen-only pill", "mini-pill", "Slynd", "Camila 0.35 mg"])
def test_progestin_only_pills_are_not_acceptable_contraception(name: str) -> None:
    assert ("progestin_only_pill", Severity.WARNING) in codes(name)


def test_a_combined_pill_is_not_taken_for_a_progestin_only_pill() -> None:
    assert codes("ethinylestradiol/desogestrel") == []
    assert codes("Yasmin") == []


def test_the_progestin_only_method_code_warns_too() -> None:
    assert codes(contraception_methods=["progestin_only_pill", "male_condom"]) == [
        ("progestin_only_pill", Severity.WARNING)]


def test_corticosteroids_and_anticonvulsants_are_information() -> None:
    assert codes("prednisolone 5 mg") == [("corticosteroid_bone", Severity.INFO)]
    assert codes("Tegretol") == [("anticonvulsant_levels", Severity.INFO)]
    assert codes("phenytoin") == [("anticonvulsant_levels", Severity.INFO)]
    assert codes("lamotrigine") == [("anticonvulsant_bone", Severity.INFO)]


def test_drying_topicals_are_information_from_a_weak_source() -> None:
    (alert,) = ix.check_interactions(["Epiduo gel"])
    assert (alert.code, alert.severity, alert.needs_clinical_signoff) == ("drying_topical", Severity.INFO, True)


def test_warnings_come_most_severe_first() -> None:
    got = codes("prednisolone", "doxycycline", "vitamin A")
    assert [c for c, _ in got] == ["tetracycline", "vitamin_a_supplement", "corticosteroid_bone"]


@given(st.sampled_from([(alias, ing) for ing in ix.INGREDIENTS for alias in (ing.name, *ing.aliases)]),
       st.randoms(use_true_random=False))
def test_every_known_name_is_found_whatever_its_case(pair: tuple[str, ix.Ingredient], rnd: object) -> None:
    alias, ingredient = pair
    mixed = "".join(c.upper() if rnd.random() < 0.5 else c.lower() for c in alias)  # type: ignore[attr-defined]
    assert ingredient in ix.ingredients_in(f"{mixed} 10 mg")


def test_brand_and_generic_names_give_the_same_classes() -> None:
    assert ix.classes_of("Minocin") == ix.classes_of("minocycline") == frozenset({DrugClass.TETRACYCLINE})
    assert ix.classes_of("Dilantin") == ix.classes_of("phenytoin")
