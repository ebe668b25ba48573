"""The CarePlan (the course and its dose plans) and missed-dose statements."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from clearcourse.courses.models import Course, CourseStatus
from clearcourse.courses.services import check_event_date, dose_plan_record, missed_dose_record
from clearcourse.interop import codes
from clearcourse.interop.fhir_course_import.base import ImportBase
from clearcourse.interop.fhir_course_import.messages import (
    BAD_COURSE_STATUS,
    BAD_MISSED,
    BAD_PLAN,
    PLAN_DOSE_DIFFERS,
)
from clearcourse.interop.fhir_course_import.reading import (
    _date,
    _Entry,
    _extensions,
    _mg_per_kg,
    _note,
    _text,
    decimal_at,
)
from clearcourse.interop.fhir_course_import.report import _Bad


class CarePlanImport(ImportBase):
    # -- the course plan, severity, side effects, missed doses --

    def write_care_plan(self, entry: _Entry) -> None:
        """Dose plans through ``dose_plan_record``; then the course's status, first and last dose and target
        on an import path: ``course_status_change`` walks one transition at a time on today's terms and
        cannot restate a course's history."""
        res = entry.resource
        self.subject(res)
        extensions = _extensions(res)
        status = extensions.get(codes.EXT_COURSE_STATUS, {}).get("valueCode")
        if status not in CourseStatus.values:
            raise _Bad("extension", _(BAD_COURSE_STATUS).format(expected=", ".join(CourseStatus.values)))
        target = _mg_per_kg(extensions.get(codes.EXT_TARGET_MG_PER_KG), "extension")
        period: dict[str, Any] = res["period"] if isinstance(res.get("period"), dict) else {}
        started = _date(period["start"], "period.start") if period.get("start") is not None else None
        ended = _date(period["end"], "period.end") if period.get("end") is not None else None
        for day, where in ((started, "period.start"), (ended, "period.end")):
            if day is not None:
                check_event_date(day, patient=self.c.patient, today=self.today, field=where)
        if started is not None and ended is not None and ended < started:
            raise _Bad("period.end", _(BAD_MISSED))
        for activity in res.get("activity") or []:
            detail = activity.get("detail") if isinstance(activity, dict) else None
            if not isinstance(detail, dict):
                raise _Bad("activity", _(BAD_PLAN))
            plan_ext = _extensions(detail)
            weight = plan_ext.get(codes.EXT_PLAN_WEIGHT, {}).get("valueQuantity")
            per_kg = plan_ext.get(codes.EXT_PLAN_MG_PER_KG, {}).get("valueDecimal")
            start = (detail.get("scheduledPeriod") or {}).get("start")
            if not isinstance(weight, dict) or (weight.get("code") or weight.get("unit")) != "kg" \
                    or per_kg is None or start is None:
                raise _Bad("activity.detail", _(BAD_PLAN))
            plan = dose_plan_record(
                actor=self.actor, course=self.c, starts_on=_date(start, "activity.detail.scheduledPeriod"),
                weight_kg=decimal_at(weight.get("value"), "activity.detail.extension"),
                mg_per_kg=decimal_at(per_kg, "activity.detail.extension"), today=self.today,
                target_mg_per_kg=_mg_per_kg(plan_ext.get(codes.EXT_TARGET_MG_PER_KG), "activity.detail.extension"),
                out_of_range_reason=str(plan_ext.get(codes.EXT_PLAN_REASON, {}).get("valueString") or ""),
                confirm_unusual=self.confirm_unusual)
            amount = detail.get("dailyAmount")
            if isinstance(amount, dict) and amount.get("value") is not None and \
                    decimal_at(amount["value"], "activity.detail.dailyAmount") != plan.daily_dose_mg:
                raise _Bad("activity.detail.dailyAmount", _(PLAN_DOSE_DIFFERS).format(
                    dose=amount["value"], computed=plan.daily_dose_mg))
        Course.objects.filter(pk=self.c.pk).update(status=status, started_on=started, ended_on=ended,
                                                   target_mg_per_kg=target)
        self.c.refresh_from_db()
        self.wrote("course_plan", self.c.pk)

    def write_missed_dose(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "not-taken")
        self.subject(res)
        period: dict[str, Any] = res["effectivePeriod"] if isinstance(res.get("effectivePeriod"), dict) else {}
        first = _date(period.get("start"), "effectivePeriod.start")
        last = _date(period.get("end"), "effectivePeriod.end")
        if last < first:
            raise _Bad("effectivePeriod", _(BAD_MISSED))
        missed_dose_record(actor=self.actor, course=self.c, first_day=first, days=(last - first).days + 1,
                           today=self.today, note=_text(_note(res), "note", 500))
