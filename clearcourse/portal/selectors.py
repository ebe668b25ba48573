"""Reads for the patient portal: the signed-in patient's own record only.

Every lookup goes through ``courses.selectors`` (``patients_visible_to`` answers a patient with
themself and nobody else), so a course, consent or PDF of another patient is "not found", never
"forbidden". The education page, the duties and the progress chart are assembled here from the
rules core and the other apps' selectors; the wording is in the templates.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clearcourse.accounts.models import User
from clearcourse.core.charts import Marker, Series, Threshold, line_chart
from clearcourse.core.errors import DomainError, NotFoundError
from clearcourse.courses.models import Assessment, Course, CourseStatus, MissedDoseReport, Patient
from clearcourse.courses.selectors import (
    CourseDoseSummary,
    audit_read,
    courses_visible_to,
    patients_visible_to,
)
from clearcourse.courses.state import course_state
from clearcourse.monitoring import selectors as monitoring
from clearcourse.monitoring.models import MoodScreen, SideEffectReport
from clearcourse.portal.consent import ConsentDocument, family_of
from clearcourse.portal.models import ConsentSignature
from clearcourse.portal.services import consent_document_for
from clearcourse.ppp import selectors as ppp
from clearcourse.ppp.services import current_risk_category
from clearcourse.rules import dosing, eligibility, programs, severity, side_effects
from clearcourse.rules import sources as src
from clearcourse.rules.course_state import CourseState
from clearcourse.rules.monitoring import Severity
from clearcourse.rules.programs.base import Cadence, ContraceptionStandard, ProgramVersion
from clearcourse.rules.programs.facts import Reason
from clearcourse.rules.programs.registry import ProgramNotFound, resolve
from clearcourse.rules.sources import Source

#: Courses a patient no longer has duties for.
ENDED_STATUSES = frozenset({CourseStatus.CLOSED, CourseStatus.STOPPED})


# --- access ---------------------------------------------------------------------------------------------


def portal_patient(user: User) -> Patient:
    """The signed-in patient's own record, or NotFoundError (an account not linked to a patient)."""
    patient = patients_visible_to(user).select_related("clinic", "prescriber").first()
    if patient is None or user.role != "patient":
        raise NotFoundError()
    return patient


def portal_courses(user: User) -> QuerySet[Course]:
    return courses_visible_to(user).select_related("patient", "clinic", "prescriber").order_by("-created_at", "-id")


def portal_course(user: User, course_id: int | None = None, *, audit: str | None = "portal.course.view") -> Course:
    """One of the patient's own courses (the current one when ``course_id`` is None), else NotFoundError.

    The current course is the newest one that is not closed or stopped, or else the newest of all.
    """
    if user.role != "patient":
        raise NotFoundError()
    qs = portal_courses(user)
    if course_id is not None:
        course = qs.filter(pk=course_id).first()
    else:
        course = qs.exclude(status__in=ENDED_STATUSES).first() or qs.first()
    if course is None:
        raise NotFoundError()
    if audit:
        audit_read(actor=user, patient_id=course.patient_id, action=audit, obj=course)
    return course


def consent_signature_get(user: User, signature_id: int) -> ConsentSignature:
    signature = (ConsentSignature.objects.select_related("course", "course__patient", "course__clinic",
                                                         "course__prescriber")
                 .filter(pk=signature_id, course__in=courses_visible_to(user)).first())
    if signature is None or user.role != "patient":
        raise NotFoundError()
    audit_read(actor=user, patient_id=signature.course.patient_id, action="portal.consent.view", obj=signature)
    return signature


def latest_signature(course: Course) -> ConsentSignature | None:
    return ConsentSignature.objects.current().filter(course=course).order_by("-signed_at", "-id").first()


# --- shared facts ------------------------------------------------------------------------------------------


def risk_category(course: Course) -> bool | None:
    """True / False as the prescriber assigned it; None while unassigned."""
    category = current_risk_category(course)
    return None if category is None else category.can_get_pregnant


def program_version(course: Course, on: dt.date) -> ProgramVersion | None:
    try:
        return resolve(course.program, on)
    except ProgramNotFound:
        return None


def family(course: Course) -> str:

    return family_of(course.program)


