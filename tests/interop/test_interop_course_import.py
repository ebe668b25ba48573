"""Whole-course FHIR import: all or nothing, every bad entry reported with its index; who may import; the command."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from interop_rich_course import build_rich_course, clinical_content

from clearcourse.accounts.models import Clinic, Pharmacy, User
from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import PermissionDeniedError
from clearcourse.courses.models import Course, Patient
from clearcourse.courses.services import DATE_IN_FUTURE, RECORD_NUMBER_TAKEN
from clearcourse.interop import codes, fhir_export
from clearcourse.interop import fhir_course_import as fci
from clearcourse.interop.fhir_course_import import messages as fci_messages
from clearcourse.interop.selectors import course_export_input
from clearcourse.monitoring.services import LAB_VALUE_NEGATIVE

# Home-test photos of the built course go to a temporary folder (tests/conftest.py), not the project's media.
pytestmark = pytest.mark.usefixtures("media")


@pytest.fixture
def bundle(course: Any, prescriber: Any, pharmacy: Any, today: dt.date) -> dict[str, Any]:
    build_rich_course(course=course, prescriber=prescriber, pharmacy=pharmacy, today=today)
    return fhir_export.build_bundle(course_export_input(course))


@pytest.fixture
def lakeside(make_user: Callable[..., Any]) -> Any:
    """A prescriber of a second US clinic: the import lands there, next to the original course."""
    clinic = Clinic.objects.create(name="Lakeside Skin Clinic", program="us-ipledge", city="Lakeview")
    return make_user("dr_lake", "prescriber", clinic=clinic, registration_number="IPL-P-0100")


def _data(bundle: dict[str, Any]) -> bytes:
    return json.dumps(bundle).encode()


def _index(bundle: dict[str, Any], predicate: Callable[[dict[str, Any]], bool], nth: int = 0) -> int:
    return [i for i, e in enumerate(bundle["entry"]) if predicate(e["resource"])][nth]


def _is(kind: str, loinc: str | None = None) -> Callable[[dict[str, Any]], bool]:
    def check(r: dict[str, Any]) -> bool:
        return r["resourceType"] == kind and (loinc is None or r["code"]["coding"][0]["code"] == loinc)
    return check


@pytest.mark.django_db
def test_every_bad_entry_is_reported_with_its_index_and_nothing_is_written(
        bundle: dict[str, Any], lakeside: Any, today: dt.date) -> None:
    bad = copy.deepcopy(bundle)
    entries = bad["entry"]
    rx_first = _index(bad, _is("MedicationRequest"))
    rx_last = _index(bad, _is("MedicationRequest"), 2)
    dispense_of_first = next(i for i, e in enumerate(entries) if e["resource"]["resourceType"] == "MedicationDispense"
                             and e["resource"]["authorizingPrescription"][0]["reference"] == entries[rx_first]["fullUrl"])
    dispense_other = next(i for i, e in enumerate(entries) if e["resource"]["resourceType"] == "MedicationDispense"
                          and i != dispense_of_first)
    alt = _index(bad, _is("Observation", "1742-6"))
    procedure = _index(bad, _is("Procedure"))
    weight = _index(bad, _is("Observation", "29463-7"))
    entries[rx_first]["resource"]["authoredOn"] = "2027-01-05"  # in the future: the prescription is refused ...
    entries[rx_last]["resource"]["medicationCodeableConcept"]["coding"][-1]["code"] = "absorica"  # another product
    entries[dispense_other]["resource"]["daysSupply"]["value"] = 200
    entries[alt]["resource"]["valueQuantity"]["value"] = -1  # refused by the monitoring service
    entries[procedure]["resource"]["performedDateTime"] = "2027-02-01"
    entries[weight]["resource"]["effectiveDateTime"] = "2026-02-30"  # not valid R4
    entries.append({"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001", "resource": {
        "resourceType": "Observation", "status": "final", "code": {"coding": [{"system": codes.LOINC,
                                                                             "code": "718-7"}]},
        "subject": {"reference": entries[0]["fullUrl"]}, "valueQuantity": {"value": 13}}})  # haemoglobin
    unknown = len(entries) - 1
    users, patients, audits = User.objects.count(), Patient.objects.count(), AuditEntry.objects.count()

    report = fci.course_import(actor=lakeside, data=_data(bad), today=today)

    assert not report.written and report.course_id is None
    got = {(p.index, p.resource_type, p.field, p.message) for p in report.problems}
    assert got == {
        (rx_first, "MedicationRequest", "authoredOn", DATE_IN_FUTURE),
        # ... and so is its dispense, with the reason
        (dispense_of_first, "MedicationDispense", "authorizingPrescription",
         fci_messages.REFERENCE_FAILED.format(index=rx_first)),
        (rx_last, "MedicationRequest", "medicationCodeableConcept",
         fci_messages.PRODUCT_MISMATCH.format(product="conventional")),
        (dispense_other, "MedicationDispense", "daysSupply", fci_messages.BAD_DAYS),
        (alt, "Observation", "valueQuantity", LAB_VALUE_NEGATIVE),
        (procedure, "Procedure", "performedDateTime", DATE_IN_FUTURE),
        (unknown, "Observation", "", fci_messages.NOT_IMPORTED.format(type="Observation")),
    } | {(weight, "Observation", "", next(p.message for p in report.problems if p.index == weight))}
    assert next(p.message for p in report.problems if p.index == weight).startswith("Not a valid FHIR R4 Observation")
    assert [p.index for p in report.problems] == sorted(p.index for p in report.problems)
    # All or nothing: not one row of the import stays, and the import is not audited.
    assert (User.objects.count(), Patient.objects.count(), AuditEntry.objects.count()) == (users, patients, audits)
    assert report.as_json()["problems"][0]["entry"].startswith("Bundle.entry[")


@pytest.mark.django_db
def test_a_good_bundle_lands_in_the_importers_clinic_with_one_audit_entry(bundle: dict[str, Any], lakeside: Any,
                                                                           today: dt.date) -> None:
    report = fci.course_import(actor=lakeside, data=_data(bundle), today=today, filename="course.json")
    assert report.ok and report.written
    course = Course.objects.get(pk=report.course_id)
    assert course.clinic_id == lakeside.clinic_id and course.patient.record_number == "R-0001"
    assert report.imported["prescription"] == 3 and report.imported["pregnancy_test"] == 4
    assert report.imported["mood_screen"] == 2 and report.imported["mood_total"] == 2
    # The pharmacies were known by their registration numbers: none created.
    assert report.created["pharmacies"] == [] and Pharmacy.objects.count() == 2
    assert any("Riverside Dermatology" in note for note in report.notes)
    entry = AuditEntry.objects.get(action="interop.course_import")
    assert entry.detail["file"] == "course.json" and entry.detail["imported"]["dispense"] == 2
    # The imported course exports to the same clinical content, apart from the clinic it now belongs to.
    again = clinical_content(fhir_export.build_bundle(course_export_input(course)))
    first = clinical_content(bundle)
    for kind in ("MedicationRequest", "MedicationDispense", "QuestionnaireResponse", "Procedure", "Practitioner"):
        assert again[kind] == first[kind], kind


@pytest.mark.django_db
def test_a_practitioner_with_a_registration_number_the_clinic_knows_is_that_prescriber(
        bundle: dict[str, Any], make_user: Callable[..., Any], lakeside: Any, today: dt.date) -> None:
    rivera_here = make_user("dr_rivera_lake", "prescriber", clinic=lakeside.clinic, registration_number="IPL-P-0001",
                            first_name="Ana", last_name="Rivera")
    report = fci.course_import(actor=lakeside, data=_data(bundle), today=today)
    assert report.written
    assert Course.objects.get(pk=report.course_id).prescriber == rivera_here
    assert report.created["practitioners"] == ["imported-ipl-p-0002"]
    # Never matched across clinics: the Dr Chen of the original clinic is not reused.
    assert User.objects.filter(registration_number="IPL-P-0002").count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["delegate", "pharmacist", "admin_user", "patient_user"])
def test_only_a_registered_prescriber_can_import_a_course(request: pytest.FixtureRequest, bundle: dict[str, Any],
                                                          persona: str, today: dt.date) -> None:
    with pytest.raises(PermissionDeniedError) as caught:
        fci.course_import(actor=request.getfixturevalue(persona), data=_data(bundle), today=today)
    assert caught.value.message == fci_messages.ONLY_PRESCRIBERS


@pytest.mark.django_db
def test_a_course_of_another_program_is_refused_as_a_whole(bundle: dict[str, Any], other_prescriber: Any,
                                                           today: dt.date) -> None:
    report = fci.course_import(actor=other_prescriber, data=_data(bundle), today=today)
    assert report.file_error == fci_messages.PROGRAM_NOT_CLINIC.format(program="us-ipledge", clinic="eu-ppp")
    assert not report.written and Course.objects.count() == 1


@pytest.mark.django_db
def test_a_record_number_already_used_in_the_clinic_refuses_the_patient(bundle: dict[str, Any], prescriber: Any,
                                                                        today: dt.date) -> None:
    report = fci.course_import(actor=prescriber, data=_data(bundle), today=today)
    assert [(p.index, p.resource_type, p.field, p.message) for p in report.problems] == [
        (0, "Patient", "identifier", RECORD_NUMBER_TAKEN)]
    assert Course.objects.count() == 1


@pytest.mark.django_db
def test_a_phq_total_that_is_not_the_score_of_its_answers_is_refused(bundle: dict[str, Any], lakeside: Any,
                                                                    today: dt.date) -> None:
    total = _index(bundle, _is("Observation", codes.PHQ9_TOTAL.code))
    bundle["entry"][total]["resource"]["valueInteger"] = 9
    report = fci.course_import(actor=lakeside, data=_data(bundle), today=today)
    assert [(p.index, p.field, p.message) for p in report.problems] == [
        (total, "valueInteger", fci_messages.TOTAL_DIFFERS.format(total=9, score=2))]


@pytest.mark.django_db
def test_a_dispense_longer_than_its_prescription_is_refused(bundle: dict[str, Any], lakeside: Any,
                                                            today: dt.date) -> None:
    dispense = _index(bundle, _is("MedicationDispense"))
    bundle["entry"][dispense]["resource"]["daysSupply"]["value"] = 31
    report = fci.course_import(actor=lakeside, data=_data(bundle), today=today)
    assert [(p.index, p.field) for p in report.problems] == [(dispense, "daysSupply")]
    assert report.problems[0].message.startswith("31 days dispensed")


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "message"), [
    (b"{not json", "The file is not JSON"),
    (b'{"resourceType": "Patient"}', fci_messages.NOT_A_BUNDLE),
    (b'{"resourceType": "Bundle", "type": "collection"}', fci_messages.NO_ENTRIES),
    (json.dumps({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Patient"}}] * 2}).encode(),
     fci_messages.ONE_PATIENT.format(count=2)),
])
def test_a_file_that_is_not_a_course_bundle_is_refused_as_a_whole(lakeside: Any, today: dt.date, data: bytes,
                                                                  message: str) -> None:
    report = fci.course_import(actor=lakeside, data=data, today=today)
    assert report.file_error.startswith(message) and not report.written


@pytest.mark.django_db
def test_the_comparison_sees_a_changed_date(bundle: dict[str, Any]) -> None:
    changed = copy.deepcopy(bundle)
    changed["entry"][_index(changed, _is("MedicationDispense"))]["resource"]["whenHandedOver"] = "2026-09-08"
    assert clinical_content(changed)["MedicationDispense"] != clinical_content(bundle)["MedicationDispense"]
    assert clinical_content(changed)["Patient"] == clinical_content(bundle)["Patient"]


@pytest.mark.django_db
def test_the_command_imports_a_file_and_prints_the_report(bundle: dict[str, Any], lakeside: Any,
                                                          tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "course.json"
    path.write_text(json.dumps(bundle))
    call_command("import_fhir_course", str(path), "--as", "dr_lake")
    report = json.loads(capsys.readouterr().out)
    assert report["written"] is True and report["imported"]["dispense"] == 2
    assert Course.objects.filter(clinic=lakeside.clinic).count() == 1


@pytest.mark.django_db
def test_the_command_fails_when_nothing_was_imported(bundle: dict[str, Any], prescriber: Any, tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "course.json"
    path.write_text(json.dumps(bundle))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_fhir_course", str(path), "--as", "dr_rivera")
    assert json.loads(capsys.readouterr().out)["problems"][0]["field"] == "identifier"
    with pytest.raises(CommandError, match="no active user"):
        call_command("import_fhir_course", str(path), "--as", "nobody")


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path below a resource (its id and type excepted), to cut one out."""
    out: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        if prefix == () and key in ("resourceType", "id"):
            continue
        out.append((*prefix, key))
        out += _paths(item, (*prefix, key))
    return out


