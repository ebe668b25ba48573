"""core/wording.py: the rules core's words as data (code, values, source), worded when drawn."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from django.utils.translation import gettext

from clearcourse.core.wording import draw, placeholders
from clearcourse.rules.programs import messages
from clearcourse.rules.text import Join, Text, text_from_data


def test_a_reason_is_drawn_in_german_from_its_template_and_values() -> None:
    text = Text.of(messages.PREGNANCY_TEST_MISSING, since=dt.date(2026, 10, 27))
    assert str(text) == "No negative pregnancy test has been recorded since 2026-10-27."  # the CLI's English
    with translation.override("en"):
        assert draw(text) == "No negative pregnancy test has been recorded since 27 Oct 2026."
    with translation.override("de"):
        german = draw(text)
    assert german.startswith("Seit") and "27. Okt. 2026" in german and "2026-10-27" not in german


def test_a_prescription_reference_and_numbers_keep_their_values() -> None:
    text = Text.of(messages.DAYS_SUPPLY_EXCEEDS_PRESCRIPTION, id="RX-1", prescribed=30, days=40)
    with translation.override("de"):
        german = draw(text)
    assert "Rezept RX-1 " in german and "'RX-1'" not in german
    assert "30" in german and "40" in german and german != str(text)


def test_nested_words_and_joins_are_translated_one_by_one() -> None:
    places = Join((Text.of(messages.AT_HOME), Text.of(messages.SETTING_WORDS["lab"])), "or")
    text = Text.of(messages.PREGNANCY_TEST_SETTING_NOT_ACCEPTED, collected=dt.date(2026, 10, 5),
                   setting=Text.of(messages.SETTING_WORDS["home"]), phase=Text.of(messages.DURING_TREATMENT),
                   accepted=places)
    assert str(text) == ("The pregnancy test collected on 2026-10-05 was done at home; during treatment only tests "
                         "done at home or a laboratory count.")
    with translation.override("de"):
        german = draw(text)
    assert " or " not in german and "during" not in german and "laboratory" not in german


def test_stored_data_draws_the_same_as_the_text() -> None:
    text = Text.of(messages.CONTRACEPTION_LEAD_IN_TOO_SHORT, since=dt.date(2026, 9, 1), have=10,
                   until_what=Text.of(messages.THE_FIRST_DOSE), until=dt.date(2026, 9, 11), days=30,
                   not_before=dt.date(2026, 10, 1))
    assert text_from_data(text.as_data()) == text
    with translation.override("de"):
        assert draw(text.as_data()) == draw(text)


def test_a_translation_that_does_not_fit_its_values_falls_back_to_english(monkeypatch: pytest.MonkeyPatch) -> None:
    from clearcourse.core import wording

    monkeypatch.setattr(wording, "gettext", lambda s: "Kaputt {unknown}" if s == messages.TREATMENT_ENDED else s)
    text = Text.of(messages.TREATMENT_ENDED, id="RX-7", ended=dt.date(2026, 1, 2))
    with translation.override("en"):
        assert draw(text).startswith("Prescription RX-7 belongs to a course that ended on 2 Jan 2026")


def test_every_german_template_of_the_core_uses_the_same_placeholders_as_its_english() -> None:
    """A translation that drops or renames a value would fall back to English on the page."""
    templates = {v for k, v in vars(messages).items() if k.isupper() and isinstance(v, str) and "{" in v}
    assert len(templates) > 20
    with translation.override("de"):
        for template in templates:
            german = gettext(template)
            assert german != template or len(template.split()) < 3, template
            assert placeholders(german) == placeholders(template), template