def patient_age(patient: Patient, on: dt.date) -> int:
    years = on.year - patient.birth_date.year
    if (on.month, on.day) < (patient.birth_date.month, patient.birth_date.day):
        years -= 1
    return years


@dataclass(frozen=True, slots=True)
class Cited:
    """A fact shown to the patient with the sources it comes from."""

    sources: tuple[Source, ...]


# --- part 1: severity and indication ------------------------------------------------------------------

CONTRAINDICATION_NAMES: dict[str, Any] = {
    "pregnancy": gettext_lazy("pregnancy"),
    "breastfeeding": gettext_lazy("breastfeeding"),
    "isotretinoin_hypersensitivity": gettext_lazy("an allergy to isotretinoin or an ingredient of the capsules"),
    "tetracycline_use": gettext_lazy("taking a tetracycline antibiotic"),
    "vitamin_a_supplement": gettext_lazy("taking vitamin A supplements"),
    "soy_allergy": gettext_lazy("a soya allergy"),
    "vitamin_a_hypersensitivity": gettext_lazy("an allergy to vitamin A"),
    "peanut_allergy": gettext_lazy("a peanut allergy"),
    "hepatic_insufficiency": gettext_lazy("reduced liver function"),
    "uncontrolled_hyperlipidaemia": gettext_lazy("very high blood fats"),
    "hypervitaminosis_a": gettext_lazy("too much vitamin A in the body"),
    "paraben_allergy": gettext_lazy("a paraben allergy"),
    "st_johns_wort": gettext_lazy("taking St John's wort"),
    "systemic_corticosteroid": gettext_lazy("taking corticosteroid tablets"),
    "anticonvulsant": gettext_lazy("taking carbamazepine or phenytoin"),
    "depression": gettext_lazy("a history of depression"),
    "psychiatric_history": gettext_lazy("a history of mental illness"),
    "inflammatory_bowel_disease": gettext_lazy("inflammatory bowel disease"),
    "diabetes": gettext_lazy("diabetes"),
    "obesity": gettext_lazy("obesity"),
    "alcohol_misuse": gettext_lazy("heavy alcohol use"),
    "lipid_disorder": gettext_lazy("a blood fat disorder"),
    "osteoporosis": gettext_lazy("osteoporosis"),
    "bone_disease": gettext_lazy("a bone disease"),
    "eating_disorder": gettext_lazy("an eating disorder"),
}


@dataclass(frozen=True, slots=True)
class SeverityPart:
    assessed_on: dt.date
    iga: int | None
    iga_code: str | None
    gags_score: int | None
    gags_band: str | None
    indicated: bool
    eligible: bool
    indications: tuple[str, ...]  # codes: severe, scarring, psychosocial_burden, treatment_failure
    failed_therapies: tuple[str, ...]  # labels as the core names them
    absolute: tuple[str, ...]  # patient-facing names of absolute contraindications
    cautions: tuple[str, ...]  # patient-facing names of relative ones


def latest_assessment(course: Course) -> Assessment | None:
    return Assessment.objects.current().filter(course=course).order_by("-assessed_on", "-id").first()


def severity_part(course: Course) -> SeverityPart | None:
    """The latest assessment as the core decided it (stored with the record)."""
    record = latest_assessment(course)
    if record is None:
        return None
    decision = record.decision or {}
    therapies: list[str] = []
    for index, name in enumerate(record.failed_therapies or []):
        try:
            therapies.append(eligibility.normalise_therapy(str(name), index).label)
        except eligibility.UnknownCodeError:
            therapies.append(str(name))
    contra = decision.get("contraindications") or []
    iga_code = severity.iga_grade(record.iga).code if record.iga is not None else None
    return SeverityPart(
        assessed_on=record.assessed_on, iga=record.iga, iga_code=iga_code, gags_score=record.gags_score,
        gags_band=record.gags_band or None, indicated=bool(decision.get("indicated")), eligible=record.eligible,
        indications=tuple(str(i.get("code")) for i in decision.get("indications") or []),
        failed_therapies=tuple(dict.fromkeys(therapies)),
        absolute=tuple(str(CONTRAINDICATION_NAMES.get(c.get("code"), c.get("code"))) for c in contra
                       if c.get("severity") == eligibility.ABSOLUTE),
        cautions=tuple(str(CONTRAINDICATION_NAMES.get(c.get("code"), c.get("code"))) for c in contra
                       if c.get("severity") != eligibility.ABSOLUTE),
    )


