"""Writes for the pregnancy-prevention records: keyword-only, typed, one transaction, audited.

Every service checks who acts (role, clinic, the prescriber a delegate acts for), validates every input
against the patient and ``today`` (never the clock: views pass ``clock.today()``), raises
:class:`DomainError` naming the field at fault, and writes nothing when it refuses.

Who may do what (DESIGN.md roles; fact sheet 1.1):
- prescribers of the course's clinic: everything;
- delegates acting for the course's prescriber: enrolment, counselling documentation, contraception,
  pregnancy tests, comprehension answers given on paper; NOT the risk category, home-test verification,
  prescriptions or the end of treatment;
- the patient (own course): contraception confirmations, home tests, comprehension answers (the portal).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Pharmacy, ProgramFamily, Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.core.plausibility import Value, confirmed_json, reason_error, require_plausible
from clearcourse.courses.models import Assessment, Course, Prescription, Product
from clearcourse.courses.selectors import current_dose_plan
from clearcourse.courses.services import check_event_date, require_clinic_staff
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp.signals import program_record_written_after_commit
from clearcourse.rules import plausibility, programs
from clearcourse.rules.dosing import achievable_doses, format_mg, product
from clearcourse.rules.interactions import check_interactions
from clearcourse.rules.programs import comprehension as bank
from clearcourse.rules.programs.facts import CONTRACEPTION_METHODS, DEFAULT_CAN_GET_PREGNANT

from .models import (
    ComprehensionAttempt,
    ConfirmedBy,
    ContraceptionConfirmation,
    Counseling,
    Enrollment,
    HomeTestVerification,
    PharmacyTraining,
    PregnancyTest,
    ProgramCertification,
    ProgramCode,
    RiskCategory,
    RiskFormConfirmation,
    SecondPrescriberAgreement,
    TestResult,
    TestSetting,
    TreatmentEnd,
    VerificationOutcome,
)

# --- messages (tests assert these constants) ----------------------------------------------------------

NOT_YOUR_COURSE = "You cannot record anything for this course."
ONLY_PRESCRIBER_RISK = "Only the prescriber can assign the risk category."
ONLY_PRESCRIBER_VERIFY = "Only a prescriber can verify a home pregnancy test."
ONLY_PRESCRIBER_PRESCRIBE = "Only a prescriber can write a prescription."
ONLY_PRESCRIBER_END = "Only the prescriber can record the end of treatment."
REASON_REQUIRED_ON_CHANGE = "Give a reason: this changes the patient's risk category."
PROGRAM_MISMATCH = "Choose the course's program ({program}) or one of its versions."
IPLEDGE_ONLY_US = "An iPLEDGE number applies only under the US iPLEDGE program."
IPLEDGE_FORMAT = "Enter letters, digits and dashes only (at most 40)."
CHOOSE_FROM_LIST = "Choose a value from the list."
UNKNOWN_METHOD = "{code} is not a contraception method."
METHODS_OR_ABSTINENCE = "Choose the methods in use, or record a commitment to abstinence."
CONFIRMED_BY_PATIENT_ONLY = "A patient confirms their own contraception."
PHOTO_REQUIRED = "A home test needs a photo of the test."
PHOTO_ONLY_HOME = "A photo is only taken for home tests."
PHOTO_TOO_LARGE = "The photo is larger than 5 MB."
PHOTO_WRONG_TYPE = "Upload a JPEG or PNG image."
PATIENT_HOME_TESTS_ONLY = "Patients can submit home tests only."
NOT_A_HOME_TEST = "Only home tests are verified."
TEST_SUPERSEDED = "This test was corrected; verify the current record."
VERIFIED_BEFORE_COLLECTION = "A test cannot be verified before its specimen was collected."
REJECTION_NEEDS_NOTE = "Say why the test is not accepted."
ANSWER_REQUIRED = "Answer this question."
UNKNOWN_ANSWER = "Choose one of the answers."
LANGUAGE_UNKNOWN = "Choose English or German."
DAYS_SUPPLY_LIMIT = "A prescription may cover at most {limit} days."
DAYS_SUPPLY_POSITIVE = "Enter at least 1 day."
NO_REFILLS = "Isotretinoin prescriptions have no refills; write a new prescription each month."
PRODUCT_MISMATCH = "This course uses {product}; products are not interchangeable. Start a new course to switch."
DOSE_POSITIVE = "Enter a daily dose above 0 mg."
DOSE_ABOVE_PLAN = ("{dose} mg a day is more than the dose plan's {plan} mg a day. Lower the dose, or give the reason "
                   "for the higher dose (the dose plan is not changed).")
DOSE_NOT_MADE_BY_CAPSULES = "{dose} mg a day cannot be made with at most three capsules of this product."
ACKNOWLEDGE_WARNINGS = "Read the interaction warnings and confirm that you have considered them."
ALREADY_DISPENSED = "This prescription has been dispensed and cannot be voided."
ALREADY_VOIDED = "This prescription is already void or corrected."
VOID_REASON_REQUIRED = "Give a reason for voiding the prescription."
CORRECTION_REASON_REQUIRED = "Give a reason for the correction."
CORRECTION_OTHER_COURSE = "The record to correct belongs to another course."
CORRECTION_NOT_CURRENT = "This record has already been corrected."
COURSE_CLOSED = "This course is closed; start a new course."
ONLY_PRESCRIBER_SECOND = "Only a prescriber of the clinic can record a second prescriber's agreement."
SECOND_UK_ONLY = "A second prescriber's agreement applies only under the UK MHRA program."
SECOND_NAME_REQUIRED = "Enter the second prescriber's name."
SECOND_REGISTRATION_REQUIRED = "Enter the second prescriber's professional registration number."
SECOND_REGISTRATION_SAME = "The second prescriber must be someone other than the course's prescriber."
SECOND_STATEMENT_REQUIRED = ("Both prescribers must agree that isotretinoin is the only appropriate effective "
                             "treatment.")

#: 5 MB, the upload limit for a home-test photo.
MAX_PHOTO_BYTES = 5 * 1024 * 1024
#: Magic numbers: the file content decides, not its name or the browser's content type.
_IMAGE_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg", "JPEG"), (b"\x89PNG\r\n\x1a\n", "image/png", "PNG"))
_IPLEDGE_RE = re.compile(r"^[A-Za-z0-9-]{1,40}$")


# --- access ----------------------------------------------------------------------------------------


def _is_staff_of(actor: User, course: Course) -> bool:
    if actor.role == Role.PRESCRIBER:
        return actor.clinic_id == course.clinic_id
    if actor.role == Role.DELEGATE:
        return actor.clinic_id == course.clinic_id and actor.acts_for.filter(pk=course.prescriber_id).exists()
    return False


def _is_patient_of(actor: User, course: Course) -> bool:
    return actor.role == Role.PATIENT and actor.pk is not None and course.patient.user_id == actor.pk


def require_course_staff(actor: User, course: Course, *, prescriber_only: bool = False,
                         message: str = ONLY_PRESCRIBER_PRESCRIBE) -> None:
    """The actor works for this course's clinic (a delegate: for its prescriber); ``prescriber_only``
    further refuses delegates."""
    if prescriber_only:
        try:
            require_clinic_staff(actor, prescriber_only=True)
        except PermissionDeniedError:
            raise PermissionDeniedError(_(message), code="not_prescriber") from None
    else:
        require_clinic_staff(actor)
    if not _is_staff_of(actor, course):
        raise PermissionDeniedError(_(NOT_YOUR_COURSE), code="not_your_course")


def _require_staff_or_patient(actor: User, course: Course) -> None:
    if _is_patient_of(actor, course):
        return
    if actor.role in (Role.PRESCRIBER, Role.DELEGATE):
        require_course_staff(actor, course)
        return
    raise PermissionDeniedError(_(NOT_YOUR_COURSE), code="not_your_course")


def _check_date(value: dt.date, course: Course, today: dt.date, field: str) -> None:
    check_event_date(value, patient=course.patient, today=today, field=field)


def _check_correction(model: Any, course: Course, supersedes: Any, reason: str) -> None:
    if supersedes is None:
        return
    if not isinstance(supersedes, model) or supersedes.course_id != course.pk:
        raise DomainError(_(CORRECTION_OTHER_COURSE), field="supersedes", code="other_course")
    if not reason.strip():
        raise DomainError(_(CORRECTION_REASON_REQUIRED), field="correction_reason", code="required")
    if not model.objects.current().filter(pk=supersedes.pk).exists():
        raise DomainError(_(CORRECTION_NOT_CURRENT), field="supersedes", code="not_current")


def _audit(actor: User, action: str, course: Course, obj: Any, detail: dict[str, Any] | None = None) -> None:
    # Every write here changes the course's program status: the apps that keep something derived from it
    # (the worklist row) hear of it after commit.
    program_record_written_after_commit(course.pk)
    audit_record(actor=actor, action=action, patient_id=course.patient_id, obj=obj,
                 detail={"course": course.pk, **(detail or {})})


# --- enrolment and risk category -----------------------------------------------------------------


@transaction.atomic
def enrollment_record(*, actor: User, course: Course, enrolled_on: dt.date, today: dt.date,
                      program: str | None = None, ipledge_patient_id: str = "",
                      supersedes: Enrollment | None = None, correction_reason: str = "") -> Enrollment:
    require_course_staff(actor, course)
    program = program or course.program
    if program not in ProgramCode.values:
        raise DomainError(_(CHOOSE_FROM_LIST), field="program", code="invalid")
    if bank.family_of(program) != course.program:
        raise DomainError(_(PROGRAM_MISMATCH).format(program=course.program), field="program",
                          code="program_mismatch")
    _check_date(enrolled_on, course, today, "enrolled_on")
    ipledge_patient_id = ipledge_patient_id.strip()
    if ipledge_patient_id:
        if course.program != ProgramCode.US_IPLEDGE:
            raise DomainError(_(IPLEDGE_ONLY_US), field="ipledge_patient_id", code="not_us")
        if not _IPLEDGE_RE.match(ipledge_patient_id):
            raise DomainError(_(IPLEDGE_FORMAT), field="ipledge_patient_id", code="invalid")
    _check_correction(Enrollment, course, supersedes, correction_reason)
    record = Enrollment.objects.create(course=course, program=program, enrolled_on=enrolled_on,
                                       ipledge_patient_id=ipledge_patient_id, recorded_by=actor,
                                       supersedes=supersedes, correction_reason=correction_reason)
    _audit(actor, "ppp.enrollment.record", course, record, {"enrolled_on": enrolled_on.isoformat()})
    return record


def current_risk_category(course: Course) -> RiskCategory | None:
    return RiskCategory.objects.current().filter(course=course).order_by("-effective_on", "-id").first()


@transaction.atomic
def risk_category_assign(*, actor: User, course: Course, can_get_pregnant: bool, effective_on: dt.date,
                         today: dt.date, reason: str = "") -> RiskCategory:
    """The prescriber assigns the risk category (iPLEDGE since 13 Dec 2021, fact sheet 1.1). A change
    of category needs a reason, kept with the record; earlier assignments stay in the history."""
    require_course_staff(actor, course, prescriber_only=True, message=ONLY_PRESCRIBER_RISK)
    _check_date(effective_on, course, today, "effective_on")
    reason = reason.strip()
    previous = current_risk_category(course)
    if previous is not None and previous.can_get_pregnant != can_get_pregnant and not reason:
        raise DomainError(_(REASON_REQUIRED_ON_CHANGE), field="reason", code="reason_required")
    record = RiskCategory.objects.create(course=course, can_get_pregnant=can_get_pregnant,
                                         effective_on=effective_on, reason=reason[:500], recorded_by=actor)
    _audit(actor, "ppp.risk_category.assign", course, record, {
        "can_get_pregnant": can_get_pregnant, "effective_on": effective_on.isoformat(),
        "changed": previous is not None and previous.can_get_pregnant != can_get_pregnant,
    })
    return record


# --- counselling, contraception ------------------------------------------------------------------


@transaction.atomic
def counseling_record(*, actor: User, course: Course, counseled_on: dt.date, today: dt.date,
                      note: str = "") -> Counseling:
    """The prescriber's counselling / monthly confirmation (fact sheet 1.7). A delegate may document it
    for the prescriber they act for; the record names the prescriber who counselled."""
    require_course_staff(actor, course)
    _check_date(counseled_on, course, today, "counseled_on")
    counselor = actor if actor.role == Role.PRESCRIBER else course.prescriber
    record = Counseling.objects.create(course=course, counseled_on=counseled_on, counseled_by=counselor,
                                       note=note.strip()[:500], recorded_by=actor)
    _audit(actor, "ppp.counseling.record", course, record, {"counseled_on": counseled_on.isoformat()})
    return record


@transaction.atomic
def contraception_confirm(*, actor: User, course: Course, confirmed_on: dt.date, today: dt.date,
                          methods: Iterable[str] = (), abstinence: bool = False,
                          confirmed_by: str = ConfirmedBy.PRESCRIBER) -> ContraceptionConfirmation:
    """Methods in use from ``confirmed_on`` (codes of the scenario contract) or abstinence. Recorded as
    given: whether they meet the program is the core's judgement, shown on the status page."""
    _require_staff_or_patient(actor, course)
    if actor.role == Role.PATIENT:
        confirmed_by = ConfirmedBy.PATIENT
    elif confirmed_by not in ConfirmedBy.values:
        raise DomainError(_(CHOOSE_FROM_LIST), field="confirmed_by", code="invalid")
    codes: list[str] = []
    for code in methods:
        if code not in CONTRACEPTION_METHODS:
            raise DomainError(_(UNKNOWN_METHOD).format(code=code), field="methods", code="unknown_method")
        if code not in codes:
            codes.append(code)
    if not codes and not abstinence:
        raise DomainError(_(METHODS_OR_ABSTINENCE), field="methods", code="required")
    _check_date(confirmed_on, course, today, "confirmed_on")
    record = ContraceptionConfirmation.objects.create(course=course, confirmed_on=confirmed_on, methods=codes,
                                                      abstinence=bool(abstinence), confirmed_by=confirmed_by,
                                                      recorded_by=actor)
    _audit(actor, "ppp.contraception.confirm", course, record,
           {"methods": codes, "abstinence": bool(abstinence), "confirmed_by": confirmed_by})
    return record


