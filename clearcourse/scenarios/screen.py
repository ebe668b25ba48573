"""``python -m clearcourse screen``: score a PHQ-9 or PHQ-2 (scenario contract, section ``screen``).

Input ``{"instrument": "phq9" | "phq2" | "phq9_teen", "answers": [0-3, ...]}``. Output ``score``,
``band``, ``urgent`` and, beyond the contract, ``item9_positive`` (null for the PHQ-2),
``recommend_phq9``, ``loinc``, ``alert`` and ``sources``. All the scoring is in
:mod:`clearcourse.rules.mood`; this module only reads and writes JSON.
"""

from __future__ import annotations

from typing import Any

from clearcourse.rules import mood
from clearcourse.rules.errors import InputError
from clearcourse.rules.parsing import as_int, as_list, get

INSTRUMENT_MESSAGE = "must be one of " + ", ".join(i.value for i in mood.Instrument)


def _instrument(value: Any) -> mood.Instrument:
    if not isinstance(value, str):
        raise InputError("instrument", INSTRUMENT_MESSAGE)
    try:
        return mood.Instrument(value)
    except ValueError:
        raise InputError("instrument", INSTRUMENT_MESSAGE) from None


def run(case: dict[str, Any]) -> dict[str, Any]:
    instrument = _instrument(get(case, "instrument"))
    spec = mood.INSTRUMENTS[instrument]
    answers = as_list(get(case, "answers"), "answers")
    if len(answers) != spec.item_count:
        raise InputError("answers", f"must hold {spec.item_count} answers for {spec.title}, not {len(answers)}")
    values = [as_int(a, f"answers[{i}]", minimum=0, maximum=mood.MAX_ANSWER) for i, a in enumerate(answers)]
    try:
        result = mood.score(instrument, values)
    except mood.MoodInputError as exc:  # the checks above should make this unreachable
        raise InputError(exc.field, exc.message) from None
    alert = result.alert
    return {
        "instrument": result.instrument.value,
        "score": result.score,
        "band": result.band.value,
        "urgent": result.urgent,
        "item9_positive": result.item9_positive,
        "recommend_phq9": result.recommend_phq9,
        "loinc": result.loinc_total,
        "alert": None if alert is None else {
            "code": alert.code,
            "severity": alert.severity.value,
            "message": alert.message,
        },
        "sources": [{"key": s.key, "title": s.cite(), "url": s.url, "kind": s.kind.value} for s in result.sources],
    }