# --- part 3: duration and dose -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DosePart:
    product: str
    product_label: str
    with_food: bool  # conventional capsules are taken with meals
    summary: CourseDoseSummary
    planned_days: int | None  # the whole course at the planned daily dose
    planned_weeks: int | None
    sources: tuple[Source, ...]
    state: CourseState  # the course's state (rules.course_state): the same numbers as every other page


def dose_part(course: Course, *, today: dt.date) -> DosePart:
    state = course_state(course, on=today)
    summary = state.dose
    planned_days = None
    if summary.target_mg and summary.daily_dose_mg:
        planned_days = dosing.days_remaining(summary.target_mg, summary.daily_dose_mg)
    product = dosing.PRODUCTS.get(course.product)
    return DosePart(
        product=course.product, product_label=str(course.get_product_display()),
        with_food=course.product == "conventional", summary=summary, planned_days=planned_days,
        planned_weeks=math.ceil(planned_days / 7) if planned_days else None,
        sources=(src.SMPC_POSOLOGY, src.US_PI_DOSING, src.DEFAULT_CUMULATIVE_220, *(product.sources if product else ())),
        state=state,
    )


# --- part 4: side effects -----------------------------------------------------------------------------

URGENT, TELL, COMMON = "urgent", "tell", "common"


@dataclass(frozen=True, slots=True)
class SideEffectRow:
    code: str
    name: str
    group: str  # URGENT: contact today at any grade; TELL: report, more urgent when worse; COMMON
    sources: tuple[Source, ...]


def _group(effect: side_effects.SideEffect) -> str:
    """The patient's advice follows the catalogue's alert levels: an effect that is urgent even when
    mild is a red flag; one that raises a warning before it is severe (or is urgent when severe) is
    reported; the rest are the common, dose-related effects to mention when severe."""
    levels = [effect.level(g) for g in side_effects.Grade]
    if effect.mild is not None and effect.mild[0] == Severity.URGENT:
        return URGENT
    if any(lv is not None and lv[0] == Severity.URGENT for lv in levels) or any(
            lv is not None and lv[0] == Severity.WARNING for lv in (effect.mild, effect.moderate)):
        return TELL
    return COMMON


def side_effect_rows() -> list[SideEffectRow]:
    return [SideEffectRow(code=e.code, name=_(e.name), group=_group(e), sources=e.sources)
            for e in side_effects.CATALOGUE.values()]


def side_effect_groups() -> dict[str, list[SideEffectRow]]:
    rows = side_effect_rows()
    return {group: [r for r in rows if r.group == group] for group in (URGENT, TELL, COMMON)}


# --- part 5: pregnancy prevention ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PregnancyPart:
    family: str
    version_id: str | None
    version_title: str | None
    category: bool | None  # can get pregnant (None: not assigned yet, every duty applies)
    two_methods: bool  # US: two methods, one primary (or abstinence); PPP: one highly effective method
    lead_in_days: int | None
    test_window_days: int | None  # US: fill within N days of the test's collection
    test_before_prescription_days: int | None  # PPP: test within N days before the prescription
    screening_gap_days: int | None
    prescription_window_days: int | None
    supply_limit_days: int | None
    monthly_questions: bool
    monthly_contraception: bool
    home_tests: bool
    after_test: str  # "one_month" (US) or "five_weeks" (EU/UK BNF); open question #10
    sources: tuple[Source, ...]


