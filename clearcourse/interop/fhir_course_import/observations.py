"""Lab results, mood screens (with their totals), body weight, side-effect reports and severity assessments."""

from __future__ import annotations

from django.utils.translation import gettext as _

from clearcourse.courses.services import assessment_record, weight_record
from clearcourse.interop import codes
from clearcourse.interop.fhir_course_import.base import ImportBase
from clearcourse.interop.fhir_course_import.messages import (
    BAD_COMPONENT,
    BAD_PHQ_ITEMS,
    BAD_QUANTITY,
    GAGS_INCOMPLETE,
    GAGS_SCORE_DIFFERS,
    REFERENCE_FAILED,
    TOTAL_DIFFERS,
    TOTAL_WITHOUT_ANSWERS,
    TOTAL_WRONG_CODE,
    WEIGHT_NOT_KG,
)
from clearcourse.interop.fhir_course_import.reading import (
    _FINAL,
    _PHQ_ITEM,
    _PHQ_TOTAL_CODES,
    _code,
    _date,
    _Entry,
    _extensions,
    _first,
    _note,
    _whole,
    decimal_at,
)
from clearcourse.interop.fhir_course_import.report import _Bad
from clearcourse.monitoring.models import EntrySource
from clearcourse.monitoring.services import lab_result_record, mood_screen_record, side_effect_report
from clearcourse.rules.severity import GAGS_REGION_CODES


class ObservationImport(ImportBase):
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
                          uln=uln, source=EntrySource.IMPORT, confirm_unusual=self.confirm_unusual)

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
        weight_record(actor=self.actor, patient=self.c.patient, weight_kg=decimal_at(quantity["value"], "valueQuantity"),
                      measured_on=_date(res.get("effectiveDateTime"), "effectiveDateTime"), today=self.today,
                      confirm_unusual=self.confirm_unusual)

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
