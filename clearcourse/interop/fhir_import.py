"""Read FHIR R4 JSON: lab Observations to import, and a ClearCourse bundle back into a ``decide`` case.

Lab results (:func:`read_observations`) come as one Observation or a Bundle of any type whose
entries hold Observations (other resources, such as the Patient, are read for the patient's identity
only). Each Observation must:

- validate as R4 (:mod:`clearcourse.interop.fhir_validate`);
- have status ``final``, ``amended`` or ``corrected`` (a preliminary result is not a result yet);
- carry a LOINC code ClearCourse imports (see ``codes.LAB_CODES`` and ``codes.HCG_QUALITATIVE``);
- have ``effectiveDateTime`` (or ``effectivePeriod.start``): the collection date is its date part;
- have ``valueQuantity`` for a numeric test (``referenceRange[0].high`` is the lab's ULN), or for a
  pregnancy test ``valueCodeableConcept`` with SNOMED CT 260385009 (negative) / 10828004 (positive);
- name its patient: ``subject`` refers to a Patient in the same bundle (``fullUrl``) or contained in
  the Observation (``#id``), and that Patient has an ``identifier`` (the clinic's record number) and a
  ``birthDate``. Both must match, as in the CSV import; a lab result is never filed on a name alone.

A problem is reported as ``entry N`` (the position in the bundle, from 1).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

from clearcourse.core import numbers
from clearcourse.interop import codes
from clearcourse.interop.csv_import import (
    FIELD_ASCII_DIGITS,
    FIELD_NOT_NUMBER,
    FIELD_TOO_MANY_DIGITS,
    NUMERIC_LOINC,
    QUALITATIVE_LOINC,
    parse_date,
)
from clearcourse.interop.fhir_validate import resource_errors
from clearcourse.interop.rows import MAX_BYTES, MAX_ROWS, LabRow, ParsedFile, RowProblem

NOT_JSON = "The file is not JSON ({error})."
NOT_FHIR = "The file is neither a FHIR Observation nor a Bundle."
TOO_LARGE = f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it."
TOO_MANY = f"The bundle holds more than {MAX_ROWS} Observations; split it."
NO_OBSERVATIONS = "The bundle holds no Observation."
INVALID_R4 = "is not a valid FHIR R4 Observation: {detail}"
NOT_FINAL = "has status {status}; only final, amended or corrected results are imported"
NO_LOINC = "has no LOINC code ClearCourse imports (lipids, ALT, AST, hCG)"
NO_DATE = "has no effectiveDateTime (the collection date)"
BAD_DATE = "has an effectiveDateTime that is not a date"
NO_QUANTITY = "needs valueQuantity with a value and a unit"
NO_RESULT = "needs valueCodeableConcept SNOMED CT 260385009 (negative) or 10828004 (positive)"
HOME_TEST = ("is a home pregnancy test; home tests are recorded by the patient with a photo and checked by "
             "the prescriber, not imported")
NO_PATIENT = ("must name its patient: subject refers to a Patient in the bundle or contained in the "
              "Observation, with an identifier (record number) and a birthDate")

_IMPORTED_STATUSES = ("final", "amended", "corrected")
_RESULT_BY_SNOMED = {codes.SCT_NEGATIVE.code: "negative", codes.SCT_POSITIVE.code: "positive"}


def read_json(data: bytes) -> tuple[Any, str]:
    """The decoded JSON, or a file error."""
    if len(data) > MAX_BYTES:
        return None, TOO_LARGE
    try:
        return json.loads(data.decode("utf-8-sig")), ""
    except UnicodeDecodeError:
        return None, NOT_JSON.format(error="not UTF-8 text")
    except json.JSONDecodeError as exc:
        return None, NOT_JSON.format(error=f"{exc.msg} at line {exc.lineno}")
    except RecursionError:
        return None, NOT_JSON.format(error="nested too deeply")


def read_observations(data: bytes) -> ParsedFile:
    parsed = ParsedFile()
    doc, error = read_json(data)
    if error:
        parsed.file_error = error
        return parsed
    if not isinstance(doc, dict) or doc.get("resourceType") not in ("Bundle", "Observation"):
        parsed.file_error = NOT_FHIR
        return parsed
    if doc["resourceType"] == "Observation":
        _read_observation(parsed, doc, 1, {})
        return parsed
    entries = doc.get("entry")
    if not isinstance(entries, list):
        parsed.file_error = NO_OBSERVATIONS
        return parsed
    by_url: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if isinstance(entry, dict) and isinstance(entry.get("fullUrl"), str) and isinstance(entry.get("resource"), dict):
            by_url[entry["fullUrl"]] = entry["resource"]
            res = entry["resource"]
            if isinstance(res.get("resourceType"), str) and isinstance(res.get("id"), str):
                by_url.setdefault(f"{res['resourceType']}/{res['id']}", res)
    observations = [(i, e["resource"]) for i, e in enumerate(entries, start=1)
                    if isinstance(e, dict) and isinstance(e.get("resource"), dict)
                    and e["resource"].get("resourceType") == "Observation"]
    if not observations:
        parsed.file_error = NO_OBSERVATIONS
        return parsed
    if len(observations) > MAX_ROWS:
        parsed.file_error = TOO_MANY
        return parsed
    for i, resource in observations:
        if _is_lab(resource) or not _is_clearcourse_local(resource):
            _read_observation(parsed, resource, i, by_url)
    return parsed


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [c for c in concept["coding"] if isinstance(c, dict)]


def _loinc(resource: dict[str, Any]) -> str | None:
    for c in _codings(resource.get("code")):
        if c.get("system") == codes.LOINC and c.get("code") in NUMERIC_LOINC | QUALITATIVE_LOINC:
            return str(c["code"])
    return None


def _is_lab(resource: dict[str, Any]) -> bool:
    return _loinc(resource) is not None


def _is_clearcourse_local(resource: dict[str, Any]) -> bool:
    """ClearCourse's own non-lab Observations (risk category, contraception, PHQ totals, weight) in an
    export are skipped, so an exported course bundle can be imported for its lab results."""
    if any(c.get("system", "").startswith(codes.LOCAL) for c in _codings(resource.get("code"))):
        return True
    ours = {codes.BODY_WEIGHT.code, *(c.code for c in codes.PHQ_TOTALS.values())}
    return any(c.get("system") == codes.LOINC and c.get("code") in ours for c in _codings(resource.get("code")))


def _patient_for(resource: dict[str, Any], by_url: dict[str, dict[str, Any]]) -> tuple[str, dt.date] | None:
    subject = resource.get("subject")
    ref = subject.get("reference") if isinstance(subject, dict) else None
    if not isinstance(ref, str):
        return None
    patient: Any = None
    if ref.startswith("#"):
        contained = resource.get("contained")
        if isinstance(contained, list):
            patient = next((c for c in contained if isinstance(c, dict) and c.get("id") == ref[1:]), None)
    else:
        patient = by_url.get(ref)
    if not isinstance(patient, dict) or patient.get("resourceType") != "Patient":
        return None
    identifiers = patient.get("identifier")
    number = next((i.get("value") for i in identifiers if isinstance(i, dict) and isinstance(i.get("value"), str)
                   and i["value"].strip()), None) if isinstance(identifiers, list) else None
    born = parse_date(patient["birthDate"]) if isinstance(patient.get("birthDate"), str) else None
    if number is None or born is None:
        return None
    return number.strip(), born


def _collected_on(resource: dict[str, Any]) -> tuple[dt.date | None, str]:
    when = resource.get("effectiveDateTime")
    if when is None and isinstance(resource.get("effectivePeriod"), dict):
        when = resource["effectivePeriod"].get("start")
    if when is None:
        return None, NO_DATE
    # The date part as the lab wrote it: the collection day where the specimen was taken.
    day = parse_date(when[:10]) if isinstance(when, str) else None
    return (day, "") if day is not None else (None, BAD_DATE)


def _number(raw: Any, field: str, bad: Callable[[str, str], None]) -> str | None:
    """A FHIR decimal as plain text, or None after reporting why it is not one (JSON allows 1e999, which
    Python reads as infinity, and a reader may send NaN or a string)."""
    try:
        return format(numbers.parse_decimal(raw), "f")
    except numbers.NumberInputError as exc:
        bad(field, {"non_ascii_digits": FIELD_ASCII_DIGITS, "too_many_digits": FIELD_TOO_MANY_DIGITS}.get(
            exc.code, FIELD_NOT_NUMBER))
        return None


def _read_observation(parsed: ParsedFile, resource: dict[str, Any], n: int, by_url: dict[str, dict[str, Any]]) -> None:
    where = f"entry {n}"

    def bad(field: str, message: str) -> None:
        parsed.problems.append(RowProblem(where, n, field, message))

    errors = resource_errors(resource)
    if errors:
        bad("", INVALID_R4.format(detail="; ".join(errors[:3])))
        return
    status = resource.get("status")
    if status not in _IMPORTED_STATUSES:
        bad("status", NOT_FINAL.format(status=status))
        return
    loinc = _loinc(resource)
    if loinc is None:
        bad("code", NO_LOINC)
        return
    collected, date_error = _collected_on(resource)
    patient = _patient_for(resource, by_url)
    value: str | None = None
    unit = ""
    uln: str | None = None
    result: str | None = None
    setting = "lab"
    problems_before = len(parsed.problems)
    if date_error:
        bad("effectiveDateTime", date_error)
    if patient is None:
        bad("subject", NO_PATIENT)
    if loinc in QUALITATIVE_LOINC:
        result = next((_RESULT_BY_SNOMED[c["code"]] for c in _codings(resource.get("valueCodeableConcept"))
                       if c.get("system") == codes.SNOMED and c.get("code") in _RESULT_BY_SNOMED), None)
        if result is None:
            bad("valueCodeableConcept", NO_RESULT)
        # A ClearCourse export names the setting as the method; a laboratory's own result has none.
        setting = _first_code(resource.get("method"), codes.LOCAL_TEST_SETTING) or "lab"
        if setting not in ("lab", "clinic"):
            bad("method", HOME_TEST)
    else:
        quantity = resource.get("valueQuantity")
        if not isinstance(quantity, dict) or "value" not in quantity or not (quantity.get("code") or quantity.get("unit")):
            bad("valueQuantity", NO_QUANTITY)
        else:
            value = _number(quantity["value"], "valueQuantity.value", bad)
            raw_unit = str(quantity.get("code") or quantity.get("unit"))
            unit = codes.UNITS_FROM_UCUM.get(raw_unit, raw_unit)
        ranges = resource.get("referenceRange")
        if isinstance(ranges, list) and ranges and isinstance(ranges[0], dict):
            high = ranges[0].get("high")
            if isinstance(high, dict) and "value" in high:
                uln = _number(high["value"], "referenceRange.high.value", bad)
    if len(parsed.problems) > problems_before:
        return
    assert patient is not None and collected is not None  # noqa: S101 - checked above
    parsed.rows.append(LabRow(where=where, line=n, record_number=patient[0], birth_date=patient[1], loinc=loinc,
                              collected_on=collected, value=value, unit=unit, uln=uln, result=result,
                              setting=setting))


# --- a ClearCourse bundle back into a decide case ----------------------------------------------


def _first_code(concept: Any, system: str) -> str | None:
    return next((str(c["code"]) for c in _codings(concept) if c.get("system") == system and "code" in c), None)


def bundle_to_case(bundle: dict[str, Any]) -> dict[str, Any]:
    """The ``decide`` case (program, patient, events) a ClearCourse export holds; the inverse of
    ``python -m clearcourse fhir`` for the facts the programs judge."""
    resources = [e["resource"] for e in bundle.get("entry", []) if isinstance(e, dict) and "resource" in e]
    by_url = {e["fullUrl"]: e["resource"] for e in bundle.get("entry", []) if "fullUrl" in e}
    program = next((t["code"] for t in bundle.get("meta", {}).get("tag", []) if t.get("system") == codes.LOCAL_PROGRAM),
                   None)
    patient = next(r for r in resources if r["resourceType"] == "Patient")
    can_get_pregnant = True
    events: list[dict[str, Any]] = []
    for r in resources:
        kind = r["resourceType"]
        if kind == "Observation":
            local = _first_code(r.get("code"), codes.LOCAL_RISK_CATEGORY)
            if local == codes.RISK_CATEGORY_OBSERVATION.code:
                can_get_pregnant = (_first_code(r.get("valueCodeableConcept"), codes.LOCAL_RISK_CATEGORY)
                                    == codes.RISK_CAN_GET_PREGNANT.code)
            elif _first_code(r.get("code"), codes.LOCAL_EVENT) == codes.EVENT_CONTRACEPTION.code:
                values = [_first_code(c.get("valueCodeableConcept"), codes.LOCAL_CONTRACEPTION)
                          for c in r.get("component", [])]
                event: dict[str, Any] = {"type": "contraception", "date": r["effectiveDateTime"][:10],
                                         "methods": [v for v in values if v and v != codes.ABSTINENCE.code]}
                if codes.ABSTINENCE.code in values:
                    event["abstinence"] = True
                events.append(event)
            elif _first_code(r.get("code"), codes.LOINC) in QUALITATIVE_LOINC:
                setting = _first_code(r.get("method"), codes.LOCAL_TEST_SETTING) or "lab"
                events.append({"type": "pregnancy_test", "date": r["effectiveDateTime"][:10], "setting": setting,
                               "result": _RESULT_BY_SNOMED.get(_first_code(r.get("valueCodeableConcept"),
                                                                            codes.SNOMED) or "", "positive"),
                               "verified_by_prescriber": r.get("status") != "preliminary"})
        elif kind == "Consent":
            events.append({"type": "enrolled", "date": r["dateTime"][:10]})
        elif kind == "Procedure" and _first_code(r.get("code"), codes.LOCAL_EVENT) == codes.EVENT_COUNSELING.code:
            events.append({"type": "counseling", "date": r["performedDateTime"][:10]})
        elif kind == "QuestionnaireResponse" and r.get("questionnaire") == codes.Q_COMPREHENSION:
            passed = next(i["answer"][0]["valueBoolean"] for i in r["item"] if i["linkId"] == "passed")
            events.append({"type": "comprehension", "date": r["authored"][:10], "passed": passed})
        elif kind == "MedicationRequest":
            rx_id = next(i["value"] for i in r["identifier"] if i["system"] == codes.ID_PRESCRIPTION)
            events.append({"type": "prescription", "id": rx_id, "date": r["authoredOn"][:10],
                           "days_supply": r["dispenseRequest"]["expectedSupplyDuration"]["value"],
                           "daily_dose_mg": r["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"]})
            if any(x.get("url") == codes.EXT_SECOND_PRESCRIBER and x.get("valueBoolean") for x in r.get("extension", [])):
                events[-1]["second_prescriber_agreed"] = True
        elif kind == "MedicationDispense":
            request = by_url[r["authorizingPrescription"][0]["reference"]]
            rx_id = next(i["value"] for i in request["identifier"] if i["system"] == codes.ID_PRESCRIPTION)
            events.append({"type": "dispense", "prescription": rx_id, "date": r["whenHandedOver"][:10],
                           "days_supply": r["daysSupply"]["value"]})
        elif kind == "MedicationStatement" and _first_code(r.get("category"), codes.LOCAL_EVENT) == \
                codes.EVENT_TREATMENT_END.code:
            events.append({"type": "treatment_end", "date": r["effectivePeriod"]["end"][:10]})
    return {"program": program, "patient": {"birth_date": patient["birthDate"], "can_get_pregnant": can_get_pregnant},
            "events": events}
