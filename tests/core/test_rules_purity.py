"""The rules core stays pure: no Django, no clock, no I/O (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

RULES = Path(__file__).resolve().parents[2] / "clearcourse" / "rules"
FORBIDDEN_IMPORTS = ("django", "clearcourse.core", "clearcourse.accounts", "clearcourse.courses", "requests",
                     "socket", "sqlite3", "psycopg")
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
                          or any(n.startswith(f) for f in FORBIDDEN_IMPORTS)]
    assert offenders == []


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
