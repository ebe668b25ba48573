from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path

import pytest
from program_builders import D

from clearcourse.rules.programs import registry
from clearcourse.rules.programs.base import ProgramVersion, Rule
from clearcourse.rules.programs.registry import ALL_VERSIONS, ProgramNotFound, effective_until, resolve
from clearcourse.rules.sources import is_registered

PACKAGE = Path(registry.__file__).resolve().parent


@pytest.mark.parametrize(("family", "day", "version"), [
    ("us-ipledge", D(2021, 12, 13), "us-ipledge-2021"),
    ("us-ipledge", D(2026, 8, 7), "us-ipledge-2021"),
    ("us-ipledge", D(2026, 8, 8), "us-ipledge-2026"),
    ("eu-ppp", D(2018, 3, 22), "eu-ppp-2018"),
    ("eu-ppp", D(2030, 1, 1), "eu-ppp-2018"),
    ("uk-mhra", D(2023, 10, 31), "uk-mhra-2023"),
    ("uk-mhra", D(2026, 1, 21), "uk-mhra-2023"),
    ("uk-mhra", D(2026, 1, 22), "uk-mhra-2026"),
])
def test_a_family_resolves_to_the_version_in_force_on_the_day(family: str, day: dt.date, version: str) -> None:
    assert resolve(family, day).id == version


@pytest.mark.parametrize("version", registry.VERSIONS)
def test_a_pinned_version_applies_whatever_the_date(version: str) -> None:
    assert resolve(version, D(1990, 1, 1)).id == version


@pytest.mark.parametrize(("family", "day"), [("us-ipledge", D(2021, 12, 12)), ("eu-ppp", D(2018, 3, 21)),
                                             ("uk-mhra", D(2023, 10, 30))])
def test_a_family_before_its_first_version_is_refused(family: str, day: dt.date) -> None:
    with pytest.raises(ProgramNotFound, match="no version"):
        resolve(family, day)


def test_an_unknown_program_is_refused() -> None:
    with pytest.raises(ProgramNotFound, match="not a program"):
        resolve("ipledge", D(2026, 1, 1))


def test_each_version_knows_when_it_stops_being_in_force() -> None:
    assert effective_until(resolve("us-ipledge-2021", D(2026, 1, 1))) == D(2026, 8, 7)
    assert effective_until(resolve("us-ipledge-2026", D(2026, 1, 1))) is None
    assert effective_until(resolve("uk-mhra-2023", D(2026, 1, 1))) == D(2026, 1, 21)


@pytest.mark.parametrize("version", ALL_VERSIONS, ids=lambda v: v.id)
def test_every_rule_of_every_version_carries_a_register_source_and_a_summary(version: ProgramVersion) -> None:
    rules = version.rules()
    assert len(rules) == 28
    for name, rule in rules:
        assert isinstance(rule, Rule), name
        assert is_registered(rule.source), name
        # A document cites its official address; a clinic default shows no web page at all.
        assert rule.source.url.startswith("https://") if rule.source.is_document else rule.source.url == "", name
        assert rule.summary.strip(), name
    assert is_registered(version.effective_source)


def test_every_open_question_in_the_version_modules_is_also_in_the_rule_notes_or_docs() -> None:
    docs = (PACKAGE.parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    for module in PACKAGE.glob("*.py"):
        for line in module.read_text(encoding="utf-8").splitlines():
            if "# OPEN QUESTION (fact sheet #" in line:
                number = line.split("#", 2)[2].split(")")[0]
                assert f"#{number}" in docs, f"{module.name}: open question #{number} is not in docs/rules.md"


def test_the_2026_modification_changes_only_what_the_fact_sheet_says() -> None:
    old, new = resolve("us-ipledge-2021", D(2026, 1, 1)), resolve("us-ipledge-2026", D(2026, 1, 1))
    changed = {name for (name, a), (_, b) in zip(old.rules(), new.rules(), strict=True) if a != b}
    assert changed == {"pre_treatment_settings", "treatment_settings", "home_test_needs_verification",
                       "screening_gap_days", "missed_window_wait_days", "counseling_cannot",
                       "prescription_window_days_cannot", "pharmacy_training_days"}


def test_the_uk_versions_differ_only_in_the_second_prescriber_rule() -> None:
    old, new = resolve("uk-mhra-2023", D(2026, 1, 1)), resolve("uk-mhra-2026", D(2026, 1, 1))
    changed = {name for (name, a), (_, b) in zip(old.rules(), new.rules(), strict=True) if a.value != b.value}
    assert changed == {"second_prescriber_under_18"}


def test_the_rules_core_imports_no_django() -> None:
    roots = [PACKAGE, PACKAGE.parent / "status.py"]
    files = [p for root in roots for p in ([root] if root.is_file() else root.glob("*.py"))]
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(n.split(".")[0] == "django" for n in names), path.name
            assert not any(n in ("time", "datetime.datetime") for n in names), path.name


def test_the_rules_core_never_reads_the_clock() -> None:
    for path in [*PACKAGE.glob("*.py"), PACKAGE.parent / "status.py"]:
        text = path.read_text(encoding="utf-8")
        for forbidden in ("date.today(", "datetime.now(", ".now(", "time.time("):
            assert forbidden not in text, f"{path.name} uses {forbidden}"


def test_the_docs_page_carries_the_current_rule_catalogue() -> None:
    from clearcourse.rules.programs.catalog import BEGIN, END, rules_markdown

    docs = (PACKAGE.parents[2] / "docs" / "rules.md").read_text(encoding="utf-8")
    start, end = docs.index(BEGIN), docs.index(END) + len(END)
    assert docs[start:end] == rules_markdown(), "regenerate with python -m clearcourse.rules.programs.catalog"


def test_the_uk_remote_supervised_test_is_a_dated_rule_inside_both_uk_versions() -> None:
    from clearcourse.rules.programs import uk_remote
    from clearcourse.rules.programs.registry import BY_ID
    from clearcourse.rules.sources import MHRA_2025

    assert {v.id for v in ALL_VERSIONS} == {"us-ipledge-2021", "us-ipledge-2026", "eu-ppp-2018", "uk-mhra-2023",
                                            "uk-mhra-2026"}  # no new version ids
    for version_id in ("uk-mhra-2023", "uk-mhra-2026"):
        rule = BY_ID[version_id].remote_supervised_from
        assert rule is uk_remote.REMOTE_SUPERVISED and rule.source is MHRA_2025
    for version_id in ("us-ipledge-2021", "us-ipledge-2026", "eu-ppp-2018"):
        assert BY_ID[version_id].remote_supervised_from.value is None
    # 22 Jan 2026: the second-prescriber requirement for under-18s ended (D12).
    assert BY_ID["uk-mhra-2023"].second_prescriber_under_18.value is True
    assert BY_ID["uk-mhra-2026"].second_prescriber_under_18.value is False
    assert BY_ID["uk-mhra-2026"].second_prescriber_under_18.source.document.key == "D12"
