"""The bundle writer's shared parts: stable ids and references, quantities, the program facts an export holds."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from clearcourse.interop import codes
from clearcourse.interop.fhir_export.inputs import ExportInput, PrescriptionIn
from clearcourse.rules.programs import decide, facts
from clearcourse.rules.programs.registry import ProgramNotFound, resolve

UUID_NAMESPACE = uuid.UUID("7d8f0a52-5c1e-4b6e-9a0d-2f3c9b1e6a41")


# --- the writer --------------------------------------------------------------------------------


def number(value: float | Decimal | int) -> int | float:
    """JSON numbers as people write them: 40 rather than 40.0, 1.5 as 1.5."""
    if isinstance(value, Decimal):
        value = value.normalize()
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def quantity(value: float | Decimal | int, unit: str) -> dict[str, Any]:
    out: dict[str, Any] = {"value": number(value), "unit": unit}
    ucum = codes.UCUM_UNITS.get(unit)
    if ucum is not None:
        out["system"] = codes.UCUM
        out["code"] = ucum
    return out


def days(n: int) -> dict[str, Any]:
    return {"value": n, "unit": "days", "system": codes.UCUM, "code": "d"}


def facts_history(inp: ExportInput, *, without_dispenses_of: str) -> facts.History:
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


def validity_end(inp: ExportInput, rx: PrescriptionIn) -> dt.date | None:
    """The last day the prescription may be dispensed, as the program judges it on the day it was
    written: the authorization's ``valid_through`` (the test window, the prescription window)
    when dispensing was allowed that day; otherwise the program's prescription window alone ("within
    N days" counts the day it was written as day 1); None when neither applies."""
    patient = facts.Patient(inp.patient.birth_date, inp.patient.can_get_pregnant)
    try:
        decision = decide(inp.program, patient, facts_history(inp, without_dispenses_of=rx.key),
                          facts.Request(rx.date, rx.key, rx.days_supply))
        version = resolve(inp.program, rx.date)
    except (ProgramNotFound, ValueError):
        return None
    if decision.allowed and decision.valid_through is not None:
        return decision.valid_through
    rule = version.prescription_window_days_can if inp.patient.can_get_pregnant else \
        version.prescription_window_days_cannot
    return None if rule.value is None else rx.date + dt.timedelta(days=rule.value - 1)


class Writer:
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
        if len(strengths) == 1:
            package = codes.export_ndc(product, next(iter(strengths)))
            if package is not None:
                coding.append(package.coding())
        coding.append(codes.ATC_ISOTRETINOIN_SYSTEMIC.coding())
        if product in codes.PRODUCT_NAMES:
            # The product itself (products are not interchangeable), so an import reads it from a code.
            coding.append(codes.Code(codes.LOCAL_PRODUCT, product, codes.PRODUCT_NAMES[product]).coding())
        return {"coding": coding, "text": codes.PRODUCT_NAMES.get(product, "Isotretinoin")}
