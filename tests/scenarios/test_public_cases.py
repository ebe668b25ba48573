"""Every public scenario case must pass (../shared/scenarios/README.md).

The cases are read from ``../shared/scenarios`` beside the checkout when it is there (CI lays it
out so), else from the copy in ``tests/scenarios/public`` so that a fresh clone tests the same.
Comparison follows the contract's ``expect`` rules: keys must be equal, except ``reasons`` (all
must appear) and ``reasons_any`` (at least one must appear).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from clearcourse.scenarios.cli import run_case

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "scenarios"
VENDORED = Path(__file__).resolve().parent / "public"
KINDS = ("assess", "plan", "decide", "screen")


def _case_dir() -> Path:
    return SHARED if SHARED.is_dir() else VENDORED


def _cases() -> list[Any]:
    found = []
    for kind in KINDS:
        for path in sorted((_case_dir() / kind).glob("*.json")):
            found.append(pytest.param(kind, path, id=f"{kind}/{path.name}"))
    return found


def check(expect: dict[str, Any], out: dict[str, Any]) -> list[str]:
    problems = []
    codes = {r.get("code") for r in out.get("reasons", []) if isinstance(r, dict)}
    for key, want in expect.items():
        if key == "reasons":
            missing = [c for c in want if c not in codes]
            if missing:
                problems.append(f"reasons lack {missing} (got {sorted(codes)})")
        elif key == "reasons_any":
            if not codes & set(want):
                problems.append(f"reasons lack any of {want} (got {sorted(codes)})")
        elif out.get(key) != want:
            problems.append(f"{key}: want {want!r}, got {out.get(key)!r}")
    return problems


def test_the_public_cases_are_found() -> None:
    assert len(_cases()) >= 11


@pytest.mark.parametrize(("kind", "path"), _cases())
def test_public_case(kind: str, path: Path) -> None:
    case = json.loads(path.read_text())
    expect = case.pop("expect")
    out = run_case(kind, {k: v for k, v in case.items() if k not in ("name", "note")})
    assert check(expect, out) == []


def test_the_vendored_copy_matches_the_shared_cases_when_both_exist() -> None:
    if not SHARED.is_dir():
        pytest.skip("../shared/scenarios is not beside this checkout; the vendored copy is used")
    for kind in KINDS:
        shared = {p.name: json.loads(p.read_text()) for p in (SHARED / kind).glob("*.json")}
        vendored = {p.name: json.loads(p.read_text()) for p in (VENDORED / kind).glob("*.json")}
        assert set(vendored) <= set(shared), f"{kind}: vendored cases not in shared"
        for name, case in vendored.items():
            assert case == shared[name], f"{kind}/{name} differs from shared"
