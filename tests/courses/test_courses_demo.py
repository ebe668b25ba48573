"""The courses demo builder and the demo command."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from clearcourse.accounts import demo as accounts_demo
from clearcourse.accounts.models import User
from clearcourse.courses import demo, selectors
from clearcourse.courses.models import Assessment, Course, DosePlan, Patient, Prescription

pytestmark = pytest.mark.django_db


@pytest.fixture
def ctx() -> dict[str, Any]:
    ctx: dict[str, Any] = {}
    accounts_demo.build(ctx)
    demo.build(ctx)
    return ctx


def test_the_builder_makes_thirty_patients_at_every_stage(ctx: dict[str, Any]) -> None:
    assert Patient.objects.count() == 30 == len(ctx["patients"]) == len(ctx["courses"])
    assert {entry["stage"] for entry in ctx["courses"]} == set(demo.STAGES)
    assert set(ctx["courses_by_stage"]) == set(demo.STAGES)
    prescribers = {p.prescriber.username for p in ctx["patients"]}
    assert prescribers == {"dr.rivera", "dr.chen"}
    assert {p.sex for p in ctx["patients"]} >= {"female", "male", "other"}
    pregnant_capable = [e for e in ctx["courses"] if e["can_get_pregnant"]]
    assert 0 < len(pregnant_capable) < 30


def test_each_stage_has_the_records_it_implies(ctx: dict[str, Any]) -> None:
    today = ctx["today"]
    for entry in ctx["courses"]:
        course: Course = entry["course"]
        stage = entry["stage"]
        assessments = Assessment.objects.filter(course=course)
        assert assessments.count() == 1
        plans = DosePlan.objects.filter(course=course)
        if stage == "not_eligible":
            assert assessments.get().eligible is False and not plans.exists()
        elif stage == "assessed":
            assert not plans.exists() and course.status == "planned"
        elif stage == "planned":
            assert plans.exists() and course.status == "planned" and not entry["pickups"]
        elif stage.startswith("month_"):
            month = int(stage.split("_")[1])
            assert course.status == "active" and len(entry["pickups"]) == month
            assert course.started_on is not None and (today - course.started_on).days < month * 30
        elif stage == "completed":
            assert course.status == "completed" and course.ended_on is not None and len(entry["pickups"]) == 6
        elif stage == "paused":
            assert course.status == "paused"
        for rx, day in entry["pickups"]:
            assert rx.issued_on <= day <= today and rx.days_supply == 30
        # The dose summary works for every demo course.
        selectors.course_dose_summary(course, as_of=today)


def test_pickups_and_open_prescriptions_do_not_overlap(ctx: dict[str, Any]) -> None:
    picked = {rx.pk for rx, _day in ctx["pickups"]}
    open_ids = {rx.pk for rx in ctx["open_prescriptions"]}
    assert open_ids and not picked & open_ids
    assert picked | open_ids == set(Prescription.objects.values_list("pk", flat=True))
    assert [day for _rx, day in ctx["pickups"]] == sorted(day for _rx, day in ctx["pickups"])


def test_some_patients_can_sign_in(ctx: dict[str, Any]) -> None:
    assert len(ctx["patient_users"]) >= 3
    for username, user in ctx["patient_users"].items():
        assert username.startswith("patient.") and user.role == "patient"
        assert user.check_password(accounts_demo.DEMO_PASSWORD)
        assert Patient.objects.get(user=user).given_name.lower() == username.split(".", 1)[1]


def test_the_demo_command_loads_once_and_is_idempotent_with_if_empty() -> None:
    out = io.StringIO()
    call_command("demo", stdout=out)
    patients = Patient.objects.count()
    assert patients >= 30
    assert Course.objects.filter(patient__record_number__startswith="RD-").count() == 30
    counts = (User.objects.count(), patients, Prescription.objects.count())
    call_command("demo", "--if-empty", stdout=io.StringIO())
    assert (User.objects.count(), Patient.objects.count(), Prescription.objects.count()) == counts
    assert timezone.localdate() >= max(c.started_on for c in Course.objects.exclude(started_on=None))
