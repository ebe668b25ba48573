"""Turn a ``decide`` case (a dict from JSON) into the program facts, strictly.

Every rejection raises :class:`~clearcourse.rules.errors.InputError` naming the field as a path
(``patient.birth_date``, ``events[3].methods[1]``, ``request.days_supply``). The FHIR exporter and the
Django import reuse this reader, so the scenario contract is checked in one place.

Unknown keys are ignored (a case may carry notes); unknown codes, impossible dates, events before
birth, duplicate prescription ids and dispenses of a prescription that is not in the case are errors.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from clearcourse.rules.errors import InputError
from clearcourse.rules.parsing import (
    as_bool,
    as_date,
    as_int,
    as_list,
    as_number,
    as_str,
    get,
    require_mapping,
)
from clearcourse.rules.programs.facts import (
    CONTRACEPTION_METHODS,
    NO_PARTICIPANTS,
    Certification,
    Comprehension,
    Contraception,
    Counseling,
    Dispense,
    Enrolled,
    Event,
    History,
    Participants,
    Patient,
    PregnancyTest,
    Prescription,
    Request,
    TestResult,
    TestSetting,
    TreatmentEnd,
)
from clearcourse.rules.programs.registry import FAMILIES, VERSIONS

# The widest day counts a case may carry; beyond them a number is a typo, not a prescription.
MAX_DAYS_SUPPLY = 3650
MAX_DAILY_DOSE_MG = 1000.0

EVENT_TYPES = ("enrolled", "counseling", "contraception", "pregnancy_test", "comprehension",
               "prescription", "dispense", "treatment_end")
SETTINGS = tuple(s.value for s in TestSetting)
RESULTS = tuple(r.value for r in TestResult)

MSG_UNKNOWN_EVENT_TYPE = "is not an event type; use one of: " + ", ".join(EVENT_TYPES)
MSG_UNKNOWN_METHOD = "is not a contraception method code"
MSG_UNKNOWN_SETTING = "must be one of: " + ", ".join(SETTINGS)
MSG_UNKNOWN_RESULT = "must be one of: " + ", ".join(RESULTS)
MSG_METHODS_OR_ABSTINENCE = "is required unless abstinence is true"
MSG_BEFORE_BIRTH = "is before the patient's birth date"
MSG_DUPLICATE_PRESCRIPTION = "repeats prescription id {id!r} (first used at {first})"
MSG_UNKNOWN_DISPENSED_PRESCRIPTION = "names prescription {id!r}, which is not among the events"
MSG_DISPENSE_BEFORE_PRESCRIPTION = "is before prescription {id!r} was written on {written}"
MSG_UNKNOWN_PROGRAM = "is not a program; use a family ({families}) or a version ({versions})"
MSG_EXPIRES_BEFORE_ACTIVATED = "is before the activation date"


@dataclass(frozen=True, slots=True)
class DecideCase:
    program: str
    patient: Patient
    history: History
    #: None only when parsed with ``require_request=False`` (the FHIR exporter needs no request).
    request: Request | None
    participants: Participants = NO_PARTICIPANTS


def parse_program(value: Any, field: str = "program") -> str:
    name = as_str(value, field)
    if name not in FAMILIES and name not in VERSIONS:
        raise InputError(field, MSG_UNKNOWN_PROGRAM.format(
            families=", ".join(FAMILIES), versions=", ".join(VERSIONS)))
    return name


def parse_patient(value: Any, field: str = "patient") -> Patient:
    obj = require_mapping(value, field)
    prefix = f"{field}."
    return Patient(
        birth_date=as_date(get(obj, "birth_date", prefix), f"{prefix}birth_date"),
        can_get_pregnant=as_bool(get(obj, "can_get_pregnant", prefix), f"{prefix}can_get_pregnant"),
    )


def _choice(value: Any, field: str, allowed: tuple[str, ...], message: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise InputError(field, message)
    return value


def _contraception(obj: Mapping[str, Any], prefix: str, day: dt.date) -> Contraception:
    abstinence = as_bool(obj["abstinence"], f"{prefix}abstinence") if "abstinence" in obj else False
    if "methods" not in obj:
        if not abstinence:
            raise InputError(f"{prefix}methods", MSG_METHODS_OR_ABSTINENCE)
        return Contraception(date=day, methods=(), abstinence=True)
    methods: list[str] = []
    for j, code in enumerate(as_list(obj["methods"], f"{prefix}methods")):
        if not isinstance(code, str) or code not in CONTRACEPTION_METHODS:
            raise InputError(f"{prefix}methods[{j}]", MSG_UNKNOWN_METHOD)
        if code not in methods:  # the same method twice is still one method
            methods.append(code)
    return Contraception(date=day, methods=tuple(methods), abstinence=abstinence)


def _pregnancy_test(obj: Mapping[str, Any], prefix: str, day: dt.date) -> PregnancyTest:
    verified = (as_bool(obj["verified_by_prescriber"], f"{prefix}verified_by_prescriber")
                if "verified_by_prescriber" in obj else True)
    return PregnancyTest(
        date=day,
        setting=_choice(get(obj, "setting", prefix), f"{prefix}setting", SETTINGS, MSG_UNKNOWN_SETTING),
        result=_choice(get(obj, "result", prefix), f"{prefix}result", RESULTS, MSG_UNKNOWN_RESULT),
        verified_by_prescriber=verified,
    )


def _prescription(obj: Mapping[str, Any], prefix: str, day: dt.date) -> Prescription:
    second = (as_bool(obj["second_prescriber_agreed"], f"{prefix}second_prescriber_agreed")
              if "second_prescriber_agreed" in obj else False)
    return Prescription(
        id=as_str(get(obj, "id", prefix), f"{prefix}id"),
        date=day,
        days_supply=as_int(get(obj, "days_supply", prefix), f"{prefix}days_supply",
                           minimum=1, maximum=MAX_DAYS_SUPPLY),
        daily_dose_mg=as_number(get(obj, "daily_dose_mg", prefix), f"{prefix}daily_dose_mg",
                                minimum=0, exclusive_minimum=True, maximum=MAX_DAILY_DOSE_MG),
        second_prescriber_agreed=second,
    )


def _dispense(obj: Mapping[str, Any], prefix: str, day: dt.date) -> Dispense:
    return Dispense(
        prescription=as_str(get(obj, "prescription", prefix), f"{prefix}prescription"),
        date=day,
        days_supply=as_int(get(obj, "days_supply", prefix), f"{prefix}days_supply",
                           minimum=1, maximum=MAX_DAYS_SUPPLY),
    )


_BUILDERS: dict[str, Callable[[Mapping[str, Any], str, dt.date], Event]] = {
    "enrolled": lambda obj, prefix, day: Enrolled(date=day),
    "counseling": lambda obj, prefix, day: Counseling(date=day),
    "contraception": _contraception,
    "pregnancy_test": _pregnancy_test,
    "comprehension": lambda obj, prefix, day: Comprehension(
        date=day, passed=as_bool(get(obj, "passed", prefix), f"{prefix}passed")),
    "prescription": _prescription,
    "dispense": _dispense,
    "treatment_end": lambda obj, prefix, day: TreatmentEnd(date=day),
}


def parse_event(value: Any, field: str, *, born: dt.date | None = None) -> Event:
    """One event; ``field`` is its path (``events[3]``)."""
    obj = require_mapping(value, field)
    prefix = f"{field}."
    kind = get(obj, "type", prefix)
    if not isinstance(kind, str) or kind not in _BUILDERS:
        raise InputError(f"{prefix}type", MSG_UNKNOWN_EVENT_TYPE)
    day = as_date(get(obj, "date", prefix), f"{prefix}date")
    if born is not None and day < born:
        raise InputError(f"{prefix}date", MSG_BEFORE_BIRTH)
    return _BUILDERS[kind](obj, prefix, day)


def parse_events(value: Any, field: str = "events", *, born: dt.date | None = None) -> History:
    """All events, checked against each other (ids unique, dispenses name a written prescription)."""
    items = as_list(value, field)
    events: list[Event] = []
    written: dict[str, tuple[int, Prescription]] = {}
    for i, item in enumerate(items):
        event = parse_event(item, f"{field}[{i}]", born=born)
        if isinstance(event, Prescription):
            if event.id in written:
                raise InputError(f"{field}[{i}].id", MSG_DUPLICATE_PRESCRIPTION.format(
                    id=event.id, first=f"{field}[{written[event.id][0]}]"))
            written[event.id] = (i, event)
        events.append(event)
    # Dispenses are checked after the loop: the list need not be in date order.
    for i, event in enumerate(events):
        if isinstance(event, Dispense):
            if event.prescription not in written:
                raise InputError(f"{field}[{i}].prescription",
                                 MSG_UNKNOWN_DISPENSED_PRESCRIPTION.format(id=event.prescription))
            rx = written[event.prescription][1]
            if event.date < rx.date:
                raise InputError(f"{field}[{i}].date", MSG_DISPENSE_BEFORE_PRESCRIPTION.format(
                    id=rx.id, written=rx.date.isoformat()))
    return History(events)


def parse_request(value: Any, field: str = "request", *, born: dt.date | None = None) -> Request:
    obj = require_mapping(value, field)
    prefix = f"{field}."
    day = as_date(get(obj, "date", prefix), f"{prefix}date")
    if born is not None and day < born:
        raise InputError(f"{prefix}date", MSG_BEFORE_BIRTH)
    return Request(
        date=day,
        prescription=as_str(get(obj, "prescription", prefix), f"{prefix}prescription"),
        days_supply=as_int(get(obj, "days_supply", prefix), f"{prefix}days_supply",
                           minimum=1, maximum=MAX_DAYS_SUPPLY),
    )


def parse_certification(value: Any, field: str) -> Certification:
    """``{"activated": "YYYY-MM-DD", "expires": "YYYY-MM-DD" or null}`` (both days count)."""
    obj = require_mapping(value, field)
    prefix = f"{field}."
    activated = as_date(get(obj, "activated", prefix), f"{prefix}activated")
    raw_expires = obj.get("expires")
    expires = None if raw_expires is None else as_date(raw_expires, f"{prefix}expires")
    if expires is not None and expires < activated:
        raise InputError(f"{prefix}expires", MSG_EXPIRES_BEFORE_ACTIVATED)
    return Certification(activated=activated, expires=expires)


def parse_participants(obj: Mapping[str, Any]) -> Participants:
    """The optional ``prescriber`` and ``pharmacy`` certification periods of a case."""
    return Participants(
        prescriber=parse_certification(obj["prescriber"], "prescriber") if "prescriber" in obj else None,
        pharmacy=parse_certification(obj["pharmacy"], "pharmacy") if "pharmacy" in obj else None,
    )


def parse_case(case: Any, *, require_request: bool = True) -> DecideCase:
    """A whole ``decide`` case; with ``require_request=False`` a missing request is allowed."""
    obj = require_mapping(case, "case")
    program = parse_program(get(obj, "program"))
    patient = parse_patient(get(obj, "patient"))
    history = parse_events(get(obj, "events"), born=patient.birth_date)
    request = None
    if require_request or "request" in obj:
        request = parse_request(get(obj, "request"), born=patient.birth_date)
    return DecideCase(program=program, patient=patient, history=history, request=request,
                      participants=parse_participants(obj))
