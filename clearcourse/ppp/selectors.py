"""The loader: a course's current records -> the rules core's facts, in a fixed number of queries.

The pharmacy API and the clinic worklist call :func:`course_facts` for every authorization, so it
must not grow with a patient's history: it runs five queries (plus one for the patient when the
course was fetched without ``select_related("patient")``), whatever the number of records. Rows are
read with ``values_list`` so no model instances are built.

What counts:
- only current records (not superseded by a correction);
- prescriptions that are not voided; a prescription's id is ``str(pk)`` of the current record of its
  correction chain, and a dispense of any record in the chain counts against that id (so a corrected
  prescription can never be dispensed a second time);
- home pregnancy tests carry ``verified_by_prescriber``: true only when the latest current verification
  confirmed the result; the core does not count an unverified home test as a negative test, but a
  positive one still stops dispensing (the safer reading);
- the risk category is the latest current assignment effective on or before ``as_of``; when none is
  recorded yet the patient is treated as able to get pregnant (the safer reading: every condition applies).

``as_of`` leaves out records dated after that day (what was known then); ``None`` keeps everything.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, CharField, Exists, F, OuterRef, QuerySet, Subquery, Value
from django.utils.translation import gettext as _

from clearcourse.accounts.models import User
from clearcourse.core.errors import DomainError, NotFoundError
from clearcourse.courses.models import Course
from clearcourse.courses.models import Prescription as PrescriptionRow
from clearcourse.courses.selectors import audit_read, courses_visible_to
from clearcourse.rules.programs import facts
from clearcourse.rules.programs.facts import Decision, History, Patient, Request
from clearcourse.rules.status import CourseStatus

from .models import (
    ComprehensionAttempt,
    ContraceptionConfirmation,
    Counseling,
    Enrollment,
    HomeTestVerification,
    PregnancyTest,
    RiskCategory,
    TreatmentEnd,
    VerificationOutcome,
)

NO_PROGRAM_IN_FORCE = "No version of the course's program is in force on this date."

#: The patient's risk category when the prescriber has not assigned one yet (see the module docstring).
DEFAULT_CAN_GET_PREGNANT = True

_ENROLLED, _COUNSELING, _COMPREHENSION, _END, _RISK = "e", "c", "q", "t", "r"


def _dated(qs: QuerySet[Any], field: str, as_of: dt.date | None) -> QuerySet[Any]:
    return qs.filter(**{f"{field}__lte": as_of}) if as_of is not None else qs


def _simple_rows(course_id: int, as_of: dt.date | None) -> list[tuple[str, dt.date, bool, int]]:
    """Enrolments, counselling, comprehension, treatment ends and risk categories in ONE query
    (UNION ALL of (kind, date, flag, id))."""

    def part(model: Any, kind: str, date_field: str, flag: Any) -> QuerySet[Any]:
        qs = _dated(model.objects.current().filter(course_id=course_id), date_field, as_of)
        return qs.annotate(
            k=Value(kind, output_field=CharField()), d=F(date_field), b=flag,
        ).values_list("k", "d", "b", "id").order_by()

    no_flag = Value(False, output_field=BooleanField())
    first = part(ComprehensionAttempt, _COMPREHENSION, "answered_on", F("passed"))
    rest = [
        part(Enrollment, _ENROLLED, "enrolled_on", no_flag),
        part(Counseling, _COUNSELING, "counseled_on", no_flag),
        part(TreatmentEnd, _END, "ended_on", no_flag),
        part(RiskCategory, _RISK, "effective_on", F("can_get_pregnant")),
    ]
    return [(k, _as_date(d), bool(b), int(pk)) for k, d, b, pk in first.union(*rest, all=True)]


def _as_date(value: Any) -> dt.date:
    # SQLite may hand back an ISO string from a UNION column; PostgreSQL gives a date.
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _contraceptions(course_id: int, as_of: dt.date | None) -> list[facts.Contraception]:
    rows = _dated(ContraceptionConfirmation.objects.current().filter(course_id=course_id), "confirmed_on",
                  as_of).values_list("confirmed_on", "methods", "abstinence").order_by()
    return [facts.Contraception(date=d, methods=tuple(dict.fromkeys(m or ())), abstinence=bool(a))
            for d, m, a in rows]


def _tests(course_id: int, as_of: dt.date | None) -> list[facts.PregnancyTest]:
    latest_verification = _dated(
        HomeTestVerification.objects.current().filter(test_id=OuterRef("pk")), "verified_on", as_of,
    ).order_by("-verified_on", "-id").values("outcome")[:1]
    rows = (_dated(PregnancyTest.objects.current().filter(course_id=course_id), "collected_on", as_of)
            .annotate(verification=Subquery(latest_verification, output_field=CharField()))
            .values_list("collected_on", "setting", "result", "verification").order_by())
    return [
        facts.PregnancyTest(
            date=d, setting=setting, result=result,
            verified_by_prescriber=(setting != "home" or verification == VerificationOutcome.CONFIRMED),
        )
        for d, setting, result, verification in rows
    ]


def _prescriptions_and_dispenses(course_id: int, as_of: dt.date | None
                                 ) -> tuple[list[facts.Prescription], list[facts.Dispense]]:
    from clearcourse.pharmacy.models import Dispense as DispenseRow

    # Every record of every chain (superseded ones too), to map an old record to the chain's head.
    rows = list(PrescriptionRow.objects.filter(course_id=course_id).values_list(
        "id", "supersedes_id", "voided", "issued_on", "days_supply", "daily_dose_mg").order_by())
    successor = {sup: pk for pk, sup, *_ in rows if sup is not None}

    def head(pk: int) -> int:
        seen = 0
        while pk in successor and seen <= len(rows):  # the bound only guards against a corrupt cycle
            pk = successor[pk]
            seen += 1
        return pk

    prescriptions = [
        facts.Prescription(id=str(pk), date=issued, days_supply=int(days), daily_dose_mg=float(dose))
        for pk, _sup, voided, issued, days, dose in rows
        if pk not in successor and not voided and (as_of is None or issued <= as_of)
    ]
    dispense_rows = _dated(
        DispenseRow.objects.current().filter(prescription__course_id=course_id), "dispensed_on", as_of,
    ).values_list("prescription_id", "dispensed_on", "days_supply").order_by()
    dispenses = [facts.Dispense(prescription=str(head(rx)), date=d, days_supply=int(days))
                 for rx, d, days in dispense_rows]
    return prescriptions, dispenses


def course_facts(course: Course, *, as_of: dt.date | None = None) -> tuple[Patient, History]:
    """The rules core's view of ``course``: the patient (birth date, risk category) and the history."""
    events: list[facts.Event] = []
    risk: tuple[dt.date, int, bool] | None = None
    for kind, day, flag, pk in _simple_rows(course.pk, as_of):
        if kind == _ENROLLED:
            events.append(facts.Enrolled(date=day))
        elif kind == _COUNSELING:
            events.append(facts.Counseling(date=day))
        elif kind == _COMPREHENSION:
            events.append(facts.Comprehension(date=day, passed=flag))
        elif kind == _END:
            events.append(facts.TreatmentEnd(date=day))
        elif kind == _RISK and (risk is None or (day, pk) > risk[:2]):
            risk = (day, pk, flag)
    events.extend(_contraceptions(course.pk, as_of))
    events.extend(_tests(course.pk, as_of))
    prescriptions, dispenses = _prescriptions_and_dispenses(course.pk, as_of)
    events.extend(prescriptions)
    events.extend(dispenses)
    patient = Patient(birth_date=course.patient.birth_date,
                      can_get_pregnant=risk[2] if risk is not None else DEFAULT_CAN_GET_PREGNANT)
    # Ties on one day keep a stable order (History sorts by date only).
    return patient, History(events)


