"""The FHIR REMS door: $rems-etasu answers validate as FHIR R4 and list each requirement; the
CapabilityStatement; authentication as for the pharmacy API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from clearcourse.interop.fhir_validate import resource_errors

pytestmark = pytest.mark.django_db
PATH = "/fhir/r4/GuidanceResponse/$rems-etasu"


def _ask(body: Any, token: str | None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().post(PATH, body, content_type="application/fhir+json", **headers)


def _by_patient(patient: Any, *, system: str = "http://www.nlm.nih.gov/research/umls/rxnorm",
                code: str = "6064") -> dict[str, Any]:
    return {"resourceType": "Parameters", "parameter": [
        {"name": "patient", "resource": {"resourceType": "Patient", "id": "ehr-17",
                                         "name": [{"family": patient.family_name, "given": [patient.given_name],
                                                   "use": "official"}],
                                         "birthDate": patient.birth_date.isoformat()}},
        {"name": "medication", "resource": {"resourceType": "Medication", "id": "m1",
                                            "code": {"coding": [{"system": system, "code": code}]}}}]}


def _etasu(body: dict[str, Any]) -> dict[str, Any]:
    return next(p["resource"] for p in body["parameter"] if p["name"] == "rems-etasu")


def _requirements(guidance: dict[str, Any]) -> dict[str, str]:
    contained = guidance["contained"][0]
    return {p["name"]: p["resource"]["status"] for p in contained["parameter"] if "resource" in p}


def test_a_ready_patient_is_success_and_every_requirement_is_met(token: str, ready: Any, patient: Any,
                                                                  course: Any) -> None:
    response = _ask(_by_patient(patient), token)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/fhir+json")
    body = response.json()
    assert resource_errors(body) == []
    guidance = _etasu(body)
    assert resource_errors(guidance) == []
    assert guidance["status"] == "success"
    requirements = _requirements(guidance)
    assert set(requirements.values()) == {"success"}
    assert {"Enrolled in the program", "Negative pregnancy test in its window",
            "Prescriber enrolled and active in the program", "Pharmacy enrolled and active in the program",
            "Pharmacy staff trained this year"} <= set(requirements)
    case = next(p for p in guidance["contained"][0]["parameter"] if p["name"] == "case_number")
    assert case["valueString"] == f"CC-{course.pk}"


def test_a_patient_who_is_not_ready_is_data_required_naming_each_unmet_requirement(
        token: str, course: Any, npi_prescriber: Any, patient: Any, today: dt.date) -> None:
    from clearcourse.courses.models import Prescription
    from clearcourse.ppp.models import Enrollment

    Enrollment.objects.create(course=course, program="us-ipledge", enrolled_on=today)
    Prescription.objects.create(course=course, prescriber=npi_prescriber, issued_on=today, product="conventional",
                                daily_dose_mg=40, capsules={"40": 1}, days_supply=30)
    guidance = _etasu(_ask(_by_patient(patient), token).json())
    assert resource_errors(guidance) == []
    assert guidance["status"] == "data-required"
    requirements = _requirements(guidance)
    assert requirements["Enrolled in the program"] == "success"
    assert requirements["Negative pregnancy test in its window"] == "data-required"
    assert requirements["Comprehension questions passed"] == "data-required"


def test_the_case_number_finds_the_case(token: str, ready: Any, course: Any) -> None:
    body = _ask({"resourceType": "Parameters", "parameter": [{"name": "caseNumber", "valueString": f"CC-{course.pk}"}]},
                token).json()
    assert _etasu(body)["status"] == "success"


def test_an_ndc_names_the_product_and_products_are_not_interchangeable(
        token: str, course: Any, npi_prescriber: Any, patient: Any, today: dt.date, make_ready: Any) -> None:
    course.product = "absorica"
    course.save()
    make_ready(course, npi_prescriber, today)
    absorica = _ask(_by_patient(patient, system="http://hl7.org/fhir/sid/ndc", code="10631-118-31"), token).json()
    assert _etasu(absorica)["status"] == "success"
    claravis = _etasu(_ask(_by_patient(patient, system="http://hl7.org/fhir/sid/ndc", code="00555105486"),
                           token).json())
    assert claravis["status"] == "data-required"
    assert "no open prescription of this product" in claravis["note"][0]["text"]


def test_unknown_patients_cases_and_drugs_are_not_found(token: str, ready: Any, patient: Any,
                                                        other_token: str, course: Any) -> None:
    patient.given_name = "Nobody"
    assert _ask(_by_patient(patient), token).status_code == 404
    assert _ask(_by_patient(patient, code="161"), token).status_code == 404  # acetaminophen
    assert _ask({"resourceType": "Parameters", "parameter": [{"name": "caseNumber", "valueString": "CC-999999"}]},
                token).status_code == 404


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"resourceType": "Patient"}',
                                  b'{"resourceType": "Parameters", "parameter": []}'])
def test_bad_input_is_an_operation_outcome(token: str, body: bytes) -> None:
    response = _ask(body, token)
    assert response.status_code == 400 and response.json()["resourceType"] == "OperationOutcome"


def test_without_a_token_the_answer_is_401_operation_outcome(ready: Any, patient: Any) -> None:
    response = _ask(_by_patient(patient), None)
    assert response.status_code == 401 and response.json()["resourceType"] == "OperationOutcome"


def test_the_capability_statement_validates_and_names_the_operation(client: Client) -> None:
    response = client.get("/fhir/r4/metadata")
    assert response.status_code == 200
    body = response.json()
    assert resource_errors(body) == []
    assert body["rest"][0]["resource"][0]["operation"][0]["name"] == "rems-etasu"
    assert client.post("/fhir/r4/metadata").status_code == 405
