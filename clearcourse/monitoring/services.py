"""Writes for safety monitoring: keyword-only, typed, one transaction each, audited.

Every rule (units, scoring, thresholds, red flags) lives in the rules core; these functions load the
facts, call the core, store what it decided, and raise :class:`~clearcourse.core.errors.DomainError`
with the form field at fault when the input cannot be right (nothing is written then).

Patients' own pages (the portal) call :func:`mood_screen_record` and :func:`side_effect_report` with
the patient as ``actor``; lab results, sexual-function assessments, acknowledgements and the clinic
configuration are staff work.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core import clock, numbers
from clearcourse.core.errors import ConflictError, DomainError, NotFoundError, PermissionDeniedError
from clearcourse.core.plausibility import Value, confirmed_json, require_plausible
from clearcourse.courses.models import Course
from clearcourse.courses.selectors import courses_visible_to
from clearcourse.courses.services import check_event_date, require_clinic_staff
from clearcourse.courses.state import course_state
from clearcourse.monitoring import config as monitoring_config
from clearcourse.monitoring import worklist_store
from clearcourse.monitoring.models import (
    SEVERITY_RANK,
    Alert,
    AlertAcknowledgement,
    AlertKind,
    ClinicMonitoringConfig,
    CompletedBy,
    EntrySource,
    LabResult,
    MoodScreen,
    Severity,
    SexualFunctionAssessment,
    SexualFunctionOutcome,
    SideEffectReport,
    render_message,
)
from clearcourse.rules import course_state as course_state_rules
from clearcourse.rules import labs, mood, plausibility, side_effects
from clearcourse.rules import monitoring as rules_monitoring
from clearcourse.rules import sources as source_register
from clearcourse.rules.sources import Source
from clearcourse.rules.text import Text

# Messages tests assert (translated where raised).
NOT_YOUR_COURSE = "Only the clinic's staff or the patient can record this."
LAB_UNKNOWN_TEST = "Choose a test from the list."
LAB_VALUE_NEGATIVE = "A lab value cannot be negative."
LAB_VALUE_NOT_NUMBER = "Enter the value as a number."
LAB_VALUE_TOO_LARGE = "This value is too large to be a lab result; check the number and the unit."
LAB_UNIT_DOES_NOT_FIT = "%(unit)s does not fit %(test)s; use %(allowed)s."
LAB_ULN_REQUIRED = "%(test)s needs the lab's upper limit of normal (in U/L)."
LAB_ULN_NOT_POSITIVE = "The upper limit of normal must be greater than 0."
LAB_ULN_NOT_USED = "The upper limit of normal is only used for ALT and AST."
LAB_QUALITATIVE = "Pregnancy tests are recorded as negative or positive on the pregnancy-prevention page."
PHQ_ANSWER_OUT_OF_RANGE = "Choose an answer from 0 (not at all) to 3 (nearly every day)."
PHQ_WRONG_COUNT = "Answer all %(count)s questions."
PHQ_UNKNOWN_INSTRUMENT = "Choose PHQ-2, PHQ-9 or PHQ-9 for teens."
SIDE_EFFECT_NONE = "Choose at least one side effect and its grade."
SIDE_EFFECT_UNKNOWN = "Choose a side effect from the list."
SIDE_EFFECT_BAD_GRADE = "Choose mild, moderate or severe."
ONSET_AFTER_REPORT = "The start date cannot be after the date of the report."
ACK_NOTE_REQUIRED = "Write what was done about this alert."
ACK_ALREADY = "This alert has already been acknowledged."
OUTCOME_UNKNOWN = "Choose an outcome from the list."
CONFIG_BAD_VALUE = "Enter a whole number of days, at least 1."
CONFIG_BAD_THRESHOLD = "Enter a threshold of 0 or more."
CORRECTION_REASON_REQUIRED = "Give a reason for the correction."

# Alert message part (the msgid is stored; translated when the alert is shown).
EFFECT_WITH_GRADE = gettext_noop("%(effect)s (%(grade)s)")

LAB_VALUE_MAX = Decimal("1000000")  # the column holds 12 digits with 3 decimals


# ---------------------------------------------------------------------------------------------
# Who may write
# ---------------------------------------------------------------------------------------------


def _require_course_access(actor: User, course: Course, *, allow_patient: bool) -> str:
    """Staff of the course's clinic (delegates: for their prescribers), or the patient themself when
    ``allow_patient``. Returns who completed it (``staff`` or ``patient``). Anyone else gets
    "not found" for a course outside their scope, as the selectors do."""
    if actor.role == Role.PATIENT and allow_patient:
        if course.patient.user_id != actor.pk:
            raise NotFoundError()
        return CompletedBy.PATIENT
    if actor.role not in (Role.PRESCRIBER, Role.DELEGATE):
        raise PermissionDeniedError(_(NOT_YOUR_COURSE), code="not_clinic_staff")
    if not courses_visible_to(actor).filter(pk=course.pk).exists():
        raise NotFoundError()
    return CompletedBy.STAFF


def _sources_json(sources: Sequence[Source]) -> list[dict[str, str]]:
    return [source_register.as_json(s) for s in sources]


def _message(msgid: str, **params: Any) -> dict[str, Any]:
    """A language-neutral alert message: the English msgid and its values (``{"t": text}`` marks an
    English label to translate when shown). Rendered in the reader's language by ``Alert.display_message``,
    so an alert raised while the page was English still reads German on a German page."""
    return {"msgid": msgid, "params": params}


def _label(text: str) -> dict[str, Any]:
    return Text.of(text).as_data()


def _alert_create(*, actor: User, course: Course, kind: str, core_alert: rules_monitoring.Alert,
                  message: dict[str, Any], **origin: Any) -> Alert:
    severity = str(core_alert.severity)
    return Alert.objects.create(
        course=course, kind=kind, code=core_alert.code, severity=severity,
        severity_rank=SEVERITY_RANK[severity],
        # ``message`` keeps the English text (audit, admin, old readers); pages render ``message_data``.
        message=render_message(message, translate=False)[:500], message_data=message,
        advice=core_alert.message, advice_data=core_alert.words.as_data(), sources=_sources_json(core_alert.sources),
        needs_clinical_signoff=core_alert.needs_clinical_signoff, recorded_by=actor, **origin,
    )


TARGET_PASSED = "cumulative_target_passed"


@transaction.atomic
def cumulative_target_alert(*, course_id: int, today: dt.date | None = None) -> Alert | None:
    """Raise the alert "the cumulative target is passed" once per course, when the course's state says so
    (``rules.course_state``): the dose to date is over the target while the course runs. Called after the
    writes that change the dose commit (a dispense, a weight, a dose plan, missed doses: the listeners in
    ``MonitoringConfig.ready``); the system raises it (no actor), with its audit entry."""
    course = Course.objects.select_related("patient").filter(pk=course_id).first()
    if course is None:
        return None
    state = course_state(course, on=today or clock.today())
    if not (state.running and state.dose.target_passed):
        return None
    Course.objects.select_for_update().filter(pk=course.pk).first()  # one raiser at a time per course
    if Alert.objects.filter(course=course, code=TARGET_PASSED).exists():
        return None
    dose = state.dose
    notice = state.end_notice
    assert notice is not None and dose.cumulative_mg_per_kg is not None  # noqa: S101 - passed implies both
    message = _message(gettext_noop("Cumulative dose %(dose)s mg/kg, over the target of %(target)s mg/kg"),
                       dose=f"{dose.cumulative_mg_per_kg.normalize():f}",
                       target=f"{Decimal(dose.target_mg_per_kg).normalize():f}")
    alert = Alert.objects.create(
        course=course, kind=AlertKind.DOSE, code=TARGET_PASSED, severity=Severity.WARNING,
        severity_rank=SEVERITY_RANK[Severity.WARNING], message=render_message(message, translate=False)[:500],
        message_data=message, advice=str(notice), advice_data=notice.as_data(),
        sources=_sources_json(course_state_rules.TARGET_SOURCES), recorded_by=None)
    audit_record(actor=None, action="alert.raise", patient_id=course.patient_id, obj=alert,
                 detail={"code": TARGET_PASSED, "cumulative_mg_per_kg": str(dose.cumulative_mg_per_kg),
                         "target_mg_per_kg": str(dose.target_mg_per_kg)})
    worklist_store.refresh_on_commit(course.pk, today=today)
    return alert


def cumulative_target_check(sender: object, *, course_id: int, today: dt.date | None = None,
                            **kwargs: Any) -> None:
    """The listener of the courses and pharmacy events (connected in ``MonitoringConfig.ready``)."""
    cumulative_target_alert(course_id=course_id, today=today)


def _check_correction(supersedes: object | None, correction_reason: str) -> None:
    if supersedes is not None and not correction_reason.strip():
        raise DomainError(_(CORRECTION_REASON_REQUIRED), field="correction_reason", code="required")


# ---------------------------------------------------------------------------------------------
# Lab results
# ---------------------------------------------------------------------------------------------


def _decimal(value: Decimal | float | int | str, field: str) -> Decimal:
    """The one safe reader (``core.numbers``): no NaN, infinity, exponent, 30-digit value or non-ASCII digit
    gets past it, so nothing later raises ``InvalidOperation``."""
    try:
        return numbers.parse_decimal(value)
    except numbers.NumberInputError as exc:
        message = LAB_VALUE_NOT_NUMBER if exc.code == numbers.NOT_A_NUMBER_CODE else exc.message
        raise DomainError(_(message), field=field, code=exc.code) from None


def _lab_error(exc: labs.LabInputError, *, analyte: labs.Analyte, unit: str) -> DomainError:
    """The core's reason, as a translatable message on the form field at fault."""
    test = labs.ANALYTE_NAMES[analyte]
    if exc.field == "unit":
        allowed = " " + _("or") + " "
        return DomainError(_(LAB_UNIT_DOES_NOT_FIT) % {
            "unit": unit or "-", "test": test,
            "allowed": allowed.join(u.value for u in labs.ACCEPTED_UNITS[analyte]),
        }, field="unit", code="unit_mismatch")
    if exc.field == "uln":
        if analyte not in labs.ENZYMES:
            return DomainError(_(LAB_ULN_NOT_USED), field="uln", code="uln_not_used")
        if "needs" in exc.message:
            return DomainError(_(LAB_ULN_REQUIRED) % {"test": test}, field="uln", code="required")
        return DomainError(_(LAB_ULN_NOT_POSITIVE), field="uln", code="uln_not_positive")
    if exc.field == "value":
        return DomainError(_(LAB_VALUE_NOT_NUMBER), field="value", code="invalid")
    return DomainError(exc.message, field="loinc" if exc.field == "analyte" else exc.field, code="invalid")