@pytest.mark.django_db
def test_a_bundle_with_any_element_cut_out_gives_a_report_never_a_crash(bundle: dict[str, Any], lakeside: Any,
                                                                        today: dt.date) -> None:
    import random

    from django.db import transaction

    chooser = random.Random(7)  # fixed: the same 60 cuts on every run
    cuts = [(i, path) for i, e in enumerate(bundle["entry"]) if e["resource"]["resourceType"] != "AuditEvent"
            for path in _paths(e["resource"])]
    outcomes = set()
    for index, path in chooser.sample(cuts, 60):
        cut = copy.deepcopy(bundle)
        parent = cut["entry"][index]["resource"]
        for key in path[:-1]:
            parent = parent[key]
        del parent[path[-1]]
        with transaction.atomic():
            report = fci.course_import(actor=lakeside, data=_data(cut), today=today)
            transaction.set_rollback(True)
        assert report.written or report.file_error or report.problems, (index, path)
        assert all(0 <= p.index < len(cut["entry"]) for p in report.problems), (index, path)
        outcomes.add(report.written)
    assert outcomes == {True, False}  # some cuts are harmless (a display, a text), others are not


def _local(kind: str, system: str, code: str) -> Callable[[dict[str, Any]], bool]:
    def check(r: dict[str, Any]) -> bool:
        concept = r.get("code") if kind == "Observation" else (
            r.get("category") if kind == "MedicationStatement" else _first_of(r.get("category")))
        return r["resourceType"] == kind and (system, code) in {
            (c.get("system"), c.get("code")) for c in (concept or {}).get("coding", [])}
    return check