def pregnancy_part(course: Course, *, today: dt.date) -> PregnancyPart:
    version = program_version(course, today)
    category = risk_category(course)
    can = category is not False  # unassigned: the safer reading, every duty applies
    fam = family(course)
    if version is None:
        return PregnancyPart(family=fam, version_id=None, version_title=None, category=category,
                             two_methods=fam == "us-ipledge", lead_in_days=None, test_window_days=None,
                             test_before_prescription_days=None, screening_gap_days=None,
                             prescription_window_days=None, supply_limit_days=None, monthly_questions=False,
                             monthly_contraception=False, home_tests=False,
                             after_test="one_month" if fam == "us-ipledge" else "five_weeks", sources=())
    rules: list[Any] = [version.contraception, version.contraception_lead_in_days, version.test_window_days,
             version.test_before_prescription_days, version.screening_gap_days, version.comprehension_can,
             version.prescription_window_days_can if can else version.prescription_window_days_cannot,
             version.supply_limit_days_can if can else version.supply_limit_days_cannot,
             version.treatment_settings, version.enrolment]
    sources = tuple(dict.fromkeys(r.source for r in rules))
    after = (src.US_PI_REPRODUCTIVE,) if fam == "us-ipledge" else (src.DEFAULT_POST_TREATMENT_TEST,)
    return PregnancyPart(
        family=fam, version_id=version.id, version_title=version.title, category=category,
        two_methods=version.contraception.value == ContraceptionStandard.TWO_METHODS_ONE_PRIMARY,
        lead_in_days=version.contraception_lead_in_days.value,
        test_window_days=version.test_window_days.value,
        test_before_prescription_days=version.test_before_prescription_days.value,
        screening_gap_days=version.screening_gap_days.value,
        prescription_window_days=(version.prescription_window_days_can if can
                                  else version.prescription_window_days_cannot).value,
        supply_limit_days=(version.supply_limit_days_can if can else version.supply_limit_days_cannot).value,
        monthly_questions=version.comprehension_can.value == Cadence.MONTHLY,
        monthly_contraception=version.contraception_cadence.value == Cadence.MONTHLY,
        home_tests="home" in version.treatment_settings.value,
        after_test="one_month" if fam == "us-ipledge" else "five_weeks",
        sources=sources + after + (src.US_PI_EMBRYO_FETAL, src.DEFAULT_INTERACTIONS),
    )


# --- part 6: what the prescriber monitors ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UpcomingCheck:
    label: str
    occasion: str
    due: dt.date
    overdue: bool


@dataclass(frozen=True, slots=True)
class MonitoringPart:
    sexual_function: bool  # UK (MHRA 2023)
    routine_cbc: bool
    upcoming: tuple[UpcomingCheck, ...]
    sources: tuple[Source, ...] = (src.SMPC_WARNINGS, src.ABSORICA_BASELINE_TESTS, src.ABSORICA_LAB_TESTS,
                                   src.US_PI_PSYCHIATRIC, src.EMA_2018, src.DEFAULT_MOOD_TOOL)


def monitoring_part(course: Course, *, today: dt.date) -> MonitoringPart:
    """The clinic's schedule for this course (monitoring app), or the program defaults before the
    first dose."""
    data = monitoring.course_monitoring(course=course, today=today)
    upcoming: list[UpcomingCheck] = []
    if data.schedule is not None:
        for item in data.schedule.items:
            upcoming.append(UpcomingCheck(label=str(monitoring.CHECK_LABELS[item.check]),
                                          occasion=str(monitoring.OCCASION_LABELS[item.occasion]),
                                          due=item.due, overdue=item.overdue))
    config = data.config.schedule
    return MonitoringPart(sexual_function=config.assess_sexual_function, routine_cbc=config.routine_cbc,
                          upcoming=tuple(upcoming))


# --- the education page ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EducationPage:
    patient: Patient
    course: Course
    today: dt.date
    age: int
    severity: SeverityPart | None
    dose: DosePart
    side_effects: dict[str, list[SideEffectRow]]
    pregnancy: PregnancyPart
    monitoring: MonitoringPart
    signature: ConsentSignature | None
    mechanism_sources: tuple[Source, ...] = (src.EMA_2018, src.US_PI_INDICATION, src.SMPC_POSOLOGY,
                                             src.DEFAULT_COMMON_EFFECTS)
    supervision_sources: tuple[Source, ...] = (src.SMPC_INDICATION, src.IPLEDGE_REMS, src.SMPC_WARNINGS)
    severity_sources: tuple[Source, ...] = (src.AAD_2024, src.DEFAULT_SEVERITY_SCALES, src.US_PI_INDICATION,
                                            src.SMPC_INDICATION)

    @property
    def side_effect_sources(self) -> tuple[Source, ...]:
        found = [s for e in side_effects.CATALOGUE.values() for s in e.sources]
        found += [src.SMPC_CONTRAINDICATIONS, src.US_PI_INTRACRANIAL, src.DEFAULT_VITAMIN_A_SUPPLEMENTS,
                  src.DEFAULT_SKIN_CARE]
        return tuple(dict.fromkeys(found))


