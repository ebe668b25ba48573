"""The pregnancy-prevention records: enrolment, risk category, counselling, contraception, pregnancy tests,
comprehension and the treatment end."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from clearcourse.courses.services import check_event_date
from clearcourse.interop import codes
from clearcourse.interop.fhir_course_import.base import ImportBase
from clearcourse.interop.fhir_course_import.messages import (
    BAD_ITEMS,
    BAD_METHODS,
    BAD_RISK,
    NO_RESULT,
    NO_RISK_DATE,
    NOT_IMPORTED,
    NOTE_RISK_DEFAULT,
    UNKNOWN_PROGRAM,
    VERIFIED_IN_SOURCE,
)
from clearcourse.interop.fhir_course_import.reading import (
    _FINAL,
    _RESULT_BY_SNOMED,
    _code,
    _date,
    _Entry,
    _first,
)
from clearcourse.interop.fhir_course_import.report import _Bad
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
from clearcourse.rules.programs.facts import DEFAULT_CAN_GET_PREGNANT


class ProgrammeImport(ImportBase):
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
