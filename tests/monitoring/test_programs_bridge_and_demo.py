from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearcourse.monitoring import programs_bridge


def facts_as_data(pair: Any) -> tuple[Any, list[Any]]:
    """Every fact the loader gives, field by field (dataclass reprs name every field, so a fact one path
    leaves out, such as a prescription's ``second_prescriber_agreed`` or a home test's verification, shows)."""
    patient, history = pair
    return patient, sorted(repr(e) for e in history.events)


def test_the_loader_reads_many_courses_exactly_as_one(clinic, prescriber, today, populate):
    """The worklist reads many courses with ``course_facts_many``; the program page one with ``course_facts``:
    the same statement, and the same facts, every field of every event."""
    from clearcourse.courses.models import Prescription
    from clearcourse.ppp import models as ppp
    from clearcourse.ppp.selectors import course_facts, course_facts_many

    courses = populate(clinic=clinic, prescribers=[prescriber], count=3, today=today, history=3)
    course = courses[0]
    # Corrections, a voided prescription, a home test awaiting verification and a treatment end.
    old_test = ppp.PregnancyTest.objects.filter(course=course).first()
    ppp.PregnancyTest.objects.create(course=course, collected_on=old_test.collected_on, setting="lab",
                                     result="negative", supersedes=old_test, correction_reason="typo",
                                     recorded_by=prescriber)
    home = ppp.PregnancyTest.objects.create(course=course, collected_on=today - dt.timedelta(days=1), setting="home",
                                            result="negative", recorded_by=prescriber)
    ppp.HomeTestVerification.objects.create(test=home, verified_by=prescriber, verified_on=today,
                                            outcome="rejected", recorded_by=prescriber)
    Prescription.objects.create(course=course, prescriber=prescriber, issued_on=today, product="conventional",
                                daily_dose_mg=40, days_supply=30, voided=True, recorded_by=prescriber)
    first_rx = Prescription.objects.filter(course=course, voided=False).order_by("issued_on").first()
    Prescription.objects.create(course=course, prescriber=prescriber, issued_on=first_rx.issued_on,
                                product="conventional", daily_dose_mg=60, days_supply=30, supersedes=first_rx,
                                correction_reason="dose", recorded_by=prescriber)
    ppp.TreatmentEnd.objects.create(course=course, ended_on=today - dt.timedelta(days=2), recorded_by=prescriber)
    # A second prescriber's agreement (UK, under 18) marks the prescriptions written since.
    other = courses[1]
    ppp.SecondPrescriberAgreement.objects.create(course=other, agreed_on=today - dt.timedelta(days=60),
                                                 second_prescriber_name="Dr Second", second_prescriber_registration="GMC 1234567",
                                                 recorded_by=prescriber)
    assert any(e.second_prescriber_agreed for e in course_facts(other)[1].prescriptions.values())
    for as_of in (None, today - dt.timedelta(days=40), today):
        bulk = course_facts_many(courses, as_of=as_of)
        assert set(bulk) == {c.pk for c in courses}
        for c in courses:
            c.refresh_from_db()
            assert facts_as_data(bulk[c.pk]) == facts_as_data(course_facts(c, as_of=as_of)), (c.pk, as_of)


def test_a_course_whose_status_cannot_be_worked_out_is_counted_not_fatal(monkeypatch, active_course, today):
    from clearcourse.ppp import state

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bad data")

    monkeypatch.setattr(state, "core_status", boom)
    result = programs_bridge.program_items([active_course], as_of=today, until=today)
    assert result.failed == 1
    assert "1 course" in result.reason


@pytest.mark.django_db
def test_the_demo_builds_monitoring_records_the_worklist_shows(django_user_model):
    from io import StringIO

    from django.core.management import call_command

    from clearcourse.accounts.models import User
    from clearcourse.monitoring import selectors
    from clearcourse.monitoring.models import Alert, Reminder

    out = StringIO()
    call_command("demo", stdout=out)
    assert "monitoring:" in out.getvalue()
    rivera = User.objects.get(username="dr.rivera")
    from django.utils import timezone

    data = selectors.worklist(user=rivera, today=timezone.localdate())
    urgent_codes = {a.code for a in data.urgent_alerts}
    assert {"mood_self_harm", "possible_pseudotumor_cerebri", "tg_pancreatitis_stop"} <= urgent_codes
    assert data.today_items and data.week_items
    assert any(i.kind == "window" for i in data.today_items + data.week_items)
    assert Alert.objects.filter(acknowledgement__isnull=False).exists()
    assert Reminder.objects.exists()
