"""Lab import (CSV and FHIR): every bad row reported with its line; all or nothing unless partial."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from course_builder import build_full_course
from django.db import transaction
from django.urls import reverse

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import PermissionDeniedError
from clearcourse.interop import csv_import, fhir_export, fhir_import, services
from clearcourse.interop.fhir_validate import bundle_errors
from clearcourse.interop.selectors import course_export_input
from clearcourse.monitoring.models import EntrySource, LabResult
from clearcourse.monitoring.services import LAB_ULN_REQUIRED, LAB_VALUE_NEGATIVE
from clearcourse.ppp.models import PregnancyTest

HEADER = csv_import.HEADER
GOOD = [
    "R-0001,2004-03-01,1742-6,32,U/L,40,2026-10-02",
    "R-0001,2004-03-01,2571-8,1.9,mmol/L,,2026-10-02",
    "R-0001,2004-03-01,2106-3,negative,,,2026-10-02",
]


def _csv(*lines: str) -> bytes:
    return ("\n".join((HEADER, *lines)) + "\n").encode()


def _import(actor: Any, data: bytes, today: dt.date, fmt: str = "csv", partial: bool = False) -> services.ImportReport:
    return services.lab_import(actor=actor, data=data, fmt=fmt, today=today, partial=partial, filename="labs.csv")


@pytest.mark.django_db
def test_a_good_csv_is_imported_through_the_monitoring_and_program_services(course: Any, prescriber: Any,
                                                                            today: dt.date) -> None:
    report = _import(prescriber, _csv(*GOOD), today)
    assert report.ok and report.written and report.imported == 3 and report.rows == 3
    labs = LabResult.objects.filter(course=course).order_by("loinc")
    assert [(lab.loinc, str(lab.value), lab.unit, lab.source) for lab in labs] == [
        ("1742-6", "32.000", "U/L", EntrySource.IMPORT), ("2571-8", "1.900", "mmol/L", EntrySource.IMPORT)]
    test = PregnancyTest.objects.get(course=course)
    assert (test.collected_on, test.setting, test.result) == (dt.date(2026, 10, 2), "lab", "negative")
    assert AuditEntry.objects.filter(action="interop.lab_import").count() == 1


@pytest.mark.django_db
def test_one_bad_row_writes_nothing_and_every_bad_row_is_reported_with_its_line(course: Any, prescriber: Any,
                                                                               today: dt.date) -> None:
    data = _csv(
        GOOD[0],
        "R-0001,2004-03-01,1920-8,30,U/L,,2026-10-02",  # line 3: AST needs the ULN (the service says so)
        "R-0001,2004-03-01,2571-8,-1,mg/dL,,2026-10-02",  # line 4: negative (the service says so)
        "R-0001,2004-02-30,2571-8,150,mg/dL,,2026-10-02",  # line 5: impossible birth date (the reader)
        "R-9999,2004-03-01,2571-8,150,mg/dL,,2026-10-02",  # line 6: no such patient
        "R-0001,2004-03-01,9999-9,1,mg/dL,,2026-10-02",  # line 7: unknown LOINC
        "R-0001,2004-03-01,2106-3,maybe,,,2026-10-02",  # line 8: not negative/positive
        "R-0001,2004-03-01,2571-8,150,mg/dL,,2026-10-02,extra",  # line 9: too many values
    )
    report = _import(prescriber, data, today)
    assert not report.written and report.imported == 0
    assert LabResult.objects.count() == 0 and PregnancyTest.objects.count() == 0
    by_line = {p.line: p for p in report.problems}
    assert sorted(by_line) == [3, 4, 5, 6, 7, 8, 9]
    assert by_line[3].field == "uln" and by_line[3].message == LAB_ULN_REQUIRED % {"test": "AST"}
    assert by_line[4].field == "value" and by_line[4].message == LAB_VALUE_NEGATIVE
    assert by_line[5].field == "birth_date" and by_line[5].message == csv_import.FIELD_BAD_DATE
    assert by_line[6].message == services.NO_SUCH_PATIENT
    assert by_line[7].field == "loinc"
    assert by_line[8].field == "value"
    assert by_line[9].where == "line 9"


@pytest.mark.django_db
def test_partial_import_writes_the_good_rows_and_reports_the_bad(course: Any, prescriber: Any, today: dt.date) -> None:
    data = _csv(GOOD[0], "R-0001,2004-03-01,1920-8,30,U/L,,2026-10-02", GOOD[1])
    report = _import(prescriber, data, today, partial=True)
    assert report.written and report.imported == 2
    assert [(p.line, p.field) for p in report.problems] == [(3, "uln")]
    assert LabResult.objects.filter(course=course).count() == 2


@pytest.mark.django_db
def test_importing_the_same_file_twice_refuses_the_repeats(course: Any, prescriber: Any, today: dt.date) -> None:
    assert _import(prescriber, _csv(*GOOD), today).written
    again = _import(prescriber, _csv(*GOOD), today)
    assert not again.written
    assert [p.message for p in again.problems] == [services.DUPLICATE_IN_DB] * 3
    assert LabResult.objects.count() == 2


@pytest.mark.django_db
def test_a_row_repeated_in_the_file_is_reported(course: Any, prescriber: Any, today: dt.date) -> None:
    report = _import(prescriber, _csv(GOOD[0], GOOD[0]), today)
    assert [(p.line, p.message) for p in report.problems] == [(3, services.DUPLICATE_IN_FILE.format(where="line 2"))]


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "error"), [
    (b"", csv_import.FILE_EMPTY),
    (b"\xff\xfe\x00bad", csv_import.FILE_NOT_TEXT),
    (b"record_number,birth_date,loinc,value,unit\n", csv_import.HEADER_MISSING.format(columns="collected_on")),
    (f"{HEADER},comment\n".encode(), csv_import.HEADER_UNKNOWN.format(columns="comment")),
])
def test_a_file_with_a_bad_header_or_encoding_is_refused_whole(course: Any, prescriber: Any, today: dt.date,
                                                               data: bytes, error: str) -> None:
    report = _import(prescriber, data, today)
    assert report.file_error == error and not report.written


@pytest.mark.django_db
def test_patients_outside_the_users_scope_are_not_found(course: Any, other_prescriber: Any, today: dt.date) -> None:
    report = _import(other_prescriber, _csv(GOOD[0]), today)
    assert [p.message for p in report.problems] == [services.NO_SUCH_PATIENT]


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["pharmacist", "patient_user", "admin_user"])
def test_only_clinic_staff_may_import(request: pytest.FixtureRequest, course: Any, today: dt.date,
                                     persona: str) -> None:
    with pytest.raises(PermissionDeniedError):
        _import(request.getfixturevalue(persona), _csv(*GOOD), today)


# --- FHIR -------------------------------------------------------------------------------------------


def _observation(**over: Any) -> dict[str, Any]:
    obs: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "contained": [{"resourceType": "Patient", "id": "p", "identifier": [{"value": "R-0001"}],
                       "birthDate": "2004-03-01"}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "1742-6"}]},
        "subject": {"reference": "#p"}, "effectiveDateTime": "2026-10-02T08:15:00+02:00",
        "valueQuantity": {"value": 55, "unit": "U/L", "system": "http://unitsofmeasure.org", "code": "U/L"},
        "referenceRange": [{"high": {"value": 40, "unit": "U/L", "system": "http://unitsofmeasure.org",
                                     "code": "U/L"}}],
    }
    obs.update(over)
    return obs


@pytest.mark.django_db
def test_a_single_fhir_observation_is_imported(course: Any, prescriber: Any, today: dt.date) -> None:
    report = _import(prescriber, json.dumps(_observation()).encode(), today, fmt="fhir")
    assert report.written, report.as_json()
    lab = LabResult.objects.get(course=course)
    assert (lab.loinc, lab.value, lab.uln, lab.collected_on) == ("1742-6", 55, 40, dt.date(2026, 10, 2))


@pytest.mark.django_db
def test_a_fhir_bundle_reports_bad_entries_by_number(course: Any, prescriber: Any, today: dt.date) -> None:
    entries = [
        _observation(),
        _observation(status="preliminary"),
        _observation(effectiveDateTime="2026-13-01"),  # not a date: R4 validation refuses it
        _observation(subject={"reference": "#nobody"}),
        _observation(code={"coding": [{"system": "http://loinc.org", "code": "2345-7"}]}),  # glucose: not ours
        {"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueBoolean": "yes"},
    ]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": e} for e in entries]}
    report = _import(prescriber, json.dumps(bundle).encode(), today, fmt="fhir")
    assert not report.written and LabResult.objects.count() == 0
    fields = {p.line: p.field for p in report.problems}
    assert fields == {2: "status", 3: "", 4: "subject", 5: "code", 6: ""}
    assert all(p.where == f"entry {p.line}" for p in report.problems)


@pytest.mark.django_db
@pytest.mark.parametrize(("data", "error"), [
    (b"{not json", fhir_import.NOT_JSON.format(error="Expecting property name enclosed in double quotes at line 1")),
    (b'{"resourceType": "Patient"}', fhir_import.NOT_FHIR),
    (b'{"resourceType": "Bundle", "type": "collection", "entry": []}', fhir_import.NO_OBSERVATIONS),
])
def test_a_file_that_is_not_observations_is_refused_whole(course: Any, prescriber: Any, today: dt.date,
                                                          data: bytes, error: str) -> None:
    assert _import(prescriber, data, today, fmt="fhir").file_error == error


# --- round trip ---------------------------------------------------------------------------------------


def _lab_content(bundle: dict[str, Any]) -> list[str]:
    """The clinical content of the lab and pregnancy-test Observations, without ids or references."""
    out = []
    for e in bundle["entry"]:
        r = e["resource"]
        if r["resourceType"] == "Observation" and r["code"]["coding"][0]["system"] == "http://loinc.org" \
                and r.get("category", [{}])[0].get("coding", [{}])[0].get("code") == "laboratory":
            kept = {k: v for k, v in r.items() if k not in ("id", "subject", "performer")}
            out.append(json.dumps(kept, sort_keys=True))
    return sorted(out)


@pytest.mark.django_db
def test_round_trip_export_import_into_an_empty_database_export_again(course: Any, prescriber: Any, pharmacy: Any,
                                                                      today: dt.date) -> None:
    from clearcourse.courses.models import Course

    # Build the course and export it inside a savepoint that is then rolled back: the database is
    # empty of it again, as a fresh installation would be.
    with transaction.atomic():
        build_full_course(course=course, prescriber=prescriber, pharmacy=pharmacy, today=today)
        exported = fhir_export.build_bundle(course_export_input(Course.objects.get(pk=course.pk)))
        transaction.set_rollback(True)
    assert LabResult.objects.count() == 0 and PregnancyTest.objects.count() == 0
    assert bundle_errors(exported) == []

    report = _import(prescriber, json.dumps(exported).encode(), today, fmt="fhir")
    assert report.ok and report.written, report.as_json()
    assert report.imported == 4  # ALT, triglycerides, two pregnancy tests
    again = fhir_export.build_bundle(course_export_input(Course.objects.get(pk=course.pk)))
    before = _lab_content(exported)
    assert len(before) == 4
    assert _lab_content(again) == before


def test_a_home_test_in_a_bundle_is_not_imported() -> None:
    obs = _observation(code={"coding": [{"system": "http://loinc.org", "code": "80384-1"}]},
                       valueCodeableConcept={"coding": [{"system": "http://snomed.info/sct", "code": "260385009"}]},
                       method={"coding": [{"system": "urn:clearcourse:fhir:pregnancy-test-setting", "code": "home"}]})
    del obs["valueQuantity"], obs["referenceRange"]
    parsed = fhir_import.read_observations(json.dumps(obs).encode())
    assert [(p.field, p.message) for p in parsed.problems] == [("method", fhir_import.HOME_TEST)]


# --- page and command -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_upload_page_imports_and_reports(course: Any, delegate: Any, login: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(delegate)
    assert client.get(reverse("interop:lab_import")).status_code == 200
    bad = SimpleUploadedFile("labs.csv", _csv(GOOD[0], "R-0001,2004-03-01,1920-8,30,U/L,,2026-10-02"))
    response = client.post(reverse("interop:lab_import"), {"file": bad, "format": "auto"})
    assert response.status_code == 400
    assert b"line 3" in response.content and LabResult.objects.count() == 0
    good = SimpleUploadedFile("labs.csv", _csv(*GOOD))
    response = client.post(reverse("interop:lab_import"), {"file": good, "format": "csv"})
    assert response.status_code == 200 and LabResult.objects.count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize(("persona", "status"), [("pharmacist", 403), ("patient_user", 403), ("admin_user", 403)])
def test_the_upload_page_is_for_clinic_staff_only(request: pytest.FixtureRequest, login: Any, persona: str,
                                                  status: int) -> None:
    assert login(request.getfixturevalue(persona)).get(reverse("interop:lab_import")).status_code == status


@pytest.mark.django_db
def test_the_management_command_imports_and_fails_on_bad_rows(course: Any, prescriber: Any, tmp_path: Any) -> None:
    from django.core.management import CommandError, call_command

    good = tmp_path / "good.csv"
    good.write_bytes(_csv(*GOOD))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv("R-0001,2004-03-01,1920-8,30,U/L,,2026-10-02"))
    with pytest.raises(CommandError):
        call_command("import_labs", str(bad), "--as", prescriber.username)
    assert LabResult.objects.count() == 0
    call_command("import_labs", str(good), "--as", prescriber.username)
    assert LabResult.objects.count() == 2
