"""Import a whole course from a ClearCourse FHIR R4 course Bundle (the inverse of ``fhir_export``).

Who and where: the importing user must be an active, registered **prescriber**; the patient and the
course land in *their* clinic (the bundle's clinic ``Organization`` is only compared by name, and a
difference is noted in the report). Every ``Practitioner`` a clinical resource refers to becomes a
prescriber of that clinic: the one with the same registration number (identifier) if the clinic has
one, else a new **inactive account with an unusable password** (username ``imported-<registration>``),
so that the records keep their author and nobody can sign in as them until an administrator activates
the account and sets a password. A practitioner without a registration number is never matched on a
name alone; it always gets a new account. A pharmacy ``Organization`` (a dispense's performer) is the
pharmacy with the same registration number, or a new one.

What (mirrors ``fhir_export``; the codes come from :mod:`clearcourse.interop.codes`):

======================================  =========================================================
resource                                written through
======================================  =========================================================
Patient (+ the course)                  ``courses.services.patient_create`` / ``course_create``
Condition (acne vulgaris)               the course's ``created_at`` is set to ``recordedDate`` (the
                                        exporter reads the diagnosis date from it)
Consent (enrolment)                     ``ppp.services.enrollment_record``
Observation risk category               ``ppp.services.risk_category_assign``
Procedure (counselling)                 import path: ``Counseling`` row naming the bundle's performer
                                        (the service would name the importing user)
Observation contraception               ``ppp.services.contraception_confirm``
Observation pregnancy test, lab/clinic  ``ppp.services.pregnancy_test_record``
Observation pregnancy test, home        import path: ``PregnancyTest`` row without a photo (the photo
                                        stays in the source system); a ``final`` one is then confirmed
                                        through ``ppp.services.home_test_verify`` on the day of the
                                        ``home-test-verified-on`` extension (else on the import day)
QuestionnaireResponse comprehension     import path: ``ComprehensionAttempt`` with the score, total
                                        and result (the answers themselves are not exported)
MedicationRequest                       import path: ``Prescription`` naming its requester, with the
                                        product, dose, days of supply, issue date and iPLEDGE number
MedicationDispense                      import path: ``Dispense`` without an authorization (the model
                                        allows exactly this for dispenses from elsewhere); the live
                                        authorization and dispensing rules are not touched
MedicationStatement (treatment end)     ``ppp.services.treatment_end_record``
Observation lab result                  ``monitoring.services.lab_result_record`` (source "import")
QuestionnaireResponse PHQ (+ total)     ``monitoring.services.mood_screen_record``; the total
                                        Observation must equal the score the core computes
Observation body weight                 ``courses.services.weight_record``
CarePlan (the course, its dose plans)   ``courses.services.dose_plan_record`` per activity; then import path:
                                        status, first/last dose and target set on the course (the
                                        status service cannot restate history)
Observation severity assessment         ``courses.services.assessment_record`` (IGA, GAGS regions)
Observation side-effect report          ``monitoring.services.side_effect_report``
MedicationStatement (missed doses)      ``courses.services.missed_dose_record``
AuditEvent                              not imported: the audit trail is this installation's own
                                        hash chain; it is counted as skipped
======================================  =========================================================

"Import path" means a direct insert done here, with the same checks as the service where they apply
to history (dates not in the future nor before birth, codes, ranges), because the service would
attribute the record to the importing user or needs input the bundle does not carry (a photo, the
comprehension answers). The live services and their "today"-relative program checks are unchanged.

All or nothing: everything runs in one transaction. Every bad entry is reported with its index in
``Bundle.entry`` (from 0), its resource type, the element at fault and the reason; if there is any,
the transaction is rolled back and nothing stays. A successful import writes one audit entry
(``interop.course_import``) with the counts and the ids of the rows written by the import paths,
besides the entries the services write for their own records.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Pharmacy, User
from clearcourse.audit.services import audit_record
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.courses.models import Course, CourseStatus, Patient, Prescription, Product, Sex
from clearcourse.courses.services import (
    assessment_record,
    check_event_date,
    course_create,
    dose_plan_record,
    missed_dose_record,
    patient_create,
    require_clinic_staff,
    weight_record,
)
from clearcourse.interop import codes
from clearcourse.interop.fhir_import import read_json
from clearcourse.interop.fhir_validate import resource_errors
from clearcourse.monitoring.models import EntrySource, MoodScreen
from clearcourse.monitoring.services import lab_result_record, mood_screen_record, side_effect_report
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp import services as ppp
from clearcourse.ppp.models import (
    ComprehensionAttempt,
    ConfirmedBy,
    Counseling,
    PregnancyTest,
    ProgramCode,
    TestSetting,
    VerificationOutcome,
)
from clearcourse.ppp.questions import family_of
from clearcourse.rules import dosing
from clearcourse.rules.severity import GAGS_REGION_CODES

# --- messages (tests assert these constants) -----------------------------------------------------

ONLY_PRESCRIBERS = "Only a registered prescriber can import a course; it lands in their clinic."
NOT_A_BUNDLE = "The file is not a FHIR Bundle."
NO_ENTRIES = "The bundle has no entries."
ONE_PATIENT = "A course bundle holds exactly one Patient; this one holds {count}."
NO_PROGRAM = "The bundle does not name its program (meta.tag {system})."
UNKNOWN_PROGRAM = "The bundle's program {program} is not one ClearCourse runs."
PROGRAM_NOT_CLINIC = "The course runs under {program}; your clinic works under {clinic}."
NOT_A_RESOURCE = "The entry holds no resource."
INVALID_R4 = "Not a valid FHIR R4 {type}: {detail}"
NOT_IMPORTED = "ClearCourse does not import this {type} (it is not part of a ClearCourse course export)."
NOT_THE_PATIENT = "Must refer to the bundle's Patient."
BAD_REFERENCE = "Must refer to a {type} in this bundle."
REFERENCE_FAILED = "Refers to entry {index}, which could not be imported."
REQUIRED = "Required."
BAD_DATE = "Not a date (YYYY-MM-DD)."
BAD_STATUS = "Status {status} is not imported here; expected {expected}."
NO_RECORD_NUMBER = "The Patient needs an identifier: the clinic's record number."
NO_NAME = "The Patient needs a family and a given name."
TOO_LONG = "Longer than {limit} characters."
NO_REGISTRATION = "A pharmacy needs its registration number (identifier)."
NO_PRODUCT = "Names no isotretinoin product (conventional, Absorica, Absorica LD)."
PRODUCT_MISMATCH = "The course's product is {product}; products are not interchangeable."
BAD_DOSE = "The daily dose must be a whole number of mg above 0."
BAD_DAYS = "The days of supply must be a whole number from 1 to 90."
REFILLS = "Isotretinoin prescriptions have no refills."
IPLEDGE_ONLY_US = "An iPLEDGE number applies only under the US iPLEDGE program."
IPLEDGE_FORMAT = "Letters, digits and dashes only (at most 40)."
DISPENSE_BEFORE_RX = "Dispensed before the prescription was written ({issued_on})."
DISPENSE_TWICE = "The prescription (entry {index}) is already dispensed by entry {other}; once per prescription."
DISPENSE_OVER_RX = "{days} days dispensed; the prescription (entry {index}) covers {rx_days}."
NO_RISK_DATE = "A risk category other than the program's default needs the date it took effect."
BAD_RISK = "Needs the value can-get-pregnant or cannot-get-pregnant."
NO_RESULT = "Needs SNOMED CT 260385009 (negative) or 10828004 (positive)."
BAD_QUANTITY = "Needs valueQuantity with a value and a unit."
WEIGHT_NOT_KG = "A body weight is imported in kg."
BAD_COURSE_STATUS = "Needs the course status extension with one of {expected}."
BAD_TARGET = "Needs a cumulative target in mg/kg (extension {url})."
BAD_PLAN = "Each dose plan needs a start, its weight in kg and its mg/kg/day (extensions)."
PLAN_DOSE_DIFFERS = "The daily dose {dose} mg differs from the dose ClearCourse computes for this plan ({computed} mg)."
BAD_MISSED = "Needs effectivePeriod with a start and an end on or after it."
BAD_COMPONENT = "Component {code} is not one ClearCourse records here."
GAGS_INCOMPLETE = "The GAGS grades need all six regions, or none."
GAGS_SCORE_DIFFERS = "The GAGS score {score} differs from the score of its regions ({computed})."
BAD_ITEMS = "Needs the items {items} with a boolean and whole numbers."
BAD_PHQ_ITEMS = "Needs items item-1 to item-N, each with one valueInteger."
TOTAL_WITHOUT_ANSWERS = "A PHQ total is imported only with its answers (derivedFrom a QuestionnaireResponse)."
TOTAL_DIFFERS = "The total {total} differs from the score of its answers ({score})."
TOTAL_WRONG_CODE = "The total's code does not belong to the questionnaire {instrument}."
BAD_METHODS = "Needs a contraception method or abstinence in its components."
VERIFIED_IN_SOURCE = "Confirmed in the source system; recorded from a FHIR course import."
DATE_CONFLICT = "Conflicts with a record already stored ({detail})."
UNREADABLE = "Could not be read ({detail})."

NOTE_CLINIC_NAME = "The bundle's clinic is {name!r}; the course was imported into {clinic!r}."
NOTE_NO_PRODUCT = "The bundle has no prescription naming the product; the course uses the default {product}."
NOTE_LANGUAGE = "The patient's language {language!r} is not offered; English is set."
NOTE_NOT_STORED = "Not in the bundle, so not set: the course's status, first and last dose, target and dose plans."
NOTE_SECOND_PRESCRIBER = "Entry {index}: the second-prescriber agreement is not stored by ClearCourse."
NOTE_RISK_DEFAULT = "Entry {index}: the risk category has no date; the program's default applies, nothing stored."

#: The statuses an imported result may have (a preliminary result is not a result yet).
_FINAL = ("final", "amended", "corrected")
_IPLEDGE_RE = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_RESULT_BY_SNOMED = {codes.SCT_NEGATIVE.code: "negative", codes.SCT_POSITIVE.code: "positive"}
_HCG = frozenset(c.code for c in codes.HCG_QUALITATIVE)
_PHQ_TOTAL_CODES = {c.code: instrument for instrument, c in codes.PHQ_TOTALS.items()}
_PRODUCT_BY_NAME = {name: code for code, name in codes.PRODUCT_NAMES.items()}
_DAY_UNITS = ("d", "day", "days")
_PHQ_ITEM = re.compile(r"^item-([1-9][0-9]?)$")

#: The order resources are written in: what others refer to first.
_ORDER = ("enrolment", "risk_category", "counseling", "contraception", "pregnancy_test", "comprehension",
          "prescription", "dispense", "treatment_end", "lab_result", "mood_screen", "mood_total", "weight",
          # The course plan sets the first dose, which a missed-dose report is checked against.
          "care_plan", "missed_dose", "side_effects", "assessment")


# --- the report ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Problem:
    index: int  # position in Bundle.entry, from 0
    resource_type: str
    field: str  # the element at fault ("" for the resource as a whole)
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "entry": f"Bundle.entry[{self.index}]", "resource_type": self.resource_type,
                "field": self.field, "message": self.message}


@dataclass(slots=True)
class CourseImportReport:
    entries: int = 0
    written: bool = False
    file_error: str = ""
    patient_id: int | None = None
    course_id: int | None = None
    imported: Counter[str] = field(default_factory=Counter)  # by record kind
    skipped: Counter[str] = field(default_factory=Counter)  # by resource type (AuditEvent)
    created: dict[str, list[str]] = field(default_factory=lambda: {"practitioners": [], "pharmacies": []})
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries, "written": self.written, "file_error": self.file_error or None,
            "patient_id": self.patient_id, "course_id": self.course_id,
            "imported": dict(sorted(self.imported.items())), "skipped": dict(sorted(self.skipped.items())),
            "created": self.created, "notes": self.notes, "problems": [p.as_json() for p in self.problems],
        }


class _Bad(Exception):
    """One entry refused: ``field`` names the FHIR element."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


