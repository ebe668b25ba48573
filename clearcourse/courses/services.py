"""Writes for patients and courses: keyword-only, typed, one transaction, audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import DateField, F
from django.db.models import Value as SqlValue
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core import numbers
from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.core.plausibility import Value, confirmed_json, reason_error, require_plausible
from clearcourse.courses.models import (
    Assessment,
    Course,
    CourseStatus,
    DosePlan,
    MissedDoseReport,
    Patient,
    Product,
    WeightMeasurement,
)
from clearcourse.courses.selectors import courses_visible_to
from clearcourse.courses.signals import course_record_changed_after_commit
from clearcourse.rules import dosing, eligibility, plausibility, severity
from clearcourse.rules import sources as source_register
from clearcourse.rules.sources import Source

ONLY_CLINIC_STAFF = "Only the clinic's prescribers and their delegates can do this."
ONLY_PRESCRIBERS = "Only a registered prescriber can do this."
RECORD_NUMBER_TAKEN = "This record number is already used in this clinic."
BIRTH_DATE_IN_FUTURE = "The date of birth cannot be in the future."
WEIGHT_OUT_OF_RANGE = "Enter a weight above 0 and at most 350 kg."
DATE_BEFORE_BIRTH = "This date is before the patient's date of birth."
DATE_IN_FUTURE = "This date is in the future."


def _worklist_refresh(course_id: int, *, today: dt.date | None = None) -> None:
    """Tell the apps that keep something derived from the course (the worklist row: risk factors, dose peak,
    start, status) once the write has committed."""
    course_record_changed_after_commit(course_id, today=today)


def require_clinic_staff(actor: User, *, prescriber_only: bool = False) -> None:
    if prescriber_only:
        if actor.role != Role.PRESCRIBER or not actor.registration_number:
            raise PermissionDeniedError(_(ONLY_PRESCRIBERS), code="not_prescriber")
        return
    if actor.role not in (Role.PRESCRIBER, Role.DELEGATE):
        raise PermissionDeniedError(_(ONLY_CLINIC_STAFF), code="not_clinic_staff")


def check_event_date(value: dt.date, *, patient: Patient, today: dt.date, field: str) -> None:
    """A past event cannot precede birth or lie in the future."""
    if value < patient.birth_date:
        raise DomainError(_(DATE_BEFORE_BIRTH), field=field, code="before_birth")
    if value > today:
        raise DomainError(_(DATE_IN_FUTURE), field=field, code="in_future")


@transaction.atomic
def patient_create(
    *,
    actor: User,
    prescriber: User,
    record_number: str,
    given_name: str,
    family_name: str,
    birth_date: dt.date,
    sex: str,
    today: dt.date,
    email: str = "",
    phone: str = "",
    preferred_language: str = "en",
    confirm_unusual: bool = False,
) -> Patient:
    """A new patient. The date of birth must give a plausible age today (the course starts from today at
    the earliest): a newborn or a birth in 1900 is refused, a child under 12 needs a confirmation."""
    require_clinic_staff(actor)
    if prescriber.role != Role.PRESCRIBER or prescriber.clinic_id != actor.clinic_id:
        raise DomainError(_("Choose a prescriber of your clinic."), field="prescriber", code="bad_prescriber")
    if actor.role == Role.DELEGATE and not actor.acts_for.filter(pk=prescriber.pk).exists():
        raise DomainError(_("You do not act for this prescriber."), field="prescriber", code="bad_prescriber")
    if birth_date > today:
        raise DomainError(_(BIRTH_DATE_IN_FUTURE), field="birth_date", code="in_future")
    confirmed = check_age(birth_date, today, field="birth_date", confirmed=confirm_unusual)
    if Patient.objects.filter(clinic_id=actor.clinic_id or 0, record_number=record_number).exists():
        raise DomainError(_(RECORD_NUMBER_TAKEN), field="record_number", code="duplicate")
    try:
        with transaction.atomic():
            patient = Patient.objects.create(
                clinic_id=actor.clinic_id or 0, prescriber=prescriber, record_number=record_number,
                given_name=given_name, family_name=family_name, birth_date=birth_date, sex=sex,
                email=email, phone=phone, preferred_language=preferred_language,
            )
    except IntegrityError:
        raise DomainError(_(RECORD_NUMBER_TAKEN), field="record_number", code="duplicate") from None
    audit_record(actor=actor, action="patient.create", patient_id=patient.pk, obj=patient,
                 detail={"confirmed_unusual": confirmed_json(confirmed)} if confirmed else None)
    return patient


def check_age(birth_date: dt.date, on: dt.date, *, field: str, confirmed: bool) -> list[plausibility.Check]:
    """The age on ``on`` (the course's start, or today for a course still to start) against the table."""
    age = plausibility.age_in_years(birth_date, on)
    return require_plausible([Value(plausibility.Quantity.AGE_AT_START, age, plausibility.YEARS, field)],
                             confirmed=confirmed)


@transaction.atomic
def course_create(
    *,
    actor: User,
    patient: Patient,
    product: str = Product.CONVENTIONAL,
    target_mg_per_kg: float = 120,
    program: str | None = None,
) -> Course:
    require_clinic_staff(actor)
    if product not in Product.values:
        raise DomainError(_("Choose a product from the list."), field="product", code="invalid")
    course = Course.objects.create(
        patient=patient, clinic=patient.clinic, prescriber=patient.prescriber,
        program=program or patient.clinic.program, product=product, target_mg_per_kg=target_mg_per_kg,
    )
    _worklist_refresh(course.pk)
    audit_record(actor=actor, action="course.create", patient_id=patient.pk, obj=course)
    return course


@transaction.atomic
def weight_record(*, actor: User, patient: Patient, measured_on: dt.date, weight_kg: float | Decimal, today: dt.date,
                  supersedes: WeightMeasurement | None = None, correction_reason: str = "",
                  confirm_unusual: bool = False) -> WeightMeasurement:
    """A weight: refused outside the plausibility table's hard range, confirmed outside its usual one."""
    require_clinic_staff(actor)
    confirmed = check_weight(weight_kg, confirmed=confirm_unusual)
    check_event_date(measured_on, patient=patient, today=today, field="measured_on")
    if supersedes is not None and not correction_reason.strip():
        raise DomainError(_("Give a reason for the correction."), field="correction_reason", code="required")
    record = WeightMeasurement.objects.create(
        patient=patient, measured_on=measured_on, weight_kg=weight_kg, recorded_by=actor,
        supersedes=supersedes, correction_reason=correction_reason,
    )
    audit_record(actor=actor, action="weight.record", patient_id=patient.pk, obj=record,
                 detail={"weight_kg": str(weight_kg), "measured_on": measured_on.isoformat(),
                         **({"confirmed_unusual": confirmed_json(confirmed)} if confirmed else {})})
    return record


# --- assessments, dose plans, missed doses, course status ---------------------------------------
# The clinical arithmetic and judgement live in the pure rules core (clearcourse.rules); these
# functions load facts, call the core, refuse impossible input, and store what was decided.

NEED_A_SCALE = "Grade every GAGS region or give an IGA grade: at least one severity scale is needed."
GAGS_INCOMPLETE = "Grade every GAGS region (0 for no lesions), or leave them all empty."
GRADE_OUT_OF_RANGE = "Choose a grade from 0 to 4."
UNKNOWN_THERAPY = "%(entry)s is not a known acne therapy."
UNKNOWN_CONDITION = "%(entry)s is not a known condition."
CORRECTION_REASON_REQUIRED = "Give a reason for the correction."
CORRECTION_WRONG_RECORD = "Only a current record of this course can be corrected."
DOSE_NOT_POSITIVE = "Enter a daily dose above 0 mg/kg."
DOSE_OUT_OF_RANGE = ("A daily dose outside 0.1-2.0 mg/kg needs a stated reason; enter the reason or change "
                     "the dose.")
DOSE_NOT_REACHABLE = ("%(per_kg)s mg/kg/day at %(weight)s kg is %(wanted)s mg a day, but whole capsules of this "
                      "product make %(low)s to %(high)s mg a day (at most 3 capsules): nothing was saved. Change "
                      "the daily dose per kg.")
TARGET_OUT_OF_RANGE = "Enter a cumulative target above 0 and at most 400 mg/kg."
PLAN_START_TOO_LATE = "A dose plan can start at most one year from today."
MISSED_DAYS_OUT_OF_RANGE = "Enter from 1 to 90 missed days."
MISSED_BEFORE_START = "The course had not started on this day."
MISSED_ENDS_IN_FUTURE = "The last missed day would be in the future."
STATUS_NOT_ALLOWED = "A course cannot change from %(old)s to %(new)s."
NO_PRODUCT_STRENGTHS = "This course's product has no known capsule strengths."

MAX_MISSED_DAYS = 90  # one report covers at most a 90-day supply (the Prescription constraint)
MAX_TARGET_MG_PER_KG = Decimal(400)  # a plausibility bound for typing errors, not a clinical limit
MAX_PLAN_LEAD_DAYS = 366

# Allowed status changes: planned -> active -> paused <-> active -> completed -> closed; stop anytime.
STATUS_TRANSITIONS: dict[str, frozenset[str]] = {
    CourseStatus.PLANNED: frozenset({CourseStatus.ACTIVE, CourseStatus.STOPPED}),
    CourseStatus.ACTIVE: frozenset({CourseStatus.PAUSED, CourseStatus.COMPLETED, CourseStatus.STOPPED}),
    CourseStatus.PAUSED: frozenset({CourseStatus.ACTIVE, CourseStatus.COMPLETED, CourseStatus.STOPPED}),
    CourseStatus.COMPLETED: frozenset({CourseStatus.CLOSED}),
    CourseStatus.STOPPED: frozenset({CourseStatus.CLOSED}),
    CourseStatus.CLOSED: frozenset(),
}


def _require_course_in_scope(actor: User, course: Course) -> None:
    # Views fetch through the selectors already; this guards services called from elsewhere.

    if not courses_visible_to(actor).filter(pk=course.pk).exists():
        raise NotFoundError()


def _check_correction(supersedes: Any, correction_reason: str, *, course: Course) -> None:
    if supersedes is None:
        return
    if not correction_reason.strip():
        raise DomainError(_(CORRECTION_REASON_REQUIRED), field="correction_reason", code="required")
    if getattr(supersedes, "course_id", None) != course.pk or not supersedes.is_current:
        raise DomainError(_(CORRECTION_WRONG_RECORD), field="correction_reason", code="not_current")


def source_json(source: Source) -> dict[str, str]:
    return source_register.as_json(source)


def assessment_decision(
    *,
    iga: int | None,
    gags: Mapping[str, int] | None,
    scarring: bool,
    psychosocial_burden: bool,
    failed_therapies: Sequence[str],
    medications: Sequence[str],
    allergies: Sequence[str],
    conditions: Sequence[str],
    pregnant: bool,
    breastfeeding: bool,
    program: str | None = None,
) -> dict[str, Any]:
    """Ask the rules core and return its answer as JSON (what is stored and shown). ``program`` (the
    course's program family) chooses the region whose documents list the contraindications.

    Raises DomainError naming the form field at fault for input the core refuses.
    """
    if iga is None and gags is None:
        raise DomainError(_(NEED_A_SCALE), field="iga", code="required")
    try:
        iga_grade = severity.iga_grade(iga) if iga is not None else None
    except severity.SeverityInputError:
        raise DomainError(_(GRADE_OUT_OF_RANGE), field="iga", code="out_of_range") from None
    gags_result: severity.GagsResult | None = None
    if gags is not None:
        try:
            gags_result = severity.gags_score(gags)
        except severity.SeverityInputError as exc:
            raise DomainError(_(GRADE_OUT_OF_RANGE), field=f"gags_{exc.part}", code="out_of_range") from None
    try:
        found = eligibility.assess_eligibility(iga=iga, gags=gags_result, scarring=scarring,
                                               psychosocial_burden=psychosocial_burden,
                                               failed_therapies=failed_therapies)
    except eligibility.UnknownCodeError as exc:
        raise DomainError(_(UNKNOWN_THERAPY) % {"entry": exc.value}, field="failed_therapies",
                          code="unknown_code") from None
    try:
        contra = eligibility.find_contraindications(pregnant=pregnant, breastfeeding=breastfeeding,
                                                    medications=medications, allergies=allergies,
                                                    conditions=conditions,
                                                    region=eligibility.region_of(program))
    except eligibility.UnknownCodeError as exc:
        raise DomainError(_(UNKNOWN_CONDITION) % {"entry": exc.value}, field="conditions",
                          code="unknown_code") from None
    absolute = eligibility.has_absolute(contra)
    return {
        "iga": None if iga_grade is None else {"value": iga_grade.value, "code": iga_grade.code,
                                                 "label": iga_grade.label},
        "gags": None if gags_result is None else {
            "score": gags_result.score,
            "band": gags_result.band.code,
            "band_label": gags_result.band.label,
            "local_scores": [{"region": item.region.code, "label": item.region.label,
                              "factor": item.region.factor, "grade": item.grade, "score": item.score}
                             for item in gags_result.local_scores],
            "sources": [source_json(s) for s in gags_result.sources],
        },
        "indicated": found.eligible,
        "indications": [{"code": item.code, "reason": item.reason, "text": item.text.as_data(),
                         "sources": [source_json(s) for s in item.sources]} for item in found.indications],
        "label_notes": [{"code": note.code, "text": note.text, "source": source_json(note.source)}
                        for note in found.label_notes],
        "contraindications": [{"code": item.code, "severity": item.severity, "message": item.message,
                               "matched": list(item.matched), "sources": [source_json(s) for s in item.sources]}
                              for item in contra],
        "has_absolute_contraindication": absolute,
        # The region whose documents listed the contraindications (us / eu_uk; None: the strictest of both).
        "contraindication_region": eligibility.region_of(program),
        # Eligible now: indicated and nothing absolute in the way.
        "eligible": found.eligible and not absolute,
    }


@transaction.atomic
def assessment_record(
    *,
    actor: User,
    course: Course,
    assessed_on: dt.date,
    today: dt.date,
    iga: int | None = None,
    gags: Mapping[str, int] | None = None,
    scarring: bool = False,
    psychosocial_burden: bool = False,
    failed_therapies: Sequence[str] = (),
    medications: Sequence[str] = (),
    allergies: Sequence[str] = (),
    conditions: Sequence[str] = (),
    pregnant: bool = False,
    breastfeeding: bool = False,
    notes: str = "",
    supersedes: Assessment | None = None,
    correction_reason: str = "",
) -> Assessment:
    """Record a severity, indication and contraindication screen with the core's decision as a snapshot.

    ``gags`` maps each of the six region codes to its grade 0-4 (all six, or None).
    """
    require_clinic_staff(actor)
    _require_course_in_scope(actor, course)
    check_event_date(assessed_on, patient=course.patient, today=today, field="assessed_on")
    _check_correction(supersedes, correction_reason, course=course)
    medications = [m.strip() for m in medications if m.strip()]
    allergies = [a.strip() for a in allergies if a.strip()]
    decision = assessment_decision(
        iga=iga, gags=gags, scarring=scarring, psychosocial_burden=psychosocial_burden,
        failed_therapies=list(failed_therapies), medications=medications, allergies=allergies,
        conditions=list(conditions), pregnant=pregnant, breastfeeding=breastfeeding, program=course.program,
    )
    grades = dict(gags or {})
    record = Assessment.objects.create(
        course=course, assessed_on=assessed_on, iga=iga,
        gags_forehead=grades.get("forehead"), gags_right_cheek=grades.get("right_cheek"),
        gags_left_cheek=grades.get("left_cheek"), gags_nose=grades.get("nose"), gags_chin=grades.get("chin"),
        gags_chest_upper_back=grades.get("chest_upper_back"),
        gags_score=decision["gags"]["score"] if decision["gags"] else None,
        gags_band=decision["gags"]["band"] if decision["gags"] else "",
        scarring=scarring, psychosocial_burden=psychosocial_burden, failed_therapies=list(failed_therapies),
        medications=medications, allergies=allergies, conditions=list(conditions), pregnant=pregnant,
        breastfeeding=breastfeeding, eligible=decision["eligible"], decision=decision, notes=notes,
        recorded_by=actor, supersedes=supersedes, correction_reason=correction_reason,
    )
    _worklist_refresh(course.pk, today=today)
    audit_record(actor=actor, action="assessment.record", patient_id=course.patient_id, obj=record,
                 detail={"course_id": course.pk, "eligible": decision["eligible"],
                         "gags_score": record.gags_score, "iga": iga,
                         "supersedes": supersedes.pk if supersedes else None})
    return record


def _decimal(value: Decimal | float | int | str, field: str, message: str) -> Decimal:
    """Read through the one safe reader (``core.numbers``); ``message`` for anything that is not a number."""
    try:
        return numbers.parse_decimal(value)
    except numbers.NumberInputError as exc:
        text = exc.message if exc.code != numbers.NOT_A_NUMBER_CODE else message
        raise DomainError(_(text), field=field, code="invalid") from None


def check_weight(weight_kg: Decimal | float | int | str, *, field: str = "weight_kg",
                 confirmed: bool = False) -> list[plausibility.Check]:
    """A weight against the plausibility table: refused outside 2-350 kg, confirmed outside the usual range."""
    return require_plausible([Value(plausibility.Quantity.WEIGHT, weight_kg, plausibility.KG, field)],
                             confirmed=confirmed)


@transaction.atomic
def dose_plan_record(
    *,
    actor: User,
    course: Course,
    starts_on: dt.date,
    weight_kg: Decimal | float | int | str,
    mg_per_kg: Decimal | float | int | str,
    today: dt.date,
    target_mg_per_kg: Decimal | float | int | str | None = None,
    out_of_range_reason: str = "",
    supersedes: DosePlan | None = None,
    correction_reason: str = "",
    confirm_unusual: bool = False,
) -> DosePlan:
    """Set a dose plan: the nearest whole-capsule daily dose of the course's product (rules.dosing).

    The weight and the daily dose per kg are checked against the plausibility table (refused outside the
    hard range; outside the usual range only with ``confirm_unusual``). A daily dose outside 0.1-2.0 mg/kg
    is refused unless ``out_of_range_reason`` states why in words. A dose whole capsules cannot come near
    (more than half the smallest capsule outside what 1-3 capsules make) is refused, never rounded silently.
    """
    require_clinic_staff(actor, prescriber_only=True)
    _require_course_in_scope(actor, course)
    weight = _decimal(weight_kg, "weight_kg", WEIGHT_OUT_OF_RANGE)
    per_kg = _decimal(mg_per_kg, "mg_per_kg", DOSE_NOT_POSITIVE)
    if per_kg <= 0:
        raise DomainError(_(DOSE_NOT_POSITIVE), field="mg_per_kg", code="out_of_range")
    reason = (out_of_range_reason or "").strip()
    if len(reason) > plausibility.REASON_MAX_LENGTH:
        raise DomainError(_(plausibility.REASON_TOO_LONG), field="out_of_range_reason", code="too_long")
    values = [Value(plausibility.Quantity.WEIGHT, weight, plausibility.KG, "weight_kg"),
              Value(plausibility.Quantity.DAILY_DOSE_PER_KG, per_kg, plausibility.MG_PER_KG_PER_DAY, "mg_per_kg")]
    # Impossible values first, then the reason the range asks for, then what needs a confirmation.
    confirmed = require_plausible(values, confirmed=True)
    dose_range = dosing.check_daily_mg_per_kg(per_kg, reason)
    if not dose_range.within:
        # Outside 0.1-2.0 mg/kg/day the reason must say why, in words a reader can check later.
        if not reason:
            raise DomainError(_(DOSE_OUT_OF_RANGE), field="out_of_range_reason", code="reason_required")
        problem = reason_error(reason, field="out_of_range_reason")
        if problem is not None:
            raise problem
    if confirmed and not confirm_unusual:
        require_plausible(values)
    target = _decimal(target_mg_per_kg if target_mg_per_kg is not None else course.target_mg_per_kg,
                      "target_mg_per_kg", TARGET_OUT_OF_RANGE)
    if not Decimal(0) < target <= MAX_TARGET_MG_PER_KG:
        raise DomainError(_(TARGET_OUT_OF_RANGE), field="target_mg_per_kg", code="out_of_range")
    if starts_on < course.patient.birth_date:
        raise DomainError(_(DATE_BEFORE_BIRTH), field="starts_on", code="before_birth")
    if (starts_on - today).days > MAX_PLAN_LEAD_DAYS:
        raise DomainError(_(PLAN_START_TOO_LATE), field="starts_on", code="too_late")
    _check_correction(supersedes, correction_reason, course=course)
    product = dosing.PRODUCTS.get(course.product)
    if product is None:
        raise DomainError(_(NO_PRODUCT_STRENGTHS), field=None, code="unknown_product")
    choice = dosing.nearest_daily_dose(weight, per_kg, product.strengths_mg)
    made = dosing.achievable_doses(product.strengths_mg)
    if abs(choice.daily_dose_mg - choice.wanted_mg) > min(product.strengths_mg) / 2:
        raise DomainError(_(DOSE_NOT_REACHABLE) % {
            "per_kg": dosing.format_mg(per_kg), "weight": dosing.format_mg(weight),
            "wanted": dosing.format_mg(dosing.round_one_decimal(choice.wanted_mg)),
            "low": dosing.format_mg(min(made)), "high": dosing.format_mg(max(made))},
            field="mg_per_kg", code="not_reachable")
    record = DosePlan.objects.create(
        course=course, starts_on=starts_on, weight_kg=weight, mg_per_kg=per_kg,
        daily_dose_mg=int(choice.daily_dose_mg),
        capsules={dosing.format_mg(c.strength_mg): c.count for c in choice.capsules},
        target_mg_per_kg=target, out_of_range_reason="" if dose_range.within else (dose_range.reason or ""),
        recorded_by=actor, supersedes=supersedes, correction_reason=correction_reason,
    )
    if course.target_mg_per_kg != target:
        # The course keeps the target of its current plan, so lists can show it without a join.
        Course.objects.filter(pk=course.pk).update(target_mg_per_kg=target)
        course.target_mg_per_kg = target
    _worklist_refresh(course.pk, today=today)
    audit_record(actor=actor, action="dose_plan.record", patient_id=course.patient_id, obj=record,
                 detail={"course_id": course.pk, "weight_kg": str(weight), "mg_per_kg": str(per_kg),
                         "daily_dose_mg": record.daily_dose_mg, "target_mg_per_kg": str(target),
                         "out_of_range_reason": record.out_of_range_reason,
                         "supersedes": supersedes.pk if supersedes else None,
                         **({"confirmed_unusual": confirmed_json(confirmed)} if confirmed else {})})
    return record


@transaction.atomic
def missed_dose_record(
    *,
    actor: User,
    course: Course,
    first_day: dt.date,
    days: int,
    today: dt.date,
    note: str = "",
    supersedes: MissedDoseReport | None = None,
    correction_reason: str = "",
) -> MissedDoseReport:
    """Days without a dose, reported by clinic staff or by the patient themself."""
    is_own_patient = actor.role == Role.PATIENT and course.patient.user_id == actor.pk
    if not is_own_patient:
        require_clinic_staff(actor)
        _require_course_in_scope(actor, course)
    if not 1 <= days <= MAX_MISSED_DAYS:
        raise DomainError(_(MISSED_DAYS_OUT_OF_RANGE), field="days", code="out_of_range")
    check_event_date(first_day, patient=course.patient, today=today, field="first_day")
    if course.started_on is not None and first_day < course.started_on:
        raise DomainError(_(MISSED_BEFORE_START), field="first_day", code="before_start")
    if first_day + dt.timedelta(days=days - 1) > today:
        raise DomainError(_(MISSED_ENDS_IN_FUTURE), field="days", code="in_future")
    _check_correction(supersedes, correction_reason, course=course)
    record = MissedDoseReport.objects.create(
        course=course, first_day=first_day, days=days, note=note, recorded_by=actor,
        supersedes=supersedes, correction_reason=correction_reason,
    )
    audit_record(actor=actor, action="missed_dose.record", patient_id=course.patient_id, obj=record,
                 detail={"course_id": course.pk, "first_day": first_day.isoformat(), "days": days})
    return record


@transaction.atomic
def course_start_on_dispense(*, course: Course, dispensed_on: dt.date, actor: User) -> bool:
    """A planned course whose first supply is dispensed is on treatment from that day: its status becomes
    active and its first-dose date the dispense's (the pharmacy's dispense service calls this in its
    transaction; ``actor`` is the pharmacist). Returns whether the course changed; a course already
    started, paused or ended is left as it is."""
    changed = Course.objects.filter(pk=course.pk, status=CourseStatus.PLANNED).update(
        status=CourseStatus.ACTIVE, started_on=Coalesce(F("started_on"), SqlValue(dispensed_on, output_field=DateField())))
    if not changed:
        return False
    course.refresh_from_db(fields=["status", "started_on"])
    _worklist_refresh(course.pk)
    audit_record(actor=actor, action="course.status", patient_id=course.patient_id, obj=course,
                 detail={"from": CourseStatus.PLANNED, "to": CourseStatus.ACTIVE, "on": dispensed_on.isoformat(),
                         "reason": "first dispense"})
    return True


@transaction.atomic
def course_status_change(*, actor: User, course: Course, status: str, on: dt.date, today: dt.date,
                         reason: str = "") -> Course:
    """Start, pause, resume, complete, stop or close a course (prescribers only).

    The first start sets the first-dose date; completing or stopping sets the last-dose date.
    """
    require_clinic_staff(actor, prescriber_only=True)
    _require_course_in_scope(actor, course)
    locked = Course.objects.select_for_update().get(pk=course.pk)
    if status not in STATUS_TRANSITIONS.get(locked.status, frozenset()):
        raise DomainError(
            _(STATUS_NOT_ALLOWED) % {"old": locked.get_status_display(),
                                     "new": CourseStatus(status).label if status in CourseStatus.values else status},
            field="status", code="bad_transition")
    check_event_date(on, patient=course.patient, today=today, field="on")
    changes: dict[str, Any] = {"status": status}
    if status == CourseStatus.ACTIVE and locked.started_on is None:
        # The age at the start of the course: impossible ages are refused here too (an unusual one was
        # confirmed when the patient was recorded).
        check_age(course.patient.birth_date, on, field="on", confirmed=True)
        changes["started_on"] = on
    if status in (CourseStatus.COMPLETED, CourseStatus.STOPPED) and locked.ended_on is None:
        start = locked.started_on
        if start is not None and on < start:
            raise DomainError(_(MISSED_BEFORE_START), field="on", code="before_start")
        changes["ended_on"] = on
    Course.objects.filter(pk=course.pk).update(**changes)
    old = locked.status
    for key, value in changes.items():
        setattr(course, key, value)
    _worklist_refresh(course.pk, today=today)
    audit_record(actor=actor, action="course.status", patient_id=course.patient_id, obj=course,
                 detail={"from": old, "to": status, "on": on.isoformat(), "reason": reason})
    return course
