"""FHIR R4 (4.0.1) export: a course's records as a ``collection`` Bundle. Pure: no Django, no clock.

Two doors build the same :class:`ExportInput`:

- :func:`input_from_case` turns a scenario ``decide`` case (parsed by
  ``clearcourse.rules.programs.parse``) into it, for ``python -m clearcourse fhir``;
- ``clearcourse.interop.selectors.course_export_input`` loads it from the database for a course.

:func:`build_bundle` then writes the resources (mapping: ``../shared/research/peers-and-interop.md`` C1;
every code from :mod:`clearcourse.interop.codes`):

=====================  ======================================================================
record                 resource
=====================  ======================================================================
patient                Patient (+ Observation for the program's risk category)
prescriber / clinic    Practitioner / Organization; a pharmacy is an Organization too
diagnosis              Condition (SNOMED CT 88616000, ICD-10 L70.0)
enrolment              Consent (scope treatment; the program as policy rule)
counselling            Procedure
contraception          Observation with one component per method
pregnancy test         Observation (LOINC hCG, SNOMED negative/positive, collection date; a home
                       test has the home method and the patient as performer; an unverified home
                       test is ``preliminary``; a confirmed one carries its confirmation day as an
                       extension)
comprehension          QuestionnaireResponse
prescription           MedicationRequest (RxNorm 6064 + the capsule's SCD code when one strength is
                       used + the product's ClearCourse code; ``expectedSupplyDuration`` the days of supply; ``validityPeriod`` the
                       program's window to dispense)
dispense               MedicationDispense (``authorizingPrescription``)
treatment end          MedicationStatement (completed, ``effectivePeriod.end`` the last dose)
lab result             Observation (LOINC, UCUM quantity, reference range high = the lab's ULN)
mood screen            QuestionnaireResponse + Observation with the total score (``derivedFrom``)
weight                 Observation (vital signs, LOINC 29463-7)
access to the record   AuditEvent
=====================  ======================================================================

``clearcourse.interop.fhir_course_import`` reads such a bundle back into a database (the round trip).

Every resource's ``fullUrl`` is ``urn:uuid:<uuid5>`` made from the bundle's seed and the record's key,
so the same records always export to the same bundle, and every reference points inside it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clearcourse.interop import codes
from clearcourse.rules.programs import decide, facts
from clearcourse.rules.programs.parse import DecideCase
from clearcourse.rules.programs.registry import ProgramNotFound, resolve

#: Namespace of every uuid5 in an export (a fixed random value: only its stability matters).
UUID_NAMESPACE = uuid.UUID("7d8f0a52-5c1e-4b6e-9a0d-2f3c9b1e6a41")


# --- the input -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganizationIn:
    key: str
    name: str
    kind: str  # "clinic" or "pharmacy"
    registration_number: str = ""
    city: str = ""


@dataclass(frozen=True, slots=True)
class PractitionerIn:
    key: str
    given_name: str
    family_name: str
    registration_number: str = ""


@dataclass(frozen=True, slots=True)
class PatientIn:
    key: str
    birth_date: dt.date
    can_get_pregnant: bool
    risk_effective_on: dt.date | None = None
    given_name: str = ""
    family_name: str = ""
    sex: str = ""  # female / male / other / unknown ("" leaves gender out)
    record_number: str = ""
    email: str = ""
    phone: str = ""
    language: str = ""


@dataclass(frozen=True, slots=True)
class ConditionIn:
    key: str
    recorded_on: dt.date


@dataclass(frozen=True, slots=True)
class EnrolmentIn:
    key: str
    date: dt.date
    program: str


@dataclass(frozen=True, slots=True)
class CounselingIn:
    key: str
    date: dt.date
    by: str = ""  # practitioner key


@dataclass(frozen=True, slots=True)
class ContraceptionIn:
    key: str
    date: dt.date
    methods: tuple[str, ...] = ()
    abstinence: bool = False
    confirmed_by: str = ""  # "patient" or "prescriber"


@dataclass(frozen=True, slots=True)
class PregnancyTestIn:
    key: str
    date: dt.date  # specimen collection date
    setting: str
    result: str
    verified: bool = True
    verified_on: dt.date | None = None  # the day a home test was confirmed (exported as an extension)


@dataclass(frozen=True, slots=True)
class ComprehensionIn:
    key: str
    date: dt.date
    passed: bool
    score: int | None = None
    total: int | None = None


@dataclass(frozen=True, slots=True)
class PrescriptionIn:
    key: str
    rx_id: str
    date: dt.date
    days_supply: int
    daily_dose_mg: float
    product: str = ""
    capsules: tuple[tuple[int, int], ...] = ()  # (strength mg, capsules a day)
    prescriber: str = ""  # practitioner key
    ipledge_confirmation: str = ""
    second_prescriber_agreed: bool = False


@dataclass(frozen=True, slots=True)
class DispenseIn:
    key: str
    prescription_key: str
    date: dt.date
    days_supply: int
    pharmacy: str = ""  # organization key
    daily_dose_mg: float | None = None


@dataclass(frozen=True, slots=True)
class TreatmentEndIn:
    key: str
    date: dt.date


@dataclass(frozen=True, slots=True)
class LabResultIn:
    key: str
    loinc: str
    value: Decimal
    unit: str
    collected_on: dt.date
    uln: Decimal | None = None


@dataclass(frozen=True, slots=True)
class MoodScreenIn:
    key: str
    instrument: str
    answers: tuple[int, ...]
    score: int
    date: dt.date
    completed_by: str = "patient"  # "patient" or "staff"
    band: str = ""


@dataclass(frozen=True, slots=True)
class WeightIn:
    key: str
    date: dt.date
    weight_kg: Decimal


@dataclass(frozen=True, slots=True)
class DosePlanIn:
    key: str
    starts_on: dt.date
    weight_kg: Decimal
    mg_per_kg: Decimal
    daily_dose_mg: int
    target_mg_per_kg: Decimal
    out_of_range_reason: str = ""


@dataclass(frozen=True, slots=True)
class CoursePlanIn:
    """The course itself: status, first and last dose, cumulative target and its dose plans."""

    key: str
    status: str
    started_on: dt.date | None
    ended_on: dt.date | None
    target_mg_per_kg: Decimal
    dose_plans: tuple[DosePlanIn, ...] = ()


@dataclass(frozen=True, slots=True)
class AssessmentIn:
    key: str
    date: dt.date
    iga: int | None
    gags: tuple[tuple[str, int], ...]  # (region code, grade), all six or none
    gags_score: int | None
    gags_band: str
    scarring: bool
    psychosocial_burden: bool


@dataclass(frozen=True, slots=True)
class SideEffectIn:
    key: str
    reported_on: dt.date
    symptoms: tuple[tuple[str, str], ...]  # (catalogue code, grade), one report group
    onset: dt.date | None = None
    note: str = ""


@dataclass(frozen=True, slots=True)
class MissedDoseIn:
    key: str
    first_day: dt.date
    days: int
    note: str = ""


@dataclass(frozen=True, slots=True)
class AccessIn:
    key: str
    at: dt.datetime  # timezone-aware
    action: str  # ClearCourse audit action, e.g. "patient.view"
    who: str  # display name of the person or system
    practitioner: str = ""  # practitioner key when the person is in the bundle


@dataclass(frozen=True, slots=True)
class ExportInput:
    """Everything one bundle holds. ``seed`` makes the uuids; ``program`` tags the bundle."""

    seed: str
    program: str
    patient: PatientIn
    clinic: OrganizationIn | None = None
    prescriber: PractitionerIn | None = None
    practitioners: tuple[PractitionerIn, ...] = ()
    pharmacies: tuple[OrganizationIn, ...] = ()
    condition: ConditionIn | None = None
    enrolments: tuple[EnrolmentIn, ...] = ()
    counselings: tuple[CounselingIn, ...] = ()
    contraceptions: tuple[ContraceptionIn, ...] = ()
    pregnancy_tests: tuple[PregnancyTestIn, ...] = ()
    comprehensions: tuple[ComprehensionIn, ...] = ()
    prescriptions: tuple[PrescriptionIn, ...] = ()
    dispenses: tuple[DispenseIn, ...] = ()
    treatment_ends: tuple[TreatmentEndIn, ...] = ()
    lab_results: tuple[LabResultIn, ...] = ()
    mood_screens: tuple[MoodScreenIn, ...] = ()
    weights: tuple[WeightIn, ...] = ()
    course_plan: CoursePlanIn | None = None
    assessments: tuple[AssessmentIn, ...] = ()
    side_effects: tuple[SideEffectIn, ...] = ()
    missed_doses: tuple[MissedDoseIn, ...] = ()
    accesses: tuple[AccessIn, ...] = ()
    timestamp: dt.datetime | None = None  # the bundle's timestamp (the caller's clock, if any)
    extra: dict[str, Any] = field(default_factory=dict)


# --- from a decide case ----------------------------------------------------------------------


def _canonical_events(case: DecideCase) -> list[facts.Event]:
    """The events in a canonical order (date, then type, then content): the order of a case's list
    within one day carries no meaning, so it must not change the uuids."""
    return sorted(case.history.events, key=lambda e: (e.date, _TYPE_ORDER.index(e.type),
                                                      json.dumps(_event_json(e), sort_keys=True)))


_TYPE_ORDER = ("enrolled", "counseling", "contraception", "pregnancy_test", "comprehension", "prescription",
               "dispense", "treatment_end")


def _case_seed(case: DecideCase) -> str:
    """A digest of the case's clinical content, so equal content gives equal uuids."""
    content = {
        "program": case.program,
        "patient": [case.patient.birth_date.isoformat(), case.patient.can_get_pregnant],
        "events": [_event_json(e) for e in _canonical_events(case)],
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:32]


