from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearcourse.rules.monitoring import (
    UK_CONFIG,
    Check,
    CheckDone,
    MonitoringConfig,
    MonitoringInputError,
    Occasion,
    RiskFactor,
    monitoring_schedule,
)

START = dt.date(2026, 9, 1)
END = dt.date(2027, 3, 1)


def day(n: int) -> dt.date:
    return START + dt.timedelta(days=n)


def done(check: Check, *days: int) -> list[CheckDone]:
    return [CheckDone(check, day(n)) for n in days]


def test_before_the_first_dose_every_baseline_is_due_on_the_start_date() -> None:
    schedule = monitoring_schedule(start=START, planned_end=END, as_of=day(-10))
    assert {(i.check, i.occasion, i.due) for i in schedule.items} == {
        (Check.LIPIDS, Occasion.BASELINE, START), (Check.LIVER, Occasion.BASELINE, START),
        (Check.MOOD, Occasion.BASELINE, START)}
    assert not schedule.due_now and not schedule.overdue


def test_a_missed_baseline_is_overdue_once_treatment_has_started() -> None:
    item = monitoring_schedule(start=START, planned_end=END, as_of=day(1)).item(Check.LIVER)
    assert item is not None and item.occasion == Occasion.BASELINE and item.overdue


def test_after_the_baseline_the_labs_are_rechecked_a_month_after_starting() -> None:
    checks = done(Check.LIPIDS, -5) + done(Check.LIVER, -5) + done(Check.MOOD, -5)
    schedule = monitoring_schedule(start=START, planned_end=END, as_of=day(10), done=checks)
    for check in (Check.LIPIDS, Check.LIVER):
        item = schedule.item(check)
        assert item is not None
        assert (item.occasion, item.due, item.due_now, item.overdue) == (Occasion.FIRST_RECHECK, day(30), False,
                                                                          False)
    mood = schedule.item(Check.MOOD)
    assert mood is not None and mood.due == day(30)


def test_a_baseline_older_than_the_configured_age_does_not_count() -> None:
    item = monitoring_schedule(start=START, as_of=day(0), done=done(Check.LIVER, -31)).item(Check.LIVER)
    assert item is not None and item.occasion == Occasion.BASELINE
    item = monitoring_schedule(start=START, as_of=day(0), done=done(Check.LIVER, -30)).item(Check.LIVER)
    assert item is not None and item.occasion == Occasion.FIRST_RECHECK


def test_the_recheck_is_due_on_its_day_and_overdue_the_day_after() -> None:
    checks = done(Check.LIVER, 0)
    on_day = monitoring_schedule(start=START, as_of=day(30), done=checks).item(Check.LIVER)
    after = monitoring_schedule(start=START, as_of=day(31), done=checks).item(Check.LIVER)
    assert on_day is not None and on_day.due_now and not on_day.overdue
    assert after is not None and after.overdue


def test_liver_tests_repeat_every_3_months_after_the_recheck_per_the_smpc() -> None:
    item = monitoring_schedule(start=START, planned_end=END, as_of=day(40),
                               done=done(Check.LIVER, 0, 30)).item(Check.LIVER)
    assert item is not None and (item.occasion, item.due) == (Occasion.PERIODIC, day(120))


def test_lipids_after_the_recheck_are_next_due_at_the_end_of_treatment() -> None:
    item = monitoring_schedule(start=START, planned_end=END, as_of=day(40),
                               done=done(Check.LIPIDS, 0, 30)).item(Check.LIPIDS)
    assert item is not None and (item.occasion, item.due) == (Occasion.END_OF_TREATMENT, END)


def test_a_clinic_may_set_a_regular_lipid_interval() -> None:
    item = monitoring_schedule(start=START, planned_end=END, as_of=day(40), done=done(Check.LIPIDS, 0, 30),
                               config=MonitoringConfig(lipid_interval_days=60)).item(Check.LIPIDS)
    assert item is not None and (item.occasion, item.due) == (Occasion.PERIODIC, day(90))


def test_higher_risk_patients_are_flagged_and_checked_monthly() -> None:
    schedule = monitoring_schedule(start=START, planned_end=END, as_of=day(40), done=done(Check.LIPIDS, 0, 30)
                                   + done(Check.LIVER, 0, 30), risk_factors=[RiskFactor.DIABETES])
    assert schedule.high_risk
    assert {n.code for n in schedule.notes} >= {"high_risk", "diabetes_glucose"}
    for check in (Check.LIPIDS, Check.LIVER):
        item = schedule.item(check)
        assert item is not None and item.due == day(60) and item.needs_clinical_signoff


def test_a_later_peak_dose_adds_a_recheck_a_month_after_it() -> None:
    item = monitoring_schedule(start=START, planned_end=END, as_of=day(40), done=done(Check.LIVER, 0, 30),
                               peak_dose_date=day(45)).item(Check.LIVER)
    assert item is not None and (item.occasion, item.due) == (Occasion.PEAK_DOSE, day(75))
    after = monitoring_schedule(start=START, planned_end=END, as_of=day(80), done=done(Check.LIVER, 0, 30, 76),
                                peak_dose_date=day(45)).item(Check.LIVER)
    assert after is not None and after.occasion == Occasion.PERIODIC


