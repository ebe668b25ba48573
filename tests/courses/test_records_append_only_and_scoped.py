from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.core.models import AppendOnlyError
from clearcourse.courses import selectors, services
from clearcourse.courses.models import Patient, WeightMeasurement

pytestmark = pytest.mark.django_db


def test_a_weight_record_cannot_be_updated_or_deleted(patient: Any, prescriber: Any, today: dt.date) -> None:
    record = services.weight_record(actor=prescriber, patient=patient, measured_on=today, weight_kg=70,
                                    today=today)
    record.weight_kg = 80
    with pytest.raises(AppendOnlyError):
        record.save()
    with pytest.raises(AppendOnlyError):
        record.delete()
    with pytest.raises(AppendOnlyError):
        WeightMeasurement.objects.filter(pk=record.pk).update(weight_kg=90)
    with pytest.raises(AppendOnlyError):
        WeightMeasurement.objects.all().delete()


def test_a_correction_supersedes_the_old_record_and_keeps_it(patient: Any, prescriber: Any,
                                                             today: dt.date) -> None:
    old = services.weight_record(actor=prescriber, patient=patient, measured_on=today, weight_kg=70, today=today)
    new = services.weight_record(actor=prescriber, patient=patient, measured_on=today, weight_kg=72, today=today,
                                 supersedes=old, correction_reason="scale not zeroed")
    assert list(WeightMeasurement.objects.current()) == [new]
    assert WeightMeasurement.objects.count() == 2
    assert not WeightMeasurement.objects.get(pk=old.pk).is_current


@pytest.mark.parametrize("weight", [0, -5, 350.1])
def test_it_refuses_an_impossible_weight_and_writes_nothing(patient: Any, prescriber: Any, today: dt.date,
                                                          weight: float) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        services.weight_record(actor=prescriber, patient=patient, measured_on=today, weight_kg=weight, today=today)
    assert exc.value.field == "weight_kg"
    assert WeightMeasurement.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_it_refuses_a_measurement_before_birth_or_in_the_future(patient: Any, prescriber: Any,
                                                               today: dt.date) -> None:
    with pytest.raises(DomainError) as exc:
        services.weight_record(actor=prescriber, patient=patient, measured_on=dt.date(2000, 1, 1), weight_kg=60,
                               today=today)
    assert exc.value.code == "before_birth"
    with pytest.raises(DomainError) as exc:
        services.weight_record(actor=prescriber, patient=patient, measured_on=today + dt.timedelta(days=1),
                               weight_kg=60, today=today)
    assert exc.value.code == "in_future"


def test_each_role_sees_only_its_scope(patient: Any, other_patient: Any, prescriber: Any, delegate: Any,
                                       other_prescriber: Any, pharmacist: Any, admin_user: Any,
                                       patient_user: Any) -> None:
    assert set(selectors.patients_visible_to(prescriber)) == {patient, other_patient}
    assert set(selectors.patients_visible_to(delegate)) == {patient, other_patient}
    assert list(selectors.patients_visible_to(other_prescriber)) == []
    assert list(selectors.patients_visible_to(pharmacist)) == []
    assert list(selectors.patients_visible_to(admin_user)) == []
    assert list(selectors.patients_visible_to(patient_user)) == [patient]


def test_outsiders_get_not_found_and_reads_are_audited(patient: Any, prescriber: Any,
                                                       other_prescriber: Any) -> None:
    with pytest.raises(NotFoundError):
        selectors.patient_get_for_user(user=other_prescriber, patient_id=patient.pk)
    selectors.patient_get_for_user(user=prescriber, patient_id=patient.pk)
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and entry.action == "patient.view" and entry.patient_id == patient.pk


def test_a_pharmacist_cannot_create_a_patient(pharmacist: Any, prescriber: Any, today: dt.date) -> None:
    with pytest.raises(PermissionDeniedError):
        services.patient_create(actor=pharmacist, prescriber=prescriber, record_number="X", given_name="A",
                                family_name="B", birth_date=dt.date(2000, 1, 1), sex="female", today=today)
    assert Patient.objects.count() == 0


def test_a_record_number_is_unique_within_a_clinic(prescriber: Any, patient: Any, today: dt.date) -> None:
    with pytest.raises(DomainError) as exc:
        services.patient_create(actor=prescriber, prescriber=prescriber, record_number=patient.record_number,
                                given_name="A", family_name="B", birth_date=dt.date(2000, 1, 1), sex="male",
                                today=today)
    assert exc.value.field == "record_number"