def education_page(course: Course, *, today: dt.date) -> EducationPage:
    """The seven parts of "Is isotretinoin right for me?", filled with this patient's own data."""
    return EducationPage(
        patient=course.patient, course=course, today=today, age=patient_age(course.patient, today),
        severity=severity_part(course), dose=dose_part(course, today=today), side_effects=side_effect_groups(),
        pregnancy=pregnancy_part(course, today=today), monitoring=monitoring_part(course, today=today),
        signature=latest_signature(course),
    )


# --- monthly duties -------------------------------------------------------------------------------------

DONE, DUE, WAITING, ANYTIME = "done", "due", "waiting", "anytime"

#: The conditions of the next fill, in the patient's words, and who does them.
CONDITION_TEXT: dict[str, tuple[Any, str]] = {
    "enrolment": (gettext_lazy("Your clinic enrols you in the program."), "clinic"),
    "prescription": (gettext_lazy("Your dermatologist writes a new prescription."), "clinic"),
    "not_dispensed": (gettext_lazy("The prescription has not been filled yet."), "pharmacy"),
    "supply": (gettext_lazy("The pharmacy gives no more than the allowed days of supply."), "pharmacy"),
    "no_positive_test": (gettext_lazy("Your latest pregnancy test must be negative."), "clinic"),
    "pregnancy_test": (gettext_lazy("A negative pregnancy test, taken in time for this fill."), "clinic"),
    "screening_test": (gettext_lazy("Two negative pregnancy tests before the first fill."), "clinic"),
    "missed_window_wait": (gettext_lazy("A waiting period after a missed first pick-up window."), "clinic"),
    "contraception": (gettext_lazy("Confirm the contraception you use."), "you"),
    "contraception_lead_in": (gettext_lazy("Contraception used for at least one month before starting."), "you"),
    "counseling": (gettext_lazy("Your dermatologist counsels you and records it."), "clinic"),
    "comprehension": (gettext_lazy("Answer the questions about the risks."), "you"),
    "prescription_window": (gettext_lazy("The prescription is filled within its time limit."), "pharmacy"),
    "second_prescriber": (gettext_lazy("A second prescriber agrees to start treatment."), "clinic"),
}


@dataclass(frozen=True, slots=True)
class Duty:
    code: str  # consent, comprehension, contraception, mood, side_effects, missed_doses
    state: str  # DONE, DUE, WAITING (someone else first) or ANYTIME
    last: dt.date | None = None


@dataclass(frozen=True, slots=True)
class FillCondition:
    code: str
    text: str
    who: str  # you / clinic / pharmacy
    met: bool
    since: dt.date | None
    until: dt.date | None
    not_before: dt.date | None


@dataclass
class Duties:
    course: Course
    today: dt.date
    category: bool | None
    items: list[Duty]
    window: Any = None  # rules.status.Countdown
    conditions: list[FillCondition] = field(default_factory=list)
    missing: list[FillCondition] = field(default_factory=list)
    next_fill_due: dt.date | None = None
    ready_to_dispense: bool = False
    status_error: str = ""
    instrument: str = "phq9"


def mood_instrument(patient: Patient, on: dt.date) -> str:
    """PHQ-9 for adults; the PHQ-9 modified for adolescents (PHQ-A) under 18 (source: PHQ_A)."""
    return "phq9_teen" if patient_age(patient, on) < 18 else "phq9"


def consent_state(course: Course, *, language: str) -> tuple[str, ConsentSignature | None, ConsentDocument | None]:
    """(state, latest signature, the document to sign now or None while it cannot be signed)."""

    signature = latest_signature(course)
    try:
        document = consent_document_for(course, language=language)
    except DomainError:
        return (DONE if signature else WAITING), signature, None
    if signature is None:
        return DUE, None, document
    # A signature of another language of the same version still covers the same text.
    base = document.version_id.rsplit("/", 1)[0]
    return (DONE if signature.text_version.rsplit("/", 1)[0] == base else DUE), signature, document