def _q3(value: float | Decimal) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


@transaction.atomic
def lab_result_record(
    *,
    actor: User,
    course: Course,
    loinc: str,
    value: Decimal | float | int | str,
    unit: str,
    collected_on: dt.date,
    today: dt.date,
    uln: Decimal | float | int | str | None = None,
    source: str = EntrySource.MANUAL,
    supersedes: LabResult | None = None,
    correction_reason: str = "",
    confirm_unusual: bool = False,
) -> LabResult:
    """Record a numeric lab result and raise the clinic's threshold alert it meets (the most specific).

    The value is checked against the plausibility table for its test and unit: refused outside the hard
    range (triglycerides of 0 or 999,999 mg/dL), saved outside the usual range only with ``confirm_unusual``.

    The unit must fit the test (mg/dL or mmol/L for lipids, U/L for ALT/AST), the value must not be
    negative, and ALT/AST need the lab's upper limit of normal: the core checks all three.
    """
    _require_course_access(actor, course, allow_patient=False)
    try:
        analyte = labs.analyte_for_loinc(loinc)
    except labs.LabInputError:
        raise DomainError(_(LAB_UNKNOWN_TEST), field="loinc", code="unknown_test") from None
    if analyte in labs.QUALITATIVE_ANALYTES:
        raise DomainError(_(LAB_QUALITATIVE), field="loinc", code="qualitative")
    number = _decimal(value, "value")
    if number < 0:
        raise DomainError(_(LAB_VALUE_NEGATIVE), field="value", code="negative")
    if number >= LAB_VALUE_MAX:
        raise DomainError(_(LAB_VALUE_TOO_LARGE), field="value", code="too_large")
    limit = None if uln in (None, "") else _decimal(uln, "uln")  # type: ignore[arg-type]
    if limit is not None and limit >= LAB_VALUE_MAX:
        raise DomainError(_(LAB_VALUE_TOO_LARGE), field="uln", code="too_large")
    try:
        result = labs.lab_result(analyte, float(number), unit, uln=None if limit is None else float(limit),
                                 date=collected_on)
    except labs.LabInputError as exc:
        raise _lab_error(exc, analyte=analyte, unit=unit) from None
    confirmed = require_plausible([Value(plausibility.LAB_QUANTITIES[analyte], number, result.unit.value, "value")],
                                  confirmed=confirm_unusual)
    check_event_date(collected_on, patient=course.patient, today=today, field="collected_on")
    if source not in EntrySource.values:
        source = EntrySource.MANUAL
    _check_correction(supersedes, correction_reason)
    canonical_unit = labs.ACCEPTED_UNITS[analyte][0]
    canonical = result.value_in(canonical_unit)
    if not math.isfinite(canonical) or _q3(canonical) >= LAB_VALUE_MAX:
        raise DomainError(_(LAB_VALUE_TOO_LARGE), field="value", code="too_large")
    record = LabResult.objects.create(
        course=course, loinc=labs.PREFERRED_LOINC[analyte] if loinc.strip() not in labs.LOINC else loinc.strip(),
        analyte=analyte.value, value=_q3(number), unit=result.unit.value,
        uln=None if limit is None else _q3(limit), canonical_value=_q3(canonical),
        canonical_unit=canonical_unit.value, collected_on=collected_on, source=source, recorded_by=actor,
        supersedes=supersedes, correction_reason=correction_reason,
    )
    effective = monitoring_config.effective_config(course.clinic_id, course.clinic.program)
    evaluation = labs.evaluate_lab(result, effective.thresholds)
    alert = None
    if evaluation.highest is not None:
        alert = _alert_create(
            actor=actor, course=course, kind=AlertKind.LAB, core_alert=evaluation.highest, lab_result=record,
            message=_message(gettext_noop("%(test)s %(value)s %(unit)s on %(date)s"),
                             test=_label(labs.ANALYTE_NAMES[analyte]), value=f"{record.value.normalize():f}",
                             unit=record.unit, date=collected_on.isoformat()),
        )
    worklist_store.refresh_on_commit(course.pk, today=today)
    audit_record(actor=actor, action="lab.record", patient_id=course.patient_id, obj=record,
                 detail={"loinc": record.loinc, "value": str(record.value), "unit": record.unit,
                         "collected_on": collected_on.isoformat(),
                         "alert": alert.code if alert else None,
                         **({"confirmed_unusual": confirmed_json(confirmed)} if confirmed else {})})
    return record


