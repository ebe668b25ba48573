"""``python -m clearcourse decide CASE.json``: may a pharmacy dispense now?

A thin door: parse the case into program facts, ask the rules core, print its decision.
"""

from __future__ import annotations

from typing import Any

from clearcourse.rules.errors import InputError
from clearcourse.rules.programs import ProgramNotFound, decide
from clearcourse.rules.programs.parse import parse_case


def run(case: dict[str, Any]) -> dict[str, Any]:
    parsed = parse_case(case)
    assert parsed.request is not None  # noqa: S101 - parse_case requires the request by default
    try:
        decision = decide(parsed.program, parsed.patient, parsed.history, parsed.request, parsed.participants)
    except ProgramNotFound as exc:
        raise InputError("program", str(exc)) from None
    return decision.as_json()
