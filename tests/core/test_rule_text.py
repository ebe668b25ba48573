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
    # The date in the page's style (issue 13), never the ISO form.
    assert "27. Okt. 2026" in german and "2026-10-27" not in german
    assert german.startswith("Seit")


def test_a_placeholder_converted_with_repr_keeps_its_value_once() -> None:
    from django.utils import translation

    from clearcourse.core.rule_text import localize
    from clearcourse.rules.programs import messages

    english = messages.DAYS_SUPPLY_EXCEEDS_PRESCRIPTION.format(id="RX-1", prescribed=30, days=40)
    with translation.override("de"):
        german = localize(english)
    assert "Rezept RX-1 " in german and "'RX-1'" not in german
    assert "30" in german and "40" in german and german != english


def test_unknown_text_and_english_pages_are_left_as_they_are() -> None:
    from django.utils import translation

    from clearcourse.core.rule_text import localize
    from clearcourse.rules.programs import messages

    english = messages.PREGNANCY_TEST_MISSING.format(since="2026-10-27")
    with translation.override("en"):
        assert localize(english) == "No negative pregnancy test has been recorded since 27 Oct 2026."
    with translation.override("de"):
        assert localize("Something nobody catalogued {x}.") == "Something nobody catalogued {x}."
        assert localize("") == ""
