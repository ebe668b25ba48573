"""The ``assess`` and ``plan`` commands through the real CLI, as a subprocess.

Runs every public case in ``../shared/scenarios/{assess,plan}`` and every case of ours in
``tests/scenarios/cases/{assess,plan}`` against its ``expect``, then feeds bad input and checks
for exit status 2, a JSON error naming the field, and never a traceback.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_door import run_in_process, run_subprocess

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "scenarios"
OURS = Path(__file__).resolve().parent / "cases"
KINDS = ("assess", "plan")


def run_cli(kind: str, case: Any, *, raw: str | None = None) -> subprocess.CompletedProcess[str]:
    """The command's door in this process (cli_door); ``test_the_real_command_*`` starts the real one."""
    text = raw if raw is not None else json.dumps(case)
    return run_in_process([kind, "-"], text)


@pytest.mark.parametrize("kind", KINDS)
def test_the_real_command_answers_a_good_case_and_refuses_a_bad_one_without_a_traceback(kind: str) -> None:
    good = PLAN_OK if kind == "plan" else ASSESS_OK
    done = run_subprocess([kind, "-"], json.dumps(good))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == json.loads(run_cli(kind, good).stdout)
    bad = run_subprocess([kind, "-"], json.dumps({**good, "weight_kg": -1, "iga": 9}))
    assert bad.returncode == 2 and "Traceback" not in bad.stdout + bad.stderr
    assert json.loads(bad.stdout)["error"]["field"] in {"weight_kg", "iga"}


def matches(expect: dict[str, Any], out: dict[str, Any]) -> list[str]:
    """The contract's comparison: every expected key equal (``reasons`` lists are subsets)."""
    return [f"{key}: want {value!r}, got {out.get(key)!r}" for key, value in expect.items()
            if out.get(key) != value]


def case_files(base: Path) -> list[Path]:
    return sorted(path for kind in KINDS for path in (base / kind).glob("*.json"))


def test_the_public_cases_are_present() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"public scenarios not found at {SHARED}")
    assert case_files(SHARED), "expected at least one public assess/plan case"