def _first_of(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


@pytest.mark.django_db
def test_a_bad_course_plan_severity_side_effect_or_missed_dose_entry_is_reported_and_nothing_is_written(
        bundle: dict[str, Any], lakeside: Any, today: dt.date) -> None:
    bad = copy.deepcopy(bundle)
    entries = bad["entry"]
    plan = _index(bad, _local("CarePlan", codes.LOCAL_EVENT, codes.EVENT_COURSE.code))
    assessment = _index(bad, _local("Observation", codes.LOCAL_SEVERITY, codes.SEVERITY_ASSESSMENT.code))
    effects = _index(bad, _local("Observation", codes.LOCAL_EVENT, codes.EVENT_SIDE_EFFECTS.code))
    missed = _index(bad, _local("MedicationStatement", codes.LOCAL_EVENT, codes.EVENT_MISSED_DOSE.code))
    entries[plan]["resource"]["activity"][0]["detail"]["dailyAmount"]["value"] = 35  # the plan computes 30
    score = next(c for c in entries[assessment]["resource"]["component"]
                 if c["code"]["coding"][0]["code"] == codes.SEVERITY_GAGS_SCORE.code)
    score["valueInteger"] = 40  # the regions add up to 28
    entries[effects]["resource"]["component"][0]["code"]["coding"][0]["code"] = "hair_turned_green"
    entries[missed]["resource"]["effectivePeriod"]["end"] = "2027-01-05"  # ends in the future
    patients = Patient.objects.count()

    report = fci.course_import(actor=lakeside, data=_data(bad), today=today)

    assert not report.written and report.course_id is None
    assert Patient.objects.count() == patients
    got = {(p.index, p.field) for p in report.problems}
    assert (plan, "activity.detail.dailyAmount") in got
    assert (assessment, "component") in got
    assert any(p.index == effects for p in report.problems)
    assert any(p.index == missed for p in report.problems)
    messages = {p.index: p.message for p in report.problems}
    assert messages[plan] == fci_messages.PLAN_DOSE_DIFFERS.format(dose=35, computed=30)
    assert messages[assessment] == fci_messages.GAGS_SCORE_DIFFERS.format(score=40, computed=28)


@pytest.mark.django_db
def test_a_bundle_with_a_course_plan_does_not_note_the_course_fields_as_missing(
        bundle: dict[str, Any], lakeside: Any, today: dt.date) -> None:
    report = fci.course_import(actor=lakeside, data=_data(bundle), today=today)
    assert report.written, report.as_json()
    assert fci_messages.NOTE_NOT_STORED not in report.notes
    without_plan = copy.deepcopy(bundle)
    without_plan["entry"] = [e for e in without_plan["entry"] if e["resource"]["resourceType"] != "CarePlan"]
    without_plan["entry"] = [e for e in without_plan["entry"] if not _local(
        "MedicationStatement", codes.LOCAL_EVENT, codes.EVENT_MISSED_DOSE.code)(e["resource"])]
    other = lakeside.clinic.patients.get().record_number
    for e in without_plan["entry"]:
        if e["resource"]["resourceType"] == "Patient":
            e["resource"]["identifier"][0]["value"] = other + "-2"
    second = fci.course_import(actor=lakeside, data=_data(without_plan), today=today)
    assert second.written, second.as_json()
    assert fci_messages.NOTE_NOT_STORED in second.notes
