"""The worklist's view of the pregnancy-prevention programs: closing windows, tests and monthly questions.

The programs app (``clearcourse.ppp``) loads one course's facts (``selectors.course_facts``) and the
rules core says where the course stands (``rules.status.course_status``). The worklist needs that for
every course at once without one query per patient, so this module loads the same facts itself in a
fixed number of queries (:func:`bulk_course_facts`, which mirrors ``course_facts`` and is held to it by
a test: the two must agree on every course).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from clearcourse.core.rule_text import localize
from clearcourse.courses.models import Course
from clearcourse.courses.models import Prescription as PrescriptionRow
from clearcourse.pharmacy.models import Dispense as DispenseRow
from clearcourse.ppp import models as ppp
from clearcourse.rules import status as rules_status
from clearcourse.rules.programs import facts
from clearcourse.rules.programs.facts import DEFAULT_CAN_GET_PREGNANT

logger = logging.getLogger(__name__)

SOME_COURSES_FAILED = _("The program status of %(count)s course(s) could not be worked out; open the course to "
                        "check it.")


ACTION_LABELS = {
    "write_prescription": _("Monthly visit and next prescription"),
    "pregnancy_test": _("Pregnancy test"),
    "verify_home_test": _("Verify home pregnancy test"),
    "comprehension_questions": _("Monthly comprehension questions"),
    "confirm_contraception": _("Monthly contraception confirmation"),
}
CONDITION_LABELS = {
    "pregnancy_test": _("counted from the pregnancy test"),
    "prescription_window": _("counted from the prescription"),
}


@dataclass(frozen=True, slots=True)
class ProgramItem:
    course: Course
    kind: str  # "window" | "due" | "questions"
    code: str
    title: str
    due: dt.date
    detail: str = ""


@dataclass
class BridgeResult:
    items: list[ProgramItem] = field(default_factory=list)
    reason: str = ""
    failed: int = 0


def program_items(courses: Sequence[Course], *, as_of: dt.date, until: dt.date) -> BridgeResult:
    """Program work due by ``until`` for ``courses``: open windows closing by then, pregnancy tests due,
    and the patient's monthly questions (comprehension, contraception confirmation) not yet answered."""
    result = BridgeResult()
    if not courses:
        return result
    all_facts = bulk_course_facts(list(courses), as_of=as_of)
    for course in courses:
        if course.pk not in all_facts:
            continue
        patient, history = all_facts[course.pk]
        try:
            status = rules_status.course_status(course.program, patient, history, as_of)
        except Exception:  # one course's bad data must not take the clinic's worklist down
            logger.exception("program status failed for course %s", course.pk)
            result.failed += 1
            continue
        result.items.extend(_items_for(course, status, as_of=as_of, until=until))
    if result.failed:
        result.reason = str(SOME_COURSES_FAILED % {"count": result.failed})
    return result


def _items_for(course: Course, status: rules_status.CourseStatus, *, as_of: dt.date,
               until: dt.date) -> list[ProgramItem]:
    items: list[ProgramItem] = []
    window = status.window
    if window is not None and window.closes_on <= until:
        items.append(ProgramItem(course, "window", f"window:{window.condition}", str(_("Pick-up window closes")),
                                 window.closes_on, detail=str(CONDITION_LABELS.get(window.condition,
                                                                                  window.condition))))
    if status.phase == rules_status.ENDED and window is None:
        return items
    for action in status.next_actions:
        due = action.by or action.not_before or as_of
        if due > until:
            continue
        if action.code in (rules_status.PREGNANCY_TEST, rules_status.VERIFY_HOME_TEST):
            items.append(ProgramItem(course, "due", f"program:{action.code}",
                                     str(ACTION_LABELS.get(action.code, action.code)), due,
                                     detail=localize(action.message)))
        elif action.code == rules_status.WRITE_PRESCRIPTION and status.phase == rules_status.IN_TREATMENT \
                and status.next_fill_due is not None:
            # The supply runs out: the patient needs the monthly visit and a new prescription.
            items.append(ProgramItem(course, "due", "program:visit", str(ACTION_LABELS[action.code]),
                                     status.next_fill_due, detail=localize(action.message)))
        elif action.code in (rules_status.COMPREHENSION, rules_status.CONFIRM_CONTRACEPTION) \
                and status.phase == rules_status.IN_TREATMENT:
            items.append(ProgramItem(course, "questions", f"program:{action.code}",
                                     str(ACTION_LABELS.get(action.code, action.code)), due,
                                     detail=localize(action.message)))
    return items


# ---------------------------------------------------------------------------------------------
# Bulk loader (mirrors clearcourse.ppp.selectors.course_facts for many courses at once)
# ---------------------------------------------------------------------------------------------


