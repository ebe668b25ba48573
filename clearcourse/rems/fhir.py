"""The FHIR REMS door (HL7 US Medication REMS IG): ``POST /fhir/r4/GuidanceResponse/$rems-etasu`` and the
server's ``CapabilityStatement`` at ``GET /fhir/r4/metadata``.

The operation takes a ``Parameters`` with ``patient`` (a Patient with a name and a birthDate) and
``medication`` (a Medication coded by RxNorm or NDC), or with ``caseNumber``. It answers a ``Parameters``
whose ``rems-etasu`` is a GuidanceResponse: ``success`` when a fill may be authorized today,
``data-required`` when not. Its contained Parameters list each requirement (ETASU) by name with its own
GuidanceResponse (``success`` / ``data-required``, the unmet reasons as notes), plus ``case_number``.
The requirements are the rules core's conditions for the case's open prescription, judged with the
prescriber's and the asking pharmacy's certification: the same loader and core as an authorization, so
the door and ``/api/v1`` never disagree.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils import translation

from clearcourse.accounts.models import PharmacyApiToken
from clearcourse.core import clock
from clearcourse.core.errors import DomainError
from clearcourse.core.wording import pharmacy_reason
from clearcourse.courses.models import Course, Prescription
from clearcourse.courses.selectors import audit_read
from clearcourse.interop.codes import FHIR_VERSION
from clearcourse.pharmacy import services as pharmacy_services
from clearcourse.ppp.labels import CONDITION_LABELS
from clearcourse.ppp.selectors import course_evaluation
from clearcourse.rems import matching

MODULE_URI = "urn:clearcourse:rems:etasu"
SOFTWARE = "ClearCourse"


@dataclass(frozen=True, slots=True)
class FhirAnswer:
    status: int
    body: dict[str, Any]


def outcome(status: int, code: str, text: str) -> FhirAnswer:
    return FhirAnswer(status, {"resourceType": "OperationOutcome",
                               "issue": [{"severity": "error", "code": code, "diagnostics": text}]})


def _param(parameters: dict[str, Any], name: str) -> dict[str, Any] | None:
    for item in parameters.get("parameter") or []:
        if isinstance(item, dict) and item.get("name") == name:
            return item
    return None


def _query(patient: dict[str, Any]) -> matching.PatientQuery:
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    official = next((n for n in names if n.get("use") == "official"), names[0] if names else {})
    given_list = official.get("given") or []
    given = str(given_list[0]) if given_list else ""
    born_text = str(patient.get("birthDate") or "")
    try:
        born = dt.date.fromisoformat(born_text) if len(born_text) == 10 else None
    except ValueError:
        born = None
    return matching.PatientQuery(given, str(official.get("family") or ""), born)


def _codings(medication: dict[str, Any]) -> list[tuple[str, str]]:
    code = medication.get("code") or {}
    return [(str(c.get("system") or ""), str(c.get("code") or "")) for c in code.get("coding") or []
            if isinstance(c, dict)]


def requirement_name(key: str) -> str:
    with translation.override("en"):
        return str(CONDITION_LABELS.get(key, key.replace("_", " ")))


def etasu_parameters(course: Course, prescription: Prescription | None, *, pharmacy_id: int | None,
                     on: dt.date) -> dict[str, Any]:
    """The ``rems-etasu`` answer for a case (also what a CDS card summarises)."""
    evaluation = course_evaluation(course, on=on, prescription=prescription, pharmacy_id=pharmacy_id,
                                   prescriber_id=course.prescriber_id,
                                   days_supply=prescription.days_supply if prescription is not None else None)
    allowed = evaluation.allowed
    if prescription is not None and pharmacy_id is not None:
        # The record's own refusals (a voided or corrected prescription) as an authorization would see them.
        allowed = pharmacy_services.decision_for(prescription, days_supply=prescription.days_supply, today=on,
                                                 pharmacy_id=pharmacy_id).allowed
    requirements: list[dict[str, Any]] = []
    for condition in evaluation.conditions:
        response: dict[str, Any] = {"resourceType": "GuidanceResponse",
                                    "status": "success" if condition.met else "data-required",
                                    "moduleUri": MODULE_URI,
                                    "note": [{"text": requirement_name(condition.key)}]}
        response["note"] += [{"text": pharmacy_reason(reason)} for reason in condition.reasons]
        requirements.append({"name": requirement_name(condition.key), "resource": response})
    requirements.append({"name": "case_number", "valueString": matching.case_number(course)})
    guidance = {
        "resourceType": "GuidanceResponse",
        "status": "success" if allowed and prescription is not None else "data-required",
        "moduleUri": MODULE_URI,
        "occurrenceDateTime": clock.now().replace(microsecond=0).isoformat(),
        "contained": [{"resourceType": "Parameters", "id": "etasuOutputParameters", "parameter": requirements}],
        "outputParameters": {"reference": "#etasuOutputParameters"},
    }
    if prescription is None:
        guidance["note"] = [{"text": "The case has no open prescription of this product; the requirements are "
                                     "judged for a prescription written today."}]
    return {"resourceType": "Parameters", "parameter": [
        {"name": "rems-etasu", "resource": guidance},
        {"name": "case_number", "valueString": matching.case_number(course)},
    ]}


def rems_etasu(parameters: Any, token: PharmacyApiToken) -> FhirAnswer:
    if not isinstance(parameters, dict) or parameters.get("resourceType") != "Parameters":
        return outcome(400, "invalid", "Send a FHIR Parameters resource.")
    actor = token.service_user
    case_param = _param(parameters, "caseNumber")
    patient_param, medication_param = _param(parameters, "patient"), _param(parameters, "medication")
    product: matching.ProductMatch | None = None
    if medication_param is not None and isinstance(medication_param.get("resource"), dict):
        product = matching.match_product(_codings(medication_param["resource"]))
        if product is None:
            return outcome(404, "not-found", "The medication is not an isotretinoin product of this REMS.")
    if case_param is not None:
        number = str(case_param.get("valueString") or "")
        course_id = matching.parse_case_number(number)
        course = (matching.courses_for_pharmacy(actor).filter(pk=course_id).first()
                  if course_id is not None else None)
        if course is None:
            return outcome(404, "not-found", "No REMS case with this number.")
    elif patient_param is not None and isinstance(patient_param.get("resource"), dict) and product is not None:
        query = _query(patient_param["resource"])
        if query.birth_date is None or not (query.given and query.family):
            return outcome(400, "required", "The patient needs a name (given and family) and a birthDate.")
        found, why = matching.find_case(actor, query, product)
        if found is None:
            return outcome(404, "not-found", why)
        course = found
    else:
        return outcome(400, "required", "Send caseNumber, or patient and medication (coded by RxNorm or NDC).")
    prescription, _why = matching.find_prescription(course, "", product)
    try:
        body = etasu_parameters(course, prescription, pharmacy_id=token.pharmacy_id, on=clock.today())
    except DomainError as exc:
        return outcome(422, "processing", exc.message)
    audit_read(actor=actor, patient_id=course.patient_id, action="rems.fhir.etasu", obj=course)
    return FhirAnswer(200, body)


def capability_statement(base_url: str) -> dict[str, Any]:
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": "2026-12-01",
        "publisher": SOFTWARE,
        "kind": "instance",
        "software": {"name": SOFTWARE},
        "implementation": {"description": "ClearCourse REMS administrator for isotretinoin", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "documentation": "Authenticate with the pharmacy's API token: Authorization: Bearer cc_<prefix>_<secret>.",
            "security": {"service": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/restful-security-service", "code": "OAuth",
                "display": "OAuth"}], "text": "Bearer token (pharmacy API token)"}]},
            "resource": [{"type": "GuidanceResponse", "operation": [{
                "name": "rems-etasu",
                "definition": "http://hl7.org/fhir/us/medication-rems/OperationDefinition/REMS-etasu",
                "documentation": "Each REMS requirement (ETASU) for a patient and a medication (RxNorm or "
                                 "NDC), or for a case number, met or not.",
            }]}],
        }],
    }


__all__ = ["FhirAnswer", "capability_statement", "etasu_parameters", "outcome", "rems_etasu"]
