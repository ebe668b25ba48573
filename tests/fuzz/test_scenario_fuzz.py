"""Fuzzing the scenario commands: whatever the input, one JSON object and exit 0, or the JSON error and 2.

Never a traceback (scenario contract, ``../shared/scenarios/README.md``). In-process through
``run_scenario_command`` for speed (random bytes, random JSON, deep nesting, and every field of every
public case replaced by values of the wrong type), plus a few real subprocess runs. A ``fhir`` run that
succeeds must also give a Bundle that validates as R4.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clearcourse.interop.fhir_validate import bundle_errors
from clearcourse.scenarios.cli import SCENARIO_COMMANDS, run_scenario_command

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "scenarios"
PUBLIC = SHARED if SHARED.is_dir() else ROOT / "tests" / "scenarios" / "public"
# derandomize: CI runs the same examples every time (a failure is reproducible, never a flake).
FUZZ = settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
WRONG_VALUES: list[Any] = [None, True, 0, -1, 1.5, 10**30, float("1e308"), "", "x", "2026-02-30", [], [None], {},
                           {"a": 1}]


def _valid_cases() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for kind in ("decide", "plan", "assess", "screen"):
        for path in sorted((PUBLIC / kind).glob("*.json")):
            case = json.loads(path.read_text())
            found.append((kind, case))
            if kind == "decide":
                found.append(("fhir", case))
    return found


VALID = _valid_cases()


def _run(kind: str, text: str | bytes) -> tuple[int, str]:
    """Run one command on ``text`` written to a file; returns (status, stdout). Any exception fails."""
    fd, name = tempfile.mkstemp(suffix=".json")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            status = run_scenario_command(kind, [name])
    finally:
        os.unlink(name)
    return status, out.getvalue()


def _check(kind: str, status: int, stdout: str) -> dict[str, Any]:
    assert stdout.endswith("\n") and stdout.count("\n") == 1, stdout[:200]
    body = json.loads(stdout)
    assert isinstance(body, dict)
    if status == 2:
        assert set(body) == {"error"}
        assert isinstance(body["error"]["field"], str) and body["error"]["field"]
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    else:
        assert status == 0, (status, stdout[:200])
        assert "error" not in body
        if kind == "fhir":
            assert bundle_errors(body) == []
    return body


def test_the_valid_public_cases_are_found() -> None:
    assert {k for k, _ in VALID} == {"decide", "plan", "assess", "screen", "fhir"}


@pytest.mark.parametrize("kind", SCENARIO_COMMANDS)
@FUZZ
@given(data=st.binary(max_size=300))
def test_random_bytes_give_the_json_error(kind: str, data: bytes) -> None:
    status, stdout = _run(kind, data)
    _check(kind, status, stdout)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)


@pytest.mark.parametrize("kind", SCENARIO_COMMANDS)
@FUZZ
@given(value=JSON)
def test_random_json_gives_a_result_or_the_json_error(kind: str, value: Any) -> None:
    status, stdout = _run(kind, json.dumps(value))
    _check(kind, status, stdout)


@pytest.mark.parametrize("kind", SCENARIO_COMMANDS)
@pytest.mark.parametrize("text", ["[" * 100_000, '{"a":' * 50_000, "{}" * 3, "\ufeff{}", "1e999", '"\\ud800"', "NaN"])
def test_deep_nesting_and_odd_documents_give_the_json_error(kind: str, text: str) -> None:
    status, stdout = _run(kind, text)
    assert status == 2
    _check(kind, status, stdout)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("name", "note", "expect"):
                continue
            yield (*prefix, key)
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield (*prefix, i)
            yield from _paths(item, (*prefix, i))


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copy = list(value) if isinstance(value, list) else dict(value)
    copy[path[0]] = _replace(value[path[0]], path[1:], new)
    return copy


#: Known bugs this fuzzing found: strict xfail, so the test turns red once they are fixed and the mark
#: must go. (The plan crash on huge dispense numbers was fixed by bounding them in scenarios/plan.py.)
KNOWN_BUGS: set[tuple[str, tuple[object, ...]]] = set()


def _mutations() -> list[Any]:
    out = []
    for n, (kind, case) in enumerate(VALID):
        for path in _paths(case):
            marks = [pytest.mark.xfail(strict=True, raises=Exception, reason="plan: huge dispense numbers "
                                       "crash rules.dosing (reported)")] if (kind, path) in KNOWN_BUGS else []
            out.append(pytest.param(kind, case, path, id=f"{kind}{n}-{'.'.join(map(str, path))}", marks=marks))
    return out


@pytest.mark.parametrize(("kind", "case", "path"), _mutations())
def test_every_field_of_every_public_case_with_a_wrong_type(kind: str, case: dict[str, Any],
                                                            path: tuple[Any, ...]) -> None:
    for wrong in WRONG_VALUES:
        status, stdout = _run(kind, json.dumps(_replace(case, path, wrong)))
        _check(kind, status, stdout)


@FUZZ
@given(data=st.data())
def test_random_values_in_random_fields_of_valid_cases(data: st.DataObject) -> None:
    kind, case = data.draw(st.sampled_from(VALID))
    paths = list(_paths(case))
    path = data.draw(st.sampled_from(paths))
    status, stdout = _run(kind, json.dumps(_replace(case, path, data.draw(JSON))))
    _check(kind, status, stdout)


@pytest.mark.parametrize(("kind", "stdin"), [
    ("fhir", "[" * 200_000),
    ("decide", '{"program": "us-ipledge", "patient": {"birth_date": 7}}'),
    ("plan", "\x00\x01garbage"),
    ("fhir", json.dumps({"program": "eu-ppp", "patient": {"birth_date": "2000-01-01", "can_get_pregnant": True},
                         "events": [{"type": "prescription", "id": "a", "date": "2026-01-01", "days_supply": "30",
                                     "daily_dose_mg": 40}]})),
])
def test_a_real_process_prints_only_the_json_error_and_exits_2(kind: str, stdin: str) -> None:
    done = subprocess.run([sys.executable, "-m", "clearcourse", kind, "-"], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2, done.stdout[:300]
    assert done.stderr == ""
    assert set(json.loads(done.stdout)) == {"error"}
