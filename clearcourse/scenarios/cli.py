"""The door from the command line into the scenario modules.

Reads one case (a path, or ``-`` for standard input), prints one JSON object. Any bad input, a
missing file included, prints ``{"error": {"field", "message"}}`` and exits with status 2; no
traceback ever reaches the user.
"""

from __future__ import annotations

import importlib
import json
import sys
from pathlib import Path
from typing import Any

from clearcourse.rules.errors import InputError

SCENARIO_COMMANDS = ("assess", "plan", "decide", "screen", "fhir")
IGNORED_KEYS = ("name", "note", "expect")
USAGE = "usage: python -m clearcourse {assess|plan|decide|screen|fhir} CASE.json (or - for standard input)"


def _read_case(args: list[str]) -> dict[str, Any]:
    if len(args) != 1:
        raise InputError("case", USAGE)
    source = args[0]
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError("case", f"cannot read {source}: {exc.__class__.__name__}") from None
    try:
        case = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        message = f"is not valid JSON ({exc.msg} at line {exc.lineno})" if isinstance(
            exc, json.JSONDecodeError) else "is nested too deeply"
        raise InputError("case", message) from None
    if not isinstance(case, dict):
        raise InputError("case", "must be a JSON object")
    return {k: v for k, v in case.items() if k not in IGNORED_KEYS}


def run_case(kind: str, case: dict[str, Any]) -> dict[str, Any]:
    """Run one already-parsed case; raises InputError on bad input."""
    module = importlib.import_module(f"clearcourse.scenarios.{kind}")
    result: dict[str, Any] = module.run(case)
    return result


def run_scenario_command(kind: str, args: list[str]) -> int:
    try:
        output = run_case(kind, _read_case(args))
    except InputError as exc:
        print(json.dumps(exc.as_json(), ensure_ascii=False))
        return 2
    except (RecursionError, MemoryError):
        print(json.dumps({"error": {"field": "case", "message": "is too large or nested too deeply"}}))
        return 2
    print(json.dumps(output, ensure_ascii=False, sort_keys=False))
    return 0
