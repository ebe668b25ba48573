"""A course from the database exports as an R4 Bundle with every resource kind, validated; access is scoped."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from typing import Any

import pytest
from course_builder import build_full_course

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import NotFoundError
from clearcourse.interop import codes, fhir_export
from clearcourse.interop.fhir_validate import bundle_errors
from clearcourse.interop.selectors import course_bundle_for_user, course_export_input

NOW = dt.datetime(2026, 11, 26, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def full_course(course: Any, prescriber: Any, pharmacy: Any, today: dt.date) -> Any:
    build_full_course(course=course, prescriber=prescriber, pharmacy=pharmacy, today=today)
    return course


def _of(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


@pytest.mark.django_db
def test_a_course_exports_every_kind_of_record_and_validates(full_course: Any, prescriber: Any) -> None:
    bundle = course_bundle_for_user(user=prescriber, course_id=full_course.pk, now=NOW)
    assert bundle_errors(bundle) == []
    kinds = Counter(e["resource"]["resourceType"] for e in bundle["entry"])
    for kind in ("Patient", "Practitioner", "Organization", "Condition", "Consent", "Procedure", "Observation",
                 "QuestionnaireResponse", "MedicationRequest", "MedicationDispense", "MedicationStatement",
                 "AuditEvent"):
        assert kinds[kind] >= 1, kind
    assert kinds["Organization"] == 2  # the clinic and the pharmacy
    assert bundle["timestamp"] == "2026-11-26T09:30:00+00:00"

    condition = _of(bundle, "Condition")[0]
    assert {(c["system"], c["code"]) for c in condition["code"]["coding"]} >= {
        (codes.SNOMED, "88616000"), (codes.ICD10, "L70.0")}
    patient = _of(bundle, "Patient")[0]
    assert patient["identifier"][0]["value"] == "R-0001"
    assert patient["name"][0]["family"] == "Miller"

    mr = _of(bundle, "MedicationRequest")[0]
    assert {"system": codes.RXNORM, "code": "6064", "display": "isotretinoin"} in mr["medicationCodeableConcept"]["coding"]
    assert any(c["code"] == "197845" for c in mr["medicationCodeableConcept"]["coding"])  # one 40 mg capsule
    assert mr["dispenseRequest"]["expectedSupplyDuration"]["value"] == 30
    assert mr["status"] == "completed"
    dispense = _of(bundle, "MedicationDispense")[0]
    mr_url = next(e["fullUrl"] for e in bundle["entry"] if e["resource"] is mr)
    assert dispense["authorizingPrescription"] == [{"reference": mr_url}]

    observations = _of(bundle, "Observation")
    by_code = {o["code"]["coding"][0]["code"]: o for o in observations}
    alt = by_code["1742-6"]
    assert alt["valueQuantity"] == {"value": 32, "unit": "U/L", "system": codes.UCUM, "code": "U/L"}
    assert alt["referenceRange"][0]["high"]["value"] == 40
    assert by_code["2571-8"]["valueQuantity"]["value"] == 1.9
    assert by_code["2118-8"]["valueCodeableConcept"]["coding"][0]["code"] == "260385009"  # lab test, negative
    assert by_code["2106-3"]["effectiveDateTime"] == "2026-10-05"
    assert by_code["44261-6"]["valueInteger"] == 2
    assert by_code["29463-7"]["valueQuantity"]["value"] == 64.5

    questionnaires = {q["questionnaire"] for q in _of(bundle, "QuestionnaireResponse")}
    assert questionnaires == {codes.Q_COMPREHENSION, f"{codes.Q_PHQ}phq9"}
    actions = {a["subtype"][0]["code"] for a in _of(bundle, "AuditEvent")}
    assert "lab.record" in actions


@pytest.mark.django_db
def test_the_export_is_stable(full_course: Any) -> None:
    first = fhir_export.build_bundle(course_export_input(full_course))
    assert fhir_export.build_bundle(course_export_input(full_course)) == first


@pytest.mark.django_db
def test_the_export_is_audited(full_course: Any, prescriber: Any) -> None:
    course_bundle_for_user(user=prescriber, course_id=full_course.pk, now=NOW)
    assert AuditEntry.objects.filter(action="course.export_fhir", patient_id=full_course.patient_id).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["other_prescriber", "pharmacist", "admin_user", "other_patient_user"])
def test_outsiders_cannot_export_a_course(request: pytest.FixtureRequest, course: Any, persona: str) -> None:
    with pytest.raises(NotFoundError):
        course_bundle_for_user(user=request.getfixturevalue(persona), course_id=course.pk, now=NOW)


@pytest.mark.django_db
def test_the_download_page_serves_fhir_json_to_staff(full_course: Any, login: Any, delegate: Any) -> None:
    from django.urls import reverse

    response = login(delegate).get(reverse("interop:course_fhir", args=[full_course.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    assert bundle_errors(json.loads(response.content)) == []


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status"), [
    ("other_prescriber", 404), ("pharmacist", 403), ("patient_user", 403), ("admin_user", 403)])
def test_the_download_page_refuses_others(request: pytest.FixtureRequest, course: Any, login: Any, persona: str,
                                          status: int) -> None:
    from django.urls import reverse

    response = login(request.getfixturevalue(persona)).get(reverse("interop:course_fhir", args=[course.pk]))
    assert response.status_code == status


@pytest.mark.django_db
def test_the_download_page_asks_anonymous_users_to_sign_in(course: Any, client: Any) -> None:
    from django.urls import reverse

    response = client.get(reverse("interop:course_fhir", args=[course.pk]))
    assert response.status_code == 302


@pytest.mark.django_db
def test_the_export_carries_npi_ncpdp_and_the_ndc_of_a_single_source_product(
        course: Any, prescriber: Any, pharmacy: Any, today: dt.date) -> None:
    from clearcourse.courses.models import Prescription
    from clearcourse.pharmacy.models import Dispense

    prescriber.npi = "1234567893"
    prescriber.save()
    pharmacy.ncpdp_id, pharmacy.npi = "0123456", "1245319599"
    pharmacy.save()
    course.product = "absorica"
    course.save()
    rx = Prescription.objects.create(course=course, prescriber=prescriber, issued_on=today, product="absorica",
                                     daily_dose_mg=35, capsules={"35": 1}, days_supply=30, recorded_by=prescriber)
    Dispense.objects.create(prescription=rx, pharmacy=pharmacy, dispensed_on=today, days_supply=30, daily_dose_mg=35)
    bundle = course_bundle_for_user(user=prescriber, course_id=course.pk, now=NOW)
    assert bundle_errors(bundle) == []
    practitioner = _of(bundle, "Practitioner")[0]
    assert {"system": codes.ID_NPI, "value": "1234567893"} in practitioner["identifier"]
    organizations = [o for o in _of(bundle, "Organization") if o["type"][0]["text"] == "Pharmacy"]
    assert {"system": codes.ID_NCPDP, "value": "0123456"} in organizations[0]["identifier"]
    assert {"system": codes.ID_NPI, "value": "1245319599"} in organizations[0]["identifier"]
    coding = {(c["system"], c["code"]) for c in _of(bundle, "MedicationRequest")[0]["medicationCodeableConcept"]["coding"]}
    assert (codes.NDC, "10631013431") in coding and (codes.RXNORM, "1547565") in coding


def test_a_conventional_prescription_names_no_ndc_and_ld_strengths_only_where_confirmed() -> None:
    assert codes.export_ndc("conventional", 40) is None
    assert codes.export_ndc("absorica_ld", 8) is not None and codes.export_ndc("absorica_ld", 16) is None
    assert codes.ndc_package("10631-003-31").product == "absorica_ld"  # type: ignore[union-attr]
    assert codes.ndc_package("00555105486").strength_mg == 10  # type: ignore[union-attr]
    assert codes.ndc_package("9999-9999-99") is None