# --- pregnancy tests ---------------------------------------------------------------------------------


def check_photo(photo: UploadedFile) -> str:
    """The content type of an acceptable home-test photo (JPEG or PNG, at most 5 MB), else DomainError.

    The bytes decide: the file must start with the JPEG or PNG signature AND Pillow must read it as that
    format, so a renamed script or a truncated file is refused."""
    size = photo.size or 0
    if size > MAX_PHOTO_BYTES:
        raise DomainError(_(PHOTO_TOO_LARGE), field="photo", code="too_large")
    photo.seek(0)
    head = photo.read(16)
    photo.seek(0)
    match = next(((ctype, fmt) for sig, ctype, fmt in _IMAGE_SIGNATURES if head.startswith(sig)), None)
    if match is None or size == 0:
        raise DomainError(_(PHOTO_WRONG_TYPE), field="photo", code="wrong_type")
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(photo) as image:
            image.verify()
            if image.format != match[1]:
                raise DomainError(_(PHOTO_WRONG_TYPE), field="photo", code="wrong_type")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise DomainError(_(PHOTO_WRONG_TYPE), field="photo", code="wrong_type") from exc
    finally:
        photo.seek(0)
    return match[0]


@transaction.atomic
def pregnancy_test_record(*, actor: User, course: Course, collected_on: dt.date, setting: str, result: str,
                          today: dt.date, photo: UploadedFile | None = None,
                          supersedes: PregnancyTest | None = None,
                          correction_reason: str = "") -> PregnancyTest:
    """A test with its specimen collection date (the window counts from it, fact sheet 1.4). A home test
    needs a photo and counts only after a prescriber verifies it (fact sheet 1.6, 2026 REMS)."""
    _require_staff_or_patient(actor, course)
    if setting not in TestSetting.values:
        raise DomainError(_(CHOOSE_FROM_LIST), field="setting", code="invalid")
    if result not in TestResult.values:
        raise DomainError(_(CHOOSE_FROM_LIST), field="result", code="invalid")
    if actor.role == Role.PATIENT and setting != TestSetting.HOME:
        raise DomainError(_(PATIENT_HOME_TESTS_ONLY), field="setting", code="patient_home_only")
    _check_date(collected_on, course, today, "collected_on")
    content_type = ""
    if setting == TestSetting.HOME:
        if photo is None:
            raise DomainError(_(PHOTO_REQUIRED), field="photo", code="required")
        content_type = check_photo(photo)
    elif photo is not None:
        raise DomainError(_(PHOTO_ONLY_HOME), field="photo", code="not_home")
    _check_correction(PregnancyTest, course, supersedes, correction_reason)
    record = PregnancyTest(course=course, collected_on=collected_on, setting=setting, result=result,
                           photo_content_type=content_type, recorded_by=actor, supersedes=supersedes,
                           correction_reason=correction_reason)
    if photo is not None:
        # FileField.save stores the file and, with save=False, leaves the single insert to us.
        record.photo.save(photo.name or "photo", photo, save=False)
    try:
        record.save()
        _audit(actor, "ppp.pregnancy_test.record", course, record,
               {"collected_on": collected_on.isoformat(), "setting": setting, "result": result})
    except Exception:
        # No orphaned photo when the insert fails. (A rollback of an enclosing transaction after this
        # returns can still leave a file with no row; it is never served, as only rows lead to files.)
        if record.photo:
            record.photo.storage.delete(record.photo.name)
        raise
    return record


