"""The stored worklist: rows kept current by the write services, read through an index, bounded fallback."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from clearcourse.courses.models import Course
from clearcourse.monitoring import config as monitoring_config
from clearcourse.monitoring import programs_bridge, selectors, services, worklist_store
from clearcourse.monitoring.models import WorklistEntry


def live_items(course: Course, today: dt.date) -> set[tuple[str, dt.date]]:
    """What the page computed on every request before the store: the schedule and the programs app."""
    week_end = today + dt.timedelta(days=selectors.WEEK_DAYS - 1)
    course = Course.objects.select_related("patient", "clinic").get(pk=course.pk)
    effective = monitoring_config.effective_config(course.clinic_id, course.clinic.program)
    facts = selectors.load_course_facts([course])[course.pk]
    schedule = selectors.course_schedule(course, facts, effective, today)
    found = {(f"{d.check.value}:{d.occasion.value}", d.due) for d in (schedule.items if schedule else ())
             if d.due <= week_end}
    found |= {(i.code, i.due) for i in programs_bridge.program_items([course], as_of=today, until=week_end).items}
    return found


def page_items(user: Any, today: dt.date, course: Course, page: int = 1) -> set[tuple[str, dt.date]]:
    data = selectors.worklist(user=user, today=today, page=page)
    return {(i.code, i.due) for i in data.today_items + data.week_items if i.course.pk == course.pk}


def test_stored_rows_list_the_same_items_as_the_live_computation(prescriber, clinic, today, populate):
    courses = populate(clinic=clinic, prescribers=[prescriber], count=6, today=today, history=3)
    worklist_store.worklist_refresh_clinic(clinic.pk, today=today)
    for course in courses:
        expected = live_items(course, today)
        assert expected, "the populated courses have work due this week"
        assert page_items(prescriber, today, course) == expected


def test_a_lab_result_refreshes_the_row_once_the_write_commits(prescriber, active_course, today,
                                                              django_capture_on_commit_callbacks):
    worklist_store.worklist_refresh_course(active_course.pk, today=today)
    codes = {i["code"] for i in WorklistEntry.objects.get(course=active_course).items}
    assert "lipids:baseline" in codes
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.lab_result_record(actor=prescriber, course=active_course, loinc="2571-8", value=100,
                                   unit="mg/dL", collected_on=today, today=today)
    assert callbacks, "the service registers a refresh after commit"
    codes = {i["code"] for i in WorklistEntry.objects.get(course=active_course).items}
    assert "lipids:baseline" not in codes


def test_program_and_course_writes_refresh_the_row(prescriber, active_course, today,
                                                  django_capture_on_commit_callbacks):
    from clearcourse.courses import services as course_services
    from clearcourse.ppp import services as ppp_services

    with django_capture_on_commit_callbacks(execute=True):
        ppp_services.enrollment_record(actor=prescriber, course=active_course, enrolled_on=today, today=today)
    assert WorklistEntry.objects.get(course=active_course).computed_on == today
    WorklistEntry.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        course_services.course_status_change(actor=prescriber, course=active_course, status="stopped", on=today,
                                             today=today, reason="side effects")
    entry = WorklistEntry.objects.get(course=active_course)
    # A stopped course is no longer followed: nothing due.
    assert entry.items == [] and entry.next_due_on is None


def test_a_failing_refresh_never_turns_a_committed_write_into_an_error(monkeypatch, prescriber, active_course,
                                                                      today, django_capture_on_commit_callbacks):
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(worklist_store, "worklist_refresh_course", broken)
    with django_capture_on_commit_callbacks(execute=True):
        record = services.lab_result_record(actor=prescriber, course=active_course, loinc="2571-8", value=100,
                                            unit="mg/dL", collected_on=today, today=today)
    assert record.pk is not None


def test_overdue_is_worked_out_when_read_so_an_old_row_stays_right(prescriber, active_course, today):
    Course.objects.filter(pk=active_course.pk).update(started_on=today - dt.timedelta(days=1))
    earlier = today - dt.timedelta(days=3)
    worklist_store.worklist_refresh_course(active_course.pk, today=earlier)
    entry = WorklistEntry.objects.get(course=active_course)
    assert entry.computed_on == earlier
    due = {i["code"]: dt.date.fromisoformat(i["due"]) for i in entry.items}
    # Baseline checks are due before the first dose; on the day computed they were not yet overdue.
    assert all(day >= earlier for day in due.values())
    data = selectors.worklist(user=prescriber, today=today)
    flags = {i.code: i.overdue for i in data.today_items + data.week_items}
    assert flags == {code: day < today for code, day in due.items() if day <= data.week_end}
    assert any(flags.values())


def test_missing_rows_are_computed_on_the_page_at_most_a_bounded_number_per_request(login, prescriber, clinic,
                                                                                   today, populate):
    populate(clinic=clinic, prescribers=[prescriber], count=worklist_store.FALLBACK_LIMIT + 7, today=today,
             history=1)
    assert not WorklistEntry.objects.exists()
    client = login(prescriber)
    response = client.get(reverse("monitoring:worklist"))
    assert response.status_code == 200
    assert WorklistEntry.objects.count() == worklist_store.FALLBACK_LIMIT
    assert response.context["worklist"].course_count == worklist_store.FALLBACK_LIMIT + 7
    client.get(reverse("monitoring:worklist"))
    assert WorklistEntry.objects.count() == worklist_store.FALLBACK_LIMIT + 7


def test_a_row_from_an_older_version_counts_as_missing(prescriber, active_course, today):
    worklist_store.worklist_refresh_course(active_course.pk, today=today)
    WorklistEntry.objects.update(version=worklist_store.ENTRY_VERSION - 1, items=[], next_due_on=None)
    data = selectors.worklist(user=prescriber, today=today)
    assert "lipids:baseline" in {i.code for i in data.today_items}
    assert WorklistEntry.objects.get().version == worklist_store.ENTRY_VERSION


def test_the_page_is_paged_by_course_most_urgent_first_and_alerts_stay_on_every_page(login, prescriber, clinic,
                                                                                     today, populate):
    count = selectors.PAGE_COURSES + 10
    populate(clinic=clinic, prescribers=[prescriber], count=count, today=today, history=2)
    worklist_store.worklist_refresh_clinic(clinic.pk, today=today)
    first = selectors.worklist(user=prescriber, today=today, page=1)
    second = selectors.worklist(user=prescriber, today=today, page=2)
    assert first.page_count == 2 and first.due_course_count == count
    on_first = {i.course.pk for i in first.today_items + first.week_items}
    on_second = {i.course.pk for i in second.today_items + second.week_items}
    assert len(on_first) == selectors.PAGE_COURSES and len(on_second) == 10
    assert not on_first & on_second
    assert len(second.urgent_alerts) == count
    client = login(prescriber)
    response = client.get(reverse("monitoring:worklist") + "?page=2")
    assert response.status_code == 200 and response.context["worklist"].page == 2
    assert b"?page=1" in response.content
    # A page beyond the end shows the last one.
    assert selectors.worklist(user=prescriber, today=today, page=99).page == 2


def test_the_nightly_refresh_recomputes_rows_from_an_earlier_day(active_course, other_course, today):
    from django.core.management import call_command

    worklist_store.worklist_refresh_course(active_course.pk, today=today - dt.timedelta(days=1))
    call_command("refresh_worklist", "--today", today.isoformat(), "--stale-only")
    assert set(WorklistEntry.objects.values_list("course_id", "computed_on")) == {
        (active_course.pk, today), (other_course.pk, today)}
