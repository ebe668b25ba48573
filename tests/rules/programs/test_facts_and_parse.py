from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from program_builders import D

from clearcourse.rules.errors import InputError
from clearcourse.rules.programs.facts import (
    CONTRACEPTION_METHODS,
    Contraception,
    Decision,
    Dispense,
    Enrolled,
    History,
    MethodClass,
    Patient,
    PregnancyTest,
    Prescription,
    Reason,
)
from clearcourse.rules.programs.parse import parse_case
from clearcourse.rules.sources import BNF
from clearcourse.rules.text import Text

CASE_01 = Path(__file__).resolve().parents[2] / "scenarios" / "cases" / "decide" / "001-us26-window-day1.json"


def _case() -> dict[str, Any]:
    case: dict[str, Any] = json.loads(CASE_01.read_text(encoding="utf-8"))
    return case


def test_the_contract_method_codes_have_their_classes() -> None:
    primary = {"tubal_sterilization", "partner_vasectomy", "iud_copper", "iud_hormonal", "implant", "injection",
               "combined_pill", "patch", "vaginal_ring"}
    secondary = {"male_condom", "diaphragm", "cervical_cap", "vaginal_sponge"}
    assert {c for c, k in CONTRACEPTION_METHODS.items() if k is MethodClass.PRIMARY} == primary
    assert {c for c, k in CONTRACEPTION_METHODS.items() if k is MethodClass.SECONDARY} == secondary
    assert CONTRACEPTION_METHODS["progestin_only_pill"] is MethodClass.UNACCEPTABLE


def test_a_contraception_counts_primary_and_secondary_methods() -> None:
    c = Contraception(D(2026, 1, 1), ("implant", "male_condom", "progestin_only_pill"))
    assert (c.primary_count, c.secondary_count) == (1, 1)


@pytest.mark.parametrize(("born", "day", "age"), [
    (D(2004, 3, 1), D(2026, 2, 28), 21), (D(2004, 3, 1), D(2026, 3, 1), 22), (D(2004, 3, 1), D(2028, 2, 29), 23),
    (D(2008, 2, 29), D(2026, 2, 28), 17), (D(2008, 2, 29), D(2026, 3, 1), 18),
])
def test_age_turns_over_on_the_birthday(born: dt.date, day: dt.date, age: int) -> None:
    assert Patient(born, True).age_on(day) == age


def test_a_history_orders_events_by_date_and_puts_a_same_day_positive_test_last() -> None:
    positive = PregnancyTest(D(2026, 1, 1), "lab", "positive")
    negative = PregnancyTest(D(2026, 1, 1), "lab", "negative")
    history = History([Enrolled(D(2026, 1, 2)), positive, negative])
    assert [e.type for e in history.events] == ["pregnancy_test", "pregnancy_test", "enrolled"]
    assert history.tests[-1] is positive
    assert history.until(D(2026, 1, 1)) == (positive, negative)
    assert history.adding(Enrolled(D(2025, 1, 1))).enrolments == (D(2025, 1, 1), D(2026, 1, 2))
    assert len(history) == 3


def test_a_history_refuses_duplicate_prescription_ids() -> None:
    rx = Prescription("rx-1", D(2026, 1, 1), 30, 40.0)
    with pytest.raises(ValueError, match="duplicate"):
        History([rx, Prescription("rx-1", D(2026, 2, 1), 30, 40.0)])


def test_a_history_indexes_dispenses_by_prescription() -> None:
    history = History([Prescription("rx-1", D(2026, 1, 1), 30, 40.0), Dispense("rx-1", D(2026, 1, 3), 30)])
    assert history.dispensed_on["rx-1"] == (D(2026, 1, 3),)


def test_a_decision_renders_the_contract_json() -> None:
    decision = Decision(False, "eu-ppp-2018", (Reason("x", Text.of("y"), BNF),), None)
    assert decision.as_json() == {"allowed": False, "program": "eu-ppp-2018",
                                  "reasons": [{"code": "x", "message": "y", "source": BNF.cite()}],
                                  "valid_through": None}
    assert decision.codes == ("x",)


