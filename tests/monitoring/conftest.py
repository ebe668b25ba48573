"""Fixtures for monitoring tests: a course on treatment and a clinic full of patients with histories."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

D = dt.date


@pytest.fixture
def active_course(course: Any, today: dt.date) -> Any:
    """The persona ``course``, started 40 days before ``today`` (on treatment)."""
    from clearcourse.courses.models import Course

    Course.objects.filter(pk=course.pk).update(status="active", started_on=today - dt.timedelta(days=40))
    course.refresh_from_db()
    return course


@pytest.fixture
def other_course(other_prescriber: Any, make_user: Callable[..., Any], today: dt.date) -> Any:
    """A course in the other clinic (outside every persona's scope but ``other_prescriber``)."""
    from clearcourse.courses.models import Course, Patient

    patient = Patient.objects.create(clinic=other_prescriber.clinic, prescriber=other_prescriber,
                                     record_number="X-1", given_name="Lena", family_name="Berg",
                                     birth_date=D(2001, 1, 1), sex="female")
    return Course.objects.create(patient=patient, clinic=patient.clinic, prescriber=other_prescriber,
                                 program=patient.clinic.program, status="active",
                                 started_on=today - dt.timedelta(days=40))


def populate_clinic(*, clinic: Any, prescribers: list[Any], count: int, today: dt.date, history: int = 6,
                    start_index: int = 0) -> list[Any]:
    """``count`` patients, each with an active course and ``history`` months of records of every kind the
    worklist reads (labs, mood screens, dose plans, an assessment, alerts, program records, prescriptions
    and dispenses). Rows are bulk-inserted so hundreds of patients stay fast."""
    from clearcourse.accounts.models import Pharmacy
    from clearcourse.courses.models import Assessment, Course, DosePlan, Patient, Prescription
    from clearcourse.monitoring.models import Alert, AlertAcknowledgement, LabResult, MoodScreen
    from clearcourse.pharmacy.models import Dispense
    from clearcourse.ppp import models as ppp

    pharmacy = Pharmacy.objects.first() or Pharmacy.objects.create(
        name="Bulk", program="us-ipledge", registration_number="NCPDP-BULK")
    patients = Patient.objects.bulk_create([
        Patient(clinic=clinic, prescriber=prescribers[i % len(prescribers)], record_number=f"B-{start_index + i}",
                given_name=f"Pat{i}", family_name=f"Bulk{start_index + i:04d}", birth_date=D(2000, 1, 1),
                sex="female" if i % 2 else "male", email=f"p{start_index + i}@example.org")
        for i in range(count)
    ])
    start = today - dt.timedelta(days=30 * history)
    courses = Course.objects.bulk_create([
        Course(patient=p, clinic=clinic, prescriber=p.prescriber, program=clinic.program, status="active",
               started_on=start) for p in patients
    ])
    author = prescribers[0]
    labs, screens, plans, assessments, alerts = [], [], [], [], []
    enrol, risk, counsel, contra, tests, comp = [], [], [], [], [], []
    for i, course in enumerate(courses):
        assessments.append(Assessment(course=course, assessed_on=start - dt.timedelta(days=10),
                                      conditions=["obesity"] if i % 3 == 0 else [], recorded_by=author))
        plans.append(DosePlan(course=course, starts_on=start, weight_kg=60, mg_per_kg=Decimal("0.5"),
                              daily_dose_mg=30, target_mg_per_kg=120, recorded_by=author))
        plans.append(DosePlan(course=course, starts_on=start + dt.timedelta(days=30), weight_kg=60,
                              mg_per_kg=Decimal("1.0"), daily_dose_mg=60, target_mg_per_kg=120, recorded_by=author))
        enrol.append(ppp.Enrollment(course=course, program=course.program, enrolled_on=start - dt.timedelta(days=30),
                                    recorded_by=author))
        risk.append(ppp.RiskCategory(course=course, can_get_pregnant=bool(i % 2), effective_on=start - dt.timedelta(days=30),
                                     recorded_by=author))
        for month in range(history):
            day = start + dt.timedelta(days=30 * month)
            labs.append(LabResult(course=course, loinc="2571-8", analyte="triglycerides", value=Decimal(150 + month),
                                  unit="mg/dL", canonical_value=Decimal(150 + month), canonical_unit="mg/dL",
                                  collected_on=day, recorded_by=author))
            labs.append(LabResult(course=course, loinc="1742-6", analyte="alt", value=Decimal(30), unit="U/L",
                                  uln=Decimal(40), canonical_value=Decimal(30), canonical_unit="U/L",
                                  collected_on=day, recorded_by=author))
            screens.append(MoodScreen(course=course, instrument="phq9", answers=[0] * 9, score=0, band="minimal",
                                      item9_positive=False, urgent=False, completed_by="patient", screened_on=day,
                                      recorded_by=author))
            counsel.append(ppp.Counseling(course=course, counseled_on=day, counseled_by=author, recorded_by=author))
            contra.append(ppp.ContraceptionConfirmation(course=course, confirmed_on=day,
                                                        methods=["iud_copper", "male_condom"],
                                                        confirmed_by="patient", recorded_by=author))
            tests.append(ppp.PregnancyTest(course=course, collected_on=day, setting="clinic", result="negative",
                                           recorded_by=author))
            comp.append(ppp.ComprehensionAttempt(course=course, answered_on=day, program=course.program, answers={},
                                                 score=10, total=10, passed=True, recorded_by=author))
            alerts.append(Alert(course=course, kind="lab", code="alt_above_uln", severity="info", severity_rank=1,
                                message="old", advice="old", recorded_by=author))
        alerts.append(Alert(course=course, kind="mood", code="mood_self_harm", severity="urgent", severity_rank=3,
                            message="urgent", advice="review", recorded_by=author))
    LabResult.objects.bulk_create(labs)
    MoodScreen.objects.bulk_create(screens)
    DosePlan.objects.bulk_create(plans)
    Assessment.objects.bulk_create(assessments)
    created_alerts = Alert.objects.bulk_create(alerts)
    # Half of the old alerts are acknowledged (a long history of closed alerts).
    AlertAcknowledgement.objects.bulk_create([
        AlertAcknowledgement(alert=a, note="seen", recorded_by=author)
        for a in created_alerts[::2] if a.severity == "info"
    ])
    for model, rows in ((ppp.Enrollment, enrol), (ppp.RiskCategory, risk), (ppp.Counseling, counsel),
                        (ppp.ContraceptionConfirmation, contra), (ppp.PregnancyTest, tests),
                        (ppp.ComprehensionAttempt, comp)):
        model.objects.bulk_create(rows)
    prescriptions = Prescription.objects.bulk_create([
        Prescription(course=course, prescriber=course.prescriber, issued_on=start + dt.timedelta(days=30 * m),
                     product="conventional", daily_dose_mg=40, days_supply=30, recorded_by=author)
        for course in courses for m in range(history)
    ])
    Dispense.objects.bulk_create([
        Dispense(prescription=rx, pharmacy=pharmacy, dispensed_on=rx.issued_on + dt.timedelta(days=1), days_supply=30,
                 daily_dose_mg=40, recorded_by=author)
        for rx in prescriptions
    ])
    return courses


@pytest.fixture
def populate(db: Any) -> Callable[..., list[Any]]:
    """:func:`populate_clinic` as a fixture (test modules cannot import a conftest)."""
    return populate_clinic
