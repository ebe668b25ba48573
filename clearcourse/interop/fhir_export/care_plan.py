"""CarePlan: the course (status, first and last dose, cumulative target, the dose to date and where it stands
against the target) and its dose plans."""

from __future__ import annotations

from typing import Any

from clearcourse.interop import codes
from clearcourse.interop.fhir_export.inputs import CoursePlanIn
from clearcourse.interop.fhir_export.writer import Writer, number, quantity


def care_plan(w: Writer, cp: CoursePlanIn) -> None:
    res: dict[str, Any] = {
        "resourceType": "CarePlan",
        "extension": [
            {"url": codes.EXT_COURSE_STATUS, "valueCode": cp.status},
            {"url": codes.EXT_TARGET_MG_PER_KG, "valueQuantity": quantity(cp.target_mg_per_kg, "mg/kg")},
        ],
        "status": codes.CAREPLAN_STATUS.get(cp.status, "unknown"), "intent": "plan",
        "category": [codes.EVENT_COURSE.concept()], "subject": w.patient,
    }
    if cp.cumulative_mg_per_kg is not None:
        res["extension"].append({"url": codes.EXT_CUMULATIVE_MG_PER_KG,
                                 "valueQuantity": quantity(cp.cumulative_mg_per_kg, "mg/kg")})
    if cp.target_status is not None:
        res["extension"].append({"url": codes.EXT_TARGET_STATUS, "valueCode": cp.target_status})
    period = {k: d.isoformat() for k, d in (("start", cp.started_on), ("end", cp.ended_on)) if d is not None}
    if period:
        res["period"] = period
    activities = []
    for plan in cp.dose_plans:
        extension: list[dict[str, Any]] = [
            {"url": codes.EXT_PLAN_WEIGHT, "valueQuantity": quantity(plan.weight_kg, "kg")},
            {"url": codes.EXT_PLAN_MG_PER_KG, "valueDecimal": number(plan.mg_per_kg)},
            {"url": codes.EXT_TARGET_MG_PER_KG, "valueQuantity": quantity(plan.target_mg_per_kg, "mg/kg")},
        ]
        if plan.out_of_range_reason:
            extension.append({"url": codes.EXT_PLAN_REASON, "valueString": plan.out_of_range_reason})
        activities.append({"detail": {
            "extension": extension, "kind": "MedicationRequest", "status": "scheduled",
            "scheduledPeriod": {"start": plan.starts_on.isoformat()},
            "productCodeableConcept": w.medication(),
            "dailyAmount": quantity(plan.daily_dose_mg, "mg"),
        }})
    if activities:
        res["activity"] = activities
    w.add(cp.key, res)
