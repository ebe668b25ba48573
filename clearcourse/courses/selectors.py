"""Reads of patients and courses, always filtered by what the user may see.

One helper per object type fetches and authorizes in one step and answers "not found" for anything
outside the user's scope (DESIGN.md conventions 1-2), so that an outsider cannot even learn that a
record exists.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_read
from clearcourse.core.errors import NotFoundError
from clearcourse.courses import state
from clearcourse.courses.models import Course, DosePlan, Patient, Prescription, prescription_reference
from clearcourse.rules import course_dose


def patients_visible_to(user: User) -> QuerySet[Patient]:
    """Prescribers see their clinic's patients; delegates those of the prescribers they act for;
    a patient only themself; pharmacists and administrators no patient list at all."""
    if not user.is_authenticated or not user.is_active:
        return Patient.objects.none()
    # Staff always have a clinic (a database constraint); "or 0" only satisfies the type checker.
    if user.role == Role.PRESCRIBER:
        return Patient.objects.filter(clinic_id=user.clinic_id or 0)
    if user.role == Role.DELEGATE:
        return Patient.objects.filter(clinic_id=user.clinic_id or 0, prescriber__in=user.acts_for.all())
    if user.role == Role.PATIENT:
        return Patient.objects.filter(user=user)
    return Patient.objects.none()


def courses_visible_to(user: User) -> QuerySet[Course]:
    return Course.objects.filter(patient__in=patients_visible_to(user))


def patient_search(*, user: User, query: str = "") -> QuerySet[Patient]:
    qs = patients_visible_to(user).select_related("prescriber")
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(family_name__icontains=query) | Q(given_name__icontains=query) | Q(record_number__iexact=query)
        )
    return qs


def patient_get_for_user(*, user: User, patient_id: int, audit: str | None = "patient.view") -> Patient:
    """Fetch one patient the user may see, or raise NotFoundError. A read of the record is audited
    unless ``audit`` is None (for lookups that are part of a write that audits itself)."""
    patient = patients_visible_to(user).select_related("clinic", "prescriber").filter(pk=patient_id).first()
    if patient is None:
        raise NotFoundError()
    if audit:
        audit_read(actor=user, patient_id=patient.pk, action=audit, obj=patient)
    return patient


def course_get_for_user(*, user: User, course_id: int, audit: str | None = "course.view") -> Course:
    course = (courses_visible_to(user).select_related("patient", "clinic", "prescriber")
              .filter(pk=course_id).first())
    if course is None:
        raise NotFoundError()
    if audit:
        audit_read(actor=user, patient_id=course.patient_id, action=audit, obj=course)
    return course


# --- dose summary ------------------------------------------------------------------------------

#: The rules core's answer (``rules.course_dose``): what every page draws.
CourseDoseSummary = course_dose.CourseDose


def current_dose_plan(course: Course, *, as_of: dt.date) -> DosePlan | None:
    """The plan in force on ``as_of``: the latest current plan already started, else the next one."""
    plans = list(DosePlan.objects.current().filter(course=course).order_by("starts_on", "id"))
    started = [p for p in plans if p.starts_on <= as_of]
    if started:
        return started[-1]
    return plans[0] if plans else None


def course_dose_summary(course: Course, *, as_of: dt.date) -> CourseDoseSummary:
    """Cumulative dose, remaining dose, target status and projected end of a course on ``as_of``
    (``rules.course_dose`` over the facts the one loader gives, ``courses.state``)."""
    return state.course_dose_summary(course, as_of=as_of)


# --- the audit trail's words (plugged into clearcourse.audit.lookups by CoursesConfig.ready) ------------

_RX_REFERENCE = re.compile(r"^\s*RX[\s-]?(\d{1,18})(?:[\s-]?[A-Z0-9]{4})?\s*$", re.IGNORECASE | re.ASCII)


def audit_patients_named(text: str) -> list[int]:
    """Patients an administrator's search names: a record number, a prescription reference (RX-95) or a
    name ("Miller", "Jordan Miller", "Miller, Jordan"); every clinic (administrators see the whole trail)."""
    text = " ".join(text.split())
    if not text:
        return []
    match = _RX_REFERENCE.match(text)
    if match is not None:
        return list(Prescription.objects.filter(pk=int(match.group(1)))
                    .values_list("course__patient_id", flat=True))
    query = Q(record_number__iexact=text)
    words = [w for w in re.split(r"[\s,]+", text) if w]
    if words:
        by_name = Q()
        for word in words:
            by_name &= Q(given_name__iexact=word) | Q(family_name__iexact=word)
        query |= by_name
    return list(Patient.objects.filter(query).values_list("pk", flat=True)[:200])


def audit_patient_labels(ids: Iterable[int]) -> dict[int, str]:
    """"Miller, Jordan (R-0001)" per patient id."""
    return {pk: f"{family}, {given} ({number})" for pk, family, given, number in
            Patient.objects.filter(pk__in=list(ids)).values_list("pk", "family_name", "given_name", "record_number")}


def audit_prescription_labels(ids: Iterable[str]) -> dict[str, str]:
    wanted = [int(i) for i in ids if i.isdigit()]
    codes = Prescription.objects.filter(pk__in=wanted).values_list("pk", "lookup_code")
    return {str(pk): str(_("Prescription %(reference)s") % {"reference": prescription_reference(pk, code=code)})
            for pk, code in codes}

