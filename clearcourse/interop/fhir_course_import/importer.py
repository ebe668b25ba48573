"""The import: every entry written in dependency order, all or nothing, with one audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils.translation import gettext as _

from clearcourse.accounts.models import User
from clearcourse.audit.services import audit_record
from clearcourse.core.errors import PermissionDeniedError
from clearcourse.courses.services import require_clinic_staff
from clearcourse.interop.fhir_course_import.care_plan import CarePlanImport
from clearcourse.interop.fhir_course_import.medication import MedicationImport
from clearcourse.interop.fhir_course_import.messages import NOT_IMPORTED, ONLY_PRESCRIBERS
from clearcourse.interop.fhir_course_import.observations import ObservationImport
from clearcourse.interop.fhir_course_import.people import PeopleImport
from clearcourse.interop.fhir_course_import.programme import ProgrammeImport
from clearcourse.interop.fhir_course_import.reading import _ORDER, _Entry
from clearcourse.interop.fhir_course_import.report import CourseImportReport
from clearcourse.interop.fhir_import import read_json


class Importer(PeopleImport, ProgrammeImport, MedicationImport, ObservationImport, CarePlanImport):
    """Every resource's writer, run in the order the records refer to each other."""

    def import_all(self) -> None:
        self.resolve_people()
        assert self.patient_entry is not None  # noqa: S101 - read() found it
        if self.patient_entry.index in self.failed or not self.run(self.patient_entry, self.write_patient, {
                "record_number": "identifier", "birth_date": "birthDate", "prescriber": "generalPractitioner"}):
            return  # nothing else can be filed without the patient
        conditions = [e for e in self.entries if e.kind == "condition" and e.index not in self.failed]
        for entry in conditions:
            self.run(entry, self.write_condition)
        handlers: dict[str, tuple[Callable[[_Entry], None], dict[str, str]]] = {
            "enrolment": (self.write_enrolment, {"enrolled_on": "dateTime", "program": "policyRule"}),
            "risk_category": (self.write_risk, {"effective_on": "effectiveDateTime"}),
            "counseling": (self.write_counseling, {"counseled_on": "performedDateTime"}),
            "contraception": (self.write_contraception, {"confirmed_on": "effectiveDateTime", "methods": "component"}),
            "pregnancy_test": (self.write_pregnancy_test, {"collected_on": "effectiveDateTime",
                                                            "verified_on": "extension"}),
            "comprehension": (self.write_comprehension, {"answered_on": "authored"}),
            "prescription": (self.write_prescription, {"issued_on": "authoredOn"}),
            "dispense": (self.write_dispense, {"dispensed_on": "whenHandedOver"}),
            "treatment_end": (self.write_treatment_end, {"ended_on": "effectivePeriod.end"}),
            "lab_result": (self.write_lab, {"collected_on": "effectiveDateTime", "value": "valueQuantity",
                                            "unit": "valueQuantity", "uln": "referenceRange", "loinc": "code"}),
            "mood_screen": (self.write_mood, {"screened_on": "authored", "answers": "item", "instrument":
                                              "questionnaire"}),
            "mood_total": (self.check_mood_total, {}),
            "weight": (self.write_weight, {"measured_on": "effectiveDateTime", "weight_kg": "valueQuantity"}),
            "care_plan": (self.write_care_plan, {"starts_on": "activity.detail.scheduledPeriod",
                                                 "weight_kg": "activity.detail.extension",
                                                 "mg_per_kg": "activity.detail.extension",
                                                 "target_mg_per_kg": "extension"}),
            "missed_dose": (self.write_missed_dose, {"first_day": "effectivePeriod.start",
                                                     "days": "effectivePeriod.end"}),
            "side_effects": (self.write_side_effects, {"reported_on": "effectiveDateTime", "onset": "extension",
                                                       "symptoms": "component"}),
            "assessment": (self.write_assessment, {"assessed_on": "effectiveDateTime"}),
        }
        by_kind: dict[str, list[_Entry]] = {}
        for entry in self.entries:
            if not entry.resource or entry.index in self.failed:
                continue
            if entry.kind in handlers:
                by_kind.setdefault(entry.kind, []).append(entry)
            elif entry.kind == "auditevent":
                self.report.skipped["AuditEvent"] += 1
            elif entry.kind not in ("patient", "practitioner", "organization", "pharmacy", "condition"):
                self.problem(entry, "", _(NOT_IMPORTED).format(type=entry.type or "resource"))
        # A later risk category replaces an earlier one: write them in date order.
        by_kind.get("risk_category", []).sort(key=lambda e: str(e.resource.get("effectiveDateTime") or ""))
        for kind in _ORDER:
            handler, fields = handlers[kind]
            for entry in by_kind.get(kind, []):
                self.run(entry, handler, fields)


def course_import(*, actor: User, data: bytes, today: dt.date, filename: str = "",
                  confirm_unusual: bool = False) -> CourseImportReport:
    """Import the course bundle in ``data`` into the actor's clinic; see the module docstring. A weight, age,
    lab value, dose or supply outside the plausibility table's usual range is a problem of its entry unless
    ``confirm_unusual``; outside the hard range it always is."""
    try:
        require_clinic_staff(actor, prescriber_only=True)
    except PermissionDeniedError:
        raise PermissionDeniedError(_(ONLY_PRESCRIBERS), code="not_prescriber") from None
    report = CourseImportReport()
    doc, error = read_json(data)
    if error:
        report.file_error = error
        return report
    importer = Importer(actor=actor, today=today, report=report, confirm_unusual=confirm_unusual)
    if not importer.read(doc):
        return report
    with transaction.atomic():
        importer.import_all()
        report.problems.sort(key=lambda p: (p.index, p.field))
        if report.problems:
            # All or nothing: undo everything written above.
            transaction.set_rollback(True)
            report.imported.clear()
            report.created = {"practitioners": [], "pharmacies": []}
            report.patient_id = report.course_id = None
            return report
        audit_record(actor=actor, action="interop.course_import", patient_id=report.patient_id,
                     obj=importer.course, detail={
                         "file": filename[:100], "entries": report.entries, "imported": dict(report.imported),
                         "skipped": dict(report.skipped), "created": report.created, "direct": importer.direct,
                         "confirm_unusual": confirm_unusual})
        report.written = True
    return report
