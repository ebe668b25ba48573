"""Clinic data exchange over the JSON API, mounted at ``/api/v1/interop/``.

For the clinic's own systems acting in a signed-in staff session (prescriber or delegate; writes are
CSRF-checked). Errors are ``{"error": {"code", "message", "field"?}}``: 401 not signed in, 403 not clinic
staff (or the second factor is owed), 404 a course outside your clinic, 422 bad input. A refused import
answers 422 with the full report under ``error.report`` and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from clearcourse.accounts.api_auth import SessionRoleAuth, api_actor
from clearcourse.core import clock
from clearcourse.core.errors import DomainError
from clearcourse.interop import selectors, services
from clearcourse.interop.rows import MAX_BYTES

PREFIX = "/interop/"

IMPORT_REFUSED = "Nothing was imported; see the report."


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorSchema(Schema):
    error: ErrorBody


class ProblemOut(Schema):
    line: int
    where: str
    field: str
    message: str


class ImportReportOut(Schema):
    rows: int
    imported: int
    written: bool
    partial: bool
    file_error: str | None = None
    problems: list[ProblemOut]


class ImportRefusedBody(ErrorBody):
    report: ImportReportOut


class ImportRefusedSchema(Schema):
    error: ImportRefusedBody


ERRORS: dict[int, Any] = {401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 422: ErrorSchema}

router = Router(tags=["interop"], auth=[SessionRoleAuth(roles={"prescriber", "delegate"})])


@router.get("/courses/{course_id}/fhir", response={200: dict[str, Any], **ERRORS}, url_name="interop_course_fhir",
            summary="A course as a FHIR R4 collection Bundle")
def course_fhir(request: HttpRequest, course_id: int) -> dict[str, Any]:
    """The Bundle described in ``docs/formats.md`` (Patient, Practitioner, Organization, Condition,
    MedicationRequest/Dispense, Observations, QuestionnaireResponses, Consent, AuditEvents). The
    export is audited. A course outside your clinic is 404."""
    return selectors.course_bundle_for_user(user=api_actor(request), course_id=course_id, now=clock.now())


@router.post("/labs/import", response={200: ImportReportOut, 401: ErrorSchema, 403: ErrorSchema,
                                        422: ImportRefusedSchema}, url_name="interop_lab_import",
             summary="Import lab results (CSV or FHIR JSON)")
def lab_import(request: HttpRequest, file: File[UploadedFile], partial: Form[bool] = False,
               format: Form[str] = "auto", confirm_unusual: Form[bool] = False) -> Any:
    """Every row goes through the same checks as a form entry. Without ``partial`` nothing is written
    unless every row is good; with it the good rows are written. 200 with the report when something
    (or nothing, for an empty file) was written; 422 with the report under ``error.report`` when the
    file or a row was refused and nothing was written. A value outside its test's usual range (the
    plausibility table) is a row problem unless ``confirm_unusual`` is true; a value that cannot be right
    (triglycerides of 0 mg/dL) is always one."""
    data = file.read(MAX_BYTES + 1)
    fmt = services.detect_format(file.name or "", data) if format == "auto" else format
    if fmt not in services.FORMATS:
        raise DomainError(services.FORMAT_UNKNOWN, field="format", code="invalid")
    report = services.lab_import(actor=api_actor(request), data=data, fmt=fmt, today=clock.today(),
                                 partial=partial, filename=file.name or "", confirm_unusual=confirm_unusual)
    if not report.ok and not report.written:
        return Status(422, {"error": {"code": "import_refused", "message": report.file_error or IMPORT_REFUSED,
                                "field": "file", "report": report.as_json()}})
    return Status(200, report.as_json())
