"""The ``collection`` Bundle: every resource of an :class:`ExportInput`, in a fixed order."""

from __future__ import annotations

from typing import Any

from clearcourse.interop import codes
from clearcourse.interop.fhir_export.audit_event import audit_event
from clearcourse.interop.fhir_export.care_plan import care_plan
from clearcourse.interop.fhir_export.inputs import ExportInput
from clearcourse.interop.fhir_export.medication import medication_dispense, medication_request
from clearcourse.interop.fhir_export.observations import (
    assessment,
    condition,
    lab,
    missed_dose,
    mood,
    side_effects,
    weight,
)
from clearcourse.interop.fhir_export.people import organization, patient, practitioner, risk_category
from clearcourse.interop.fhir_export.programme import (
    comprehension,
    consent,
    contraception,
    pregnancy_test,
    procedure,
    treatment_end,
)
from clearcourse.interop.fhir_export.writer import Writer


def build_bundle(inp: ExportInput) -> dict[str, Any]:
    """The FHIR R4 ``collection`` Bundle for ``inp`` as a JSON-ready dict."""
    w = Writer(inp)
    w.add(inp.patient.key, patient(w))
    if inp.clinic is not None:
        w.add(inp.clinic.key, organization(inp.clinic))
    practitioners = {p.key: p for p in ((inp.prescriber,) if inp.prescriber else ()) + inp.practitioners}
    for p in practitioners.values():
        w.add(p.key, practitioner(p))
    for o in inp.pharmacies:
        w.add(o.key, organization(o))
    w.add(f"{inp.patient.key}/risk-category", risk_category(w))
    if inp.condition is not None:
        condition(w, inp.condition)
    for e in inp.enrolments:
        consent(w, e)
    for c in inp.counselings:
        procedure(w, c)
    for k in inp.contraceptions:
        contraception(w, k)
    for t in inp.pregnancy_tests:
        pregnancy_test(w, t)
    for q in inp.comprehensions:
        comprehension(w, q)
    dispensed = {d.prescription_key for d in inp.dispenses}
    for rx in inp.prescriptions:
        medication_request(w, rx, dispensed=rx.key in dispensed)
    products = {rx.key: rx for rx in inp.prescriptions}
    for d in inp.dispenses:
        medication_dispense(w, d, products.get(d.prescription_key))
    for end in inp.treatment_ends:
        treatment_end(w, end)
    for result in inp.lab_results:
        lab(w, result)
    for m in inp.mood_screens:
        mood(w, m)
    for wt in inp.weights:
        weight(w, wt)
    if inp.course_plan is not None:
        care_plan(w, inp.course_plan)
    for item in inp.assessments:
        assessment(w, item)
    for se in inp.side_effects:
        side_effects(w, se)
    for md in inp.missed_doses:
        missed_dose(w, md)
    for a in inp.accesses:
        audit_event(w, a)
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
