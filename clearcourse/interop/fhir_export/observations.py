"""Condition (acne vulgaris) and the Observations and QuestionnaireResponses of the clinical record: severity
assessments, lab results, mood screens, weights, side-effect reports and missed doses."""

from __future__ import annotations

import datetime as dt
from typing import Any

from clearcourse.interop import codes
from clearcourse.interop.fhir_export.inputs import (
    AssessmentIn,
    ConditionIn,
    LabResultIn,
    MissedDoseIn,
    MoodScreenIn,
    SideEffectIn,
    WeightIn,
)
from clearcourse.interop.fhir_export.writer import Writer, quantity


def condition(w: Writer, c: ConditionIn) -> None:
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


def lab(w: Writer, lab: LabResultIn) -> None:
    code = codes.LAB_CODES.get(lab.loinc) or codes.Code(codes.LOINC, lab.loinc, lab.loinc)
    res: dict[str, Any] = {
        "resourceType": "Observation", "status": "final",
        "category": [codes.CATEGORY_LABORATORY.concept()],
        "code": code.concept(), "subject": w.patient,
        "effectiveDateTime": lab.collected_on.isoformat(),
        "valueQuantity": quantity(lab.value, lab.unit),
    }
    if lab.uln is not None:
        res["referenceRange"] = [{"high": quantity(lab.uln, lab.unit), "type": codes.REFERENCE_RANGE_NORMAL.concept()}]
    w.add(lab.key, res)


def mood(w: Writer, m: MoodScreenIn) -> None:
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


def weight(w: Writer, wt: WeightIn) -> None:
    w.add(wt.key, {
        "resourceType": "Observation", "status": "final", "category": [codes.CATEGORY_VITAL_SIGNS.concept()],
        "code": codes.BODY_WEIGHT.concept(), "subject": w.patient, "effectiveDateTime": wt.date.isoformat(),
        "valueQuantity": quantity(wt.weight_kg, "kg"),
    })


def assessment(w: Writer, a: AssessmentIn) -> None:
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


def side_effects(w: Writer, se: SideEffectIn) -> None:
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


def missed_dose(w: Writer, md: MissedDoseIn) -> None:
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