# ---------------------------------------------------------------------------------------------
# Mood
# ---------------------------------------------------------------------------------------------


def _mood_field(field: str) -> str:
    """``answers[3]`` (the core's name) is ``item_4`` on the form."""
    if field.startswith("answers[") and field.endswith("]"):
        return f"item_{int(field[8:-1]) + 1}"
    return field


@transaction.atomic
def mood_screen_record(
    *,
    actor: User,
    course: Course,
    instrument: str,
    answers: Sequence[int],
    screened_on: dt.date,
    today: dt.date,
    completed_by: str | None = None,
) -> MoodScreen:
    """Score a PHQ-2 / PHQ-9 / PHQ-A with the core and store it. Item 9 above 0 or a severe band raises
    an urgent alert that stays open until a prescriber acknowledges it."""
    who = _require_course_access(actor, course, allow_patient=True)
    # Staff may enter a form the patient filled in on paper; a patient cannot claim to be staff.
    if who == CompletedBy.STAFF and completed_by in CompletedBy.values:
        who = completed_by  # type: ignore[assignment]
    try:
        kind = mood.Instrument(instrument)
    except ValueError:
        raise DomainError(_(PHQ_UNKNOWN_INSTRUMENT), field="instrument", code="invalid") from None
    spec = mood.INSTRUMENTS[kind]
    values = list(answers)
    if len(values) != spec.item_count:
        raise DomainError(_(PHQ_WRONG_COUNT) % {"count": spec.item_count}, field="answers", code="invalid")
    for index, answer in enumerate(values):
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer <= mood.MAX_ANSWER:
            raise DomainError(_(PHQ_ANSWER_OUT_OF_RANGE), field=f"item_{index + 1}", code="out_of_range")
    try:
        scored = mood.score(kind, values)
    except mood.MoodInputError as exc:  # the checks above make this unreachable; keep the field anyway
        raise DomainError(_(PHQ_ANSWER_OUT_OF_RANGE), field=_mood_field(exc.field), code="invalid") from None
    check_event_date(screened_on, patient=course.patient, today=today, field="screened_on")
    screen = MoodScreen.objects.create(
        course=course, instrument=kind.value, answers=values, score=scored.score, band=scored.band.value,
        item9_positive=scored.item9_positive, urgent=scored.urgent, completed_by=who, screened_on=screened_on,
        recorded_by=actor,
    )
    alert = None
    if scored.alert is not None:
        alert = _alert_create(
            actor=actor, course=course, kind=AlertKind.MOOD, core_alert=scored.alert, mood_screen=screen,
            message=_message(
                gettext_noop("%(instrument)s score %(score)s (%(band)s) on %(date)s, thoughts of self-harm answered")
                if scored.item9_positive else gettext_noop("%(instrument)s score %(score)s (%(band)s) on %(date)s"),
                instrument=_label(spec.title), score=scored.score,
                band=_label(scored.band.value.replace("_", " ")), date=screened_on.isoformat()),
        )
    worklist_store.refresh_on_commit(course.pk, today=today)
    audit_record(actor=actor, action="mood.record", patient_id=course.patient_id, obj=screen,
                 detail={"instrument": kind.value, "score": scored.score, "band": scored.band.value,
                         "urgent": scored.urgent, "alert": alert.code if alert else None})
    return screen


