"""Issue 13, done when: each implausible value is sent through the page, the API and the imports, and is
refused (nothing written, the message naming the accepted range) or needs an explicit confirmation.

Values: weight 0.1 kg, triglycerides 0 and 999,999 mg/dL, born 1900-01-01 and a 6-day-old patient, 5 mg/kg/day
with a junk reason, a prescription of 1,000 mg/day, a 5,000-character unbroken reason.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from interop_rich_course import build_rich_course

from clearcourse.accounts.models import Clinic
from clearcourse.audit.models import AuditEntry
from clearcourse.courses.models import DosePlan, Patient, Prescription, WeightMeasurement
from clearcourse.interop import csv_import, fhir_export, services
from clearcourse.interop import fhir_course_import as fci
from clearcourse.interop.selectors import course_export_input
from clearcourse.monitoring.models import LabResult

TG = "2571-8"
LONG = "x" * 5000


# Home-test photos of the built course go to a temporary folder (tests/conftest.py), not the project's media.
pytestmark = pytest.mark.usefixtures("media")


def _counts() -> tuple[int, ...]:
    return (Patient.objects.count(), WeightMeasurement.objects.count(), DosePlan.objects.count(),
            Prescription.objects.count(), LabResult.objects.count())


# --- pages -------------------------------------------------------------------------------------------


def test_a_weight_of_0_1_kg_is_refused_on_the_weight_and_dose_plan_pages(
        login: Callable[[Any], Any], prescriber: Any, course: Any) -> None:
    client = login(prescriber)
    before = _counts()
    response = client.post(reverse("courses:weight_create", args=[course.patient.pk]),
                           {"measured_on": "2026-11-20", "weight_kg": "0.1"})
    assert response.status_code == 400
    assert response.context["form"].errors["weight_kg"] == [
        "Weight of 0.1 kg cannot be right: enter a value from 2 to 350 kg."]
    response = client.post(reverse("courses:dose_plan", args=[course.pk]),
                           {"starts_on": "2026-11-26", "weight_kg": "0.1", "mg_per_kg": "0.5",
                            "target_mg_per_kg": "120"})
    assert response.status_code == 400 and "weight_kg" in response.context["form"].errors
    assert _counts() == before


def test_an_unusual_weight_is_saved_only_after_the_confirmation_and_the_audit_says_so(
        login: Callable[[Any], Any], prescriber: Any, patient: Any) -> None:
    client = login(prescriber)
    url = reverse("courses:weight_create", args=[patient.pk])
    first = client.post(url, {"measured_on": "2026-11-20", "weight_kg": "250"})
    assert first.status_code == 400 and not WeightMeasurement.objects.exists()
    html = first.content.decode()
    assert "usual range 30 to 200 kg" in html and 'type="checkbox" name="confirm_unusual"' in html
    second = client.post(url, {"measured_on": "2026-11-20", "weight_kg": "250", "confirm_unusual": "on"})
    assert second.status_code == 302
    assert WeightMeasurement.objects.get().weight_kg == 250
    entry = AuditEntry.objects.filter(action="weight.record").get()
    assert entry.detail["confirmed_unusual"] == [{"quantity": "weight", "value": "250", "unit": "kg"}]


@pytest.mark.parametrize("value", ["0", "999999"])
def test_triglycerides_of_0_or_999999_mg_dl_are_refused_on_the_lab_page(
        login: Callable[[Any], Any], prescriber: Any, course: Any, value: str) -> None:
    before = _counts()
    response = login(prescriber).post(reverse("monitoring:lab_record", args=[course.pk]), {
        "loinc": TG, "value": value, "unit": "mg/dL", "collected_on": "2026-11-20"})
    assert response.status_code == 400
    assert response.context["form"].errors["value"] == [
        f"Triglycerides of {value} mg/dL cannot be right: enter a value from 5 to 20000 mg/dL."]
    assert _counts() == before


@pytest.mark.parametrize(("birth_date", "confirm"), [("1900-01-01", "on"), ("2026-11-20", "on")])
def test_a_patient_born_in_1900_or_6_days_ago_is_refused_on_the_page(
        login: Callable[[Any], Any], prescriber: Any, birth_date: str, confirm: str) -> None:
    before = _counts()
    response = login(prescriber).post(reverse("courses:patient_create"), {
        "record_number": "R-0900", "given_name": "Ada", "family_name": "Old", "birth_date": birth_date,
        "sex": "female", "prescriber": prescriber.pk, "preferred_language": "en", "confirm_unusual": confirm})
    assert response.status_code == 400
    error = response.context["form"].errors["birth_date"][0]
    assert "Age at the start of the course" in error and "from 1 to 120 years" in error
    assert _counts() == before


def test_a_child_under_12_needs_a_confirmation(login: Callable[[Any], Any], prescriber: Any) -> None:
    client = login(prescriber)
    post = {"record_number": "R-0901", "given_name": "Kim", "family_name": "Young", "birth_date": "2016-01-01",
            "sex": "female", "prescriber": prescriber.pk, "preferred_language": "en"}
    first = client.post(reverse("courses:patient_create"), post)
    assert first.status_code == 400 and not Patient.objects.filter(record_number="R-0901").exists()
    assert "usual range 12 to 70 years" in first.content.decode()
    assert client.post(reverse("courses:patient_create"), {**post, "confirm_unusual": "on"}).status_code == 302


def test_5_mg_per_kg_with_a_junk_reason_is_refused_not_capped(login: Callable[[Any], Any], prescriber: Any,
                                                              course: Any) -> None:
    before = _counts()
    response = login(prescriber).post(reverse("courses:dose_plan", args=[course.pk]), {
        "starts_on": "2026-11-26", "weight_kg": "57", "mg_per_kg": "5", "target_mg_per_kg": "120",
        "out_of_range_reason": "asdf", "confirm_unusual": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["mg_per_kg"] == [
        "Daily dose per kg of 5 mg/kg/day cannot be right: enter a value from 0.01 to 4 mg/kg/day."]
    assert _counts() == before


def test_a_junk_reason_for_a_dose_outside_the_range_is_refused(login: Callable[[Any], Any], prescriber: Any,
                                                               course: Any) -> None:
    response = login(prescriber).post(reverse("courses:dose_plan", args=[course.pk]), {
        "starts_on": "2026-11-26", "weight_kg": "40", "mg_per_kg": "3", "target_mg_per_kg": "120",
        "out_of_range_reason": "asdf", "confirm_unusual": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["out_of_range_reason"] == [
        "Give the reason in words: at least 10 characters and two words."]
    assert not DosePlan.objects.exists()


def test_a_5000_character_unbroken_reason_is_refused_and_wraps_on_the_page(
        login: Callable[[Any], Any], prescriber: Any, course: Any) -> None:
    response = login(prescriber).post(reverse("courses:dose_plan", args=[course.pk]), {
        "starts_on": "2026-11-26", "weight_kg": "40", "mg_per_kg": "3", "target_mg_per_kg": "120",
        "out_of_range_reason": LONG, "confirm_unusual": "on"})
    assert response.status_code == 400
    assert "out_of_range_reason" in response.context["form"].errors
    assert not DosePlan.objects.exists()
    html = response.content.decode()
    assert 'class="long-text"' in html and 'maxlength="500"' in html
    css = (Path(__file__).resolve().parents[2] / "clearcourse" / "static" / "clearcourse" / "app.css").read_text()
    assert ".long-text" in css and "overflow-wrap: anywhere" in css


def test_a_prescription_of_1000_mg_a_day_is_refused_on_the_page(login: Callable[[Any], Any], prescriber: Any,
                                                                course: Any, today: dt.date) -> None:
    response = login(prescriber).post(reverse("ppp:prescribe", args=[course.pk]), {
        "issued_on": today.isoformat(), "product": course.product, "daily_dose_mg": 1000, "days_supply": 30,
        "confirm_unusual": "on"})
    assert response.status_code == 400
    assert response.context["form"].errors["daily_dose_mg"] == [
        "Daily dose of 1000 mg/day cannot be right: enter a value from 1 to 120 mg/day."]
    assert not Prescription.objects.exists()


def test_a_prescription_above_the_dose_plan_needs_a_reason_in_words(
        login: Callable[[Any], Any], prescriber: Any, course: Any, today: dt.date) -> None:
    from clearcourse.courses.services import dose_plan_record

    dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=60, mg_per_kg="0.5", today=today)
    client = login(prescriber)
    url = reverse("ppp:prescribe", args=[course.pk])
    page = client.get(url)
    assert page.context["form"]["daily_dose_mg"].value() == 30  # the dose plan's dose
    post = {"issued_on": today.isoformat(), "product": course.product, "daily_dose_mg": 60, "days_supply": 30}
    for reason in ("", "asdf", LONG):
        response = client.post(url, {**post, "dose_reason": reason})
        assert response.status_code == 400 and "dose_reason" in response.context["form"].errors
    assert not Prescription.objects.exists()
    response = client.post(url, {**post, "dose_reason": "Planned step up after one month"})
    assert response.status_code == 302
    assert Prescription.objects.get().dose_reason == "Planned step up after one month"


# --- the JSON API and the lab imports (CSV and FHIR) ---------------------------------------------------------


def _csv(*rows: str) -> bytes:
    return (csv_import.HEADER + "\n" + "\n".join(rows) + "\n").encode()


@pytest.mark.parametrize("value", ["0", "999999"])
def test_triglycerides_of_0_or_999999_are_refused_by_the_api_and_the_csv_and_fhir_imports(
        login: Callable[[Any], Any], prescriber: Any, course: Any, today: dt.date, value: str) -> None:
    row = f"R-0001,2004-03-01,{TG},{value},mg/dL,,2026-11-20"
    client = login(prescriber)
    for confirm in (False, True):
        response = client.post("/api/v1/interop/labs/import", {"file": SimpleUploadedFile("x.csv", _csv(row)),
                                                                "confirm_unusual": confirm})
        assert response.status_code == 422
        problem = response.json()["error"]["report"]["problems"][0]
        assert problem["field"] == "value" and "from 5 to 20" in problem["message"]
        report = services.lab_import(actor=prescriber, data=_csv(row), fmt="csv", today=today, partial=True,
                                     confirm_unusual=confirm)
        assert report.imported == 0 and report.problems[0].field == "value"
    observation = {"resourceType": "Observation", "status": "final",
                   "code": {"coding": [{"system": "http://loinc.org", "code": TG}]},
                   "subject": {"identifier": {"value": "R-0001"}},
                   "effectiveDateTime": "2026-11-20",
                   "valueQuantity": {"value": float(value), "unit": "mg/dL", "system": "http://unitsofmeasure.org",
                                     "code": "mg/dL"}}
    report = services.lab_import(actor=prescriber, data=json.dumps(observation).encode(), fmt="fhir", today=today)
    assert not report.written
    assert not LabResult.objects.exists()


def test_an_unusual_lab_value_is_a_row_error_unless_the_import_confirms_it(
        login: Callable[[Any], Any], prescriber: Any, course: Any) -> None:
    row = f"R-0001,2004-03-01,{TG},1500,mg/dL,,2026-11-20"
    client = login(prescriber)
    response = client.post("/api/v1/interop/labs/import", {"file": SimpleUploadedFile("x.csv", _csv(row))})
    assert response.status_code == 422
    problem = response.json()["error"]["report"]["problems"][0]
    assert "is unusual (usual range 20 to 1000 mg/dL)" in problem["message"]
    assert not LabResult.objects.exists()
    response = client.post("/api/v1/interop/labs/import", {"file": SimpleUploadedFile("x.csv", _csv(row)),
                                                            "confirm_unusual": True})
    assert response.status_code == 200 and response.json()["imported"] == 1
    entry = AuditEntry.objects.filter(action="lab.record").get()
    assert entry.detail["confirmed_unusual"][0]["quantity"] == "triglycerides"


# --- the FHIR course import ------------------------------------------------------------------------------------


@pytest.fixture
def bundle(course: Any, prescriber: Any, pharmacy: Any, today: dt.date) -> dict[str, Any]:
    build_rich_course(course=course, prescriber=prescriber, pharmacy=pharmacy, today=today)
    return fhir_export.build_bundle(course_export_input(course))


@pytest.fixture
def lakeside(make_user: Callable[..., Any]) -> Any:
    clinic = Clinic.objects.create(name="Lakeside Skin Clinic", program="us-ipledge", city="Lakeview")
    return make_user("dr_lake", "prescriber", clinic=clinic, registration_number="IPL-P-0100")


def _entries(bundle: dict[str, Any], kind: str, code: str | None = None) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind
            and (code is None or e["resource"].get("code", {}).get("coding", [{}])[0].get("code") == code)]


def _spoil(bundle: dict[str, Any], how: str) -> dict[str, Any]:
    bad = copy.deepcopy(bundle)
    if how == "weight":
        _entries(bad, "Observation", "29463-7")[0]["valueQuantity"]["value"] = 0.1
    elif how == "tg0":
        _entries(bad, "Observation", TG)[0]["valueQuantity"]["value"] = 0
    elif how == "tg999999":
        _entries(bad, "Observation", TG)[0]["valueQuantity"]["value"] = 999999
    elif how == "born1900":
        _entries(bad, "Patient")[0]["birthDate"] = "1900-01-01"
    elif how == "born6days":
        _entries(bad, "Patient")[0]["birthDate"] = "2026-11-20"
    elif how == "dose1000":
        request = _entries(bad, "MedicationRequest")[0]
        request["dosageInstruction"][0]["doseAndRate"][0]["doseQuantity"]["value"] = 1000
    return bad


@pytest.mark.parametrize("how", ["weight", "tg0", "tg999999", "born1900", "born6days", "dose1000"])
def test_the_course_import_refuses_each_implausible_value_even_when_confirmed(
        bundle: dict[str, Any], lakeside: Any, today: dt.date, how: str) -> None:
    patients = Patient.objects.count()
    for confirm in (False, True):
        report = fci.course_import(actor=lakeside, data=json.dumps(_spoil(bundle, how)).encode(), today=today,
                                   confirm_unusual=confirm)
        assert not report.written and report.problems, how
        assert any("cannot be right" in p.message for p in report.problems), [p.message for p in report.problems]
    assert Patient.objects.count() == patients


def test_the_course_import_asks_for_a_confirmation_of_an_unusual_weight(
        bundle: dict[str, Any], lakeside: Any, today: dt.date) -> None:
    bad = copy.deepcopy(bundle)
    _entries(bad, "Observation", "29463-7")[0]["valueQuantity"]["value"] = 250
    report = fci.course_import(actor=lakeside, data=json.dumps(bad).encode(), today=today)
    assert not report.written and any("is unusual" in p.message for p in report.problems)
    report = fci.course_import(actor=lakeside, data=json.dumps(bad).encode(), today=today, confirm_unusual=True)
    assert report.written, [p.message for p in report.problems]


# --- prescribing shows what the program still needs, before saving ---------------------------------------------


def test_the_prescribe_page_lists_what_the_program_still_needs_before_saving(
        login: Callable[[Any], Any], prescriber: Any, course: Any) -> None:
    html = login(prescriber).get(reverse("ppp:prescribe", args=[course.pk])).content.decode()
    section = html[html.index('id="still-needed"'):html.index("</section>", html.index('id="still-needed"'))]
    assert "Warning: the pharmacy cannot dispense a prescription written today" in section
    assert "<li>" in section and "_" not in section.split("<ul", 1)[1]


def test_the_prescribe_page_says_nothing_is_missing_when_everything_is_met(
        login: Callable[[Any], Any], prescriber: Any, course: Any, today: dt.date, make_ready: Any,
        certify: Any) -> None:
    make_ready(course, prescriber, today)
    certify(prescriber=prescriber)
    html = login(prescriber).get(reverse("ppp:prescribe", args=[course.pk])).content.decode()
    section = html[html.index('id="still-needed"'):html.index("</section>", html.index('id="still-needed"'))]
    assert "Warning" not in section and "Nothing: every condition" in section, section
