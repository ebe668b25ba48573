"""``python -m clearcourse fhir``: every decide case exports a Bundle that validates as R4.

Contract (../shared/scenarios/README.md, ``fhir``): a collection Bundle with a Patient, one Observation per
pregnancy test (LOINC hCG, SNOMED CT negative/positive, effectiveDateTime = collection date), one
MedicationRequest per prescription (RxNorm 6064, expectedSupplyDuration), one MedicationDispense per
dispense; every resource validates and every reference resolves inside the bundle.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from interop_cases import ROOT, decide_cases

from clearcourse.interop import codes
from clearcourse.interop.fhir_import import bundle_to_case
from clearcourse.interop.fhir_validate import bundle_errors, resource_errors, unresolved_references
from clearcourse.scenarios.cli import run_case, run_scenario_command

CASES = [pytest.param(p, id=f"{p.parent.parent.name}/{p.name}") for p in decide_cases()]


def _case(path: Path) -> dict[str, Any]:
    case = json.loads(path.read_text())
    for key in ("name", "note", "expect"):
        case.pop(key, None)
    return case


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_public_decide_cases_are_found() -> None:
    assert len(decide_cases()) >= 8


@pytest.mark.parametrize("path", CASES)
def test_every_decide_case_exports_a_bundle_that_validates_as_r4(path: Path) -> None:
    case = _case(path)
    bundle = run_case("fhir", case)
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "collection"
    assert bundle_errors(bundle) == []
    for entry in bundle["entry"]:
        assert entry["fullUrl"] == f"urn:uuid:{entry['resource']['id']}"
        assert resource_errors(entry["resource"]) == []
    assert unresolved_references(bundle) == []

    events = case["events"]
    patients = _resources(bundle, "Patient")
    assert len(patients) == 1
    assert patients[0]["birthDate"] == case["patient"]["birth_date"]

    tests = [r for r in _resources(bundle, "Observation")
             if r["code"]["coding"][0]["system"] == codes.LOINC and r["code"]["coding"][0]["code"]
             in {c.code for c in codes.HCG_QUALITATIVE}]
    want_tests = sorted((e["date"], e["result"]) for e in events if e["type"] == "pregnancy_test")
    got_tests = sorted((t["effectiveDateTime"], {"260385009": "negative", "10828004": "positive"}[
        t["valueCodeableConcept"]["coding"][0]["code"]]) for t in tests)
    assert got_tests == want_tests
    for t in tests:
        assert t["valueCodeableConcept"]["coding"][0]["system"] == codes.SNOMED

    requests = _resources(bundle, "MedicationRequest")
    assert len(requests) == sum(e["type"] == "prescription" for e in events)
    for mr in requests:
        assert {"system": codes.RXNORM, "code": "6064", "display": "isotretinoin"} in \
            mr["medicationCodeableConcept"]["coding"]
        duration = mr["dispenseRequest"]["expectedSupplyDuration"]
        assert duration["unit"] == "days" and duration["code"] == "d" and duration["system"] == codes.UCUM
    assert len(_resources(bundle, "MedicationDispense")) == sum(e["type"] == "dispense" for e in events)


@pytest.mark.parametrize("path", CASES)
def test_the_export_is_stable_and_reads_back_to_the_same_facts(path: Path) -> None:
    case = _case(path)
    first = run_case("fhir", case)
    assert run_case("fhir", case) == first
    back = bundle_to_case(first)
    assert run_case("fhir", back) == first


@pytest.mark.parametrize("path", CASES)
def test_the_validity_period_is_the_window_the_program_gives_on_the_day_of_writing(path: Path) -> None:
    case = _case(path)
    bundle = run_case("fhir", case)
    for mr in _resources(bundle, "MedicationRequest"):
        rx_id = mr["identifier"][0]["value"]
        rx = next(e for e in case["events"] if e["type"] == "prescription" and e["id"] == rx_id)
        period = mr["dispenseRequest"]["validityPeriod"]
        assert period["start"] == rx["date"]
        decision = run_case("decide", {**case, "events": [
            e for e in case["events"] if not (e["type"] == "dispense" and e["prescription"] == rx_id)],
            "request": {"date": rx["date"], "prescription": rx_id, "days_supply": rx["days_supply"]}})
        if decision["allowed"] and decision["valid_through"]:
            assert period["end"] == decision["valid_through"]


def _cannot_get_pregnant_case(program: str) -> dict[str, Any]:
    return {"program": program, "patient": {"birth_date": "2004-03-01", "can_get_pregnant": False},
            "events": [{"type": "enrolled", "date": "2026-09-01"}, {"type": "counseling", "date": "2026-09-01"},
                       {"type": "prescription", "id": "rx-1", "date": "2026-10-05", "days_supply": 30,
                        "daily_dose_mg": 40}]}


def test_a_thirty_day_prescription_has_a_thirty_day_supply_and_the_programs_window() -> None:
    mr = _resources(run_case("fhir", _cannot_get_pregnant_case("us-ipledge-2021")), "MedicationRequest")[0]
    assert mr["dispenseRequest"]["expectedSupplyDuration"]["value"] == 30
    # 2021: a patient who cannot get pregnant has 30 days from the prescription (day 1 = written).
    assert mr["dispenseRequest"]["validityPeriod"] == {"start": "2026-10-05", "end": "2026-11-03"}


def test_a_program_with_no_window_leaves_the_validity_period_open() -> None:
    mr = _resources(run_case("fhir", _cannot_get_pregnant_case("us-ipledge-2026")), "MedicationRequest")[0]
    assert mr["dispenseRequest"]["validityPeriod"] == {"start": "2026-10-05"}


def test_a_home_test_has_the_home_method_the_patient_as_performer_and_waits_for_verification() -> None:
    case = {"program": "us-ipledge-2026", "patient": {"birth_date": "2000-01-01", "can_get_pregnant": True},
            "events": [{"type": "pregnancy_test", "date": "2026-10-01", "setting": "home", "result": "negative",
                        "verified_by_prescriber": False}]}
    bundle = run_case("fhir", case)
    obs = next(r for r in _resources(bundle, "Observation") if r["code"]["coding"][0]["system"] == codes.LOINC)
    patient_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Patient")
    assert obs["code"]["coding"][0]["code"] == "80384-1"
    assert obs["method"]["coding"][0]["code"] == "home"
    assert obs["performer"] == [{"reference": patient_url}]
    assert obs["status"] == "preliminary"
    assert obs["effectiveDateTime"] == "2026-10-01"


def test_the_request_is_optional_for_fhir() -> None:
    case = {"program": "eu-ppp", "patient": {"birth_date": "2000-01-01", "can_get_pregnant": False}, "events": []}
    assert bundle_errors(run_case("fhir", case)) == []


def test_a_bad_case_prints_the_json_error_and_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"program": "us-ipledge", "patient": {"birth_date": "2004-02-30",
                                                                    "can_get_pregnant": True}, "events": []}))
    assert run_scenario_command("fhir", [str(bad)]) == 2
    out = json.loads(capsys.readouterr().out)
    assert out == {"error": {"field": "patient.birth_date", "message": "must be a real calendar date as YYYY-MM-DD"}}


def test_the_command_line_prints_one_bundle() -> None:
    path = decide_cases()[0]
    done = subprocess.run([sys.executable, "-m", "clearcourse", "fhir", str(path)], capture_output=True, text=True,
                          cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["resourceType"] == "Bundle"
    done = subprocess.run([sys.executable, "-m", "clearcourse", "fhir", "-"], input="[1, 2", capture_output=True,
                          text=True, cwd=ROOT, timeout=60)
    assert done.returncode == 2
    assert json.loads(done.stdout)["error"]["field"] == "case"
    assert done.stderr == ""