@transaction.atomic
def home_test_verify(*, actor: User, test: PregnancyTest, outcome: str, verified_on: dt.date, today: dt.date,
                     note: str = "") -> HomeTestVerification:
    """A prescriber checks a home test's photo (2026 REMS: the prescriber must have processes that reduce
    misreading and falsification, fact sheet 1.6). Delegates cannot verify."""
    course = test.course
    require_course_staff(actor, course, prescriber_only=True, message=ONLY_PRESCRIBER_VERIFY)
    if test.setting != TestSetting.HOME:
        raise DomainError(_(NOT_A_HOME_TEST), field="test", code="not_home")
    if not PregnancyTest.objects.current().filter(pk=test.pk).exists():
        raise DomainError(_(TEST_SUPERSEDED), field="test", code="not_current")
    if outcome not in VerificationOutcome.values:
        raise DomainError(_(CHOOSE_FROM_LIST), field="outcome", code="invalid")
    note = note.strip()
    if outcome == VerificationOutcome.REJECTED and not note:
        raise DomainError(_(REJECTION_NEEDS_NOTE), field="note", code="required")
    _check_date(verified_on, course, today, "verified_on")
    if verified_on < test.collected_on:
        raise DomainError(_(VERIFIED_BEFORE_COLLECTION), field="verified_on", code="before_collection")
    record = HomeTestVerification.objects.create(test=test, verified_by=actor, verified_on=verified_on,
                                                 outcome=outcome, note=note[:500], recorded_by=actor)
    _audit(actor, "ppp.home_test.verify", course, record, {"test": test.pk, "outcome": outcome})
    return record


