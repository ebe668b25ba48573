"""Services of the prescriber's records: every refusal writes nothing, not even an audit entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.courses import services
from clearcourse.courses.models import Assessment, Course, DosePlan, MissedDoseReport, Patient

pytestmark = pytest.mark.django_db

SEVERE_GAGS = {"forehead": 3, "right_cheek": 3, "left_cheek": 3, "nose": 2, "chin": 2, "chest_upper_back": 3}


def _counts() -> tuple[int, int, int, int]:
    return (Assessment.objects.count(), DosePlan.objects.count(), MissedDoseReport.objects.count(),
            AuditEntry.objects.count())


# --- assessments ---------------------------------------------------------------------------------


def test_an_assessment_stores_inputs_and_the_cores_decision(course: Any, prescriber: Any, today: dt.date) -> None:
    record = services.assessment_record(actor=prescriber, course=course, assessed_on=today, today=today,
                                        gags=SEVERE_GAGS, iga=4, medications=["Doxycycline 100 mg", " "],
                                        failed_therapies=["doxycycline"], conditions=["depression"])
    assert record.gags_score == 2 * 3 + 2 * 3 + 2 * 3 + 2 + 2 + 3 * 3 == 31
    assert record.gags_band == "severe"
    assert record.medications == ["Doxycycline 100 mg"]
    decision = record.decision
    assert decision["gags"]["score"] == record.gags_score
    assert [i["code"] for i in decision["indications"]] == ["severe", "treatment_failure"]
    assert all(i["sources"] and i["sources"][0]["url"] for i in decision["indications"])
    # A US clinic: the US label says to avoid tetracyclines (a warning), it does not contraindicate them.
    codes = {c["code"]: c["severity"] for c in decision["contraindications"]}
    assert codes == {"tetracycline_use": "relative", "depression": "relative"}
    assert decision["contraindication_region"] == "us"
    assert decision["indicated"] is True and decision["has_absolute_contraindication"] is False
    assert record.eligible is True
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and entry.action == "assessment.record" and entry.patient_id == course.patient_id


def test_an_eu_course_applies_the_smpc_list(course: Any, prescriber: Any, today: dt.date) -> None:
    course.program = "eu-ppp"
    course.save(update_fields=["program"])
    record = services.assessment_record(actor=prescriber, course=course, assessed_on=today, today=today, iga=4,
                                        medications=["Doxycycline 100 mg"], breastfeeding=True, allergies=["soya"])
    codes = {c["code"]: c["severity"] for c in record.decision["contraindications"]}
    assert codes == {"breastfeeding": "absolute", "tetracycline_use": "absolute", "soy_allergy": "absolute"}
    assert record.decision["contraindication_region"] == "eu_uk"
    assert record.eligible is False


def test_an_indicated_patient_without_contraindications_is_eligible(course: Any, delegate: Any,
                                                                     today: dt.date) -> None:
    record = services.assessment_record(actor=delegate, course=course, assessed_on=today, today=today, iga=2,
                                        scarring=True)
    assert record.eligible is True
    assert record.gags_score is None and record.gags_band == ""


@pytest.mark.parametrize(("kwargs", "field", "code"), [
    ({"assessed_on": dt.date(2003, 1, 1)}, "assessed_on", "before_birth"),
    ({"assessed_on": dt.date(2026, 11, 27)}, "assessed_on", "in_future"),
    ({"gags": None, "iga": None}, "iga", "required"),
    ({"iga": 5}, "iga", "out_of_range"),
    ({"gags": {**SEVERE_GAGS, "nose": 7}}, "gags_nose", "out_of_range"),
    ({"gags": {k: v for k, v in SEVERE_GAGS.items() if k != "chin"}}, "gags_chin", "out_of_range"),
    ({"failed_therapies": ["homeopathy"]}, "failed_therapies", "unknown_code"),
    ({"conditions": ["not a condition"]}, "conditions", "unknown_code"),
])
def test_it_refuses_a_bad_assessment_and_writes_nothing(course: Any, prescriber: Any, today: dt.date,
                                                        kwargs: dict[str, Any], field: str, code: str) -> None:
    before = _counts()
    args: dict[str, Any] = {"assessed_on": today, "gags": SEVERE_GAGS, **kwargs}
    with pytest.raises(DomainError) as exc:
        services.assessment_record(actor=prescriber, course=course, today=today, **args)
    assert (exc.value.field, exc.value.code) == (field, code)
    assert _counts() == before


def test_an_assessment_correction_needs_a_reason_and_supersedes(course: Any, prescriber: Any,
                                                                today: dt.date) -> None:
    old = services.assessment_record(actor=prescriber, course=course, assessed_on=today, today=today, iga=3)
    before = _counts()
    with pytest.raises(DomainError) as exc:
        services.assessment_record(actor=prescriber, course=course, assessed_on=today, today=today, iga=4,
                                   supersedes=old)
    assert exc.value.field == "correction_reason"
    assert _counts() == before
    new = services.assessment_record(actor=prescriber, course=course, assessed_on=today, today=today, iga=4,
                                     supersedes=old, correction_reason="graded the wrong photo")
    assert list(Assessment.objects.current()) == [new]
    with pytest.raises(DomainError):  # a superseded record cannot be corrected again
        services.assessment_record(actor=prescriber, course=course, assessed_on=today, today=today, iga=4,
                                   supersedes=old, correction_reason="again")


def test_outsiders_cannot_record_an_assessment(course: Any, other_prescriber: Any, pharmacist: Any,
                                               today: dt.date) -> None:
    before = _counts()
    with pytest.raises(NotFoundError):
        services.assessment_record(actor=other_prescriber, course=course, assessed_on=today, today=today, iga=4)
    with pytest.raises(PermissionDeniedError):
        services.assessment_record(actor=pharmacist, course=course, assessed_on=today, today=today, iga=4)
    assert _counts() == before


# --- dose plans ----------------------------------------------------------------------------------


def test_a_dose_plan_takes_the_nearest_whole_capsule_dose(course: Any, prescriber: Any, today: dt.date) -> None:
    plan = services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg="70",
                                     mg_per_kg="0.5", today=today)
    assert plan.daily_dose_mg == 30  # 35 mg wanted: 30 and 40 tie, and a tie goes to the lower dose
    assert plan.capsules == {"30": 1}
    assert plan.target_mg_per_kg == Decimal(120)
    assert plan.out_of_range_reason == ""
    entry = AuditEntry.objects.order_by("-id").first()
    assert entry is not None and entry.action == "dose_plan.record"


def test_a_dose_plan_sets_the_course_target(course: Any, prescriber: Any, today: dt.date) -> None:
    services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=60, mg_per_kg="1.0",
                              target_mg_per_kg=150, today=today)
    assert Course.objects.get(pk=course.pk).target_mg_per_kg == Decimal(150)


@pytest.mark.parametrize("weight", ["0", "-5", "350.1", "1000"])
def test_it_refuses_an_impossible_plan_weight_and_writes_nothing(course: Any, prescriber: Any, today: dt.date,
                                                                 weight: str) -> None:
    before = _counts()
    with pytest.raises(DomainError) as exc:
        services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=weight,
                                  mg_per_kg="0.5", today=today)
    assert exc.value.field == "weight_kg" and exc.value.code == "implausible"
    assert "2 to 350 kg" in exc.value.message
    assert _counts() == before


@pytest.mark.parametrize(("mg_per_kg", "weight"), [("0.09", 70), ("2.01", 55), ("3", 40)])
def test_a_dose_outside_the_range_needs_a_stated_reason(course: Any, prescriber: Any, today: dt.date,
                                                        mg_per_kg: str, weight: int) -> None:
    before = _counts()
    for reason in ("", "   "):
        with pytest.raises(DomainError) as exc:
            services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=weight,
                                      mg_per_kg=mg_per_kg, out_of_range_reason=reason, today=today)
        assert exc.value.field == "out_of_range_reason" and exc.value.message == services.DOSE_OUT_OF_RANGE
    for junk in ("x", "asdfasdfasdf", "x" * 501):
        with pytest.raises(DomainError) as exc:
            services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=weight,
                                      mg_per_kg=mg_per_kg, out_of_range_reason=junk, today=today,
                                      confirm_unusual=True)
        assert exc.value.field == "out_of_range_reason"
    # A stated reason: the unusual dose still asks for a confirmation, then it is saved.
    with pytest.raises(DomainError) as exc:
        services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=weight,
                                  mg_per_kg=mg_per_kg, out_of_range_reason="low-dose regimen", today=today)
    assert exc.value.code == "needs_confirmation" and exc.value.field == "mg_per_kg"
    assert _counts() == before
    plan = services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=weight,
                                     mg_per_kg=mg_per_kg, out_of_range_reason="  low-dose regimen  ",
                                     today=today, confirm_unusual=True)
    assert plan.out_of_range_reason == "low-dose regimen"


@pytest.mark.parametrize(("mg_per_kg", "weight"), [("0.1", 100), ("2.0", 60)])
def test_the_range_ends_need_no_reason(course: Any, prescriber: Any, today: dt.date, mg_per_kg: str,
                                       weight: int) -> None:
    plan = services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=weight,
                                     mg_per_kg=mg_per_kg, today=today, confirm_unusual=True)
    assert plan.out_of_range_reason == ""


def test_a_dose_whole_capsules_cannot_reach_is_refused_not_capped(course: Any, prescriber: Any,
                                                                  today: dt.date) -> None:
    """Issue 13: 3 mg/kg/day at 57 kg with a reason was saved as 120 mg (2.1 mg/kg/day) without a word."""
    before = _counts()
    with pytest.raises(DomainError) as exc:
        services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=57, mg_per_kg="3",
                                  out_of_range_reason="Very severe truncal disease", today=today,
                                  confirm_unusual=True)
    assert exc.value.field == "mg_per_kg" and exc.value.code == "not_reachable"
    assert "171 mg a day" in exc.value.message and "10 to 120 mg a day" in exc.value.message
    assert _counts() == before


@pytest.mark.parametrize("mg_per_kg", ["0", "-1"])
def test_a_zero_or_negative_dose_is_refused_even_with_a_reason(course: Any, prescriber: Any, today: dt.date,
                                                                mg_per_kg: str) -> None:
    with pytest.raises(DomainError) as exc:
        services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=70,
                                  mg_per_kg=mg_per_kg, out_of_range_reason="because", today=today)
    assert exc.value.field == "mg_per_kg"
    assert DosePlan.objects.count() == 0


def test_a_plan_cannot_start_before_birth(course: Any, prescriber: Any, today: dt.date) -> None:
    with pytest.raises(DomainError) as exc:
        services.dose_plan_record(actor=prescriber, course=course, starts_on=dt.date(2000, 1, 1), weight_kg=70,
                                  mg_per_kg="0.5", today=today)
    assert exc.value.code == "before_birth"
    assert DosePlan.objects.count() == 0


def test_only_a_prescriber_sets_a_dose_plan(course: Any, delegate: Any, today: dt.date) -> None:
    before = _counts()
    with pytest.raises(PermissionDeniedError):
        services.dose_plan_record(actor=delegate, course=course, starts_on=today, weight_kg=70, mg_per_kg="0.5",
                                  today=today)
    assert _counts() == before


def test_absorica_ld_plans_use_its_own_strengths(patient: Any, prescriber: Any, today: dt.date) -> None:
    course = services.course_create(actor=prescriber, patient=patient, product="absorica_ld")
    plan = services.dose_plan_record(actor=prescriber, course=course, starts_on=today, weight_kg=64,
                                     mg_per_kg="0.5", today=today)
    assert plan.daily_dose_mg == 32 and plan.capsules == {"32": 1}


# --- missed doses --------------------------------------------------------------------------------


def test_missed_doses_are_recorded_by_staff_or_the_patient(course: Any, delegate: Any, patient_user: Any,
                                                           today: dt.date) -> None:
    services.missed_dose_record(actor=delegate, course=course, first_day=today - dt.timedelta(days=3), days=2,
                                today=today)
    services.missed_dose_record(actor=patient_user, course=course, first_day=today, days=1, today=today)
    assert MissedDoseReport.objects.count() == 2


@pytest.mark.parametrize(("first_day", "days", "field"), [
    (dt.date(2026, 11, 20), 0, "days"),
    (dt.date(2026, 11, 20), 91, "days"),
    (dt.date(2026, 11, 25), 3, "days"),  # would end in the future
    (dt.date(2026, 11, 27), 1, "first_day"),
    (dt.date(2003, 1, 1), 1, "first_day"),
])
def test_it_refuses_impossible_missed_days(course: Any, prescriber: Any, today: dt.date, first_day: dt.date,
                                           days: int, field: str) -> None:
    before = _counts()
    with pytest.raises(DomainError) as exc:
        services.missed_dose_record(actor=prescriber, course=course, first_day=first_day, days=days, today=today)
    assert exc.value.field == field
    assert _counts() == before


def test_another_patient_cannot_report_missed_doses(course: Any, other_patient_user: Any, today: dt.date) -> None:
    with pytest.raises(PermissionDeniedError):
        services.missed_dose_record(actor=other_patient_user, course=course, first_day=today, days=1, today=today)


# --- course status -------------------------------------------------------------------------------


def test_starting_and_completing_a_course_sets_its_dates(course: Any, prescriber: Any, today: dt.date) -> None:
    start = today - dt.timedelta(days=150)
    services.course_status_change(actor=prescriber, course=course, status="active", on=start, today=today)
    services.course_status_change(actor=prescriber, course=course, status="completed", on=today, today=today)
    course.refresh_from_db()
    assert (course.status, course.started_on, course.ended_on) == ("completed", start, today)


def test_an_impossible_status_change_is_refused(course: Any, prescriber: Any, delegate: Any,
                                                today: dt.date) -> None:
    before = _counts()
    with pytest.raises(DomainError) as exc:
        services.course_status_change(actor=prescriber, course=course, status="completed", on=today, today=today)
    assert exc.value.field == "status"
    with pytest.raises(PermissionDeniedError):
        services.course_status_change(actor=delegate, course=course, status="active", on=today, today=today)
    with pytest.raises(DomainError) as exc:
        services.course_status_change(actor=prescriber, course=course, status="active",
                                      on=today + dt.timedelta(days=1), today=today)
    assert exc.value.code == "in_future"
    assert _counts() == before
    assert Course.objects.get(pk=course.pk).status == "planned"


def test_a_course_cannot_start_for_a_patient_whose_age_cannot_be_right(course: Any, prescriber: Any,
                                                                        today: dt.date) -> None:
    """Issue 13: a patient recorded as born in 1900 (before the plausibility check) cannot start a course."""
    Patient.objects.filter(pk=course.patient_id).update(birth_date=dt.date(1900, 1, 1))
    course.patient.refresh_from_db()
    with pytest.raises(DomainError) as exc:
        services.course_status_change(actor=prescriber, course=course, status="active", on=today, today=today)
    assert exc.value.code == "implausible" and exc.value.field == "on"
    assert exc.value.extra["range"]["low"] == "1" and exc.value.extra["range"]["high"] == "120"
    assert Course.objects.get(pk=course.pk).started_on is None
