"""core/rule_text.py: rules-core sentences shown on German pages."""

from __future__ import annotations


def test_a_filled_in_rules_sentence_is_translated() -> None:
    from django.utils import translation

    from clearcourse.core.rule_text import localize
    from clearcourse.rules.programs import messages

    english = messages.PREGNANCY_TEST_MISSING.format(since="2026-10-27")
    with translation.override("de"):
        german = localize(english)
    assert german != english
    assert "2026-10-27" in german
    assert german.startswith("Seit")


def test_a_placeholder_converted_with_repr_keeps_its_value_once() -> None:
    from django.utils import translation

    from clearcourse.core.rule_text import localize
    from clearcourse.rules.programs import messages

    english = messages.DAYS_SUPPLY_EXCEEDS_PRESCRIPTION.format(id="rx-1", prescribed=30, days=40)
    with translation.override("de"):
        german = localize(english)
    assert "'rx-1'" in german and "\"'rx-1'\"" not in german
    assert "30" in german and "40" in german and german != english


def test_unknown_text_and_english_pages_are_left_as_they_are() -> None:
    from django.utils import translation

    from clearcourse.core.rule_text import localize
    from clearcourse.rules.programs import messages

    english = messages.PREGNANCY_TEST_MISSING.format(since="2026-10-27")
    with translation.override("en"):
        assert localize(english) == english
    with translation.override("de"):
        assert localize("Something nobody catalogued {x}.") == "Something nobody catalogued {x}."
        assert localize("") == ""