def _event_json(event: facts.Event) -> dict[str, Any]:
    out: dict[str, Any] = {"type": event.type}
    for f in dataclasses.fields(event):
        value = getattr(event, f.name)
        out[f.name] = value.isoformat() if isinstance(value, dt.date) else value
    return out


def input_from_case(case: DecideCase) -> ExportInput:
    """The export input for a parsed ``decide`` case. Event keys are their position in date order."""
    lists: dict[str, list[Any]] = {k: [] for k in (
        "enrolments", "counselings", "contraceptions", "pregnancy_tests", "comprehensions", "prescriptions",
        "dispenses", "treatment_ends")}
    for i, event in enumerate(_canonical_events(case)):
        key = f"event/{i}"
        if isinstance(event, facts.Enrolled):
            lists["enrolments"].append(EnrolmentIn(key, event.date, case.program))
        elif isinstance(event, facts.Counseling):
            lists["counselings"].append(CounselingIn(key, event.date))
        elif isinstance(event, facts.Contraception):
            lists["contraceptions"].append(ContraceptionIn(key, event.date, event.methods, event.abstinence))
        elif isinstance(event, facts.PregnancyTest):
            lists["pregnancy_tests"].append(PregnancyTestIn(key, event.date, event.setting, event.result,
                                                            event.verified_by_prescriber))
        elif isinstance(event, facts.Comprehension):
            lists["comprehensions"].append(ComprehensionIn(key, event.date, event.passed))
        elif isinstance(event, facts.Prescription):
            lists["prescriptions"].append(PrescriptionIn(
                f"rx/{event.id}", event.id, event.date, event.days_supply, event.daily_dose_mg,
                second_prescriber_agreed=event.second_prescriber_agreed))
        elif isinstance(event, facts.Dispense):
            lists["dispenses"].append(DispenseIn(key, f"rx/{event.prescription}", event.date, event.days_supply))
        elif isinstance(event, facts.TreatmentEnd):
            lists["treatment_ends"].append(TreatmentEndIn(key, event.date))
    patient = PatientIn("patient", case.patient.birth_date, case.patient.can_get_pregnant)
    return ExportInput(
        seed=_case_seed(case), program=case.program, patient=patient,
        enrolments=tuple(lists["enrolments"]), counselings=tuple(lists["counselings"]),
        contraceptions=tuple(lists["contraceptions"]), pregnancy_tests=tuple(lists["pregnancy_tests"]),
        comprehensions=tuple(lists["comprehensions"]), prescriptions=tuple(lists["prescriptions"]),
        dispenses=tuple(lists["dispenses"]), treatment_ends=tuple(lists["treatment_ends"]),
    )