# --- reading helpers (pure) --------------------------------------------------------------------------


def _codings(concept: Any) -> list[dict[str, Any]]:
    if not isinstance(concept, dict) or not isinstance(concept.get("coding"), list):
        return []
    return [c for c in concept["coding"] if isinstance(c, dict)]


def _code(concept: Any, system: str) -> str | None:
    return next((str(c["code"]) for c in _codings(concept) if c.get("system") == system and "code" in c), None)


def _codes_of(concept: Any) -> set[tuple[str, str]]:
    return {(str(c.get("system")), str(c.get("code"))) for c in _codings(concept)}


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else None


def _date(value: Any, where: str) -> dt.date:
    """The date part of a FHIR date or dateTime (the day as the source wrote it)."""
    if value is None:
        raise _Bad(where, _(REQUIRED))
    if not isinstance(value, str) or len(value) < 10:
        raise _Bad(where, _(BAD_DATE))
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        raise _Bad(where, _(BAD_DATE)) from None


def _whole(value: Any, where: str, message: str, *, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _Bad(where, _(message))
    if int(value) != value or value < low or (high is not None and value > high):
        raise _Bad(where, _(message))
    return int(value)


def _text(value: Any, where: str, limit: int) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if len(text) > limit:
        raise _Bad(where, _(TOO_LONG).format(limit=limit))
    return text


def _registration(resource: dict[str, Any]) -> str:
    """The registration number: the ClearCourse identifier system first, else the first identifier."""
    identifiers = [i for i in resource.get("identifier") or [] if isinstance(i, dict)
                   and isinstance(i.get("value"), str) and i["value"].strip()]
    chosen = next((i for i in identifiers if i.get("system") == codes.ID_REGISTRATION), _first(identifiers))
    return str(chosen["value"]).strip() if chosen else ""


def classify(resource: dict[str, Any]) -> str:
    """The ClearCourse record kind a resource of a course export stands for ("" when none)."""
    kind = resource.get("resourceType")
    code = resource.get("code")
    if kind in ("Patient", "Practitioner", "Organization", "Condition", "AuditEvent"):
        return str(kind).lower()
    if kind == "Consent":
        return "enrolment" if (codes.LOCAL_EVENT, codes.EVENT_ENROLMENT.code) in _codes_of_all(
            resource.get("category")) else ""
    if kind == "Procedure":
        return "counseling" if _code(code, codes.LOCAL_EVENT) == codes.EVENT_COUNSELING.code else ""
    if kind == "MedicationRequest":
        return "prescription"
    if kind == "MedicationDispense":
        return "dispense"
    if kind == "MedicationStatement":
        event = _code(resource.get("category"), codes.LOCAL_EVENT)
        return {codes.EVENT_TREATMENT_END.code: "treatment_end", codes.EVENT_MISSED_DOSE.code: "missed_dose"}.get(
            event or "", "")
    if kind == "QuestionnaireResponse":
        questionnaire = resource.get("questionnaire")
        if questionnaire == codes.Q_COMPREHENSION:
            return "comprehension"
        if isinstance(questionnaire, str) and questionnaire.removeprefix(codes.Q_PHQ) in codes.PHQ_TOTALS:
            return "mood_screen"
        return ""
    if kind == "Observation":
        if _code(code, codes.LOCAL_RISK_CATEGORY) == codes.RISK_CATEGORY_OBSERVATION.code:
            return "risk_category"
        if _code(code, codes.LOCAL_EVENT) == codes.EVENT_CONTRACEPTION.code:
            return "contraception"
        loinc = _code(code, codes.LOINC)
        if loinc in _HCG:
            return "pregnancy_test"
        if loinc in codes.LAB_CODES:
            return "lab_result"
        if loinc in _PHQ_TOTAL_CODES:
            return "mood_total"
        if loinc == codes.BODY_WEIGHT.code:
            return "weight"
        if _code(code, codes.LOCAL_SEVERITY) == codes.SEVERITY_ASSESSMENT.code:
            return "assessment"
        if _code(code, codes.LOCAL_EVENT) == codes.EVENT_SIDE_EFFECTS.code:
            return "side_effects"
    if kind == "CarePlan":
        return "care_plan" if (codes.LOCAL_EVENT, codes.EVENT_COURSE.code) in _codes_of_all(
            resource.get("category")) else ""
    return ""


def _codes_of_all(concepts: Any) -> set[tuple[str, str]]:
    out: set[tuple[str, str]] = set()
    for concept in concepts if isinstance(concepts, list) else [concepts]:
        out |= _codes_of(concept)
    return out


@dataclass(slots=True)
class _Entry:
    index: int
    resource: dict[str, Any]
    kind: str

    @property
    def type(self) -> str:
        return str(self.resource.get("resourceType") or "")


# --- the import --------------------------------------------------------------------------------------


class _Importer:
    def __init__(self, *, actor: User, today: dt.date, report: CourseImportReport) -> None:
        self.actor = actor
        self.today = today
        self.report = report
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

    # -- people and places --

    def referenced(self, resource_type: str) -> list[_Entry]:
        """The entries of ``resource_type`` that a clinical resource (not an AuditEvent) refers to."""
        found: dict[int, _Entry] = {}

        def walk(value: Any) -> None:
            if isinstance(value, dict):
                ref = value.get("reference")
                target = self.by_ref.get(ref) if isinstance(ref, str) else None
                if target is not None and target.type == resource_type:
                    found[target.index] = target
                for item in value.values():
                    walk(item)
            elif isinstance(value, list):
                for item in value:
                    walk(item)

        for entry in self.entries:
            if entry.type not in ("AuditEvent", resource_type):
                walk(entry.resource)
        return [found[i] for i in sorted(found)]

    def resolve_people(self) -> None:
        for entry in self.referenced("Practitioner"):
            if entry.index not in self.failed:
                self.run(entry, self.write_practitioner)
        # A pharmacy is the Organization a dispense names as its performer.
        pharmacies: dict[int, _Entry] = {}
        for dispense in self.entries:
            performer = _first(dispense.resource.get("performer")) if dispense.type == "MedicationDispense" else None
            actor = performer.get("actor") if isinstance(performer, dict) else None
            ref = actor.get("reference") if isinstance(actor, dict) else None
            found = self.by_ref.get(ref) if isinstance(ref, str) else None
            if found is not None and found.type == "Organization" and found.index not in self.failed:
                pharmacies[found.index] = found
        for index in sorted(pharmacies):
            self.run(pharmacies[index], self.write_pharmacy)

    def write_practitioner(self, entry: _Entry) -> None:
        res = entry.resource
        clinic = self.actor.clinic
        registration = _text(_registration(res), "identifier", 40)
        name = _first(res.get("name")) or {}
        family = _text(name.get("family"), "name", 150)
        given = _text(" ".join(g for g in name.get("given") or [] if isinstance(g, str)), "name", 150)
        user = None
        if registration:
            user = User.objects.filter(role="prescriber", clinic=clinic, registration_number=registration) \
                .order_by("pk").first()
        if user is None:
            base = f"imported-{slugify(registration or f'{family}-{given}')[:100] or 'practitioner'}"
            username, n = base, 1
            while User.objects.filter(username=username).exists():
                n += 1
                username = f"{base}-{n}"
            # Inactive, with an unusable password: the records keep their author, but nobody signs in
            # as an imported practitioner until an administrator activates the account.
            user = User.objects.create_user(username=username, password=None, role="prescriber", clinic=clinic,
                                            registration_number=registration, first_name=given, last_name=family,
                                            is_active=False)
            self.report.created["practitioners"].append(username)
        self.users[entry.index] = user
        entry.kind = "practitioner"

    def write_pharmacy(self, entry: _Entry) -> None:
        res = entry.resource
        registration = _text(_registration(res), "identifier", 40)
        if not registration:
            raise _Bad("identifier", _(NO_REGISTRATION))
        pharmacy = Pharmacy.objects.filter(registration_number=registration).first()
        if pharmacy is None:
            address = _first(res.get("address")) or {}
            pharmacy = Pharmacy.objects.create(
                name=_text(res.get("name"), "name", 200) or registration, program=self.program,
                registration_number=registration, city=_text(address.get("city"), "address", 120))
            self.report.created["pharmacies"].append(registration)
        self.pharmacies[entry.index] = pharmacy
        entry.kind = "pharmacy"

    # -- patient and course --

    def write_patient(self, entry: _Entry) -> None:
        res = entry.resource
        identifiers = [i for i in res.get("identifier") or [] if isinstance(i, dict)
                       and isinstance(i.get("value"), str) and i["value"].strip()]
        chosen = next((i for i in identifiers if i.get("system") == codes.ID_RECORD_NUMBER), _first(identifiers))
        if chosen is None:
            raise _Bad("identifier", _(NO_RECORD_NUMBER))
        record_number = _text(chosen["value"], "identifier", 40)
        names = [n for n in res.get("name") or [] if isinstance(n, dict)]
        name = next((n for n in names if n.get("use") == "official"), _first(names)) or {}
        family = _text(name.get("family"), "name", 100)
        given = _text(" ".join(g for g in name.get("given") or [] if isinstance(g, str)), "name", 100)
        if not family or not given:
            raise _Bad("name", _(NO_NAME))
        birth_date = _date(res.get("birthDate"), "birthDate")
        sex = str(res["gender"]) if res.get("gender") in Sex.values else Sex.UNKNOWN.value
        telecom = [t for t in res.get("telecom") or [] if isinstance(t, dict)]
        email = _text(next((t.get("value") for t in telecom if t.get("system") == "email"), ""), "telecom", 254)
        phone = _text(next((t.get("value") for t in telecom if t.get("system") == "phone"), ""), "telecom", 40)
        language = "en"
        for comm in res.get("communication") or []:
            spoken = _code(comm.get("language") if isinstance(comm, dict) else None, "urn:ietf:bcp:47")
            if spoken:
                if spoken.split("-")[0].lower() in ("en", "de"):
                    language = spoken.split("-")[0].lower()
                else:
                    self.note(_(NOTE_LANGUAGE).format(language=spoken))
                break
        general = _first(res.get("generalPractitioner"))
        prescriber = self.actor if general is None else self.user(general, "generalPractitioner")
        organization = res.get("managingOrganization")
        if organization is not None:
            clinic_entry = self.target(organization, "managingOrganization", "Organization")
            name_in_bundle = clinic_entry.resource.get("name")
            if self.actor.clinic is not None and name_in_bundle != self.actor.clinic.name:
                self.note(_(NOTE_CLINIC_NAME).format(name=name_in_bundle, clinic=self.actor.clinic.name))
        self.patient = patient_create(actor=self.actor, prescriber=prescriber, record_number=record_number,
                                      given_name=given, family_name=family, birth_date=birth_date, sex=sex,
                                      today=self.today, email=email, phone=phone, preferred_language=language)
        product = self.course_product()
        self.course = course_create(actor=self.actor, patient=self.patient, product=product, program=self.program)
        self.report.patient_id, self.report.course_id = self.patient.pk, self.course.pk
        if not any(e.kind == "care_plan" for e in self.entries):
            self.note(_(NOTE_NOT_STORED))

    def course_product(self) -> str:
        """The product of the first prescription that names one (every prescription is then checked)."""
        for entry in self.entries:
            if entry.type == "MedicationRequest":
                product = _product(entry.resource.get("medicationCodeableConcept"))
                if product:
                    return product
        self.note(_(NOTE_NO_PRODUCT).format(product=Product.CONVENTIONAL.value))
        return Product.CONVENTIONAL

    def write_condition(self, entry: _Entry) -> None:
        res = entry.resource
        self.subject(res)
        acne = {(codes.SCT_ACNE_VULGARIS.system, codes.SCT_ACNE_VULGARIS.code),
                (codes.ICD10_ACNE_VULGARIS.system, codes.ICD10_ACNE_VULGARIS.code),
                (codes.ICD10CM_ACNE_VULGARIS.system, codes.ICD10CM_ACNE_VULGARIS.code)}
        if not _codes_of(res.get("code")) & acne:
            raise _Bad("code", _(NOT_IMPORTED).format(type="Condition"))
        recorded = _date(res.get("recordedDate"), "recordedDate")
        check_event_date(recorded, patient=self.c.patient, today=self.today, field="recordedDate")
        # ClearCourse keeps no diagnosis record: the exporter dates the diagnosis by the first assessment,
        # else by the course's creation. An imported course has no assessment, so its creation carries the
        # diagnosis date (noon UTC: the same calendar day in every time zone the exporter may read it in).
        at = dt.datetime.combine(recorded, dt.time(12), tzinfo=dt.UTC)
        if self.c.created_at > at or entry is self.first_condition():
            Course.objects.filter(pk=self.c.pk).update(created_at=at)
            self.c.created_at = at

    def first_condition(self) -> _Entry | None:
        return next((e for e in self.entries if e.kind == "condition"), None)

    # -- program records --

    def write_enrolment(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "active")
        self.subject(res, "patient")
        program = _code(res.get("policyRule"), codes.LOCAL_PROGRAM) or self.c.program
        if program not in ProgramCode.values:
            raise _Bad("policyRule", _(UNKNOWN_PROGRAM).format(program=program))
        ppp.enrollment_record(actor=self.actor, course=self.c, enrolled_on=_date(res.get("dateTime"), "dateTime"),
                              today=self.today, program=program)

    def write_risk(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, *_FINAL)
        self.subject(res)
        value = _code(res.get("valueCodeableConcept"), codes.LOCAL_RISK_CATEGORY)
        if value not in (codes.RISK_CAN_GET_PREGNANT.code, codes.RISK_CANNOT_GET_PREGNANT.code):
            raise _Bad("valueCodeableConcept", _(BAD_RISK))
        can = value == codes.RISK_CAN_GET_PREGNANT.code
        if res.get("effectiveDateTime") is None:
            from clearcourse.ppp.selectors import DEFAULT_CAN_GET_PREGNANT

            if can != DEFAULT_CAN_GET_PREGNANT:
                raise _Bad("effectiveDateTime", _(NO_RISK_DATE))
            self.note(_(NOTE_RISK_DEFAULT).format(index=entry.index))
            return
        previous = ppp.current_risk_category(self.c)
        changed = previous is not None and previous.can_get_pregnant != can
        ppp.risk_category_assign(actor=self.actor, course=self.c, can_get_pregnant=can,
                                 effective_on=_date(res.get("effectiveDateTime"), "effectiveDateTime"),
                                 today=self.today, reason=VERIFIED_IN_SOURCE if changed else "")

    def write_counseling(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "completed")
        self.subject(res)
        day = _date(res.get("performedDateTime"), "performedDateTime")
        performer = _first(res.get("performer"))
        by = self.user_or_prescriber(performer.get("actor") if isinstance(performer, dict) else None,
                                     "performer")
        check_event_date(day, patient=self.c.patient, today=self.today, field="performedDateTime")
        # Import path: the service would name the importing user as the counsellor.
        record = Counseling.objects.create(course=self.c, counseled_on=day, counseled_by=by, recorded_by=self.actor)
        self.wrote("counseling", record.pk)

    def write_contraception(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, *_FINAL)
        self.subject(res)
        values = [_code(c.get("valueCodeableConcept"), codes.LOCAL_CONTRACEPTION)
                  for c in res.get("component") or [] if isinstance(c, dict)]
        methods = [v for v in values if v and v != codes.ABSTINENCE.code]
        abstinence = codes.ABSTINENCE.code in values
        if not methods and not abstinence:
            raise _Bad("component", _(BAD_METHODS))
        performer = _first(res.get("performer"))
        confirmed_by = ConfirmedBy.PATIENT if self.is_patient(performer) else ConfirmedBy.PRESCRIBER
        ppp.contraception_confirm(actor=self.actor, course=self.c,
                                  confirmed_on=_date(res.get("effectiveDateTime"), "effectiveDateTime"),
                                  today=self.today, methods=methods, abstinence=abstinence, confirmed_by=confirmed_by)

    def write_pregnancy_test(self, entry: _Entry) -> None:
        res = entry.resource
        self.subject(res)
        setting = _code(res.get("method"), codes.LOCAL_TEST_SETTING) or TestSetting.LAB
        if setting not in TestSetting.values:
            raise _Bad("method", _(NOT_IMPORTED).format(type="pregnancy-test setting"))
        result = _RESULT_BY_SNOMED.get(_code(res.get("valueCodeableConcept"), codes.SNOMED) or "")
        if result is None:
            raise _Bad("valueCodeableConcept", _(NO_RESULT))
        collected = _date(res.get("effectiveDateTime"), "effectiveDateTime")
        if setting != TestSetting.HOME:
            self.status(res, *_FINAL)
            ppp.pregnancy_test_record(actor=self.actor, course=self.c, collected_on=collected, setting=setting,
                                      result=result, today=self.today)
            return
        # A home test: "final" once the prescriber confirmed it in the source, "preliminary" until then.
        status = self.status(res, "preliminary", *_FINAL)
        check_event_date(collected, patient=self.c.patient, today=self.today, field="effectiveDateTime")
        # Import path: the service requires the photo, which stays in the source system.
        test = PregnancyTest.objects.create(course=self.c, collected_on=collected, setting=TestSetting.HOME,
                                            result=result, recorded_by=self.actor)
        self.wrote("pregnancy_test_home", test.pk)
        if status != "preliminary":
            ext = next((x for x in res.get("extension") or [] if isinstance(x, dict)
                        and x.get("url") == codes.EXT_HOME_TEST_VERIFIED_ON), None)
            # Without the day it was confirmed, the safer reading: it counts from the import on.
            verified_on = self.today if ext is None else _date(ext.get("valueDate"), "extension")
            ppp.home_test_verify(actor=self.actor, test=test, outcome=VerificationOutcome.CONFIRMED,
                                 verified_on=verified_on, today=self.today, note=VERIFIED_IN_SOURCE)

    def write_comprehension(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "completed")
        self.subject(res)
        answers = {i.get("linkId"): _first(i.get("answer")) for i in res.get("item") or [] if isinstance(i, dict)}
        passed = (answers.get("passed") or {}).get("valueBoolean")
        score = (answers.get("score") or {}).get("valueInteger")
        total = (answers.get("total") or {}).get("valueInteger")
        if not isinstance(passed, bool) or not isinstance(score, int) or not isinstance(total, int) \
                or not 0 <= score <= total or total < 1:
            raise _Bad("item", _(BAD_ITEMS).format(items="passed, score, total"))
        day = _date(res.get("authored"), "authored")
        check_event_date(day, patient=self.c.patient, today=self.today, field="authored")
        # Import path: the service scores the answers, which a course export does not carry.
        record = ComprehensionAttempt.objects.create(
            course=self.c, answered_on=day, program=self.c.program, language=self.c.patient.preferred_language,
            answers={}, score=score, total=total, passed=passed, recorded_by=self.actor)
        self.wrote("comprehension", record.pk)

    def write_treatment_end(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "completed")
        self.subject(res)
        period: dict[str, Any] = res["effectivePeriod"] if isinstance(res.get("effectivePeriod"), dict) else {}
        ppp.treatment_end_record(actor=self.actor, course=self.c, today=self.today,
                                 ended_on=_date(period.get("end"), "effectivePeriod.end"))

    # -- prescriptions and dispenses --

    def write_prescription(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "active", "completed")
        self.subject(res)
        product = _product(res.get("medicationCodeableConcept"))
        if not product:
            raise _Bad("medicationCodeableConcept", _(NO_PRODUCT))
        if product != self.c.product:
            raise _Bad("medicationCodeableConcept", _(PRODUCT_MISMATCH).format(product=self.c.product))
        issued = _date(res.get("authoredOn"), "authoredOn")
        dose_quantity = _dose_quantity(res) or {}
        if (dose_quantity.get("code") or dose_quantity.get("unit")) != "mg":
            raise _Bad("dosageInstruction", _(BAD_DOSE))
        dose = _whole(dose_quantity.get("value"), "dosageInstruction", BAD_DOSE, low=1)
        request: dict[str, Any] = res["dispenseRequest"] if isinstance(res.get("dispenseRequest"), dict) else {}
        supply = request.get("expectedSupplyDuration") or {}
        if (supply.get("code") or supply.get("unit")) not in _DAY_UNITS:
            raise _Bad("dispenseRequest.expectedSupplyDuration", _(BAD_DAYS))
        days = _whole(supply.get("value"), "dispenseRequest.expectedSupplyDuration", BAD_DAYS, low=1, high=90)
        if request.get("numberOfRepeatsAllowed") not in (None, 0):
            raise _Bad("dispenseRequest.numberOfRepeatsAllowed", _(REFILLS))
        ipledge = next((str(i.get("value") or "").strip() for i in res.get("identifier") or []
                        if isinstance(i, dict) and i.get("system") == codes.ID_IPLEDGE_CONFIRMATION), "")
        if ipledge and self.c.program != ProgramCode.US_IPLEDGE:
            raise _Bad("identifier", _(IPLEDGE_ONLY_US))
        if ipledge and not _IPLEDGE_RE.match(ipledge):
            raise _Bad("identifier", _(IPLEDGE_FORMAT))
        if any(isinstance(x, dict) and x.get("url") == codes.EXT_SECOND_PRESCRIBER for x in res.get("extension") or []):
            self.note(_(NOTE_SECOND_PRESCRIBER).format(index=entry.index))
        prescriber = self.user_or_prescriber(res.get("requester"), "requester")
        check_event_date(issued, patient=self.c.patient, today=self.today, field="authoredOn")
        # Import path: the service would make the importing user the prescriber and judge the supply
        # against today's risk category; a prescription written elsewhere is recorded as written.
        rx = Prescription.objects.create(
            course=self.c, prescriber=prescriber, issued_on=issued, product=product, daily_dose_mg=dose,
            capsules=_capsules(product, dose), days_supply=days, ipledge_confirmation=ipledge,
            recorded_by=self.actor)
        self.prescriptions[entry.index] = rx
        self.wrote("prescription", rx.pk)

    def write_dispense(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "completed")
        self.subject(res)
        rx_entry = self.target(_first(res.get("authorizingPrescription")), "authorizingPrescription",
                               "MedicationRequest")
        rx = self.prescriptions.get(rx_entry.index)
        if rx is None:
            raise _Bad("authorizingPrescription", _(REFERENCE_FAILED).format(index=rx_entry.index))
        if rx_entry.index in self.dispensed:
            raise _Bad("authorizingPrescription", _(DISPENSE_TWICE).format(
                index=rx_entry.index, other=self.dispensed[rx_entry.index]))
        performer = _first(res.get("performer"))
        pharmacy_entry = self.target(performer.get("actor") if isinstance(performer, dict) else None,
                                     "performer", "Organization")
        pharmacy = self.pharmacies.get(pharmacy_entry.index)
        if pharmacy is None:
            raise _Bad("performer", _(REFERENCE_FAILED).format(index=pharmacy_entry.index))
        day = _date(res.get("whenHandedOver"), "whenHandedOver")
        supply = res.get("daysSupply") or {}
        if (supply.get("code") or supply.get("unit")) not in _DAY_UNITS:
            raise _Bad("daysSupply", _(BAD_DAYS))
        days = _whole(supply.get("value"), "daysSupply", BAD_DAYS, low=1, high=90)
        if days > rx.days_supply:
            raise _Bad("daysSupply", _(DISPENSE_OVER_RX).format(days=days, index=rx_entry.index,
                                                               rx_days=rx.days_supply))
        dose_quantity = _dose_quantity(res)
        dose = rx.daily_dose_mg if dose_quantity is None else \
            _whole(dose_quantity.get("value"), "dosageInstruction", BAD_DOSE, low=1)
        if day < rx.issued_on:
            raise _Bad("whenHandedOver", _(DISPENSE_BEFORE_RX).format(issued_on=rx.issued_on.isoformat()))
        check_event_date(day, patient=self.c.patient, today=self.today, field="whenHandedOver")
        # Import path: a dispense done elsewhere has no authorization here (``Dispense.authorization`` is
        # null for exactly this case); the live authorization and dispensing rules are not involved.
        record = Dispense.objects.create(prescription=rx, pharmacy=pharmacy, dispensed_on=day, days_supply=days,
                                         daily_dose_mg=dose, recorded_by=self.actor)
        self.dispensed[rx_entry.index] = entry.index
        self.wrote("dispense", record.pk)

    # -- monitoring --

    def write_lab(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, *_FINAL)
        self.subject(res)
        quantity = res.get("valueQuantity")
        if not isinstance(quantity, dict) or "value" not in quantity or not (quantity.get("code") or quantity.get("unit")):
            raise _Bad("valueQuantity", _(BAD_QUANTITY))
        raw_unit = str(quantity.get("code") or quantity.get("unit"))
        high = (_first(res.get("referenceRange")) or {}).get("high")
        uln = str(high["value"]) if isinstance(high, dict) and "value" in high else None
        lab_result_record(actor=self.actor, course=self.c, loinc=_code(res.get("code"), codes.LOINC) or "",
                          value=str(quantity["value"]), unit=codes.UNITS_FROM_UCUM.get(raw_unit, raw_unit),
                          collected_on=_date(res.get("effectiveDateTime"), "effectiveDateTime"), today=self.today,
                          uln=uln, source=EntrySource.IMPORT)

    def write_mood(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "completed")
        self.subject(res)
        instrument = str(res["questionnaire"]).removeprefix(codes.Q_PHQ)
        numbered: dict[int, int] = {}
        for item in res.get("item") or []:
            match = _PHQ_ITEM.match(str(item.get("linkId") if isinstance(item, dict) else ""))
            answer = _first(item.get("answer")) if match else None
            value = answer.get("valueInteger") if isinstance(answer, dict) else None
            if match is None or isinstance(value, bool) or not isinstance(value, int):
                raise _Bad("item", _(BAD_PHQ_ITEMS))
            numbered[int(match.group(1))] = value
        if sorted(numbered) != list(range(1, len(numbered) + 1)):
            raise _Bad("item", _(BAD_PHQ_ITEMS))
        author = res.get("author")
        self.screens[entry.index] = mood_screen_record(
            actor=self.actor, course=self.c, instrument=instrument, answers=[numbered[i] for i in sorted(numbered)],
            screened_on=_date(res.get("authored"), "authored"), today=self.today,
            completed_by="patient" if author is None or self.is_patient(author) else "staff")

    def check_mood_total(self, entry: _Entry) -> None:
        """A PHQ total is the score of its answers: it must agree with what the core computed."""
        res = entry.resource
        self.status(res, *_FINAL)
        self.subject(res)
        source = _first(res.get("derivedFrom"))
        if source is None:
            raise _Bad("derivedFrom", _(TOTAL_WITHOUT_ANSWERS))
        response = self.target(source, "derivedFrom", "QuestionnaireResponse")
        screen = self.screens.get(response.index)
        if screen is None:
            raise _Bad("derivedFrom", _(REFERENCE_FAILED).format(index=response.index))
        if _PHQ_TOTAL_CODES.get(_code(res.get("code"), codes.LOINC) or "") != screen.instrument:
            raise _Bad("code", _(TOTAL_WRONG_CODE).format(instrument=screen.instrument))
        total = res.get("valueInteger")
        if total != screen.score:
            raise _Bad("valueInteger", _(TOTAL_DIFFERS).format(total=total, score=screen.score))

    def write_weight(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, *_FINAL)
        self.subject(res)
        quantity = res.get("valueQuantity")
        if not isinstance(quantity, dict) or "value" not in quantity:
            raise _Bad("valueQuantity", _(BAD_QUANTITY))
        if (quantity.get("code") or quantity.get("unit")) != "kg":
            raise _Bad("valueQuantity", _(WEIGHT_NOT_KG))
        weight_record(actor=self.actor, patient=self.c.patient, weight_kg=Decimal(str(quantity["value"])),
                      measured_on=_date(res.get("effectiveDateTime"), "effectiveDateTime"), today=self.today)

    # -- the course plan, severity, side effects, missed doses --

    def write_care_plan(self, entry: _Entry) -> None:
        """Dose plans through ``dose_plan_record``; then the course's status, first and last dose and target
        on an import path: ``course_status_change`` walks one transition at a time on today's terms and
        cannot restate a course's history."""
        res = entry.resource
        self.subject(res)
        extensions = _extensions(res)
        status = extensions.get(codes.EXT_COURSE_STATUS, {}).get("valueCode")
        if status not in CourseStatus.values:
            raise _Bad("extension", _(BAD_COURSE_STATUS).format(expected=", ".join(CourseStatus.values)))
        target = _mg_per_kg(extensions.get(codes.EXT_TARGET_MG_PER_KG), "extension")
        period: dict[str, Any] = res["period"] if isinstance(res.get("period"), dict) else {}
        started = _date(period["start"], "period.start") if period.get("start") is not None else None
        ended = _date(period["end"], "period.end") if period.get("end") is not None else None
        for day, where in ((started, "period.start"), (ended, "period.end")):
            if day is not None:
                check_event_date(day, patient=self.c.patient, today=self.today, field=where)
        if started is not None and ended is not None and ended < started:
            raise _Bad("period.end", _(BAD_MISSED))
        for activity in res.get("activity") or []:
            detail = activity.get("detail") if isinstance(activity, dict) else None
            if not isinstance(detail, dict):
                raise _Bad("activity", _(BAD_PLAN))
            plan_ext = _extensions(detail)
            weight = plan_ext.get(codes.EXT_PLAN_WEIGHT, {}).get("valueQuantity")
            per_kg = plan_ext.get(codes.EXT_PLAN_MG_PER_KG, {}).get("valueDecimal")
            start = (detail.get("scheduledPeriod") or {}).get("start")
            if not isinstance(weight, dict) or (weight.get("code") or weight.get("unit")) != "kg" \
                    or per_kg is None or start is None:
                raise _Bad("activity.detail", _(BAD_PLAN))
            plan = dose_plan_record(
                actor=self.actor, course=self.c, starts_on=_date(start, "activity.detail.scheduledPeriod"),
                weight_kg=Decimal(str(weight["value"])), mg_per_kg=Decimal(str(per_kg)), today=self.today,
                target_mg_per_kg=_mg_per_kg(plan_ext.get(codes.EXT_TARGET_MG_PER_KG), "activity.detail.extension"),
                out_of_range_reason=str(plan_ext.get(codes.EXT_PLAN_REASON, {}).get("valueString") or ""))
            amount = detail.get("dailyAmount")
            if isinstance(amount, dict) and amount.get("value") is not None and \
                    Decimal(str(amount["value"])) != plan.daily_dose_mg:
                raise _Bad("activity.detail.dailyAmount", _(PLAN_DOSE_DIFFERS).format(
                    dose=amount["value"], computed=plan.daily_dose_mg))
        Course.objects.filter(pk=self.c.pk).update(status=status, started_on=started, ended_on=ended,
                                                   target_mg_per_kg=target)
        self.c.refresh_from_db()
        self.wrote("course_plan", self.c.pk)

    def write_missed_dose(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "not-taken")
        self.subject(res)
        period: dict[str, Any] = res["effectivePeriod"] if isinstance(res.get("effectivePeriod"), dict) else {}
        first = _date(period.get("start"), "effectivePeriod.start")
        last = _date(period.get("end"), "effectivePeriod.end")
        if last < first:
            raise _Bad("effectivePeriod", _(BAD_MISSED))
        missed_dose_record(actor=self.actor, course=self.c, first_day=first, days=(last - first).days + 1,
                           today=self.today, note=_text(_note(res), "note", 500))

    def write_side_effects(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, *_FINAL)
        self.subject(res)
        symptoms: dict[str, str] = {}
        for component in res.get("component") or []:
            effect = _code(component.get("code"), codes.LOCAL_SIDE_EFFECT)
            grade = _code(component.get("valueCodeableConcept"), codes.ADVERSE_EVENT_SEVERITY)
            if not effect or not grade:
                raise _Bad("component", _(BAD_COMPONENT).format(code=effect or "?"))
            symptoms[effect] = grade
        onset = _extensions(res).get(codes.EXT_SIDE_EFFECT_ONSET, {}).get("valueDate")
        side_effect_report(actor=self.actor, course=self.c, symptoms=symptoms, today=self.today,
                           reported_on=_date(res.get("effectiveDateTime"), "effectiveDateTime"),
                           onset=None if onset is None else _date(onset, "extension"), note=_note(res))

    def write_assessment(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, *_FINAL)
        self.subject(res)
        regions = {codes.gags_region(r).code: r for r in GAGS_REGION_CODES}
        iga: int | None = None
        score: int | None = None
        gags: dict[str, int] = {}
        flags = {codes.SEVERITY_SCARRING.code: False, codes.SEVERITY_PSYCHOSOCIAL.code: False}
        for component in res.get("component") or []:
            code = _code(component.get("code"), codes.LOCAL_SEVERITY) or ""
            if code in flags and isinstance(component.get("valueBoolean"), bool):
                flags[code] = component["valueBoolean"]
            elif code == codes.SEVERITY_IGA.code:
                iga = _whole(component.get("valueInteger"), "component", _(BAD_COMPONENT).format(code=code), low=0)
            elif code == codes.SEVERITY_GAGS_SCORE.code:
                score = _whole(component.get("valueInteger"), "component", _(BAD_COMPONENT).format(code=code),
                               low=0)
            elif code in regions:
                gags[regions[code]] = _whole(component.get("valueInteger"), "component",
                                             _(BAD_COMPONENT).format(code=code), low=0)
            else:
                raise _Bad("component", _(BAD_COMPONENT).format(code=code or "?"))
        if gags and len(gags) != len(GAGS_REGION_CODES):
            raise _Bad("component", _(GAGS_INCOMPLETE))
        record = assessment_record(
            actor=self.actor, course=self.c, assessed_on=_date(res.get("effectiveDateTime"), "effectiveDateTime"),
            today=self.today, iga=iga, gags=gags or None, scarring=flags[codes.SEVERITY_SCARRING.code],
            psychosocial_burden=flags[codes.SEVERITY_PSYCHOSOCIAL.code])
        if score is not None and record.gags_score != score:
            raise _Bad("component", _(GAGS_SCORE_DIFFERS).format(score=score, computed=record.gags_score))


def _extensions(element: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["url"]: e for e in element.get("extension") or [] if isinstance(e, dict) and isinstance(e.get("url"), str)}


def _mg_per_kg(extension: dict[str, Any] | None, where: str) -> Decimal:
    quantity = extension.get("valueQuantity") if isinstance(extension, dict) else None
    if not isinstance(quantity, dict) or quantity.get("value") is None or \
            (quantity.get("code") or quantity.get("unit")) != "mg/kg":
        raise _Bad(where, _(BAD_TARGET).format(url=codes.EXT_TARGET_MG_PER_KG))
    return Decimal(str(quantity["value"]))


def _note(res: dict[str, Any]) -> str:
    first = _first(res.get("note"))
    return str(first.get("text") or "") if isinstance(first, dict) else ""


def _dose_quantity(res: dict[str, Any]) -> dict[str, Any] | None:
    """``dosageInstruction[0].doseAndRate[0].doseQuantity`` (None when absent)."""
    dosage = _first(res.get("dosageInstruction"))
    rate = _first(dosage.get("doseAndRate")) if isinstance(dosage, dict) else None
    quantity = rate.get("doseQuantity") if isinstance(rate, dict) else None
    return quantity if isinstance(quantity, dict) else None


def _product(concept: Any) -> str:
    """The product from its ClearCourse code, else from the exporter's product name."""
    code = _code(concept, codes.LOCAL_PRODUCT)
    if code in Product.values:
        return str(code)
    text = concept.get("text") if isinstance(concept, dict) else None
    return _PRODUCT_BY_NAME.get(text, "") if isinstance(text, str) else ""


def _capsules(product: str, dose_mg: int) -> dict[str, int]:
    """The capsules the prescription service would choose for this dose (none when it has no combination)."""
    combo = dosing.achievable_doses(dosing.product(product).strengths_mg).get(Decimal(dose_mg))
    counts: dict[str, int] = {}
    for strength in combo or ():
        key = dosing.format_mg(strength)
        counts[key] = counts.get(key, 0) + 1
    return counts


def course_import(*, actor: User, data: bytes, today: dt.date, filename: str = "") -> CourseImportReport:
    """Import the course bundle in ``data`` into the actor's clinic; see the module docstring."""
    try:
        require_clinic_staff(actor, prescriber_only=True)
    except PermissionDeniedError:
        raise PermissionDeniedError(_(ONLY_PRESCRIBERS), code="not_prescriber") from None
    report = CourseImportReport()
    doc, error = read_json(data)
    if error:
        report.file_error = error
        return report
    importer = _Importer(actor=actor, today=today, report=report)
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
                         "skipped": dict(report.skipped), "created": report.created, "direct": importer.direct})
        report.written = True
    return report


__all__ = ["CourseImportReport", "Problem", "classify", "course_import"]