def test_nothing_but_end_of_treatment_lipids_is_due_after_the_end() -> None:
    end = day(100)
    schedule = monitoring_schedule(start=START, planned_end=end, as_of=day(200), done=done(Check.LIVER, 0, 30)
                                   + done(Check.LIPIDS, 0, 30) + done(Check.MOOD, 0, 30, 60, 90))
    assert [(i.check, i.occasion) for i in schedule.items] == [(Check.LIPIDS, Occasion.END_OF_TREATMENT)]
    finished = monitoring_schedule(start=START, planned_end=end, as_of=day(200),
                                   done=done(Check.LIVER, 0, 30) + done(Check.LIPIDS, 0, 30, 95)
                                   + done(Check.MOOD, 0, 30, 60, 90))
    assert finished.items == ()


def test_mood_is_screened_at_baseline_and_then_monthly() -> None:
    item = monitoring_schedule(start=START, planned_end=END, as_of=day(50), done=done(Check.MOOD, -3, 28)
                               ).item(Check.MOOD)
    assert item is not None and (item.occasion, item.due, item.overdue) == (Occasion.PERIODIC, day(58), False)


def test_uk_clinics_assess_sexual_function_before_and_during_treatment() -> None:
    assert monitoring_schedule(start=START, as_of=day(-1)).item(Check.SEXUAL_FUNCTION) is None
    before = monitoring_schedule(start=START, as_of=day(-1), config=UK_CONFIG).item(Check.SEXUAL_FUNCTION)
    assert before is not None and before.occasion == Occasion.BASELINE
    during = monitoring_schedule(start=START, as_of=day(10), config=UK_CONFIG,
                                 done=done(Check.SEXUAL_FUNCTION, -1)).item(Check.SEXUAL_FUNCTION)
    assert during is not None and during.due == day(30)


def test_blood_counts_are_not_scheduled_unless_the_clinic_chooses_them() -> None:
    default = monitoring_schedule(start=START, as_of=day(-1))
    assert default.item(Check.CBC) is None
    assert "cbc_not_routine" in {n.code for n in default.notes}
    chosen = monitoring_schedule(start=START, as_of=day(-1), config=MonitoringConfig(routine_cbc=True))
    item = chosen.item(Check.CBC)
    assert item is not None and item.needs_clinical_signoff


def test_checks_recorded_after_the_date_asked_about_are_ignored() -> None:
    later = monitoring_schedule(start=START, as_of=day(5), done=done(Check.LIVER, -1, 20)).item(Check.LIVER)
    assert later is not None and later.occasion == Occasion.FIRST_RECHECK


def test_impossible_course_dates_are_refused() -> None:
    with pytest.raises(MonitoringInputError) as caught:
        monitoring_schedule(start=START, planned_end=day(-1), as_of=START)
    assert caught.value.field == "planned_end"
    with pytest.raises(MonitoringInputError):
        monitoring_schedule(start=START, as_of=START, peak_dose_date=day(-1))
    with pytest.raises(MonitoringInputError):
        MonitoringConfig(liver_interval_days=0)


def test_every_item_cites_a_source() -> None:
    schedule = monitoring_schedule(start=START, planned_end=END, as_of=day(-1), config=UK_CONFIG)
    assert all(item.sources for item in schedule.items)


offsets = st.integers(min_value=-60, max_value=400)
check_days = st.lists(st.tuples(st.sampled_from([Check.LIPIDS, Check.LIVER, Check.MOOD]), offsets), max_size=8)


@st.composite
def courses(draw: st.DrawFn) -> dict[str, object]:
    length = draw(st.integers(min_value=1, max_value=365))
    return {
        "start": START,
        "planned_end": draw(st.none() | st.just(day(length))),
        "as_of": day(draw(offsets)),
        "done": [CheckDone(c, day(n)) for c, n in draw(check_days)],
        "risk_factors": draw(st.sets(st.sampled_from(list(RiskFactor)), max_size=2)),
        "peak_dose_date": draw(st.none() | st.integers(0, 120).map(day)),
    }


# No per-example deadline: on a loaded machine (CI, several suites at once) one example took 438 ms and the
# default 200 ms deadline failed the run, although the property held.
RELAXED = settings(deadline=None)


@RELAXED
@given(courses())
def test_overdue_means_the_due_date_has_passed(course: dict[str, object]) -> None:
    schedule = monitoring_schedule(**course)  # type: ignore[arg-type]
    for item in schedule.items:
        assert item.overdue == (item.due < schedule.as_of)
        assert item.due_now == (item.due <= schedule.as_of)
        end = course["planned_end"]
        if isinstance(end, dt.date) and item.occasion != Occasion.BASELINE:
            assert item.due <= end
    assert len({i.check for i in schedule.items}) == len(schedule.items)


@RELAXED
@given(courses(), st.sampled_from([Check.LIPIDS, Check.LIVER, Check.MOOD]), offsets)
def test_recording_a_check_never_brings_its_due_date_forward(course: dict[str, object], check: Check,
                                                              offset: int) -> None:
    before = monitoring_schedule(**course).item(check)  # type: ignore[arg-type]
    more = {**course, "done": [*course["done"], CheckDone(check, day(offset))]}  # type: ignore[misc]
    after = monitoring_schedule(**more).item(check)  # type: ignore[arg-type]
    if before is not None and after is not None:
        assert after.due >= before.due