# --- the writer --------------------------------------------------------------------------------


def _number(value: float | Decimal | int) -> int | float:
    """JSON numbers as people write them: 40 rather than 40.0, 1.5 as 1.5."""
    if isinstance(value, Decimal):
        value = value.normalize()
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _quantity(value: float | Decimal | int, unit: str) -> dict[str, Any]:
    out: dict[str, Any] = {"value": _number(value), "unit": unit}
    ucum = codes.UCUM_UNITS.get(unit)
    if ucum is not None:
        out["system"] = codes.UCUM
        out["code"] = ucum
    return out


def _days(n: int) -> dict[str, Any]:
    return {"value": n, "unit": "days", "system": codes.UCUM, "code": "d"}


def _facts_history(inp: ExportInput, *, without_dispenses_of: str) -> facts.History:
    """The program facts the input holds (a prescription's own dispenses left out)."""
    events: list[facts.Event] = [facts.Enrolled(e.date) for e in inp.enrolments]
    events += [facts.Counseling(c.date) for c in inp.counselings]
    events += [facts.Contraception(k.date, k.methods, k.abstinence) for k in inp.contraceptions]
    events += [facts.PregnancyTest(t.date, t.setting, t.result, t.verified) for t in inp.pregnancy_tests]
    events += [facts.Comprehension(q.date, q.passed) for q in inp.comprehensions]
    events += [facts.Prescription(rx.key, rx.date, rx.days_supply, rx.daily_dose_mg, rx.second_prescriber_agreed)
               for rx in inp.prescriptions]
    events += [facts.Dispense(d.prescription_key, d.date, d.days_supply) for d in inp.dispenses
               if d.prescription_key != without_dispenses_of]
    events += [facts.TreatmentEnd(t.date) for t in inp.treatment_ends]
    return facts.History(events)


