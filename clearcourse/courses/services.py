"""Writes for patients and courses: keyword-only, typed, one transaction, audited."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.courses.models import Course, Patient, Product, WeightMeasurement

ONLY_CLINIC_STAFF = "Only the clinic's prescribers and their delegates can do this."
ONLY_PRESCRIBERS = "Only a registered prescriber can do this."
RECORD_NUMBER_TAKEN = "This record number is already used in this clinic."
BIRTH_DATE_IN_FUTURE = "The date of birth cannot be in the future."
WEIGHT_OUT_OF_RANGE = "Enter a weight above 0 and at most 350 kg."
DATE_BEFORE_BIRTH = "This date is before the patient's date of birth."
DATE_IN_FUTURE = "This date is in the future."


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
) -> Patient:
    require_clinic_staff(actor)
    if prescriber.role != Role.PRESCRIBER or prescriber.clinic_id != actor.clinic_id:
        raise DomainError(_("Choose a prescriber of your clinic."), field="prescriber", code="bad_prescriber")
    if actor.role == Role.DELEGATE and not actor.acts_for.filter(pk=prescriber.pk).exists():
        raise DomainError(_("You do not act for this prescriber."), field="prescriber", code="bad_prescriber")
    if birth_date > today:
        raise DomainError(_(BIRTH_DATE_IN_FUTURE), field="birth_date", code="in_future")
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
    audit_record(actor=actor, action="patient.create", patient_id=patient.pk, obj=patient)
    return patient


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
    audit_record(actor=actor, action="course.create", patient_id=patient.pk, obj=course)
    return course


@transaction.atomic
def weight_record(*, actor: User, patient: Patient, measured_on: dt.date, weight_kg: float, today: dt.date,
                  supersedes: WeightMeasurement | None = None, correction_reason: str = "") -> WeightMeasurement:
    require_clinic_staff(actor)
    if not 0 < weight_kg <= 350:
        raise DomainError(_(WEIGHT_OUT_OF_RANGE), field="weight_kg", code="out_of_range")
    check_event_date(measured_on, patient=patient, today=today, field="measured_on")
    if supersedes is not None and not correction_reason.strip():
        raise DomainError(_("Give a reason for the correction."), field="correction_reason", code="required")
    record = WeightMeasurement.objects.create(
        patient=patient, measured_on=measured_on, weight_kg=weight_kg, recorded_by=actor,
        supersedes=supersedes, correction_reason=correction_reason,
    )
    audit_record(actor=actor, action="weight.record", patient_id=patient.pk, obj=record,
                 detail={"weight_kg": str(weight_kg), "measured_on": measured_on.isoformat()})
    return record
