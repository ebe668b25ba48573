from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearcourse.monitoring import programs_bridge


def facts_as_data(pair: Any) -> tuple[Any, list[Any]]:
    patient, history = pair
    return patient, sorted(history.events, key=lambda e: (e.date, type(e).__name__, repr(e)))


def test_the_bulk_loader_agrees_with_the_programs_apps_loader(clinic, prescriber, today, populate):
    """The worklist's bulk loader must read the program records exactly as ``ppp.course_facts`` does."""
    from clearcourse.courses.models import Prescription
    from clearcourse.ppp import models as ppp
    from clearcourse.ppp.selectors import course_facts

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
    for as_of in (None, today - dt.timedelta(days=40), today):
        bulk = programs_bridge.bulk_course_facts(courses, as_of=as_of)
        for c in courses:
            c.refresh_from_db()
            assert facts_as_data(bulk[c.pk]) == facts_as_data(course_facts(c, as_of=as_of)), (c.pk, as_of)


def test_a_course_whose_status_cannot_be_worked_out_is_counted_not_fatal(monkeypatch, active_course, today):
    from clearcourse.rules import status

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bad data")

    monkeypatch.setattr(status, "course_status", boom)
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
