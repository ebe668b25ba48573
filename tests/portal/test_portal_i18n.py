"""The German catalogue: compiled, current, and covering the portal; the scanner finds what makemessages
cannot see."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
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
    generated = i18n_scan.OUTPUT.read_text(encoding="utf-8")
    assert "gettext_noop('Worse night vision')" in generated


def _msgids(po: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """((msgctxt, msgid) of every live entry, the same for the fuzzy ones) of a .po file."""
    found: set[tuple[str, str]] = set()
    fuzzy: set[tuple[str, str]] = set()
    current: dict[str, str] = {}
    key = ""
    is_fuzzy = False
    for line in [*po.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if current.get("msgid"):
                entry = (current.get("msgctxt", ""), current["msgid"])
                found.add(entry)
                if is_fuzzy:
                    fuzzy.add(entry)
            current, key, is_fuzzy = {}, "", False
        elif line.startswith("#,"):
            is_fuzzy = is_fuzzy or "fuzzy" in line
        elif line.startswith("#"):
            continue  # obsolete (#~) entries and comments are not part of the live catalogue
        elif line.startswith('"'):
            current[key] += ast.literal_eval(line)
        else:
            key, _space, value = line.partition(" ")
            current[key] = ast.literal_eval(value)
    return found, fuzzy


def test_the_committed_german_catalogue_holds_every_current_string(tmp_path: Path, settings: Any,
                                                                   monkeypatch: Any) -> None:
    """Scanner + makemessages on a copy of the package must find no msgid the committed .po lacks
    (a new or reworded string would otherwise stay English on German pages)."""
    if shutil.which("xgettext") is None:
        pytest.skip("gettext's xgettext is not installed, so makemessages cannot extract strings")
    from clearcourse.portal import i18n_scan

    package = i18n_scan.PACKAGE
    generated = i18n_scan.render(i18n_scan.app_constants() | i18n_scan.core_strings())
    assert generated == i18n_scan.OUTPUT.read_text(encoding="utf-8"), (
        "clearcourse/core/i18n_extra.py is stale: run python -m clearcourse.portal.i18n_scan")

    copy = tmp_path / "clearcourse"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns(
        "__pycache__", "*.pyc", "*.po", "*.mo", "static"))
    (copy / "locale").mkdir(exist_ok=True)
    settings.LOCALE_PATHS = [copy / "locale"]  # never the real catalogue
    monkeypatch.chdir(copy)  # as `make messages` does: cd clearcourse
    call_command("makemessages", locale=["de"], no_location=True, verbosity=0)

    fresh, _fresh_fuzzy = _msgids(copy / "locale" / "de" / "LC_MESSAGES" / "django.po")
    committed, fuzzy = _msgids(PO)
    missing = sorted(msgid for _context, msgid in fresh - committed)
    assert missing == [], "run `make messages` (scanner first) and translate the new strings"
    assert sorted(msgid for _context, msgid in fuzzy) == [], "fuzzy entries are not compiled: review them"


def test_the_access_report_labels_read_as_german_phrases() -> None:
    from clearcourse.audit.templatetags.audit_labels import action_label

    with translation.override("de"):
        assert action_label("patient.view") == "aufgerufen: Ihre Angaben"  # the template capitalises it
        assert action_label("ppp.pregnancy_test.record") == "erfasst: ein Schwangerschaftstest"
        assert action_label("portal.consent.sign") == "unterschrieben: Ihre Einwilligung"
        assert action_label("pharmacy.dispense") == "abgegeben (Apotheke)"
