"""Reading a resource (pure helpers): codes, dates, whole numbers, extensions, and which kind of record an entry is."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from clearcourse.core import numbers
from clearcourse.courses.models import Product
from clearcourse.interop import codes
from clearcourse.interop.fhir_course_import.messages import BAD_DATE, BAD_TARGET, REQUIRED, TOO_LONG
from clearcourse.interop.fhir_course_import.report import _Bad
from clearcourse.rules import dosing

#: The statuses an imported result may have (a preliminary result is not a result yet).
_FINAL = ("final", "amended", "corrected")
_IPLEDGE_RE = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_RESULT_BY_SNOMED = {codes.SCT_NEGATIVE.code: "negative", codes.SCT_POSITIVE.code: "positive"}
_HCG = frozenset(c.code for c in codes.HCG_QUALITATIVE)
_PHQ_TOTAL_CODES = {c.code: instrument for instrument, c in codes.PHQ_TOTALS.items()}
_PRODUCT_BY_NAME = {name: code for code, name in codes.PRODUCT_NAMES.items()}
_DAY_UNITS = ("d", "day", "days")
_PHQ_ITEM = re.compile(r"^item-([1-9][0-9]?)$")

#: The order resources are written in: what others refer to first.
_ORDER = ("enrolment", "risk_category", "counseling", "contraception", "pregnancy_test", "comprehension",
          "prescription", "dispense", "treatment_end", "lab_result", "mood_screen", "mood_total", "weight",
          # The course plan sets the first dose, which a missed-dose report is checked against.
          "care_plan", "missed_dose", "side_effects", "assessment")




def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [c for c in concept["coding"] if isinstance(c, dict)]


def _code(concept: Any, system: str) -> str | None:
    return next((str(c["code"]) for c in _codings(concept) if c.get("system") == system and "code" in c), None)


def _codes_of(concept: Any) -> set[tuple[str, str]]:
    return {(str(c.get("system")), str(c.get("code"))) for c in _codings(concept)}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


def _date(value: Any, where: str) -> dt.date:
    """The date part of a FHIR date or dateTime (the day as the source wrote it)."""
    if value is None:
        raise _Bad(where, _(REQUIRED))
    if not isinstance(value, str) or len(value) < 10:
        raise _Bad(where, _(BAD_DATE))
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise _Bad(where, _(BAD_DATE)) from None


def _whole(value: Any, where: str, message: str, *, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _Bad(where, _(message))
    if int(value) != value or value < low or (high is not None and value > high):
        raise _Bad(where, _(message))
    return int(value)


def _text(value: Any, where: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise _Bad(where, _(TOO_LONG).format(limit=limit))
    return text


def _registration(resource: dict[str, Any]) -> str:
    """The registration number: the ClearCourse identifier system first, else the first identifier."""
    identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict)
                   and isinstance(i.get("value"), str) and i["value"].strip()]
    chosen = next((i for i in identifiers if i.get("system") == codes.ID_REGISTRATION), _first(identifiers))
    return str(chosen["value"]).strip() if chosen else ""


def classify(resource: dict[str, Any]) -> str:
    """The ClearCourse record kind a resource of a course export stands for ("" when none)."""
    kind = resource.get("resourceType")
    code = resource.get("code")
    if kind in ("Patient", "Practitioner", "Organization", "Condition", "AuditEvent"):
        return str(kind).lower()
    if kind == "Consent":
        return "enrolment" if (codes.LOCAL_EVENT, codes.EVENT_ENROLMENT.code) in _codes_of_all(
            resource.get("category")) else ""
    if kind == "Procedure":
        return "counseling" if _code(code, codes.LOCAL_EVENT) == codes.EVENT_COUNSELING.code else ""
    if kind == "MedicationRequest":
        return "prescription"
    if kind == "MedicationDispense":
        return "dispense"
    if kind == "MedicationStatement":
        event = _code(resource.get("category"), codes.LOCAL_EVENT)
        return {codes.EVENT_TREATMENT_END.code: "treatment_end", codes.EVENT_MISSED_DOSE.code: "missed_dose"}.get(
            event or "", "")
    if kind == "QuestionnaireResponse":
        questionnaire = resource.get("questionnaire")
        if questionnaire == codes.Q_COMPREHENSION:
            return "comprehension"
        if isinstance(questionnaire, str) and questionnaire.removeprefix(codes.Q_PHQ) in codes.PHQ_TOTALS:
            return "mood_screen"
        return ""
    if kind == "Observation":
        if _code(code, codes.LOCAL_RISK_CATEGORY) == codes.RISK_CATEGORY_OBSERVATION.code:
            return "risk_category"
        if _code(code, codes.LOCAL_EVENT) == codes.EVENT_CONTRACEPTION.code:
            return "contraception"
        loinc = _code(code, codes.LOINC)
        if loinc in _HCG:
            return "pregnancy_test"
        if loinc in codes.LAB_CODES:
            return "lab_result"
        if loinc in _PHQ_TOTAL_CODES:
            return "mood_total"
        if loinc == codes.BODY_WEIGHT.code:
            return "weight"
        if _code(code, codes.LOCAL_SEVERITY) == codes.SEVERITY_ASSESSMENT.code:
            return "assessment"
        if _code(code, codes.LOCAL_EVENT) == codes.EVENT_SIDE_EFFECTS.code:
            return "side_effects"
    if kind == "CarePlan":
        return "care_plan" if (codes.LOCAL_EVENT, codes.EVENT_COURSE.code) in _codes_of_all(
            resource.get("category")) else ""
    return ""


def _codes_of_all(concepts: Any) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for concept in concepts if isinstance(concepts, list) else [concepts]:
        out |= _codes_of(concept)
    return out


@dataclass(slots=True)
class _Entry:
    index: int
    resource: dict[str, Any]
    kind: str

    @property
    def type(self) -> str:
        return str(self.resource.get("resourceType") or "")


def _extensions(element: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["url"]: e for e in element.get("extension") or [] if isinstance(e, dict) and isinstance(e.get("url"), str)}


def _mg_per_kg(extension: dict[str, Any] | None, where: str) -> Decimal:
    quantity = extension.get("valueQuantity") if isinstance(extension, dict) else None
    if not isinstance(quantity, dict) or quantity.get("value") is None or \
            (quantity.get("code") or quantity.get("unit")) != "mg/kg":
        raise _Bad(where, _(BAD_TARGET).format(url=codes.EXT_TARGET_MG_PER_KG))
    return decimal_at(quantity["value"], where)


def decimal_at(raw: Any, where: str) -> Decimal:
    """A FHIR decimal read by the one safe reader (``core.numbers``), or a refusal of the element ``where``."""
    try:
        return numbers.parse_decimal(raw)
    except numbers.NumberInputError as exc:
        raise _Bad(where, _(exc.message)) from None


def _note(res: dict[str, Any]) -> str:
    first = _first(res.get("note"))
    return str(first.get("text") or "") if isinstance(first, dict) else ""


def _dose_quantity(res: dict[str, Any]) -> dict[str, Any] | None:
    """``dosageInstruction[0].doseAndRate[0].doseQuantity`` (None when absent)."""
    dosage = _first(res.get("dosageInstruction"))
    rate = _first(dosage.get("doseAndRate")) if isinstance(dosage, dict) else None
    quantity = rate.get("doseQuantity") if isinstance(rate, dict) else None
    return quantity if isinstance(quantity, dict) else None


def _product(concept: Any) -> str:
    """The product from its ClearCourse code, else from the exporter's product name."""
    code = _code(concept, codes.LOCAL_PRODUCT)
    if code in Product.values:
        return str(code)
    text = concept.get("text") if isinstance(concept, dict) else None
    return _PRODUCT_BY_NAME.get(text, "") if isinstance(text, str) else ""


def _capsules(product: str, dose_mg: int) -> dict[str, int]:
    """The capsules the prescription service would choose for this dose (none when it has no combination)."""
    combo = dosing.achievable_doses(dosing.product(product).strengths_mg).get(Decimal(dose_mg))
    counts: dict[str, int] = {}
    for strength in combo or ():
        key = dosing.format_mg(strength)
        counts[key] = counts.get(key, 0) + 1
    return counts
