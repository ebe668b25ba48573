from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clearcourse.monitoring import selectors, services, worklist_store
from clearcourse.rules import monitoring as rules_monitoring


def worklist_queries(client: Any, url: str) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_the_worklist_query_count_does_not_grow_with_patients_or_history(login, prescriber, make_user, clinic,
                                                                         today, populate):
    chen = make_user("dr_chen", "prescriber", clinic=clinic, registration_number="IPL-P-0002")
    client = login(prescriber)
    url = reverse("monitoring:worklist")
    populate(clinic=clinic, prescribers=[prescriber, chen], count=10, today=today, history=2)
    # The page reads stored rows; the services and the nightly job keep them current (bulk rows here).
    worklist_store.worklist_refresh_clinic(clinic.pk, today=today)
    client.get(url)  # warm caches (content types, sessions) so both counts measure the same thing
    small, response = worklist_queries(client, url)
    assert response.context["worklist"].course_count == 10
    populate(clinic=clinic, prescribers=[prescriber, chen], count=190, today=today, history=8,
                    start_index=10)
    worklist_store.worklist_refresh_clinic(clinic.pk, today=today)
    large, response = worklist_queries(client, url)
    data = response.context["worklist"]
    assert data.course_count == 200
    assert len(data.urgent_alerts) == 200
    assert not data.programs.reason
    # The same number of queries for 10 and 200 patients, 2 and 8 months of history each.
    assert small == large, (small, large)
    filtered, response = worklist_queries(client, f"{url}?prescriber={chen.pk}")
    assert filtered == large
    assert response.context["worklist"].course_count == 100


def test_due_labs_and_mood_screens_appear_today_and_this_week(prescriber, active_course, today):
    # Started 40 days ago, no checks on file: the baseline labs and mood screen are overdue.
    data = selectors.worklist(user=prescriber, today=today)
    codes = {(i.code, i.overdue) for i in data.today_items if i.course == active_course}
    assert ("lipids:baseline", True) in codes
    assert ("liver:baseline", True) in codes
    assert ("mood:baseline", True) in codes


def test_a_check_due_later_this_week_is_listed_under_this_week(prescriber, active_course, today):
    from clearcourse.courses.models import Course

    start = today - dt.timedelta(days=27)
    Course.objects.filter(pk=active_course.pk).update(started_on=start)
    active_course.refresh_from_db()
    for loinc, value, unit, uln in (("2571-8", 100, "mg/dL", None), ("1742-6", 20, "U/L", 40)):
        services.lab_result_record(actor=prescriber, course=active_course, loinc=loinc, value=value, unit=unit,
                                   uln=uln, collected_on=start, today=today)
    data = selectors.worklist(user=prescriber, today=today)
    week = {i.code: i.due for i in data.week_items if i.course == active_course}
    # The first recheck is 30 days after starting: 3 days from today.
    assert week["lipids:first_recheck"] == today + dt.timedelta(days=3)
    assert "lipids:baseline" not in {i.code for i in data.today_items}


def test_unacknowledged_alerts_come_urgent_first(prescriber, active_course, today):
    services.lab_result_record(actor=prescriber, course=active_course, loinc="1742-6", value=50, unit="U/L",
                               uln=40, collected_on=today, today=today)
    services.side_effect_report(actor=prescriber, course=active_course, symptoms={"rectal_bleeding": "mild"},
                                reported_on=today, today=today)
    data = selectors.worklist(user=prescriber, today=today)
    assert [a.severity for a in data.alerts] == ["urgent", "info"]


def test_the_filter_by_prescriber_narrows_the_list(prescriber, make_user, clinic, active_course, today):
    chen = make_user("dr_chen", "prescriber", clinic=clinic, registration_number="IPL-P-0002")
    assert selectors.worklist(user=prescriber, today=today, prescriber_id=chen.pk).course_count == 0
    assert selectors.worklist(user=prescriber, today=today, prescriber_id=prescriber.pk).course_count == 1


def test_a_delegate_sees_only_the_prescribers_they_act_for(delegate, make_user, clinic, today, populate):
    chen = make_user("dr_chen", "prescriber", clinic=clinic, registration_number="IPL-P-0002")
    populate(clinic=clinic, prescribers=[delegate.acts_for.get(), chen], count=4, today=today, history=1)
    data = selectors.worklist(user=delegate, today=today)
    assert data.course_count == 2
    assert [p.pk for p in data.prescribers] == [delegate.acts_for.get().pk]
    # Asking for a prescriber they do not act for shows their own scope, not the other's.
    assert selectors.worklist(user=delegate, today=today, prescriber_id=chen.pk).prescriber_id is None


