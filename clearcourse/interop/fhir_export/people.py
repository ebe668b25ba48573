"""Patient, Practitioner and Organization (clinic, pharmacy), and the Observation of the patient's risk category."""

from __future__ import annotations

from typing import Any

from clearcourse.interop import codes
from clearcourse.interop.fhir_export.inputs import OrganizationIn, PractitionerIn
from clearcourse.interop.fhir_export.writer import Writer


def organization(o: OrganizationIn) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Organization", "active": True, "name": o.name}
    identifiers = []
    if o.registration_number:
        identifiers.append({"system": codes.ID_REGISTRATION, "value": o.registration_number})
    if o.ncpdp_id:
        identifiers.append({"system": codes.ID_NCPDP, "value": o.ncpdp_id})
    if o.npi:
        identifiers.append({"system": codes.ID_NPI, "value": o.npi})
    if identifiers:
        res["identifier"] = identifiers
    if o.city:
        res["address"] = [{"city": o.city}]
    res["type"] = [{"text": "Pharmacy" if o.kind == "pharmacy" else "Clinic"}]
    return res


def practitioner(p: PractitionerIn) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Practitioner", "active": True}
    name: dict[str, Any] = {}
    if p.family_name:
        name["family"] = p.family_name
    if p.given_name:
        name["given"] = [p.given_name]
    if name:
        res["name"] = [name]
    identifiers = []
    if p.registration_number:
        identifiers.append({"system": codes.ID_REGISTRATION, "value": p.registration_number})
    if p.npi:
        identifiers.append({"system": codes.ID_NPI, "value": p.npi})
    if identifiers:
        res["identifier"] = identifiers
    return res


def patient(w: Writer) -> dict[str, Any]:
    p = w.inp.patient
    res: dict[str, Any] = {"resourceType": "Patient"}
    if p.record_number:
        res["identifier"] = [{"system": codes.ID_RECORD_NUMBER, "value": p.record_number}]
    if p.family_name or p.given_name:
        name: dict[str, Any] = {"use": "official"}
        if p.family_name:
            name["family"] = p.family_name
        if p.given_name:
            name["given"] = [p.given_name]
        res["name"] = [name]
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        res["telecom"] = telecom
    if p.sex:
        res["gender"] = p.sex if p.sex in ("female", "male", "other", "unknown") else "unknown"
    res["birthDate"] = p.birth_date.isoformat()
    if p.language:
        res["communication"] = [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": p.language}]},
                                 "preferred": True}]
    if w.inp.prescriber is not None:
        res["generalPractitioner"] = [w.ref(w.inp.prescriber.key)]
    if w.inp.clinic is not None:
        res["managingOrganization"] = w.ref(w.inp.clinic.key)
    return res


def risk_category(w: Writer) -> dict[str, Any]:
    p = w.inp.patient
    value = codes.RISK_CAN_GET_PREGNANT if p.can_get_pregnant else codes.RISK_CANNOT_GET_PREGNANT
    res: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "code": codes.RISK_CATEGORY_OBSERVATION.concept(), "subject": w.patient,
    }
    if p.risk_effective_on is not None:
        res["effectiveDateTime"] = p.risk_effective_on.isoformat()
    if w.inp.prescriber is not None:
        res["performer"] = [w.ref(w.inp.prescriber.key)]
    res["valueCodeableConcept"] = value.concept()
    return res
