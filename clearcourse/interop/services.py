"""Import lab results (CSV or FHIR Observations) through the services that own them.

Every row goes through the same write a person's form uses: numeric results through
``monitoring.services.lab_result_record`` (units, ranges, ULN, alerts), qualitative pregnancy tests
through ``ppp.services.pregnancy_test_record`` (laboratory tests; a clinic test when a ClearCourse
export names that setting; home tests are never imported). Their validation is the only one;
this module adds what only an import needs: finding the patient (record number *and* birth date, in
the clinic's scope), choosing the course, and refusing a row that repeats one already recorded.

All or nothing by default: when any row is bad, nothing of the file is written and every problem is
reported with its line. With ``partial=True`` the good rows are written and the bad ones reported.
The import itself is audited (``interop.lab_import``), besides each record's own audit entry.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core import numbers
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.courses.models import Course, CourseStatus, Patient
from clearcourse.courses.selectors import patients_visible_to
from clearcourse.interop.csv_import import QUALITATIVE_LOINC, read_csv
from clearcourse.interop.fhir_import import read_observations
from clearcourse.interop.rows import LabRow, ParsedFile, RowProblem
from clearcourse.monitoring.models import EntrySource, LabResult
from clearcourse.monitoring.services import lab_result_record
from clearcourse.ppp.models import PregnancyTest
from clearcourse.ppp.services import pregnancy_test_record

STAFF_ONLY = "Only the clinic's staff can import lab results."
NO_SUCH_PATIENT = "No patient of your clinic has this record number and date of birth."
NO_COURSE = "The patient has no course to file this result under."
DUPLICATE_IN_DB = "This result is already recorded (same test, date and value)."
DUPLICATE_IN_FILE = "repeats {where}"
FORMAT_UNKNOWN = "Choose CSV or FHIR JSON."

FORMATS = ("csv", "fhir")
#: A course closed or stopped takes no new results unless it is the patient's only course.
_OPEN_STATUSES = (CourseStatus.PLANNED, CourseStatus.ACTIVE, CourseStatus.PAUSED, CourseStatus.COMPLETED)


@dataclass(slots=True)
class ImportReport:
    rows: int = 0
    imported: int = 0
    written: bool = False
    partial: bool = False
    file_error: str = ""
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.problems

    def as_json(self) -> dict[str, Any]:
        return {"rows": self.rows, "imported": self.imported, "written": self.written, "partial": self.partial,
                "file_error": self.file_error or None, "problems": [p.as_json() for p in self.problems]}


def detect_format(name: str, data: bytes) -> str:
    """``fhir`` for a .json file or content starting with ``{``, else ``csv``."""
    if name.lower().endswith(".json") or data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{":
        return "fhir"
    return "csv"


def parse_file(data: bytes, fmt: str) -> ParsedFile:
    if fmt not in FORMATS:
        raise DomainError(_(FORMAT_UNKNOWN), field="format", code="invalid")
    return read_csv(data) if fmt == "csv" else read_observations(data)


def _course_for(patient: Patient, collected_on: dt.date) -> Course | None:
    """The course a result belongs to: the newest open course that had started by the collection date (or
    has not started yet: baseline labs come before the first dose), else the newest course."""
    courses = list(patient.courses.order_by("-created_at", "-id"))
    for course in courses:
        if course.status in _OPEN_STATUSES and (course.started_on is None or course.started_on <= collected_on
                                                or course == courses[0]):
            return course
    return courses[0] if courses else None


def _already_recorded(course: Course, row: LabRow) -> bool:
    if row.result is not None:
        return PregnancyTest.objects.current().filter(course=course, collected_on=row.collected_on, setting=row.setting,
                                                      result=row.result).exists()
    try:
        value = numbers.parse_decimal(row.value or "")
    except numbers.NumberInputError:
        return False  # the service refuses it on its field
    return LabResult.objects.current().filter(course=course, loinc=row.loinc, collected_on=row.collected_on,
                                              value=value.quantize(Decimal("0.001"))).exists()


def _row_key(row: LabRow) -> tuple[Any, ...]:
    return (row.record_number, row.birth_date, row.loinc, row.collected_on, row.value, row.unit, row.result,
            row.setting)


def _record(*, actor: User, row: LabRow, today: dt.date, patients: dict[tuple[str, dt.date], Patient | None],
            confirm_unusual: bool = False) -> None:
    """Write one row or raise DomainError naming the field at fault."""
    key = (row.record_number, row.birth_date)
    if key not in patients:
        patients[key] = patients_visible_to(actor).filter(record_number=row.record_number,
                                                          birth_date=row.birth_date).first()
    patient = patients[key]
    if patient is None:
        raise DomainError(_(NO_SUCH_PATIENT), field="record_number", code="no_patient")
    course = _course_for(patient, row.collected_on)
    if course is None:
        raise DomainError(_(NO_COURSE), field="record_number", code="no_course")
    if _already_recorded(course, row):
        raise DomainError(_(DUPLICATE_IN_DB), field="value", code="duplicate")
    if row.loinc in QUALITATIVE_LOINC:
        pregnancy_test_record(actor=actor, course=course, collected_on=row.collected_on, setting=row.setting,
                              result=row.result or "", today=today)
    else:
        lab_result_record(actor=actor, course=course, loinc=row.loinc, value=row.value or "", unit=row.unit,
                          collected_on=row.collected_on, today=today, uln=row.uln, source=EntrySource.IMPORT,
                          confirm_unusual=confirm_unusual)


def lab_import(*, actor: User, data: bytes, fmt: str, today: dt.date, partial: bool = False,
               filename: str = "", confirm_unusual: bool = False) -> ImportReport:
    """Import a file of lab results; see the module docstring for what is written when."""
    if actor.role not in (Role.PRESCRIBER, Role.DELEGATE):
        raise PermissionDeniedError(_(STAFF_ONLY), code="not_clinic_staff")
    parsed = parse_file(data, fmt)
    report = ImportReport(partial=partial, file_error=parsed.file_error)
    if parsed.file_error:
        return report
    report.rows = len(parsed.rows) + len({p.line for p in parsed.problems})
    report.problems = list(parsed.problems)
    patients: dict[tuple[str, dt.date], Patient | None] = {}
    seen: dict[tuple[Any, ...], str] = {}
    with transaction.atomic():
        for row in parsed.rows:
            key = _row_key(row)
            if key in seen:
                report.problems.append(RowProblem(row.where, row.line, "", DUPLICATE_IN_FILE.format(where=seen[key])))
                continue
            seen[key] = row.where
            try:
                # Each row in its own savepoint, so a refused row leaves no trace and the others stay.
                with transaction.atomic():
                    _record(actor=actor, row=row, today=today, patients=patients, confirm_unusual=confirm_unusual)
            except DomainError as exc:
                report.problems.append(RowProblem(row.where, row.line, exc.field or "", exc.message))
                continue
            report.imported += 1
        report.problems.sort(key=lambda p: p.line)
        if report.problems and not partial:
            # All or nothing: undo every row written above; nothing of this file stays.
            transaction.set_rollback(True)
            report.imported = 0
            return report
        report.written = report.imported > 0
        audit_record(actor=actor, action="interop.lab_import", detail={
            "file": filename[:100], "format": fmt, "rows": report.rows, "imported": report.imported,
            "problems": len(report.problems), "partial": partial, "confirm_unusual": confirm_unusual})
    return report