def test_the_other_clinic_sees_none_of_it(other_prescriber, active_course, today):
    services.side_effect_report(actor=active_course.prescriber, course=active_course,
                                symptoms={"rectal_bleeding": "mild"}, reported_on=today, today=today)
    data = selectors.worklist(user=other_prescriber, today=today)
    assert data.alerts == [] and data.course_count == 0


def test_program_windows_and_monthly_questions_come_from_the_programs_app(prescriber, active_course, today):
    from clearcourse.courses.models import Prescription
    from clearcourse.ppp import models as ppp

    author = prescriber
    c = active_course
    ppp.Enrollment.objects.create(course=c, program=c.program, enrolled_on=today - dt.timedelta(days=80),
                                  recorded_by=author)
    ppp.RiskCategory.objects.create(course=c, can_get_pregnant=True, effective_on=today - dt.timedelta(days=80),
                                    recorded_by=author)
    ppp.Counseling.objects.create(course=c, counseled_on=today - dt.timedelta(days=2), counseled_by=author,
                                  recorded_by=author)
    ppp.ContraceptionConfirmation.objects.create(course=c, confirmed_on=today - dt.timedelta(days=70),
                                                 methods=["iud_copper", "male_condom"], confirmed_by="patient",
                                                 recorded_by=author)
    ppp.PregnancyTest.objects.create(course=c, collected_on=today - dt.timedelta(days=40), setting="clinic",
                                     result="negative", recorded_by=author)
    ppp.PregnancyTest.objects.create(course=c, collected_on=today - dt.timedelta(days=2), setting="clinic",
                                     result="negative", recorded_by=author)
    ppp.ComprehensionAttempt.objects.create(course=c, answered_on=today - dt.timedelta(days=2), program=c.program,
                                            answers={}, score=10, total=10, passed=True, recorded_by=author)
    Prescription.objects.create(course=c, prescriber=author, issued_on=today - dt.timedelta(days=2),
                                product="conventional", daily_dose_mg=40, days_supply=30, recorded_by=author)
    data = selectors.worklist(user=prescriber, today=today)
    assert not data.programs.reason
    windows = [i for i in data.today_items + data.week_items if i.kind == "window"]
    # The 7-day window opened by the test two days ago closes within the week.
    assert [w.due for w in windows] == [today + dt.timedelta(days=4)]


@pytest.mark.parametrize("conditions,high_risk", [(["diabetes_mellitus"], True), (["acne"], False), ([], False)])
def test_risk_factors_come_from_the_latest_assessment(conditions, high_risk):
    assert bool(rules_monitoring.risk_factors_from_conditions(conditions)) is high_risk


def test_the_monthly_visit_is_due_when_the_supply_runs_out(prescriber, pharmacy, active_course, today):
    from clearcourse.courses.models import Prescription
    from clearcourse.pharmacy.models import Dispense
    from clearcourse.ppp import models as ppp

    c = active_course
    ppp.Enrollment.objects.create(course=c, program=c.program, enrolled_on=today - dt.timedelta(days=60),
                                  recorded_by=prescriber)
    ppp.RiskCategory.objects.create(course=c, can_get_pregnant=False, effective_on=today - dt.timedelta(days=60),
                                    recorded_by=prescriber)
    ppp.Counseling.objects.create(course=c, counseled_on=today - dt.timedelta(days=60), counseled_by=prescriber,
                                  recorded_by=prescriber)
    rx = Prescription.objects.create(course=c, prescriber=prescriber, issued_on=today - dt.timedelta(days=26),
                                     product="conventional", daily_dose_mg=40, days_supply=30, recorded_by=prescriber)
    Dispense.objects.create(prescription=rx, pharmacy=pharmacy, dispensed_on=today - dt.timedelta(days=25),
                            days_supply=30, daily_dose_mg=40, recorded_by=prescriber)
    data = selectors.worklist(user=prescriber, today=today)
    visits = [i for i in data.week_items if i.code == "program:visit"]
    # 30 days from 25 days ago: the last tablet is taken in 4 days, the next fill is due the day after.
    assert [v.due for v in visits] == [today + dt.timedelta(days=5)]