def duties(course: Course, *, today: dt.date, language: str) -> Duties:
    """The patient's monthly duties, the open window and what is still missing for the next fill."""
    category = risk_category(course)
    can = category is not False
    result = Duties(course=course, today=today, category=category, items=[],
                    instrument=mood_instrument(course.patient, today))
    state, signature, _document = consent_state(course, language=language)
    result.items.append(Duty("consent", state, signature.signed_on if signature else None))

    status = None
    if course.status not in ENDED_STATUSES:
        try:
            status = ppp.course_status(course, on=today)
        except DomainError as exc:
            result.status_error = exc.message
    met: dict[str, FillCondition] = {}
    if status is not None:
        result.window = status.window
        result.next_fill_due = status.next_fill_due
        result.ready_to_dispense = bool(status.decision is not None and status.decision.allowed)
        for item in (*status.done, *status.due):
            text, who = CONDITION_TEXT.get(item.condition, (item.condition, "clinic"))
            row = FillCondition(code=item.condition, text=str(text), who=who, met=item.met, since=item.since,
                                until=item.until, not_before=item.not_before)
            result.conditions.append(row)
            met[item.condition] = row
        result.missing = [c for c in result.conditions if not c.met]

    version = program_version(course, today)
    if status is not None and can and version is not None and version.comprehension_can.value != Cadence.NONE:
        comprehension = met.get("comprehension")
        result.items.append(Duty("comprehension", DONE if comprehension is not None and comprehension.met else DUE,
                                 comprehension.since if comprehension is not None else None))
    if status is not None and can and version is not None:
        contraception = met.get("contraception")
        result.items.append(Duty("contraception", DONE if contraception is not None and contraception.met else DUE,
                                 contraception.since if contraception is not None else None))

    last_screen = (MoodScreen.objects.current().filter(course=course).order_by("-screened_on", "-id")
                   .values_list("screened_on", flat=True).first())
    mood_due = last_screen is None or (today - last_screen).days >= 30
    if course.status in ENDED_STATUSES:
        mood_due = False
    result.items.append(Duty("mood", DUE if mood_due else DONE, last_screen))
    last_report = (SideEffectReport.objects.current().filter(course=course).order_by("-reported_on", "-id")
                   .values_list("reported_on", flat=True).first())
    result.items.append(Duty("side_effects", ANYTIME, last_report))
    last_missed = (MissedDoseReport.objects.current().filter(course=course).order_by("-first_day", "-id")
                   .values_list("first_day", flat=True).first())
    result.items.append(Duty("missed_doses", ANYTIME, last_missed))
    return result


# --- progress ------------------------------------------------------------------------------------------------


def progress_chart(summary: CourseDoseSummary, *, today: dt.date) -> str:
    """The cumulative dose (mg/kg) against the target, with the projection dashed (core.charts SVG)."""
    from django.utils import formats

    target = float(summary.target_mg_per_kg)
    cumulative = summary.cumulative_mg_per_kg if summary.cumulative_mg_per_kg is not None else Decimal(0)
    end = formats.date_format(summary.projected_end, "DATE_FORMAT") if summary.projected_end else _("not known yet")
    desc = _("Cumulative dose %(cumulative)s mg/kg of the %(target)s mg/kg target; projected end: %(end)s.") % {
        "cumulative": formats.number_format(cumulative, 1), "target": formats.number_format(target, 0),
        "end": end}
    return line_chart(
        title=_("Cumulative dose"), desc=desc,
        series=[Series(_("Taken so far"), list(summary.actual_points))] if summary.actual_points else [],
        projected=Series(_("Projected"), list(summary.projected_points)) if summary.projected_points else None,
        thresholds=[Threshold(_("Target %(target)s mg/kg") % {"target": formats.number_format(target, 0)},
                              target, kind="target")],
        markers=[Marker(_("Today"), today)] if summary.actual_points or summary.projected_points else [],
        y_label="mg/kg", value_unit="mg/kg", empty_text=_("No dose dispensed yet."),
        # Month names in the page's language ("Dec 2026" / "Dez. 2026"), never a numeric month.
        date_format="YEAR_MONTH_FORMAT",
    )


def contraception_shortfall(course: Course, *, today: dt.date, methods: Iterable[str],
                            abstinence: bool = False) -> Reason | None:
    """Why these methods do not count for the course's program today (the rules core's reason, with its
    source), or None when they count or no program version is in force."""
    try:
        return programs.contraception_shortfall(course.program, today, methods, abstinence=abstinence)
    except ProgramNotFound:
        return None
