"""``decide`` cases, public and our own, through the CLI door; bad input through a real subprocess.

Public cases come from ``../shared/scenarios/decide`` (or the vendored copy in ``tests/scenarios/public``);
ours are in ``tests/scenarios/cases/decide``, one per rule and boundary day, same format with ``expect``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_door import run_in_process, run_subprocess

from clearcourse.scenarios.cli import IGNORED_KEYS, run_case

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SHARED = ROOT.parent / "shared" / "scenarios" / "decide"
PUBLIC = SHARED if SHARED.is_dir() else HERE / "public" / "decide"
OURS = HERE / "cases" / "decide"
CONTRACT_CODES = {
    "not_enrolled", "unknown_prescription", "already_dispensed", "days_supply_exceeds_limit",
    "pregnancy_test_missing", "pregnancy_test_positive", "pregnancy_test_window_expired",
    "pregnancy_test_setting_not_accepted", "waiting_period", "contraception_not_confirmed",
    "contraception_lead_in_too_short", "counseling_missing", "comprehension_missing",
    "prescription_window_expired", "prescriber_not_certified", "pharmacy_not_certified",
}
OUR_CODES = {"days_supply_exceeds_prescription", "home_test_not_verified", "treatment_ended",
             "second_prescriber_missing"}


def _params(folder: Path, label: str) -> list[Any]:
    return [pytest.param(path, id=f"{label}/{path.name}") for path in sorted(folder.glob("*.json"))]


def _check(expect: dict[str, Any], out: dict[str, Any]) -> list[str]:
    problems = []
    codes = {r["code"] for r in out["reasons"]}
    for key, want in expect.items():
        if key == "reasons":
            if want == [] and codes:
                problems.append(f"reasons should be empty, got {sorted(codes)}")
            missing = [c for c in want if c not in codes]
            if missing:
                problems.append(f"reasons lack {missing} (got {sorted(codes)})")
        elif key == "reasons_any":
            if not codes & set(want):
                problems.append(f"reasons lack any of {want} (got {sorted(codes)})")
        elif out.get(key) != want:
            problems.append(f"{key}: want {want!r}, got {out.get(key)!r}")
    return problems


def test_there_are_public_and_own_cases_to_run() -> None:
    assert len(list(PUBLIC.glob("*.json"))) >= 8
    assert len(list(OURS.glob("*.json"))) >= 60


@pytest.mark.parametrize("path", _params(PUBLIC, "public") + _params(OURS, "ours"))
def test_every_decide_case_meets_its_expectation(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    out = run_case("decide", {k: v for k, v in case.items() if k not in IGNORED_KEYS})
    assert set(out) == {"allowed", "program", "reasons", "valid_through"}
    assert _check(case["expect"], out) == [], case["name"]
    # The output contract holds for every case, whatever it expects.
    assert out["allowed"] is (not out["reasons"])
    if not out["allowed"]:
        assert out["valid_through"] is None
    for reason in out["reasons"]:
        assert set(reason) == {"code", "message", "source"}
        assert reason["code"] in CONTRACT_CODES | OUR_CODES
        assert reason["message"] and reason["source"]


def _run_cli(args: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The door in this process (cli_door); the real subprocess is started by the tests that say so."""
    return run_in_process(["decide", *args], stdin)


def _good_case() -> dict[str, Any]:
    return json.loads((PUBLIC / "01.json").read_text(encoding="utf-8"))


def test_the_cli_prints_the_decision_and_exits_0() -> None:
    done = run_subprocess(["decide", "-"], json.dumps(_good_case()))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"allowed": True, "program": "us-ipledge-2026", "reasons": [],
                                       "valid_through": "2026-10-11"}


def _broken(path: list[Any], value: Any) -> dict[str, Any]:
    case = _good_case()
    target: Any = case
    for step in path[:-1]:
        target = target[step]
    if value is _DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return case


_DELETE = object()
BAD_INPUTS = [
    pytest.param(["program"], "us-fda", "program", id="unknown-program"),
    pytest.param(["program"], _DELETE, "program", id="missing-program"),
    pytest.param(["patient", "birth_date"], "2004-02-30", "patient.birth_date", id="impossible-date"),
    pytest.param(["patient", "can_get_pregnant"], "yes", "patient.can_get_pregnant", id="not-a-bool"),
    pytest.param(["events", 3, "type"], "urine_test", "events[3].type", id="unknown-event-type"),
    pytest.param(["events", 3, "methods", 1], "spermicide", "events[3].methods[1]", id="unknown-method"),
    pytest.param(["events", 2, "setting"], "pharmacy", "events[2].setting", id="unknown-setting"),
    pytest.param(["events", 2, "result"], "unclear", "events[2].result", id="unknown-result"),
    pytest.param(["events", 0, "date"], "1990-01-01", "events[0].date", id="event-before-birth"),
    pytest.param(["events", 8, "days_supply"], "30", "events[8].days_supply", id="days-not-a-number"),
    pytest.param(["events", 7, "passed"], _DELETE, "events[7].passed", id="missing-passed"),
    pytest.param(["events"], {"type": "enrolled"}, "events", id="events-not-a-list"),
    pytest.param(["request", "date"], "2026/10/07", "request.date", id="request-date-format"),
    pytest.param(["request", "days_supply"], 0, "request.days_supply", id="zero-days"),
    pytest.param(["request"], _DELETE, "request", id="missing-request"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_INPUTS)
def test_bad_input_exits_2_with_a_json_error_naming_the_field(path: list[Any], value: Any, field: str) -> None:
    done = _run_cli(["-"], json.dumps(_broken(path, value)))
    assert done.returncode == 2
    assert "Traceback" not in done.stdout + done.stderr
    error = json.loads(done.stdout)["error"]
    assert error["field"] == field
    assert error["message"]


def test_a_duplicate_prescription_id_is_an_error_on_the_second_one() -> None:
    case = _good_case()
    case["events"].append(dict(case["events"][8], date="2026-10-06"))
    done = _run_cli(["-"], json.dumps(case))
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]["field"] == "events[9].id"


def test_a_dispense_of_an_unknown_prescription_is_a_field_error() -> None:
    case = _good_case()
    case["events"].append({"type": "dispense", "date": "2026-10-06", "prescription": "rx-404", "days_supply": 30})
    done = _run_cli(["-"], json.dumps(case))
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]["field"] == "events[9].prescription"


def test_a_family_before_its_first_version_is_an_error_not_a_guess() -> None:
    case = _good_case()
    case["program"] = "uk-mhra"
    case["request"]["date"] = "2023-10-30"
    for event in case["events"]:
        event["date"] = "2023-10-01"
    done = _run_cli(["-"], json.dumps(case))
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]["field"] == "program"


@pytest.mark.parametrize("text", ["{not json", "[]", ""])
def test_unreadable_json_exits_2_without_a_traceback(text: str) -> None:
    done = _run_cli(["-"], text)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["error"]["field"] == "case"


def test_a_missing_file_exits_2_without_a_traceback(tmp_path: Path) -> None:
    done = _run_cli([str(tmp_path / "nope.json")])
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert json.loads(done.stdout)["error"]["field"] == "case"