def _validity_end(inp: ExportInput, rx: PrescriptionIn) -> dt.date | None:
    """The last day the prescription may be dispensed, as the program judges it on the day it was
    written: the authorization's ``valid_through`` (the test window, the prescription window)
    when dispensing was allowed that day; otherwise the program's prescription window alone ("within
    N days" counts the day it was written as day 1); None when neither applies."""
    patient = facts.Patient(inp.patient.birth_date, inp.patient.can_get_pregnant)
    try:
        decision = decide(inp.program, patient, _facts_history(inp, without_dispenses_of=rx.key),
                          facts.Request(rx.date, rx.key, rx.days_supply))
        version = resolve(inp.program, rx.date)
    except (ProgramNotFound, ValueError):
        return None
    if decision.allowed and decision.valid_through is not None:
        return decision.valid_through
    rule = version.prescription_window_days_can if inp.patient.can_get_pregnant else \
        version.prescription_window_days_cannot
    return None if rule.value is None else rx.date + dt.timedelta(days=rule.value - 1)


class _Writer:
    def __init__(self, inp: ExportInput) -> None:
        self.inp = inp
        self.entries: list[dict[str, Any]] = []

    def uuid(self, key: str) -> str:
        return str(uuid.uuid5(UUID_NAMESPACE, f"{self.inp.seed}/{key}"))

    def ref(self, key: str, display: str | None = None) -> dict[str, str]:
        out = {"reference": f"urn:uuid:{self.uuid(key)}"}
        if display:
            out["display"] = display
        return out

    def add(self, key: str, resource: dict[str, Any]) -> None:
        rid = self.uuid(key)
        self.entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": {"resourceType": resource.pop("resourceType"),
                                                                        "id": rid, **resource}})

    @property
    def patient(self) -> dict[str, str]:
        return self.ref(self.inp.patient.key)

    def medication(self, product: str = "", capsules: Sequence[tuple[int, int]] = ()) -> dict[str, Any]:
        coding = [codes.RX_ISOTRETINOIN.coding()]
        strengths = {s for s, n in capsules if n > 0}
        if len(strengths) == 1 and next(iter(strengths)) in codes.RX_CAPSULE:
            coding.append(codes.RX_CAPSULE[next(iter(strengths))].coding())
        coding.append(codes.ATC_ISOTRETINOIN_SYSTEMIC.coding())
        if product in codes.PRODUCT_NAMES:
            # The product itself (products are not interchangeable), so an import reads it from a code.
            coding.append(codes.Code(codes.LOCAL_PRODUCT, product, codes.PRODUCT_NAMES[product]).coding())
        return {"coding": coding, "text": codes.PRODUCT_NAMES.get(product, "Isotretinoin")}


def _organization(o: OrganizationIn) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Organization", "active": True, "name": o.name}
    if o.registration_number:
        res["identifier"] = [{"system": codes.ID_REGISTRATION, "value": o.registration_number}]
    if o.city:
        res["address"] = [{"city": o.city}]
    res["type"] = [{"text": "Pharmacy" if o.kind == "pharmacy" else "Clinic"}]
    return res


def _practitioner(p: PractitionerIn) -> dict[str, Any]:
    res: dict[str, Any] = {"resourceType": "Practitioner", "active": True}
    name: dict[str, Any] = {}
    if p.family_name:
        name["family"] = p.family_name
    if p.given_name:
        name["given"] = [p.given_name]
    if name:
        res["name"] = [name]
    if p.registration_number:
        res["identifier"] = [{"system": codes.ID_REGISTRATION, "value": p.registration_number}]
    return res


def _patient(w: _Writer) -> dict[str, Any]:
    p = w.inp.patient
    res: dict[str, Any] = {"resourceType": "Patient"}
    if p.record_number:
        res["identifier"] = [{"system": codes.ID_RECORD_NUMBER, "value": p.record_number}]
    if p.family_name or p.given_name:
        name: dict[str, Any] = {"use": "official"}
        if p.family_name:
            name["family"] = p.family_name
        if p.given_name:
            name["given"] = [p.given_name]
        res["name"] = [name]
    telecom = []
    if p.phone:
        telecom.append({"system": "phone", "value": p.phone})
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if telecom:
        res["telecom"] = telecom
    if p.sex:
        res["gender"] = p.sex if p.sex in ("female", "male", "other", "unknown") else "unknown"
    res["birthDate"] = p.birth_date.isoformat()
    if p.language:
        res["communication"] = [{"language": {"coding": [{"system": "urn:ietf:bcp:47", "code": p.language}]},
                                 "preferred": True}]
    if w.inp.prescriber is not None:
        res["generalPractitioner"] = [w.ref(w.inp.prescriber.key)]
    if w.inp.clinic is not None:
        res["managingOrganization"] = w.ref(w.inp.clinic.key)
    return res


