"""The importer's state and bookkeeping: the entries read from the bundle, references, problems and notes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Pharmacy, User
from clearcourse.core.errors import DomainError
from clearcourse.courses.models import Course, Patient, Prescription
from clearcourse.interop import codes
from clearcourse.interop.fhir_course_import.messages import (
    BAD_REFERENCE,
    BAD_STATUS,
    DATE_CONFLICT,
    INVALID_R4,
    NO_ENTRIES,
    NO_PROGRAM,
    NOT_A_BUNDLE,
    NOT_A_RESOURCE,
    NOT_THE_PATIENT,
    ONE_PATIENT,
    PROGRAM_NOT_CLINIC,
    REFERENCE_FAILED,
    UNKNOWN_PROGRAM,
    UNREADABLE,
)
from clearcourse.interop.fhir_course_import.reading import _Entry, classify
from clearcourse.interop.fhir_course_import.report import CourseImportReport, Problem, _Bad
from clearcourse.interop.fhir_validate import resource_errors
from clearcourse.monitoring.models import MoodScreen
from clearcourse.rules.programs.comprehension import family_of


class ImportBase:
    """The bundle's entries, references between them, and the bookkeeping every resource's writer uses."""

    def __init__(self, *, actor: User, today: dt.date, report: CourseImportReport,
                 confirm_unusual: bool = False) -> None:
        self.actor = actor
        self.today = today
        self.report = report
        # Values outside the plausibility table's usual range are accepted only when the caller confirms them.
        self.confirm_unusual = confirm_unusual
        self.entries: list[_Entry] = []
        self.by_ref: dict[str, _Entry] = {}
        self.failed: set[int] = set()
        self.users: dict[int, User] = {}
        self.pharmacies: dict[int, Pharmacy] = {}
        self.prescriptions: dict[int, Prescription] = {}
        self.dispensed: dict[int, int] = {}  # prescription entry -> dispense entry
        self.screens: dict[int, MoodScreen] = {}
        self.direct: dict[str, list[int]] = {}  # rows written by the import paths, for the audit entry
        self.patient_entry: _Entry | None = None
        self.patient: Patient | None = None
        self.course: Course | None = None
        self.program = ""

    # -- bookkeeping --

    def problem(self, entry: _Entry | None, where: str, message: str) -> None:
        index = entry.index if entry is not None else -1
        self.report.problems.append(Problem(index, entry.type if entry else "Bundle", where, message))
        if entry is not None:
            self.failed.add(entry.index)

    def note(self, text: str) -> None:
        self.report.notes.append(text)

    def wrote(self, kind: str, pk: int) -> None:
        self.direct.setdefault(kind, []).append(pk)

    def run(self, entry: _Entry, handler: Callable[[_Entry], None], fields: Mapping[str, str] | None = None) -> bool:
        """Run one entry's handler in its own savepoint; a refusal becomes a problem of that entry.
        ``fields`` translates a service's field name (``collected_on``) to the FHIR element."""
        fields = fields or {}
        try:
            with transaction.atomic():
                handler(entry)
        except _Bad as exc:
            self.problem(entry, exc.field, exc.message)
        except DomainError as exc:
            self.problem(entry, fields.get(exc.field or "", exc.field or ""), exc.message)
        except IntegrityError as exc:
            self.problem(entry, "", _(DATE_CONFLICT).format(detail=str(exc).splitlines()[0][:200]))
        except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation) as exc:
            # The resource is valid R4 but shaped in a way this reader does not expect.
            self.problem(entry, "", _(UNREADABLE).format(detail=f"{exc.__class__.__name__}: {exc}"[:200]))
        else:
            if entry.kind:
                self.report.imported[entry.kind] += 1
            return True
        return False

    def target(self, ref: Any, where: str, resource_type: str) -> _Entry:
        """The entry a Reference points at, which must be of ``resource_type`` and importable."""
        url = ref.get("reference") if isinstance(ref, dict) else None
        found = self.by_ref.get(url) if isinstance(url, str) else None
        if found is None or found.type != resource_type:
            raise _Bad(where, _(BAD_REFERENCE).format(type=resource_type))
        if found.index in self.failed:
            raise _Bad(where, _(REFERENCE_FAILED).format(index=found.index))
        return found

    def is_patient(self, ref: Any) -> bool:
        url = ref.get("reference") if isinstance(ref, dict) else None
        return isinstance(url, str) and self.patient_entry is not None and self.by_ref.get(url) is self.patient_entry

    def subject(self, res: dict[str, Any], key: str = "subject") -> None:
        if not self.is_patient(res.get(key)):
            raise _Bad(key, _(NOT_THE_PATIENT))

    def status(self, res: dict[str, Any], *allowed: str) -> str:
        status = res.get("status")
        if status not in allowed:
            raise _Bad("status", _(BAD_STATUS).format(status=status, expected=" or ".join(allowed)))
        return str(status)

    def user(self, ref: Any, where: str) -> User:
        entry = self.target(ref, where, "Practitioner")
        if entry.index not in self.users:
            raise _Bad(where, _(REFERENCE_FAILED).format(index=entry.index))
        return self.users[entry.index]

    def user_or_prescriber(self, ref: Any, where: str) -> User:
        assert self.course is not None  # noqa: S101 - the course exists before any record
        return self.course.prescriber if ref is None else self.user(ref, where)

    @property
    def c(self) -> Course:
        assert self.course is not None  # noqa: S101 - the course exists before any record
        return self.course

    # -- the bundle --

    def read(self, doc: Any) -> bool:
        if not isinstance(doc, dict) or doc.get("resourceType") != "Bundle":
            self.report.file_error = _(NOT_A_BUNDLE)
            return False
        entries = doc.get("entry")
        if not isinstance(entries, list) or not entries:
            self.report.file_error = _(NO_ENTRIES)
            return False
        self.report.entries = len(entries)
        for i, raw in enumerate(entries):
            resource = raw.get("resource") if isinstance(raw, dict) else None
            entry = _Entry(i, resource if isinstance(resource, dict) else {}, "")
            self.entries.append(entry)
            if not isinstance(resource, dict):
                self.problem(entry, "resource", _(NOT_A_RESOURCE))
                continue
            entry.kind = classify(resource)
            if isinstance(raw.get("fullUrl"), str):
                self.by_ref[raw["fullUrl"]] = entry
            if isinstance(resource.get("resourceType"), str) and isinstance(resource.get("id"), str):
                self.by_ref.setdefault(f"{resource['resourceType']}/{resource['id']}", entry)
        patients = [e for e in self.entries if e.type == "Patient"]
        if len(patients) != 1:
            self.report.file_error = _(ONE_PATIENT).format(count=len(patients))
            return False
        self.patient_entry = patients[0]
        tags = doc.get("meta", {}).get("tag") if isinstance(doc.get("meta"), dict) else None
        program = next((str(t["code"]) for t in tags or [] if isinstance(t, dict) and t.get("system") ==
                        codes.LOCAL_PROGRAM and isinstance(t.get("code"), str)), None)
        if program is None:
            self.report.file_error = _(NO_PROGRAM).format(system=codes.LOCAL_PROGRAM)
            return False
        try:
            self.program = family_of(program)
        except KeyError:
            self.report.file_error = _(UNKNOWN_PROGRAM).format(program=program)
            return False
        clinic = self.actor.clinic
        if clinic is None or clinic.program != self.program:
            self.report.file_error = _(PROGRAM_NOT_CLINIC).format(
                program=self.program, clinic=clinic.program if clinic else "-")
            return False
        for entry in self.entries:
            # AuditEvents are skipped unread; everything else must be valid R4 before it is used.
            if entry.resource and entry.type != "AuditEvent":
                errors = resource_errors(entry.resource)
                if errors:
                    self.problem(entry, "", _(INVALID_R4).format(type=entry.type or "resource",
                                                                 detail="; ".join(errors[:3])))
        return True