@pytest.mark.parametrize("path", case_files(SHARED) + case_files(OURS), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_each_case_gives_its_expected_output(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    result = run_cli(path.parent.name, case)
    assert result.returncode == 0, result.stdout + result.stderr
    assert matches(case["expect"], json.loads(result.stdout)) == []


def test_our_cases_cover_the_boundaries_we_promised() -> None:
    names = {p.stem for p in case_files(OURS)}
    assert len([n for n in names if "gags" in n]) >= 6
    assert {"10-tie-goes-lower", "11-absorica-ld", "12-per-period-weight", "14-all-days-missed"} <= names


PLAN_OK: dict[str, Any] = {
    "weight_kg": 70, "daily_mg_per_kg": 0.5, "target_mg_per_kg": 120, "strengths_mg": [10, 20, 30, 40],
    "as_of": "2026-11-01",
    "dispenses": [{"date": "2026-09-01", "daily_dose_mg": 30, "days_supply": 30, "days_missed": 2}],
}
ASSESS_OK: dict[str, Any] = {
    "gags": {"forehead": 3, "right_cheek": 4, "left_cheek": 3, "nose": 1, "chin": 2, "chest_upper_back": 3},
    "iga": 4,
}


def with_change(base: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A deep copy of ``base`` with one key (``a.b`` or ``a.0.b``) set, or removed when value is ...."""
    case = json.loads(json.dumps(base))
    *parents, last = path.split(".")
    target: Any = case
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is ...:
        del target[last]
    else:
        target[int(last) if last.isdigit() else last] = value
    return case


BAD_PLANS = [
    ("weight_kg", 0, "weight_kg"), ("weight_kg", -70, "weight_kg"), ("weight_kg", 351, "weight_kg"),
    ("weight_kg", "70", "weight_kg"), ("weight_kg", True, "weight_kg"), ("weight_kg", ..., "weight_kg"),
    ("weight_kg", 10**40, "weight_kg"),
    ("strengths_mg", [], "strengths_mg"), ("strengths_mg", [10, 0], "strengths_mg[1]"),
    ("strengths_mg", [10, -20], "strengths_mg[1]"), ("strengths_mg", "10", "strengths_mg"),
    ("strengths_mg", [8, 10], "strengths_mg"),
    ("daily_mg_per_kg", 3, "daily_mg_per_kg"), ("daily_mg_per_kg", 0, "daily_mg_per_kg"),
    ("target_mg_per_kg", 0, "target_mg_per_kg"), ("target_mg_per_kg", 1e300, "target_mg_per_kg"),
    ("as_of", "2026-02-30", "as_of"), ("as_of", "2026-2-3", "as_of"), ("as_of", ..., "as_of"),
    ("product", "generic", "product"),
    ("dispenses", {}, "dispenses"), ("dispenses.0", [], "dispenses[0]"),
    ("dispenses.0.date", "2026-13-01", "dispenses[0].date"),
    ("dispenses.0.date", "2026-11-02", "dispenses[0].date"),
    ("dispenses.0.days_missed", 31, "dispenses[0].days_missed"),
    ("dispenses.0.days_missed", -1, "dispenses[0].days_missed"),
    ("dispenses.0.days_supply", 0, "dispenses[0].days_supply"),
    ("dispenses.0.days_supply", 2.5, "dispenses[0].days_supply"),
    ("dispenses.0.daily_dose_mg", 0, "dispenses[0].daily_dose_mg"),
    ("dispenses.0.daily_dose_mg", ..., "dispenses[0].daily_dose_mg"),
    ("dispenses.0.weight_kg", 0, "dispenses[0].weight_kg"),
]
BAD_ASSESSMENTS = [
    ("iga", 5, "iga"), ("iga", -1, "iga"), ("iga", "4", "iga"), ("gags.nose", ..., "gags.nose"),
    ("gags.back", 2, "gags.back"), ("gags.forehead", 5, "gags.forehead"), ("gags.chin", 1.5, "gags.chin"),
    ("gags", [1, 2], "gags"), ("failed_therapies", ["aspirin"], "failed_therapies[0]"),
    ("conditions", ["diabetes", "broken_leg"], "conditions[1]"), ("pregnant", "yes", "pregnant"),
    ("medications", "doxycycline", "medications"), ("allergies", [1], "allergies[0]"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_PLANS, ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD_PLANS])
def test_bad_plan_input_exits_2_with_a_json_error_naming_the_field(path: str, value: Any, field: str) -> None:
    assert_refused("plan", with_change(PLAN_OK, path, value), field)


@pytest.mark.parametrize(("path", "value", "field"), BAD_ASSESSMENTS,
                         ids=[f"{p}={v!r}"[:60] for p, v, _ in BAD_ASSESSMENTS])
def test_bad_assess_input_exits_2_with_a_json_error_naming_the_field(path: str, value: Any, field: str) -> None:
    assert_refused("assess", with_change(ASSESS_OK, path, value), field)


def test_assess_without_any_severity_scale_is_refused() -> None:
    assert_refused("assess", {"scarring": True}, "gags")


def test_a_dose_outside_the_range_is_accepted_with_a_stated_reason() -> None:
    result = run_cli("plan", {**PLAN_OK, "daily_mg_per_kg": 2.5, "dose_reason": "very severe truncal acne"})
    assert result.returncode == 0, result.stdout
    out = json.loads(result.stdout)
    assert (out["dose_in_range"], out["dose_reason"]) == (False, "very severe truncal acne")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("raw", ["not json", "[1, 2]", "", "{" * 100000])
def test_a_case_that_is_not_a_json_object_is_refused(kind: str, raw: str) -> None:
    result = run_cli(kind, None, raw=raw)
    assert result.returncode == 2
    assert json.loads(result.stdout)["error"]["field"] == "case"
    assert "Traceback" not in result.stderr


def assert_refused(kind: str, case: dict[str, Any], field: str) -> None:
    result = run_cli(kind, case)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 2, result.stdout
    error = json.loads(result.stdout)["error"]
    assert error["field"] == field
    assert isinstance(error["message"], str) and error["message"]


def test_plan_refuses_an_implausible_cumulative_target() -> None:
    from clearcourse.rules.errors import InputError
    from clearcourse.scenarios.cli import run_case

    case = {"weight_kg": 70, "daily_mg_per_kg": 0.5, "target_mg_per_kg": 100000, "as_of": "2026-11-01"}
    with pytest.raises(InputError) as exc:
        run_case("plan", case)
    assert exc.value.field == "target_mg_per_kg"