def _risk_category(w: _Writer) -> dict[str, Any]:
    p = w.inp.patient
    value = codes.RISK_CAN_GET_PREGNANT if p.can_get_pregnant else codes.RISK_CANNOT_GET_PREGNANT
    res: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "code": codes.RISK_CATEGORY_OBSERVATION.concept(), "subject": w.patient,
    }
    if p.risk_effective_on is not None:
        res["effectiveDateTime"] = p.risk_effective_on.isoformat()
    if w.inp.prescriber is not None:
        res["performer"] = [w.ref(w.inp.prescriber.key)]
    res["valueCodeableConcept"] = value.concept()
    return res


def build_bundle(inp: ExportInput) -> dict[str, Any]:
    """The FHIR R4 ``collection`` Bundle for ``inp`` as a JSON-ready dict."""
    w = _Writer(inp)
    w.add(inp.patient.key, _patient(w))
    if inp.clinic is not None:
        w.add(inp.clinic.key, _organization(inp.clinic))
    practitioners = {p.key: p for p in ((inp.prescriber,) if inp.prescriber else ()) + inp.practitioners}
    for p in practitioners.values():
        w.add(p.key, _practitioner(p))
    for o in inp.pharmacies:
        w.add(o.key, _organization(o))
    w.add(f"{inp.patient.key}/risk-category", _risk_category(w))
    if inp.condition is not None:
        _condition(w, inp.condition)
    for e in inp.enrolments:
        _consent(w, e)
    for c in inp.counselings:
        _procedure(w, c)
    for k in inp.contraceptions:
        _contraception(w, k)
    for t in inp.pregnancy_tests:
        _pregnancy_test(w, t)
    for q in inp.comprehensions:
        _comprehension(w, q)
    dispensed = {d.prescription_key for d in inp.dispenses}
    for rx in inp.prescriptions:
        _medication_request(w, rx, dispensed=rx.key in dispensed)
    products = {rx.key: rx for rx in inp.prescriptions}
    for d in inp.dispenses:
        _medication_dispense(w, d, products.get(d.prescription_key))
    for end in inp.treatment_ends:
        _treatment_end(w, end)
    for lab in inp.lab_results:
        _lab(w, lab)
    for m in inp.mood_screens:
        _mood(w, m)
    for wt in inp.weights:
        _weight(w, wt)
    if inp.course_plan is not None:
        _care_plan(w, inp.course_plan)
    for assessment in inp.assessments:
        _assessment(w, assessment)
    for se in inp.side_effects:
        _side_effects(w, se)
    for md in inp.missed_doses:
        _missed_dose(w, md)
    for a in inp.accesses:
        _audit_event(w, a)
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "id": w.uuid("bundle"),
        "meta": {"tag": [codes.program(inp.program).coding()]},
        "identifier": {"system": codes.ID_CASE, "value": w.uuid("bundle")},
        "type": "collection",
    }
    if inp.timestamp is not None:
        bundle["timestamp"] = inp.timestamp.isoformat(timespec="seconds")
    bundle["entry"] = w.entries
    return bundle


def _condition(w: _Writer, c: ConditionIn) -> None:
    res: dict[str, Any] = {
        "resourceType": "Condition",
        "clinicalStatus": codes.CONDITION_ACTIVE.concept(),
        "verificationStatus": codes.CONDITION_CONFIRMED.concept(),
        "category": [codes.CONDITION_ENCOUNTER_DIAGNOSIS.concept()],
        "code": {"coding": [codes.SCT_ACNE_VULGARIS.coding(), codes.ICD10_ACNE_VULGARIS.coding(),
                            codes.ICD10CM_ACNE_VULGARIS.coding()], "text": "Acne vulgaris"},
        "subject": w.patient,
        "recordedDate": c.recorded_on.isoformat(),
    }
    if w.inp.prescriber is not None:
        res["recorder"] = w.ref(w.inp.prescriber.key)
    w.add(c.key, res)


def _consent(w: _Writer, e: EnrolmentIn) -> None:
    res: dict[str, Any] = {
        "resourceType": "Consent", "status": "active",
        "scope": codes.CONSENT_SCOPE_TREATMENT.concept(),
        "category": [codes.CONSENT_CATEGORY_PATIENT.concept(),
                     codes.EVENT_ENROLMENT.concept()],
        "patient": w.patient,
        "dateTime": e.date.isoformat(),
        "performer": [w.patient],
    }
    if w.inp.clinic is not None:
        res["organization"] = [w.ref(w.inp.clinic.key)]
    # R4 invariant ppc-1 needs a policy or a policy rule; the program is always the rule.
    res["policyRule"] = codes.program(e.program).concept(f"Pregnancy-prevention program {e.program}")
    w.add(e.key, res)


def _procedure(w: _Writer, c: CounselingIn) -> None:
    res: dict[str, Any] = {
        "resourceType": "Procedure", "status": "completed", "code": codes.EVENT_COUNSELING.concept(),
        "subject": w.patient, "performedDateTime": c.date.isoformat(),
    }
    if c.by:
        res["performer"] = [{"actor": w.ref(c.by)}]
    w.add(c.key, res)


