"""``python -m clearcourse assess CASE.json``: severity, eligibility, contraindications.

Input keys (all optional, but at least one of ``gags`` and ``iga`` is required):
``gags`` (all six regions, each 0-4), ``iga`` (0-4), ``iga_baseline`` (0-4, adds ``iga_success``),
``scarring``, ``psychosocial_burden``, ``pregnant``, ``breastfeeding`` (booleans; null = false),
``failed_therapies`` (enumerated codes, see :mod:`clearcourse.rules.eligibility`), ``medications``
and ``allergies`` (free text), ``conditions`` or ``history`` (enumerated condition codes), ``program``
(a program family or version, as in ``decide``: the contraindications are then those of its region, the
US label or the EU/UK SmPC; without it, the strictest reading of the two). Other keys are ignored and
listed in ``ignored_keys``.

The rules live in :mod:`clearcourse.rules.severity` and :mod:`clearcourse.rules.eligibility`; this
module only reads and writes JSON.
"""

from __future__ import annotations

from typing import Any

from clearcourse.rules import eligibility as elig
from clearcourse.rules import severity as sev
from clearcourse.rules.errors import InputError
from clearcourse.rules.parsing import as_bool, as_int, as_list, as_str, require_mapping
from clearcourse.rules.programs.registry import BY_ID, FAMILIES

KNOWN_KEYS = frozenset({"gags", "iga", "iga_baseline", "scarring", "psychosocial_burden", "pregnant",
                        "breastfeeding", "failed_therapies", "medications", "allergies", "conditions",
                        "history", "program"})
NEED_A_SCALE = "give gags or iga: at least one severity scale is required"
MAX_LIST = 200


def _gags(case: dict[str, Any]) -> sev.GagsResult | None:
    raw = case.get("gags")
    if raw is None:
        return None
    grades = require_mapping(raw, "gags")
    for key in grades:
        if key not in sev.GAGS_REGION_CODES:
            raise InputError(f"gags.{key}", f"is not a GAGS region (one of {', '.join(sev.GAGS_REGION_CODES)})")
    checked: dict[str, int] = {}
    for code in sev.GAGS_REGION_CODES:
        if code not in grades:
            raise InputError(f"gags.{code}", "is required (grade every region; 0 for no lesions)")
        checked[code] = as_int(grades[code], f"gags.{code}", minimum=0, maximum=sev.GAGS_GRADE_MAX)
    return sev.gags_score(checked)


def _iga(case: dict[str, Any], key: str) -> int | None:
    raw = case.get(key)
    return None if raw is None else as_int(raw, key, minimum=0, maximum=sev.IGA_MAX)


def _flag(case: dict[str, Any], key: str) -> bool:
    raw = case.get(key)
    return False if raw is None else as_bool(raw, key)


def _texts(case: dict[str, Any], key: str) -> list[str]:
    raw = case.get(key)
    if raw is None:
        return []
    items = as_list(raw, key)
    if len(items) > MAX_LIST:
        raise InputError(key, f"must hold at most {MAX_LIST} entries")
    return [as_str(item, f"{key}[{i}]") for i, item in enumerate(items)]


def _conditions(case: dict[str, Any]) -> list[str]:
    # ``history`` is accepted as another name for ``conditions``; each keeps its own field paths.
    entries: list[str] = []
    for key in ("conditions", "history"):
        for index, entry in enumerate(_texts(case, key)):
            try:
                elig.normalise_condition(entry, index)
            except elig.UnknownCodeError:
                raise InputError(f"{key}[{index}]", f"{entry!r} is not a known condition code") from None
            entries.append(entry)
    return entries


def _failed_therapies(case: dict[str, Any]) -> list[str]:
    entries = _texts(case, "failed_therapies")
    for index, entry in enumerate(entries):
        try:
            elig.normalise_therapy(entry, index)
        except elig.UnknownCodeError:
            raise InputError(f"failed_therapies[{index}]", f"{entry!r} is not a known therapy code") from None
    return entries


def _region(case: dict[str, Any]) -> str | None:
    raw = case.get("program")
    if raw is None:
        return None
    program = as_str(raw, "program")
    if program not in FAMILIES and program not in BY_ID:
        raise InputError("program", f"{program!r} is not a program; use a family ({', '.join(FAMILIES)}) "
                                    f"or a version ({', '.join(BY_ID)})")
    return elig.region_of(program)


def _contraindication_json(item: elig.Contraindication) -> dict[str, Any]:
    return {"code": item.code, "severity": item.severity, "message": item.message,
            "source": item.sources[0].cite(), "sources": [s.cite() for s in item.sources],
            "matched": list(item.matched)}


def run(case: dict[str, Any]) -> dict[str, Any]:
    gags = _gags(case)
    iga = _iga(case, "iga")
    if gags is None and iga is None:
        raise InputError("gags", NEED_A_SCALE)
    baseline = _iga(case, "iga_baseline")
    eligibility = elig.assess_eligibility(
        iga=iga, gags=gags, scarring=_flag(case, "scarring"),
        psychosocial_burden=_flag(case, "psychosocial_burden"), failed_therapies=_failed_therapies(case))
    found = elig.find_contraindications(
        pregnant=_flag(case, "pregnant"), breastfeeding=_flag(case, "breastfeeding"),
        medications=_texts(case, "medications"), allergies=_texts(case, "allergies"),
        conditions=_conditions(case), region=_region(case))
    iga_grade = sev.iga_grade(iga) if iga is not None else None
    return {
        "gags_score": gags.score if gags else None,
        "gags_band": gags.band.code if gags else None,
        "iga_label": iga_grade.label if iga_grade else None,
        "eligible": eligibility.eligible,
        "indications": list(eligibility.indication_codes),
        "contraindications": [_contraindication_json(item) for item in found],
        # Extras beyond the contract, for people reading the output.
        "iga": iga,
        "iga_code": iga_grade.code if iga_grade else None,
        "iga_success": sev.iga_success(baseline, iga) if baseline is not None and iga is not None else None,
        "gags_band_label": gags.band.label if gags else None,
        "gags_local_scores": {s.region.code: s.score for s in gags.local_scores} if gags else None,
        "absolute_contraindication": elig.has_absolute(found),
        # The region whose documents listed the contraindications (null: the strictest of both).
        "region": _region(case),
        "contraindication_severities": {item.code: item.severity for item in found},
        "indication_details": [{"code": i.code, "reason": i.reason, "sources": [s.cite() for s in i.sources]}
                               for i in eligibility.indications],
        "label_notes": [{"code": n.code, "text": n.text, "source": n.source.cite()}
                        for n in eligibility.label_notes],
        "ignored_keys": sorted(set(case) - KNOWN_KEYS),
    }