# --- comprehension, end of treatment ----------------------------------------------------------------


@transaction.atomic
def comprehension_submit(*, actor: User, course: Course, answered_on: dt.date, answers: Mapping[str, str],
                         today: dt.date, language: str = "en") -> ComprehensionAttempt:
    """Score the answers against the course's question bank; the pass rule is in ``rules/programs/comprehension.py``."""
    _require_staff_or_patient(actor, course)
    if language not in bank.LANGUAGES:
        raise DomainError(_(LANGUAGE_UNKNOWN), field="language", code="invalid")
    _check_date(answered_on, course, today, "answered_on")
    questions = bank.questions_for(course.program)
    for q in questions:
        given = answers.get(q.id)
        if not given:
            raise DomainError(_(ANSWER_REQUIRED), field=f"q_{q.id}", code="required")
        if given not in {o.id for o in q.options}:
            raise DomainError(_(UNKNOWN_ANSWER), field=f"q_{q.id}", code="invalid")
    kept = {q.id: answers[q.id] for q in questions}
    result = bank.score(course.program, kept)
    record = ComprehensionAttempt.objects.create(
        course=course, answered_on=answered_on, program=bank.family_of(course.program), language=language,
        answers=kept, score=result.correct, total=result.total, passed=result.passed, recorded_by=actor,
    )
    _audit(actor, "ppp.comprehension.submit", course, record,
           {"score": result.correct, "total": result.total, "passed": result.passed})
    return record


