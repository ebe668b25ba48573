"""The German catalogue: compiled, current, and covering the portal; the scanner finds what makemessages
cannot see."""

from __future__ import annotations

import ast
from pathlib import Path

from django.utils import translation

PO = Path(__file__).resolve().parents[2] / "clearcourse" / "locale" / "de" / "LC_MESSAGES" / "django.po"


def _entries() -> list[tuple[str, str]]:
    """(msgid, msgstr) of the singular entries without context (a small reader for the tests)."""
    found: list[tuple[str, str]] = []
    current: dict[str, str] = {}
    key = ""
    for line in [*PO.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current.get("msgid") and "msgid_plural" not in current and "msgctxt" not in current:
                found.append((current["msgid"], current.get("msgstr", "")))
            current, key = {}, ""
        elif line.startswith("#"):
            continue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _space, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return found


def test_every_german_entry_is_translated_and_compiled() -> None:
    entries = _entries()
    assert len(entries) > 1000
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert untranslated == []
    with translation.override("de"):
        stale = [msgid for msgid, msgstr in entries if translation.gettext(msgid) != msgstr]
    assert stale == [], "run compilemessages: the .mo is older than the .po"


def test_the_rules_core_text_is_in_the_catalogue() -> None:
    from clearcourse.rules import mood, side_effects

    with translation.override("de"):
        assert translation.gettext(side_effects.CATALOGUE["cheilitis"].name) == "Trockene, rissige Lippen (Cheilitis)"
        assert translation.gettext(mood.ANSWER_OPTIONS[3]) == "Beinahe jeden Tag"


def test_the_scanner_finds_message_constants_and_core_text() -> None:
    from clearcourse.portal import i18n_scan

    constants = i18n_scan.app_constants()
    assert "This invitation link has expired. Ask your clinic for a new invitation." in constants  # portal
    assert "Only a registered prescriber can do this." in constants  # courses, _(CONSTANT)
    core = i18n_scan.core_strings()
    assert "Worse night vision" in core and "Nearly every day" in core
    generated = (Path(i18n_scan.__file__).parent / "i18n_extra.py").read_text(encoding="utf-8")
    assert "gettext_noop('Worse night vision')" in generated