def test_parse_builds_the_facts_of_a_case() -> None:
    parsed = parse_case(_case())
    assert parsed.program == "us-ipledge"
    assert parsed.patient == Patient(D(2004, 3, 1), True)
    assert parsed.request is not None and parsed.request.prescription == "rx-1"
    assert parsed.history.prescriptions["rx-1"].daily_dose_mg == 40


def test_parse_accepts_abstinence_without_methods_and_drops_repeated_methods() -> None:
    case = _case()
    case["events"][3] = {"type": "contraception", "date": "2026-09-01", "abstinence": True}
    case["events"][6]["methods"] = ["implant", "implant", "male_condom"]
    history = parse_case(case).history
    assert history.contraceptions[0].abstinence
    assert history.contraceptions[1].methods == ("implant", "male_condom")


def test_parse_reads_an_unverified_home_test_and_defaults_verification_to_true() -> None:
    case = _case()
    case["events"][2].update(setting="home", verified_by_prescriber=False)
    tests = parse_case(case).history.tests
    assert (tests[0].setting, tests[0].verified_by_prescriber) == ("home", False)
    assert tests[1].verified_by_prescriber is True


def test_parse_lets_the_fhir_exporter_omit_the_request() -> None:
    case = _case()
    del case["request"]
    assert parse_case(case, require_request=False).request is None
    with pytest.raises(InputError) as err:
        parse_case(case)
    assert err.value.field == "request"


def _error(case: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(InputError) as err:
        parse_case(case)
    return err.value.field, err.value.message


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda c: c["events"][3].pop("methods"), "events[3].methods"),
    (lambda c: c["events"][3].update(methods=[1]), "events[3].methods[0]"),
    (lambda c: c["events"][3].update(abstinence="yes"), "events[3].abstinence"),
    (lambda c: c["events"][2].update(verified_by_prescriber=1), "events[2].verified_by_prescriber"),
    (lambda c: c["events"][8].update(daily_dose_mg=0), "events[8].daily_dose_mg"),
    (lambda c: c["events"][8].update(id=""), "events[8].id"),
    (lambda c: c["events"][8].update(second_prescriber_agreed="no"), "events[8].second_prescriber_agreed"),
    (lambda c: c["events"].append("enrolled"), "events[9]"),
    (lambda c: c["events"].append({"date": "2026-10-01"}), "events[9].type"),
    (lambda c: c["events"].append({"type": "enrolled"}), "events[9].date"),
    (lambda c: c["events"].append({"type": "enrolled", "date": "2026-13-01"}), "events[9].date"),
    (lambda c: c["request"].update(date="2001-01-01"), "request.date"),
    (lambda c: c["request"].update(prescription=7), "request.prescription"),
    (lambda c: c.update(patient=[]), "patient"),
    (lambda c: c.update(program=""), "program"),
])
def test_parse_names_the_field_it_rejects(mutate: Any, field: str) -> None:
    case = copy.deepcopy(_case())
    mutate(case)
    assert _error(case)[0] == field


def test_a_dispense_before_its_prescription_is_an_error() -> None:
    case = _case()
    case["events"].append({"type": "dispense", "date": "2026-10-04", "prescription": "rx-1", "days_supply": 30})
    assert _error(case) == ("events[9].date", "is before prescription 'rx-1' was written on 2026-10-05")


def test_a_dispense_may_come_before_its_prescription_in_the_list() -> None:
    case = _case()
    case["events"].insert(0, {"type": "dispense", "date": "2026-10-06", "prescription": "rx-1", "days_supply": 30})
    assert parse_case(case).history.dispensed_on["rx-1"] == (D(2026, 10, 6),)


def test_unknown_keys_are_ignored() -> None:
    case = _case()
    case["events"][0]["note"] = "enrolled at the first visit"
    case["extra"] = True
    assert parse_case(case).program == "us-ipledge"