@transaction.atomic
def treatment_end_record(*, actor: User, course: Course, ended_on: dt.date, today: dt.date,
                         reason: str = "") -> TreatmentEnd:
    """The last dose. Post-treatment contraception and tests count from it (fact sheet 1.5, 1.6)."""
    require_course_staff(actor, course, prescriber_only=True, message=ONLY_PRESCRIBER_END)
    _check_date(ended_on, course, today, "ended_on")
    record = TreatmentEnd.objects.create(course=course, ended_on=ended_on, reason=reason.strip()[:500],
                                         recorded_by=actor)
    _audit(actor, "ppp.treatment_end.record", course, record, {"ended_on": ended_on.isoformat()})
    return record


# --- prescriptions ---------------------------------------------------------------------------------


def supply_limit_days(course: Course, on: dt.date) -> int:
    """The program's supply limit for this patient on ``on`` (the rules core's ``supply_limit_days``)."""
    current = current_risk_category(course)
    can = current.can_get_pregnant if current is not None else DEFAULT_CAN_GET_PREGNANT
    return programs.supply_limit_days(course.program, on, can_get_pregnant=can)


def prescription_warnings(course: Course) -> tuple[Any, ...]:
    """Interaction alerts for the course's medication list (latest assessment) and contraception
    (``clearcourse.rules.interactions``)."""
    assessment = (Assessment.objects.current().filter(course=course).order_by("-assessed_on", "-id")
                  .values_list("medications", flat=True).first())
    methods = (ContraceptionConfirmation.objects.current().filter(course=course)
               .order_by("-confirmed_on", "-id").values_list("methods", flat=True).first())
    risk = current_risk_category(course)
    return tuple(check_interactions(
        [m for m in (assessment or []) if isinstance(m, str)],
        contraception_methods=[m for m in (methods or []) if isinstance(m, str)],
        can_get_pregnant=risk.can_get_pregnant if risk is not None else None,
    ))


def _capsules_for(product_code: str, dose_mg: int) -> dict[str, int] | None:
    combos = achievable_doses(product(product_code).strengths_mg)
    combo = combos.get(Decimal(dose_mg))
    if combo is None:
        return None
    counts: dict[str, int] = {}
    for strength in combo:
        key = format_mg(strength)
        counts[key] = counts.get(key, 0) + 1
    return counts


@transaction.atomic
def prescription_create(*, actor: User, course: Course, issued_on: dt.date, product: str, daily_dose_mg: int,
                        days_supply: int, today: dt.date, refills: int = 0, ipledge_confirmation: str = "",
                        acknowledge_warnings: bool = False, dose_reason: str = "",
                        confirm_unusual: bool = False) -> Prescription:
    """A prescription: at most the program's days of supply, no refills (fact sheet 1.3, 6.1); the
    course's product only (products are not interchangeable, fact sheet 2.4); interaction warnings must
    be acknowledged (fact sheet 4.4); the iPLEDGE confirmation number where the US program applies.

    The daily dose and the days of supply are checked against the plausibility table (1,000 mg a day is
    refused), and the daily dose may exceed the current dose plan's only with a ``dose_reason`` in words."""
    require_course_staff(actor, course, prescriber_only=True, message=ONLY_PRESCRIBER_PRESCRIBE)
    if course.status in ("closed", "stopped"):
        raise DomainError(_(COURSE_CLOSED), code="course_closed")
    _check_date(issued_on, course, today, "issued_on")
    if product not in Product.values:
        raise DomainError(_(CHOOSE_FROM_LIST), field="product", code="invalid")
    if product != course.product:
        raise DomainError(_(PRODUCT_MISMATCH).format(product=course.get_product_display()), field="product",
                          code="product_not_interchangeable")
    if refills != 0:
        raise DomainError(_(NO_REFILLS), field="refills", code="no_refills")
    limit = supply_limit_days(course, issued_on)
    if days_supply < 1:
        raise DomainError(_(DAYS_SUPPLY_POSITIVE), field="days_supply", code="invalid")
    if daily_dose_mg <= 0:
        raise DomainError(_(DOSE_POSITIVE), field="daily_dose_mg", code="invalid")
    dose_reason = (dose_reason or "").strip()
    if len(dose_reason) > plausibility.REASON_MAX_LENGTH:
        raise DomainError(_(plausibility.REASON_TOO_LONG), field="dose_reason", code="too_long")
    # Refusals first (impossible values), then the program's supply limit, then what needs a confirmation.
    confirmed = require_plausible([
        Value(plausibility.Quantity.DAILY_DOSE, daily_dose_mg, plausibility.MG_PER_DAY, "daily_dose_mg"),
        Value(plausibility.Quantity.DAYS_SUPPLY, days_supply, plausibility.DAYS, "days_supply"),
    ], confirmed=True)
    if days_supply > limit:
        raise DomainError(_(DAYS_SUPPLY_LIMIT).format(limit=limit), field="days_supply",
                          code="days_supply_exceeds_limit")
    capsules = _capsules_for(product, daily_dose_mg)
    if capsules is None:
        raise DomainError(_(DOSE_NOT_MADE_BY_CAPSULES).format(dose=daily_dose_mg), field="daily_dose_mg",
                          code="not_achievable")
    plan = current_dose_plan(course, as_of=issued_on)
    bound = plausibility.within_dose_plan(Decimal(daily_dose_mg), Decimal(plan.daily_dose_mg) if plan else None,
                                          dose_reason)
    if bound.needs_reason:
        if dose_reason:
            problem = reason_error(dose_reason, field="dose_reason")
            if problem is not None:
                raise problem
        raise DomainError(_(DOSE_ABOVE_PLAN).format(dose=daily_dose_mg, plan=bound.plan_daily_mg),
                          field="dose_reason", code="dose_above_plan")
    if not confirm_unusual:
        require_plausible([
            Value(plausibility.Quantity.DAILY_DOSE, daily_dose_mg, plausibility.MG_PER_DAY, "daily_dose_mg"),
            Value(plausibility.Quantity.DAYS_SUPPLY, days_supply, plausibility.DAYS, "days_supply"),
        ])
    ipledge_confirmation = ipledge_confirmation.strip()
    if ipledge_confirmation:
        if course.program != ProgramCode.US_IPLEDGE:
            raise DomainError(_(IPLEDGE_ONLY_US), field="ipledge_confirmation", code="not_us")
        if not _IPLEDGE_RE.match(ipledge_confirmation):
            raise DomainError(_(IPLEDGE_FORMAT), field="ipledge_confirmation", code="invalid")
    warnings = prescription_warnings(course)
    if warnings and not acknowledge_warnings:
        raise DomainError(_(ACKNOWLEDGE_WARNINGS), field="acknowledge_warnings", code="warnings_not_acknowledged",
                          extra={"warnings": [w.code for w in warnings]})
    rx = Prescription.objects.create(
        course=course, prescriber=actor, issued_on=issued_on, product=product, daily_dose_mg=daily_dose_mg,
        capsules=capsules, days_supply=days_supply, ipledge_confirmation=ipledge_confirmation, recorded_by=actor,
        dose_reason=dose_reason if not bound.within else "",
    )
    _audit(actor, "prescription.create", course, rx, {
        "issued_on": issued_on.isoformat(), "days_supply": days_supply, "daily_dose_mg": daily_dose_mg,
        "warnings_acknowledged": [w.code for w in warnings],
        **({"dose_reason": dose_reason, "dose_plan_mg": str(bound.plan_daily_mg)} if not bound.within else {}),
        **({"confirmed_unusual": confirmed_json(confirmed)} if confirmed else {}),
    })
    return rx