def risk_category_assigned(course: Course) -> bool:
    return RiskCategory.objects.current().filter(course=course).exists()


def course_decision(course: Course, *, prescription: PrescriptionRow | int | str, request_date: dt.date,
                    days_supply: int) -> Decision:
    """May ``prescription`` be dispensed on ``request_date``? The course's program family resolves to the
    version in force on that date (the core chooses it)."""
    from clearcourse.rules import programs

    patient, history = course_facts(course, as_of=request_date)
    rx_id = str(prescription.pk) if isinstance(prescription, PrescriptionRow) else str(prescription)
    request = Request(date=request_date, prescription=rx_id, days_supply=days_supply)
    try:
        return programs.decide(course.program, patient, history, request)
    except programs.ProgramNotFound as exc:
        raise DomainError(_(NO_PROGRAM_IN_FORCE), field="request_date", code="no_program_in_force") from exc


def course_status(course: Course, *, on: dt.date) -> CourseStatus:
    """What is done and due on ``on``, the open window's countdown and the next actions, from the core's
    ``rules.status.course_status`` over the course's records known on that day."""
    from clearcourse.rules.programs.registry import ProgramNotFound
    from clearcourse.rules.status import course_status as core_status

    patient, history = course_facts(course, as_of=on)
    try:
        return core_status(course.program, patient, history, on)
    except ProgramNotFound as exc:
        raise DomainError(_(NO_PROGRAM_IN_FORCE), field="on", code="no_program_in_force") from exc