@transaction.atomic
def sexual_function_record(
    *,
    actor: User,
    course: Course,
    assessed_on: dt.date,
    outcome: str,
    today: dt.date,
    note: str = "",
) -> SexualFunctionAssessment:
    """UK programs (MHRA 2023): record the sexual-function assessment. Concerns raise a warning alert with
    the MHRA advice from the side-effect catalogue."""
    _require_course_access(actor, course, allow_patient=False)
    if outcome not in SexualFunctionOutcome.values:
        raise DomainError(_(OUTCOME_UNKNOWN), field="outcome", code="invalid")
    check_event_date(assessed_on, patient=course.patient, today=today, field="assessed_on")
    record = SexualFunctionAssessment.objects.create(
        course=course, assessed_on=assessed_on, outcome=outcome, note=note.strip(), recorded_by=actor,
    )
    if outcome == SexualFunctionOutcome.CONCERNS:
        effect = side_effects.CATALOGUE["sexual_dysfunction"]
        level = effect.level(side_effects.Grade.MODERATE)
        if level is not None:
            advice = level[1]
            core_alert = rules_monitoring.Alert("sexual_function_concerns", level[0], str(advice), effect.sources,
                                                text=advice if isinstance(advice, Text) else None)
            _alert_create(actor=actor, course=course, kind=AlertKind.SEXUAL_FUNCTION, core_alert=core_alert,
                          message=_message(gettext_noop("Sexual-function concerns recorded on %(date)s"),
                                           date=assessed_on.isoformat()))
    worklist_store.refresh_on_commit(course.pk, today=today)
    audit_record(actor=actor, action="sexual_function.record", patient_id=course.patient_id, obj=record,
                 detail={"outcome": outcome, "assessed_on": assessed_on.isoformat()})
    return record


