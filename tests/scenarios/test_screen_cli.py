"""The ``screen`` scenario contract: every public and project case, and the CLI's handling of bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cli_door import run_in_process, run_subprocess

from clearcourse.rules.errors import InputError
from clearcourse.scenarios.cli import IGNORED_KEYS, run_case

ROOT = Path(__file__).resolve().parents[2]
SHARED_DIR = ROOT.parent / "shared" / "scenarios" / "screen"
# A clone outside the project folder has no ../shared: use the copy of the public cases in the repository.
PUBLIC_DIR = SHARED_DIR if SHARED_DIR.is_dir() else ROOT / "tests" / "scenarios" / "public" / "screen"
OWN_DIR = Path(__file__).resolve().parent / "cases" / "screen"


def _case_files() -> list[Path]:
    return sorted(PUBLIC_DIR.glob("*.json")) + sorted(OWN_DIR.glob("*.json"))


def _mismatches(expect: dict[str, Any], output: dict[str, Any]) -> list[str]:
    """The comparison the contract defines (``reasons`` and ``reasons_any`` as code sets)."""
    codes = {r.get("code") for r in output.get("reasons", []) if isinstance(r, dict)}
    bad = []
    for key, want in expect.items():
        if key == "reasons":
            if not set(want) <= codes:
                bad.append(f"reasons lack {sorted(set(want) - codes)}")
        elif key == "reasons_any":
            if not codes & set(want):
                bad.append(f"reasons lack any of {want}")
        elif output.get(key) != want:
            bad.append(f"{key}: want {want!r}, got {output.get(key)!r}")
    return bad


def test_both_case_folders_hold_cases() -> None:
    # Guards the parametrised test below against passing vacuously when a folder moves.
    assert list(PUBLIC_DIR.glob("*.json")), f"no public cases in {PUBLIC_DIR}"
    assert len(list(OWN_DIR.glob("*.json"))) >= 15


@pytest.mark.parametrize("path", _case_files(), ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_every_screen_case_gives_its_expected_output(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    expect = case["expect"]
    output = run_case("screen", {k: v for k, v in case.items() if k not in IGNORED_KEYS})
    assert _mismatches(expect, output) == []


def test_the_output_holds_every_contract_key_with_its_type() -> None:
    output = run_case("screen", {"instrument": "phq9", "answers": [0, 1, 2, 0, 1, 0, 0, 1, 0]})
    assert output["score"] == 5
    assert output["band"] == "mild"
    assert output["urgent"] is False
    assert output["item9_positive"] is False
    assert output["loinc"] == "44261-6"
    json.dumps(output)  # plain JSON all the way down


def test_name_note_and_expect_are_ignored_by_the_command(tmp_path: Path) -> None:
    path = tmp_path / "case.json"
    path.write_text(json.dumps({"name": "x", "note": "y", "expect": {"score": 99},
                                "instrument": "phq2", "answers": [1, 2]}))
    out = _cli(str(path))
    assert out.returncode == 0
    assert json.loads(out.stdout)["score"] == 3


@pytest.mark.parametrize(("case", "field"), [
    ({"instrument": "phq9", "answers": [0, 0, 0, 4, 0, 0, 0, 0, 0]}, "answers[3]"),
    ({"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, -1]}, "answers[8]"),
    ({"instrument": "phq9", "answers": [0, 1.5, 0, 0, 0, 0, 0, 0, 0]}, "answers[1]"),
    ({"instrument": "phq9", "answers": [0, 0, "2", 0, 0, 0, 0, 0, 0]}, "answers[2]"),
    ({"instrument": "phq9", "answers": [True, 0, 0, 0, 0, 0, 0, 0, 0]}, "answers[0]"),
    ({"instrument": "phq9", "answers": [0, 0, 0, 0, None, 0, 0, 0, 0]}, "answers[4]"),
    ({"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0]}, "answers"),
    ({"instrument": "phq9", "answers": [0] * 10}, "answers"),
    ({"instrument": "phq2", "answers": [0, 0, 0]}, "answers"),
    ({"instrument": "phq2", "answers": []}, "answers"),
    ({"instrument": "phq9", "answers": "000000000"}, "answers"),
    ({"instrument": "phq9"}, "answers"),
    ({"answers": [0, 0]}, "instrument"),
    ({"instrument": "gad7", "answers": [0] * 7}, "instrument"),
    ({"instrument": "PHQ9", "answers": [0] * 9}, "instrument"),
    ({"instrument": 9, "answers": [0] * 9}, "instrument"),
])
def test_bad_input_is_refused_with_the_field_that_is_wrong(case: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as caught:
        run_case("screen", case)
    assert caught.value.field == field


def _cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The door in this process (cli_door); the missing-file test starts the real command."""
    return run_in_process(["screen", *args], stdin)


@pytest.mark.parametrize(("stdin", "field"), [
    ('{"instrument": "phq9", "answers": [0, 0, 0, 4, 0, 0, 0, 0, 0]}', "answers[3]"),
    ('{"instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, -1]}', "answers[8]"),
    ('{"instrument": "phq9", "answers": [0, 0.5, 0, 0, 0, 0, 0, 0, 0]}', "answers[1]"),
    ('{"instrument": "phq9", "answers": [0, 0, 0]}', "answers"),
    ('{"instrument": "bdi", "answers": [0, 0]}', "instrument"),
    ('{"instrument": "phq2", "answers": [0, 0]', "case"),
    ("[1, 2]", "case"),
])
def test_the_cli_answers_bad_input_with_a_json_error_and_status_2(stdin: str, field: str) -> None:
    out = _cli("-", stdin=stdin)
    assert out.returncode == 2
    assert "Traceback" not in out.stdout + out.stderr
    error = json.loads(out.stdout)["error"]
    assert error["field"] == field
    assert isinstance(error["message"], str) and error["message"]


def test_the_cli_reports_a_missing_file_without_a_traceback(tmp_path: Path) -> None:
    out = run_subprocess(["screen", str(tmp_path / "nope.json")])
    assert out.returncode == 2
    assert "Traceback" not in out.stdout + out.stderr
    assert json.loads(out.stdout)["error"]["field"] == "case"


def test_the_cli_scores_a_public_case_from_a_path() -> None:
    path = sorted(PUBLIC_DIR.glob("*.json"))[0]
    out = _cli(str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    expect = json.loads(path.read_text(encoding="utf-8"))["expect"]
    assert _mismatches(expect, json.loads(out.stdout)) == []