def pregnancy_test_get_for_user(*, user: User, test_id: int, audit: str | None = None) -> PregnancyTest:
    """A pregnancy test of a course the user may see (staff of its clinic, or the patient), else
    NotFoundError; superseded tests are found too (the history shows them)."""
    test = (PregnancyTest.objects.select_related("course", "course__patient", "course__clinic")
            .filter(pk=test_id, course__in=courses_visible_to(user)).first())
    if test is None:
        raise NotFoundError()
    if audit:
        audit_read(actor=user, patient_id=test.course.patient_id, action=audit, obj=test)
    return test


def course_records(course: Course) -> dict[str, list[Any]]:
    """Every program record of the course, newest first, for the status page's history tables."""
    return {
        "enrollments": list(Enrollment.objects.filter(course=course).select_related("superseded_by")
                            .order_by("-enrolled_on", "-id")),
        "risk_categories": list(RiskCategory.objects.filter(course=course).select_related("superseded_by", "recorded_by")
                                .order_by("-effective_on", "-id")),
        "counselings": list(Counseling.objects.filter(course=course).select_related("superseded_by", "counseled_by")
                            .order_by("-counseled_on", "-id")),
        "contraceptions": list(ContraceptionConfirmation.objects.filter(course=course).select_related("superseded_by")
                               .order_by("-confirmed_on", "-id")),
        "tests": list(PregnancyTest.objects.filter(course=course).select_related("superseded_by", "recorded_by")
                      .prefetch_related("verifications").order_by("-collected_on", "-id")),
        "comprehension": list(ComprehensionAttempt.objects.filter(course=course).select_related("superseded_by")
                              .order_by("-answered_on", "-id")),
        "prescriptions": list(PrescriptionRow.objects.filter(course=course).select_related("superseded_by", "prescriber")
                              .order_by("-issued_on", "-id")),
        "treatment_ends": list(TreatmentEnd.objects.filter(course=course).select_related("superseded_by").order_by("-ended_on", "-id")),
    }


def home_tests_awaiting_verification(course: Course) -> list[PregnancyTest]:
    """Current home tests without a current verification."""
    verified = HomeTestVerification.objects.current().filter(test_id=OuterRef("pk"))
    return list(PregnancyTest.objects.current().filter(course=course, setting="home")
                .exclude(Exists(verified)).order_by("collected_on", "id"))


__all__ = ["DEFAULT_CAN_GET_PREGNANT", "course_decision", "course_facts", "course_records", "course_status",
           "home_tests_awaiting_verification", "pregnancy_test_get_for_user", "risk_category_assigned"]