# ---------------------------------------------------------------------------------------------
# Side effects
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def side_effect_report(
    *,
    actor: User,
    course: Course,
    symptoms: Mapping[str, str],
    reported_on: dt.date,
    today: dt.date,
    onset: dt.date | None = None,
    note: str = "",
) -> list[SideEffectReport]:
    """Record what the patient reports (``{catalogue code: grade}``). The core judges the symptoms together;
    every alert it raises (red flags urgent, with the guideline's advice) is stored."""
    who = _require_course_access(actor, course, allow_patient=True)
    chosen = {code: grade for code, grade in symptoms.items() if grade}
    if not chosen:
        raise DomainError(_(SIDE_EFFECT_NONE), field="symptoms", code="required")
    for code, grade in chosen.items():
        if code not in side_effects.CATALOGUE:
            raise DomainError(_(SIDE_EFFECT_UNKNOWN), field=f"se_{code}", code="unknown")
        if grade not in {g.value for g in side_effects.Grade}:
            raise DomainError(_(SIDE_EFFECT_BAD_GRADE), field=f"se_{code}", code="invalid")
    try:
        report = side_effects.SideEffectReport.of(chosen, reported_on)
    except side_effects.SideEffectInputError as exc:
        raise DomainError(exc.message, field=exc.field.replace("symptoms.", "se_"), code="invalid") from None
    check_event_date(reported_on, patient=course.patient, today=today, field="reported_on")
    if onset is not None:
        check_event_date(onset, patient=course.patient, today=today, field="onset")
        if onset > reported_on:
            raise DomainError(_(ONSET_AFTER_REPORT), field="onset", code="after_report")
    group = uuid.uuid4()
    rows = [
        SideEffectReport.objects.create(
            course=course, report_group=group, code=symptom.code, grade=symptom.grade.value, onset=onset,
            reported_on=reported_on, note=note.strip(), reported_by=who, recorded_by=actor,
        )
        for symptom in report.symptoms
    ]
    alerts = []
    covered: set[str] = set()
    # Most severe first: an alert about a symptom already covered by a more severe one (the severe
    # headache inside "possible pseudotumor cerebri") adds nothing for the prescriber to act on.
    for core_alert in side_effects.evaluate_all(report):
        subject_code = core_alert.subject or ""
        if subject_code and subject_code in covered:
            continue
        covered.add(subject_code)
        effect = side_effects.CATALOGUE.get(subject_code)
        if core_alert.code == f"side_effect_{subject_code}" and effect is not None:
            reported_grade = report.grade_of(subject_code)
            what: dict[str, Any] = _message(
                EFFECT_WITH_GRADE, effect=_label(effect.name),
                grade=_label(reported_grade.value) if reported_grade else "-")
        else:
            # A combination the core names on its own: list everything reported together.
            what = {"join": [
                _message(EFFECT_WITH_GRADE, effect=_label(side_effects.CATALOGUE[s.code].name),
                         grade=_label(s.grade.value))
                for s in report.symptoms]}
        alerts.append(_alert_create(
            actor=actor, course=course, kind=AlertKind.SIDE_EFFECT, core_alert=core_alert, side_effect_group=group,
            message=_message(gettext_noop("%(what)s reported on %(date)s"), what=what, date=reported_on.isoformat()),
        ))
    audit_record(actor=actor, action="side_effect.report", patient_id=course.patient_id, obj=rows[0],
                 detail={"symptoms": chosen, "reported_on": reported_on.isoformat(),
                         "alerts": [a.code for a in alerts]})
    return rows