def _contraception(w: _Writer, k: ContraceptionIn) -> None:
    components = [{"code": codes.EVENT_CONTRACEPTION_METHOD.concept(),
                   "valueCodeableConcept": codes.contraception(m).concept()} for m in k.methods]
    if k.abstinence:
        components.append({"code": codes.EVENT_CONTRACEPTION_METHOD.concept(),
                           "valueCodeableConcept": codes.ABSTINENCE.concept()})
    res: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "category": [codes.CATEGORY_SOCIAL_HISTORY.concept()],
        "code": codes.EVENT_CONTRACEPTION.concept(), "subject": w.patient,
        "effectiveDateTime": k.date.isoformat(),
    }
    if k.confirmed_by == "patient":
        res["performer"] = [w.patient]
    elif k.confirmed_by == "prescriber" and w.inp.prescriber is not None:
        res["performer"] = [w.ref(w.inp.prescriber.key)]
    res["component"] = components
    w.add(k.key, res)


def _pregnancy_test(w: _Writer, t: PregnancyTestIn) -> None:
    home = t.setting == "home"
    res: dict[str, Any] = {"resourceType": "Observation"}
    if home and t.verified and t.verified_on is not None:
        res["extension"] = [{"url": codes.EXT_HOME_TEST_VERIFIED_ON, "valueDate": t.verified_on.isoformat()}]
    res |= {
        # A home test counts only once the prescriber has checked it (2026 REMS); until then it is
        # preliminary.
        "status": "final" if (t.verified or not home) else "preliminary",
        "category": [codes.CATEGORY_LABORATORY.concept()],
        "code": codes.HCG_BY_SETTING[t.setting].concept("Pregnancy test"),
        "subject": w.patient,
        "effectiveDateTime": t.date.isoformat(),
    }
    if home:
        res["performer"] = [w.patient]
    elif w.inp.clinic is not None and t.setting == "clinic":
        res["performer"] = [w.ref(w.inp.clinic.key)]
    res["valueCodeableConcept"] = codes.RESULT_CODES[t.result].concept()
    res["method"] = codes.setting(t.setting).concept()
    w.add(t.key, res)


def _comprehension(w: _Writer, q: ComprehensionIn) -> None:
    items: list[dict[str, Any]] = [{"linkId": "passed", "text": "Passed the program's comprehension questions",
                                    "answer": [{"valueBoolean": q.passed}]}]
    if q.score is not None:
        items.append({"linkId": "score", "text": "Correct answers", "answer": [{"valueInteger": q.score}]})
    if q.total is not None:
        items.append({"linkId": "total", "text": "Questions", "answer": [{"valueInteger": q.total}]})
    w.add(q.key, {
        "resourceType": "QuestionnaireResponse", "questionnaire": codes.Q_COMPREHENSION, "status": "completed",
        "subject": w.patient, "authored": q.date.isoformat(), "author": w.patient, "item": items,
    })


def _medication_request(w: _Writer, rx: PrescriptionIn, *, dispensed: bool) -> None:
    dose = _number(rx.daily_dose_mg)
    validity: dict[str, str] = {"start": rx.date.isoformat()}
    end = _validity_end(w.inp, rx)
    if end is not None:
        validity["end"] = end.isoformat()
    identifiers = [{"system": codes.ID_PRESCRIPTION, "value": rx.rx_id}]
    if rx.ipledge_confirmation:
        identifiers.append({"system": codes.ID_IPLEDGE_CONFIRMATION, "value": rx.ipledge_confirmation})
    capsule_text = ", ".join(f"{n} x {s} mg" for s, n in rx.capsules if n > 0)
    res: dict[str, Any] = {"resourceType": "MedicationRequest"}
    if rx.second_prescriber_agreed:
        # UK 2023: a second independent prescriber agreed to start treatment (patient under 18).
        res["extension"] = [{"url": codes.EXT_SECOND_PRESCRIBER, "valueBoolean": True}]
    res |= {
        "identifier": identifiers,
        # One fill per prescription: once dispensed the request is complete.
        "status": "completed" if dispensed else "active",
        "intent": "order",
        "medicationCodeableConcept": w.medication(rx.product, rx.capsules),
        "subject": w.patient,
        "authoredOn": rx.date.isoformat(),
    }
    if rx.prescriber:
        res["requester"] = w.ref(rx.prescriber)
    res["dosageInstruction"] = [{
        "text": f"{dose} mg once a day" + (f" ({capsule_text} capsules)" if capsule_text else ""),
        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [{"doseQuantity": _quantity(dose, "mg")}],
    }]
    res["dispenseRequest"] = {
        "validityPeriod": validity,
        "numberOfRepeatsAllowed": 0,
        "expectedSupplyDuration": _days(rx.days_supply),
    }
    w.add(rx.key, res)