@transaction.atomic
def prescription_void(*, actor: User, prescription: Prescription, reason: str) -> Prescription:
    """Void an undispensed prescription: a superseding record with ``voided`` set (records are append-only)."""
    course = prescription.course
    require_course_staff(actor, course, prescriber_only=True, message=ONLY_PRESCRIBER_PRESCRIBE)
    reason = reason.strip()
    if not reason:
        raise DomainError(_(VOID_REASON_REQUIRED), field="reason", code="required")
    locked = Prescription.objects.select_for_update().filter(pk=prescription.pk).first()
    if locked is None or locked.voided or not Prescription.objects.current().filter(pk=locked.pk).exists():
        raise DomainError(_(ALREADY_VOIDED), field="prescription", code="not_current")

    if Dispense.objects.current().filter(prescription=locked).exists():
        raise DomainError(_(ALREADY_DISPENSED), field="prescription", code="already_dispensed")
    void = Prescription.objects.create(
        course=course, prescriber=locked.prescriber, issued_on=locked.issued_on, product=locked.product,
        daily_dose_mg=locked.daily_dose_mg, capsules=locked.capsules, days_supply=locked.days_supply,
        ipledge_confirmation=locked.ipledge_confirmation, dose_reason=locked.dose_reason, voided=True, supersedes=locked,
        correction_reason=reason[:500], recorded_by=actor,
    )
    _audit(actor, "prescription.void", course, void, {"voided": locked.pk})
    return void


# --- UK: second prescriber (under 18) ---------------------------------------------------------------


def _registration_key(value: str) -> str:
    # Registration numbers are typed by hand ("GMC 123 4567", "gmc1234567"): compare without spacing,
    # punctuation or case, so the lead prescriber cannot be entered as their own second prescriber.
    return re.sub(r"[^0-9a-z]", "", value.casefold())