# ---------------------------------------------------------------------------------------------
# Alerts
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def alert_acknowledge(*, actor: User, alert: Alert, note: str) -> AlertAcknowledgement:
    """A prescriber of the patient's clinic acknowledges an alert, saying what was done. Once only."""
    require_clinic_staff(actor, prescriber_only=True)
    if not courses_visible_to(actor).filter(pk=alert.course_id).exists():
        raise NotFoundError()
    if not note.strip():
        raise DomainError(_(ACK_NOTE_REQUIRED), field="note", code="required")
    if AlertAcknowledgement.objects.filter(alert=alert).exists():
        raise ConflictError(_(ACK_ALREADY), code="already_acknowledged")
    try:
        with transaction.atomic():
            ack = AlertAcknowledgement.objects.create(alert=alert, note=note.strip(), recorded_by=actor)
    except IntegrityError:
        # Two prescribers pressed the button at once: the database keeps one.
        raise ConflictError(_(ACK_ALREADY), code="already_acknowledged") from None
    audit_record(actor=actor, action="alert.acknowledge", patient_id=alert.course.patient_id, obj=ack,
                 detail={"alert": alert.pk, "code": alert.code, "severity": alert.severity})
    return ack


# ---------------------------------------------------------------------------------------------
# Clinic configuration
# ---------------------------------------------------------------------------------------------


