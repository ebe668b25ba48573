"""Contraindications are stored per region (register section 2): the US label lists pregnancy and
hypersensitivity (vitamin A included) and says to avoid tetracyclines; the EU/UK SmPC also
contraindicates breastfeeding, hepatic insufficiency, excessively high lipids, hypervitaminosis A,
tetracyclines, and soya/peanut allergy for products with soya-bean oil."""

from __future__ import annotations

import pytest

from clearcourse.rules import eligibility as elig
from clearcourse.rules import sources as src
from clearcourse.scenarios.cli import run_case


def severities(region: str | None, **facts: object) -> dict[str, str]:
    return {c.code: c.severity for c in elig.find_contraindications(region=region, **facts)}  # type: ignore[arg-type]


@pytest.mark.parametrize(("program", "region"), [
    ("us-ipledge", elig.US), ("us-ipledge-2021", elig.US), ("eu-ppp", elig.EU_UK), ("uk-mhra-2026", elig.EU_UK),
    ("", None), (None, None), ("mars", None)])
def test_the_program_family_chooses_the_region(program: str | None, region: str | None) -> None:
    assert elig.region_of(program) == region


def test_the_us_label_has_two_absolute_contraindications_and_tetracyclines_are_a_warning() -> None:
    found = severities(elig.US, pregnant=True, breastfeeding=True, medications=["doxycycline"],
                       allergies=["isotretinoin", "soy"], conditions=["hepatic_insufficiency"])
    assert found == {"pregnancy": "absolute", "breastfeeding": "relative", "isotretinoin_hypersensitivity": "absolute",
                     "tetracycline_use": "relative", "soy_allergy": "relative", "hepatic_insufficiency": "relative"}
    tetracycline = next(c for c in elig.find_contraindications(region=elig.US, medications=["doxycycline"]))
    assert tetracycline.sources == (src.US_PI_INTRACRANIAL,)
    assert "Avoid" in tetracycline.message


def test_the_us_breastfeeding_reading_is_8_days_after_the_last_dose() -> None:
    item = elig.find_contraindications(region=elig.US, breastfeeding=True)[0]
    assert "at least 8 days after the last dose" in item.message
    assert item.sources == (src.US_PI_LACTATION,)


def test_the_eu_uk_smpc_list_is_absolute() -> None:
    found = severities(elig.EU_UK, breastfeeding=True, medications=["minocycline"], allergies=["peanut", "soya"],
                       conditions=["hepatic_insufficiency", "uncontrolled_hyperlipidaemia", "hypervitaminosis_a"])
    assert set(found.values()) == {"absolute"}
    assert len(found) == 7


def test_without_a_region_the_strictest_reading_applies() -> None:
    for rule in elig.RULES:
        for reading in rule.regional.values():
            assert not (reading.severity == "absolute" and rule.severity != "absolute"), rule.code


def test_the_region_list_puts_the_absolute_contraindications_first() -> None:
    us = [code for code, reading in elig.region_list(elig.US) if reading.severity == "absolute"]
    eu = [code for code, reading in elig.region_list(elig.EU_UK) if reading.severity == "absolute"]
    assert {"pregnancy", "isotretinoin_hypersensitivity", "vitamin_a_hypersensitivity"} <= set(us)
    assert not {"tetracycline_use", "breastfeeding", "hepatic_insufficiency", "soy_allergy"} & set(us)
    assert {"pregnancy", "breastfeeding", "tetracycline_use", "hepatic_insufficiency", "uncontrolled_hyperlipidaemia",
            "hypervitaminosis_a", "soy_allergy", "peanut_allergy"} <= set(eu)


def test_an_unknown_region_is_refused() -> None:
    with pytest.raises(ValueError, match="region"):
        elig.find_contraindications(region="mars")


def test_the_assess_door_refuses_an_unknown_program_on_its_field() -> None:
    from clearcourse.rules.errors import InputError

    with pytest.raises(InputError) as caught:
        run_case("assess", {"iga": 4, "program": "mars"})
    assert caught.value.field == "program"
