"""What an export holds (one dataclass per record kind), and how a scenario ``decide`` case becomes one."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from clearcourse.rules.programs import facts
from clearcourse.rules.programs.parse import DecideCase

# --- the input -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OrganizationIn:
    key: str
    name: str
    kind: str  # "clinic" or "pharmacy"
    registration_number: str = ""
    city: str = ""
    ncpdp_id: str = ""
    npi: str = ""


@dataclass(frozen=True, slots=True)
class PractitionerIn:
    key: str
    given_name: str
    family_name: str
    registration_number: str = ""
    npi: str = ""


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
    #: The course's state on the export day (``rules.course_state``), when known: the cumulative dose to date
    #: and where it stands against the target (below, reached, passed; unknown without a weight).
    cumulative_mg_per_kg: Decimal | None = None
    target_status: str | None = None


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