def bulk_course_facts(courses: Sequence[Course], *, as_of: dt.date | None = None) -> dict[int, tuple[Any, Any]]:
    """``{course_id: (Patient, History)}`` for many courses in a fixed number of queries.

    Same rules as ``ppp.selectors.course_facts`` (current records only; voided prescriptions left
    out; a dispense of any record in a prescription's correction chain counts against the chain's
    head; home tests count only when the latest verification confirmed them; the risk category is the
    latest assignment, defaulting to "can get pregnant"). A test compares the two on the same data.
    """
    from django.db.models import CharField, OuterRef, Subquery

    ids = [c.pk for c in courses]
    events: dict[int, list[Any]] = defaultdict(list)
    risk: dict[int, tuple[dt.date, int, bool]] = {}

    def dated(qs: Any, date_field: str) -> Any:
        return qs.filter(**{f"{date_field}__lte": as_of}) if as_of is not None else qs

    for cid, day in dated(ppp.Enrollment.objects.current().filter(course_id__in=ids), "enrolled_on") \
            .values_list("course_id", "enrolled_on").order_by():
        events[cid].append(facts.Enrolled(date=day))
    for cid, day in dated(ppp.Counseling.objects.current().filter(course_id__in=ids), "counseled_on") \
            .values_list("course_id", "counseled_on").order_by():
        events[cid].append(facts.Counseling(date=day))
    for cid, day, passed in dated(ppp.ComprehensionAttempt.objects.current().filter(course_id__in=ids),
                                  "answered_on").values_list("course_id", "answered_on", "passed").order_by():
        events[cid].append(facts.Comprehension(date=day, passed=bool(passed)))
    for cid, day in dated(ppp.TreatmentEnd.objects.current().filter(course_id__in=ids), "ended_on") \
            .values_list("course_id", "ended_on").order_by():
        events[cid].append(facts.TreatmentEnd(date=day))
    for cid, day, pk, flag in dated(ppp.RiskCategory.objects.current().filter(course_id__in=ids), "effective_on") \
            .values_list("course_id", "effective_on", "id", "can_get_pregnant").order_by():
        if cid not in risk or (day, pk) > risk[cid][:2]:
            risk[cid] = (day, pk, bool(flag))
    for cid, day, methods, abstinence in dated(
            ppp.ContraceptionConfirmation.objects.current().filter(course_id__in=ids), "confirmed_on") \
            .values_list("course_id", "confirmed_on", "methods", "abstinence").order_by():
        events[cid].append(facts.Contraception(date=day, methods=tuple(dict.fromkeys(methods or ())),
                                               abstinence=bool(abstinence)))
    latest_verification = dated(
        ppp.HomeTestVerification.objects.current().filter(test_id=OuterRef("pk")), "verified_on",
    ).order_by("-verified_on", "-id").values("outcome")[:1]
    for cid, day, setting, result, verification in (
            dated(ppp.PregnancyTest.objects.current().filter(course_id__in=ids), "collected_on")
            .annotate(verification=Subquery(latest_verification, output_field=CharField()))
            .values_list("course_id", "collected_on", "setting", "result", "verification").order_by()):
        events[cid].append(facts.PregnancyTest(
            date=day, setting=setting, result=result,
            verified_by_prescriber=(setting != "home" or verification == ppp.VerificationOutcome.CONFIRMED)))
    rows = list(PrescriptionRow.objects.filter(course_id__in=ids).values_list(
        "course_id", "id", "supersedes_id", "voided", "issued_on", "days_supply", "daily_dose_mg").order_by())
    successor = {sup: pk for _cid, pk, sup, *_ in rows if sup is not None}

    def head(pk: int) -> int:
        seen = 0
        while pk in successor and seen <= len(rows):  # the bound only guards against a corrupt cycle
            pk = successor[pk]
            seen += 1
        return pk

    for cid, pk, _sup, voided, issued, days, dose in rows:
        if pk not in successor and not voided and (as_of is None or issued <= as_of):
            events[cid].append(facts.Prescription(id=str(pk), date=issued, days_supply=int(days),
                                                  daily_dose_mg=float(dose)))
    for cid, rx, day, days in dated(DispenseRow.objects.current().filter(prescription__course_id__in=ids),
                                    "dispensed_on").values_list(
            "prescription__course_id", "prescription_id", "dispensed_on", "days_supply").order_by():
        events[cid].append(facts.Dispense(prescription=str(head(rx)), date=day, days_supply=int(days)))
    loaded: dict[int, tuple[Any, Any]] = {}
    for course in courses:
        can = risk[course.pk][2] if course.pk in risk else DEFAULT_CAN_GET_PREGNANT
        loaded[course.pk] = (facts.Patient(birth_date=course.patient.birth_date, can_get_pregnant=can),
                             facts.History(_ordered(events[course.pk])))
    return loaded


def _ordered(events: list[Any]) -> list[Any]:
    """``course_facts`` lists events by kind (simple rows, contraception, tests, prescriptions, dispenses);
    History sorts by date keeping that order on ties, so the same kind order is kept here."""
    rank = {"Enrolled": 0, "Counseling": 0, "Comprehension": 0, "TreatmentEnd": 0, "Contraception": 1,
            "PregnancyTest": 2, "Prescription": 3, "Dispense": 4}
    return sorted(events, key=lambda e: rank.get(type(e).__name__, 5))