@transaction.atomic
def second_prescriber_agreement_record(*, actor: User, course: Course, second_prescriber_name: str,
                                       second_prescriber_registration: str, agreed_on: dt.date,
                                       only_appropriate_treatment: bool,
                                       today: dt.date) -> SecondPrescriberAgreement:
    """A second independent prescriber agreed to start isotretinoin in a patient under 18 (UK MHRA
    measures of 31 Oct 2023, fact sheet 6.2; rule ``second_prescriber_under_18`` of ``uk-mhra-2023``).
    Only a prescriber of the clinic records it; the second prescriber may be outside the clinic."""
    require_course_staff(actor, course, prescriber_only=True, message=ONLY_PRESCRIBER_SECOND)
    if not str(course.program).startswith(ProgramCode.UK_MHRA):
        raise DomainError(_(SECOND_UK_ONLY), code="not_uk")
    name = second_prescriber_name.strip()
    if not name:
        raise DomainError(_(SECOND_NAME_REQUIRED), field="second_prescriber_name", code="required")
    registration = second_prescriber_registration.strip()
    if not _registration_key(registration):
        raise DomainError(_(SECOND_REGISTRATION_REQUIRED), field="second_prescriber_registration",
                          code="required")
    lead = course.prescriber.registration_number or ""
    if _registration_key(registration) == _registration_key(lead):
        raise DomainError(_(SECOND_REGISTRATION_SAME), field="second_prescriber_registration", code="same_prescriber")
    _check_date(agreed_on, course, today, "agreed_on")
    if not only_appropriate_treatment:
        raise DomainError(_(SECOND_STATEMENT_REQUIRED), field="only_appropriate_treatment", code="required")
    record = SecondPrescriberAgreement.objects.create(
        course=course, second_prescriber_name=name[:200], second_prescriber_registration=registration[:40],
        agreed_on=agreed_on, only_appropriate_treatment=True, recorded_by=actor)
    _audit(actor, "ppp.second_prescriber.record", course, record,
           {"agreed_on": agreed_on.isoformat(), "second_prescriber_registration": registration[:40]})
    return record


ONLY_PRESCRIBER_RISK_FORM = "Only a prescriber of the clinic can confirm the acknowledgement-of-risk form."
RISK_FORM_UK_ONLY = "The acknowledgement-of-risk form confirmation applies only under the UK MHRA program."
RISK_FORM_TICK_ALL = "Tick each statement to confirm it."


@transaction.atomic
def risk_form_confirmation_record(*, actor: User, course: Course, confirmed_on: dt.date,
                                  indication_confirmed: bool, no_other_treatment: bool,
                                  second_opinion_told: bool, today: dt.date) -> RiskFormConfirmation:
    """The prescriber's part of the UK Acknowledgement of Risk Form of 22 Jan 2026 (D12): the indication, no
    other appropriate effective treatment, and the patient told they may ask for a second opinion. Every
    statement must be ticked; prescribers of the clinic only; UK courses only."""
    require_course_staff(actor, course, prescriber_only=True, message=ONLY_PRESCRIBER_RISK_FORM)
    if not str(course.program).startswith(ProgramCode.UK_MHRA):
        raise DomainError(_(RISK_FORM_UK_ONLY), code="not_uk")
    _check_date(confirmed_on, course, today, "confirmed_on")
    for field, ticked in (("indication_confirmed", indication_confirmed), ("no_other_treatment", no_other_treatment),
                          ("second_opinion_told", second_opinion_told)):
        if not ticked:
            raise DomainError(_(RISK_FORM_TICK_ALL), field=field, code="required")
    record = RiskFormConfirmation.objects.create(course=course, confirmed_on=confirmed_on, indication_confirmed=True,
                                                 no_other_treatment=True, second_opinion_told=True,
                                                 recorded_by=actor)
    _audit(actor, "ppp.risk_form.confirm", course, record, {"confirmed_on": confirmed_on.isoformat()})
    return record


# --- certification of prescribers and pharmacies (issue 15) -------------------------------------------

ONLY_ADMIN_CERTIFY = "Only an administrator records program enrolment of prescribers and pharmacies."
CERTIFY_ONE_PARTICIPANT = "Choose one prescriber or one pharmacy."
CERTIFY_NOT_PRESCRIBER = "Only prescribers are enrolled as prescribers."
CERTIFY_PROGRAM_MISMATCH = "{who} works under {program}; record the enrolment in that program."
CERTIFY_EXPIRES_BEFORE = "The enrolment cannot expire before it was activated."
CERTIFY_DATE_RANGE = "Enter a date between 2000-01-01 and five years from today."
CERTIFY_ID_FORMAT = "Enter the program ID with letters, digits and dashes only (at most 40)."
CERTIFY_CORRECTION_OTHER = "The record to correct belongs to another prescriber or pharmacy."
TRAINING_FUTURE = "Staff training cannot be attested for a day in the future."
TRAINING_ATTESTER_REQUIRED = "Enter who attests the training (the responsible pharmacist)."
_EARLIEST = dt.date(2000, 1, 1)


def _require_admin(actor: User) -> None:
    if not (actor.is_authenticated and actor.is_active and (actor.role == Role.ADMIN or actor.is_superuser)):
        raise PermissionDeniedError(_(ONLY_ADMIN_CERTIFY), code="not_admin")


def _check_cert_date(value: dt.date, today: dt.date, field: str) -> None:
    if not _EARLIEST <= value <= today + dt.timedelta(days=5 * 366):
        raise DomainError(_(CERTIFY_DATE_RANGE), field=field, code="out_of_range")


def _participant_program(prescriber: User | None, pharmacy: Pharmacy | None) -> tuple[str, str]:
    """(the participant's own program family, its name for messages); refuses a non-prescriber."""
    if (prescriber is None) == (pharmacy is None):
        raise DomainError(_(CERTIFY_ONE_PARTICIPANT), field="participant", code="one_participant")
    if prescriber is not None:
        clinic = prescriber.clinic
        if prescriber.role != Role.PRESCRIBER or clinic is None:
            raise DomainError(_(CERTIFY_NOT_PRESCRIBER), field="participant", code="not_prescriber")
        return clinic.program, prescriber.display_name()
    assert pharmacy is not None  # noqa: S101 - checked above
    return pharmacy.program, pharmacy.name


