"""The pregnancy-prevention records: Consent (enrolment), Procedure (counselling), contraception and pregnancy-test
Observations, the comprehension QuestionnaireResponse and the MedicationStatement of the treatment end."""

from __future__ import annotations

from typing import Any

from clearcourse.interop import codes
from clearcourse.interop.fhir_export.inputs import (
    ComprehensionIn,
    ContraceptionIn,
    CounselingIn,
    EnrolmentIn,
    PregnancyTestIn,
    TreatmentEndIn,
)
from clearcourse.interop.fhir_export.writer import Writer


def consent(w: Writer, e: EnrolmentIn) -> None:
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


def procedure(w: Writer, c: CounselingIn) -> None:
    res: dict[str, Any] = {
        "resourceType": "Procedure", "status": "completed", "code": codes.EVENT_COUNSELING.concept(),
        "subject": w.patient, "performedDateTime": c.date.isoformat(),
    }
    if c.by:
        res["performer"] = [{"actor": w.ref(c.by)}]
    w.add(c.key, res)


def contraception(w: Writer, k: ContraceptionIn) -> None:
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


def pregnancy_test(w: Writer, t: PregnancyTestIn) -> None:
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


def comprehension(w: Writer, q: ComprehensionIn) -> None:
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


def treatment_end(w: Writer, end: TreatmentEndIn) -> None:
    w.add(end.key, {
        "resourceType": "MedicationStatement", "status": "completed",
        "category": codes.EVENT_TREATMENT_END.concept(),
        "medicationCodeableConcept": w.medication(),
        "subject": w.patient, "effectivePeriod": {"end": end.date.isoformat()},
    })