@transaction.atomic
def monitoring_config_save(
    *,
    actor: User,
    intervals: Mapping[str, Any],
    thresholds: Mapping[str, float],
    reminder_days_before: int,
    signed_off: bool,
) -> ClinicMonitoringConfig:
    """A prescriber saves a new version of the clinic's monitoring configuration; the core checks it."""
    require_clinic_staff(actor, prescriber_only=True)
    clinic = actor.clinic
    if clinic is None:  # a database constraint makes this impossible for prescribers
        raise PermissionDeniedError(_(NOT_YOUR_COURSE), code="no_clinic")
    values = {name: intervals.get(name) for name in monitoring_config.INTERVAL_FIELDS}
    try:
        rules_monitoring.MonitoringConfig(**values)  # type: ignore[arg-type]
    except rules_monitoring.MonitoringInputError as exc:
        raise DomainError(_(CONFIG_BAD_VALUE), field=exc.field, code="invalid") from None
    except TypeError:
        raise DomainError(_(CONFIG_BAD_VALUE), code="invalid") from None
    bounds: dict[str, float] = {}
    for code, bound in thresholds.items():
        if bound is None or isinstance(bound, bool) or not math.isfinite(float(bound)) or float(bound) < 0:
            raise DomainError(_(CONFIG_BAD_THRESHOLD), field=f"threshold_{code}", code="invalid")
        bounds[code] = float(bound)
    try:
        monitoring_config.build_thresholds(bounds)
    except labs.LabInputError:
        raise DomainError(_(CONFIG_BAD_THRESHOLD), code="invalid") from None
    if isinstance(reminder_days_before, bool) or not 0 <= int(reminder_days_before) <= 30:
        raise DomainError(_("Enter 0 to 30 days."), field="reminder_days_before", code="invalid")
    previous = monitoring_config.current_version(clinic.pk)
    version = ClinicMonitoringConfig.objects.create(
        clinic=clinic, thresholds=bounds, reminder_days_before=int(reminder_days_before), signed_off=signed_off,
        recorded_by=actor, supersedes=previous,
        correction_reason="configuration changed" if previous else "",
        **values,
    )
    # New intervals move every course's due dates: the clinic's stored worklist is recomputed.
    worklist_store.clinic_refresh_on_commit(clinic.pk)
    audit_record(actor=actor, action="monitoring_config.save", obj=version,
                 detail={"clinic": clinic.pk, "signed_off": signed_off, "thresholds": bounds,
                         "intervals": dict(values)})
    return version