def _medication_dispense(w: _Writer, d: DispenseIn, rx: PrescriptionIn | None) -> None:
    res: dict[str, Any] = {
        "resourceType": "MedicationDispense", "status": "completed",
        "medicationCodeableConcept": w.medication(rx.product if rx else "", rx.capsules if rx else ()),
        "subject": w.patient,
    }
    if d.pharmacy:
        res["performer"] = [{"actor": w.ref(d.pharmacy)}]
    res["authorizingPrescription"] = [w.ref(d.prescription_key)]
    res["daysSupply"] = _days(d.days_supply)
    res["whenHandedOver"] = d.date.isoformat()
    if d.daily_dose_mg is not None:
        res["dosageInstruction"] = [{"text": f"{_number(d.daily_dose_mg)} mg once a day",
                                     "doseAndRate": [{"doseQuantity": _quantity(d.daily_dose_mg, "mg")}]}]
    w.add(d.key, res)


def _treatment_end(w: _Writer, end: TreatmentEndIn) -> None:
    w.add(end.key, {
        "resourceType": "MedicationStatement", "status": "completed",
        "category": codes.EVENT_TREATMENT_END.concept(),
        "medicationCodeableConcept": w.medication(),
        "subject": w.patient, "effectivePeriod": {"end": end.date.isoformat()},
    })


def _lab(w: _Writer, lab: LabResultIn) -> None:
    code = codes.LAB_CODES.get(lab.loinc) or codes.Code(codes.LOINC, lab.loinc, lab.loinc)
    res: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "category": [codes.CATEGORY_LABORATORY.concept()],
        "code": code.concept(), "subject": w.patient,
        "effectiveDateTime": lab.collected_on.isoformat(),
        "valueQuantity": _quantity(lab.value, lab.unit),
    }
    if lab.uln is not None:
        res["referenceRange"] = [{"high": _quantity(lab.uln, lab.unit), "type": codes.REFERENCE_RANGE_NORMAL.concept()}]
    w.add(lab.key, res)


def _mood(w: _Writer, m: MoodScreenIn) -> None:
    author = w.patient if m.completed_by == "patient" else (
        w.ref(w.inp.prescriber.key) if w.inp.prescriber is not None else w.patient)
    w.add(f"{m.key}/response", {
        "resourceType": "QuestionnaireResponse", "questionnaire": f"{codes.Q_PHQ}{m.instrument}",
        "status": "completed", "subject": w.patient, "authored": m.date.isoformat(), "author": author,
        "item": [{"linkId": f"item-{i + 1}", "answer": [{"valueInteger": a}]} for i, a in enumerate(m.answers)],
    })
    total = codes.PHQ_TOTALS.get(m.instrument) or codes.PHQ9_TOTAL
    res: dict[str, Any] = {
        "resourceType": "Observation", "status": "final", "category": [codes.CATEGORY_SURVEY.concept()],
        "code": total.concept(), "subject": w.patient, "effectiveDateTime": m.date.isoformat(),
        "valueInteger": m.score,
    }
    if m.band:
        res["interpretation"] = [{"text": m.band}]
    res["derivedFrom"] = [w.ref(f"{m.key}/response")]
    w.add(m.key, res)


def _weight(w: _Writer, wt: WeightIn) -> None:
    w.add(wt.key, {
        "resourceType": "Observation", "status": "final", "category": [codes.CATEGORY_VITAL_SIGNS.concept()],
        "code": codes.BODY_WEIGHT.concept(), "subject": w.patient, "effectiveDateTime": wt.date.isoformat(),
        "valueQuantity": _quantity(wt.weight_kg, "kg"),
    })


def _care_plan(w: _Writer, cp: CoursePlanIn) -> None:
    res: dict[str, Any] = {
        "resourceType": "CarePlan",
        "extension": [
            {"url": codes.EXT_COURSE_STATUS, "valueCode": cp.status},
            {"url": codes.EXT_TARGET_MG_PER_KG, "valueQuantity": _quantity(cp.target_mg_per_kg, "mg/kg")},
        ],
        "status": codes.CAREPLAN_STATUS.get(cp.status, "unknown"), "intent": "plan",
        "category": [codes.EVENT_COURSE.concept()], "subject": w.patient,
    }
    period = {k: d.isoformat() for k, d in (("start", cp.started_on), ("end", cp.ended_on)) if d is not None}
    if period:
        res["period"] = period
    activities = []
    for plan in cp.dose_plans:
        extension: list[dict[str, Any]] = [
            {"url": codes.EXT_PLAN_WEIGHT, "valueQuantity": _quantity(plan.weight_kg, "kg")},
            {"url": codes.EXT_PLAN_MG_PER_KG, "valueDecimal": _number(plan.mg_per_kg)},
            {"url": codes.EXT_TARGET_MG_PER_KG, "valueQuantity": _quantity(plan.target_mg_per_kg, "mg/kg")},
        ]
        if plan.out_of_range_reason:
            extension.append({"url": codes.EXT_PLAN_REASON, "valueString": plan.out_of_range_reason})
        activities.append({"detail": {
            "extension": extension, "kind": "MedicationRequest", "status": "scheduled",
            "scheduledPeriod": {"start": plan.starts_on.isoformat()},
            "productCodeableConcept": w.medication(),
            "dailyAmount": _quantity(plan.daily_dose_mg, "mg"),
        }})
    if activities:
        res["activity"] = activities
    w.add(cp.key, res)


