"""The rules core stays pure: no Django, no clock, no I/O (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "clearcourse" / "rules"
#: Outside libraries the core must not use; and any ``clearcourse`` module that is not part of the core.
FORBIDDEN_IMPORTS = ("django", "requests", "urllib", "http", "socket", "sqlite3", "psycopg", "subprocess")
FORBIDDEN_CALLS = ("date.today", "datetime.now", "datetime.today", "datetime.utcnow", "time.time", "open")


def _modules() -> list[Path]:
    return sorted(RULES.rglob("*.py"))


def test_it_finds_the_rules_modules() -> None:
    assert len(_modules()) >= 2


def test_the_rules_core_imports_nothing_from_django_or_the_shell() -> None:
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN_IMPORTS
                          or _outside_the_core(n)]
    assert offenders == []


def _outside_the_core(module: str) -> bool:
    return (module == "clearcourse" or module.startswith("clearcourse.")) and not (
        module == "clearcourse.rules" or module.startswith("clearcourse.rules."))


def test_the_purity_check_refuses_every_clearcourse_module_outside_the_core() -> None:
    assert _outside_the_core("clearcourse.scenarios.errors")
    assert _outside_the_core("clearcourse.interop")
    assert _outside_the_core("clearcourse")
    assert not _outside_the_core("clearcourse.rules.programs.facts")


def test_the_rules_core_never_reads_the_clock_or_files() -> None:
    offenders = []
    for path in _modules():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                text = ast.unparse(node.func)
                if any(text == c or text.endswith("." + c) for c in FORBIDDEN_CALLS):
                    offenders.append(f"{path.name}:{node.lineno} {text}")
    assert offenders == []