def _certification_audit(actor: User, action: str, record: Any, detail: dict[str, Any]) -> None:
    # No patient's record is touched: the entry goes to the chain of the acting administrator.
    audit_record(actor=actor, action=action, obj=record, detail=detail)


@transaction.atomic
def certification_record(*, actor: User, program: str, activated_on: dt.date, expires_on: dt.date | None,
                         today: dt.date, prescriber: User | None = None, pharmacy: Pharmacy | None = None,
                         program_id_number: str = "", supersedes: ProgramCertification | None = None,
                         correction_reason: str = "") -> ProgramCertification:
    """Record that ``prescriber`` or ``pharmacy`` is enrolled and active in ``program`` (a family) from
    ``activated_on`` through ``expires_on``. A renewal is a new record; a correction supersedes one, with
    a reason. Administrators only; audited as ``certification.record``."""
    _require_admin(actor)
    own_program, who = _participant_program(prescriber, pharmacy)
    if program not in ProgramFamily.values:
        raise DomainError(_(CHOOSE_FROM_LIST), field="program", code="invalid")
    if program != own_program:
        raise DomainError(_(CERTIFY_PROGRAM_MISMATCH).format(who=who, program=own_program), field="program",
                          code="program_mismatch")
    _check_cert_date(activated_on, today, "activated_on")
    if expires_on is not None:
        _check_cert_date(expires_on, today, "expires_on")
        if expires_on < activated_on:
            raise DomainError(_(CERTIFY_EXPIRES_BEFORE), field="expires_on", code="expires_before_activation")
    program_id_number = (program_id_number or "").strip()
    if program_id_number and not _IPLEDGE_RE.match(program_id_number):
        raise DomainError(_(CERTIFY_ID_FORMAT), field="program_id_number", code="invalid")
    if supersedes is not None:
        if (supersedes.prescriber_id != (prescriber.pk if prescriber else None)
                or supersedes.pharmacy_id != (pharmacy.pk if pharmacy else None)
                or supersedes.program != program):
            raise DomainError(_(CERTIFY_CORRECTION_OTHER), field="supersedes", code="other_participant")
        if not correction_reason.strip():
            raise DomainError(_(CORRECTION_REASON_REQUIRED), field="correction_reason", code="required")
        if not ProgramCertification.objects.current().filter(pk=supersedes.pk).exists():
            raise DomainError(_(CORRECTION_NOT_CURRENT), field="supersedes", code="not_current")
    record = ProgramCertification.objects.create(
        program=program, prescriber=prescriber, pharmacy=pharmacy, activated_on=activated_on,
        expires_on=expires_on, program_id_number=program_id_number, recorded_by=actor, supersedes=supersedes,
        correction_reason=correction_reason.strip())
    _certification_audit(actor, "certification.record", record, {
        "program": program, "prescriber": prescriber.pk if prescriber else None,
        "pharmacy": pharmacy.pk if pharmacy else None, "activated_on": activated_on.isoformat(),
        "expires_on": expires_on.isoformat() if expires_on else None,
        "supersedes": supersedes.pk if supersedes else None})
    return record


@transaction.atomic
def pharmacy_training_attest(*, actor: User, pharmacy: Pharmacy, trained_on: dt.date, attested_by: str,
                             today: dt.date, program: str | None = None, supersedes: PharmacyTraining | None = None,
                             correction_reason: str = "") -> PharmacyTraining:
    """Record the pharmacy's yearly staff-training attestation. Administrators only; audited as
    ``certification.training``."""
    _require_admin(actor)
    program = program or pharmacy.program
    if program != pharmacy.program:
        raise DomainError(_(CERTIFY_PROGRAM_MISMATCH).format(who=pharmacy.name, program=pharmacy.program),
                          field="program", code="program_mismatch")
    _check_cert_date(trained_on, today, "trained_on")
    if trained_on > today:
        raise DomainError(_(TRAINING_FUTURE), field="trained_on", code="future")
    attested_by = (attested_by or "").strip()
    if not attested_by:
        raise DomainError(_(TRAINING_ATTESTER_REQUIRED), field="attested_by", code="required")
    if supersedes is not None:
        if supersedes.pharmacy_id != pharmacy.pk:
            raise DomainError(_(CERTIFY_CORRECTION_OTHER), field="supersedes", code="other_participant")
        if not correction_reason.strip():
            raise DomainError(_(CORRECTION_REASON_REQUIRED), field="correction_reason", code="required")
        if not PharmacyTraining.objects.current().filter(pk=supersedes.pk).exists():
            raise DomainError(_(CORRECTION_NOT_CURRENT), field="supersedes", code="not_current")
    record = PharmacyTraining.objects.create(pharmacy=pharmacy, program=program, trained_on=trained_on,
                                             attested_by=attested_by[:200], recorded_by=actor,
                                             supersedes=supersedes, correction_reason=correction_reason.strip())
    _certification_audit(actor, "certification.training", record, {
        "program": program, "pharmacy": pharmacy.pk, "trained_on": trained_on.isoformat(),
        "supersedes": supersedes.pk if supersedes else None})
    return record