def _assessment(w: _Writer, a: AssessmentIn) -> None:
    components: list[dict[str, Any]] = []
    if a.iga is not None:
        components.append({"code": codes.SEVERITY_IGA.concept(), "valueInteger": a.iga})
    for region, grade in a.gags:
        components.append({"code": codes.gags_region(region).concept(), "valueInteger": grade})
    if a.gags_score is not None:
        score: dict[str, Any] = {"code": codes.SEVERITY_GAGS_SCORE.concept(), "valueInteger": a.gags_score}
        if a.gags_band:
            score["interpretation"] = [{"text": a.gags_band}]
        components.append(score)
    components.append({"code": codes.SEVERITY_SCARRING.concept(), "valueBoolean": a.scarring})
    components.append({"code": codes.SEVERITY_PSYCHOSOCIAL.concept(), "valueBoolean": a.psychosocial_burden})
    w.add(a.key, {
        "resourceType": "Observation", "status": "final", "category": [codes.CATEGORY_SURVEY.concept()],
        "code": codes.SEVERITY_ASSESSMENT.concept(), "subject": w.patient,
        "effectiveDateTime": a.date.isoformat(), "component": components,
    })


def _side_effects(w: _Writer, se: SideEffectIn) -> None:
    res: dict[str, Any] = {"resourceType": "Observation"}
    if se.onset is not None:
        res["extension"] = [{"url": codes.EXT_SIDE_EFFECT_ONSET, "valueDate": se.onset.isoformat()}]
    res.update({
        "status": "final", "code": codes.EVENT_SIDE_EFFECTS.concept(), "subject": w.patient,
        "effectiveDateTime": se.reported_on.isoformat(),
    })
    if se.note:
        res["note"] = [{"text": se.note}]
    res["component"] = [{"code": codes.side_effect(code).concept(),
                         "valueCodeableConcept": codes.side_effect_grade(grade).concept()}
                        for code, grade in se.symptoms]
    w.add(se.key, res)


def _missed_dose(w: _Writer, md: MissedDoseIn) -> None:
    res: dict[str, Any] = {
        "resourceType": "MedicationStatement", "status": "not-taken",
        "category": codes.EVENT_MISSED_DOSE.concept(),
        "medicationCodeableConcept": w.medication(), "subject": w.patient,
        "effectivePeriod": {"start": md.first_day.isoformat(),
                            "end": (md.first_day + dt.timedelta(days=md.days - 1)).isoformat()},
    }
    if md.note:
        res["note"] = [{"text": md.note}]
    w.add(md.key, res)


#: ClearCourse audit action verbs -> FHIR AuditEvent.action (C create, R read, U update, D delete, E execute).
_AUDIT_ACTIONS = {"view": "R", "read": "R", "export": "R", "search": "E", "create": "C", "record": "C",
                  "update": "U", "correct": "U", "void": "D"}


def _audit_event(w: _Writer, a: AccessIn) -> None:
    verb = a.action.rsplit(".", 1)[-1]
    agent_who: dict[str, str] = w.ref(a.practitioner, a.who) if a.practitioner else {"display": a.who}
    res: dict[str, Any] = {
        "resourceType": "AuditEvent", "type": codes.AUDIT_PATIENT_RECORD.coding(),
        "subtype": [{"system": codes.LOCAL_AUDIT_ACTION, "code": a.action, "display": a.action}],
        "action": _AUDIT_ACTIONS.get(verb, "E"),
        "recorded": a.at.isoformat(timespec="seconds"),
        "outcome": "0",
        "agent": [{"who": agent_who, "requestor": True}],
        "source": {"observer": w.ref(w.inp.clinic.key) if w.inp.clinic else {"display": "ClearCourse"}},
        "entity": [{"what": w.patient, "type": codes.AUDIT_ENTITY_TYPE_PERSON.coding(),
                    "role": codes.AUDIT_ENTITY_ROLE_PATIENT.coding()}],
    }
    w.add(a.key, res)


__all__ = [
    "AccessIn", "ComprehensionIn", "ConditionIn", "ContraceptionIn", "CounselingIn", "DispenseIn", "EnrolmentIn",
    "ExportInput", "LabResultIn", "MoodScreenIn", "OrganizationIn", "PatientIn", "PractitionerIn",
    "PregnancyTestIn", "PrescriptionIn", "TreatmentEndIn", "WeightIn", "build_bundle", "input_from_case",
]
