from __future__ import annotations

from program_builders import CAN, CANNOT, TWO_METHODS, D, first_fill_events

from clearcourse.rules import status as st
from clearcourse.rules.programs.facts import (
    Comprehension,
    Contraception,
    Counseling,
    Dispense,
    Enrolled,
    History,
    PregnancyTest,
    Prescription,
    TreatmentEnd,
)


def test_a_ready_prescription_shows_the_window_countdown_and_a_dispense_action() -> None:
    status = st.course_status("us-ipledge", CAN, History(first_fill_events()), D(2026, 10, 9))
    assert status.phase == st.NOT_STARTED and status.prescription == "rx-1"
    assert status.decision is not None and status.decision.allowed
    assert status.window == st.Countdown(condition="pregnancy_test", opened_on=D(2026, 10, 5),
                                         closes_on=D(2026, 10, 11), days_left=2)
    assert [a.code for a in status.next_actions] == [st.DISPENSE]
    assert status.next_actions[0].by == D(2026, 10, 11)
    assert status.due == ()
    assert {i.condition for i in status.done} >= {"enrolment", "pregnancy_test", "contraception", "counseling"}


def test_the_countdown_says_zero_days_left_on_the_last_day() -> None:
    status = st.course_status("us-ipledge", CAN, History(first_fill_events()), D(2026, 10, 11))
    assert status.window is not None and status.window.days_left == 0


def test_before_any_test_it_asks_for_a_screening_test_and_dates_the_confirmation_test() -> None:
    events = [Enrolled(D(2026, 9, 1)), Counseling(D(2026, 9, 1)), Contraception(D(2026, 9, 1), TWO_METHODS)]
    status = st.course_status("us-ipledge", CAN, History(events), D(2026, 9, 1))
    codes = [a.code for a in status.next_actions]
    assert codes.index(st.SCREENING_TEST) < codes.index(st.PREGNANCY_TEST)
    confirmation = next(a for a in status.next_actions if a.code == st.PREGNANCY_TEST)
    # 30 days of contraception (to 2026-10-01) is later than the 19-day screening gap (2026-09-20).
    assert confirmation.not_before == D(2026, 10, 1)
    assert st.WRITE_PRESCRIPTION in codes and st.COMPREHENSION in codes
    assert status.decision is None and status.window is None


def test_after_a_missed_first_window_in_2021_the_next_test_waits_19_days() -> None:
    events = [Enrolled(D(2026, 1, 1)), Counseling(D(2026, 3, 1)), Contraception(D(2026, 1, 1), TWO_METHODS),
              Contraception(D(2026, 3, 1), TWO_METHODS), PregnancyTest(D(2026, 1, 1), "lab", "negative"),
              PregnancyTest(D(2026, 2, 20), "lab", "negative"), Prescription("rx-1", D(2026, 2, 20), 30, 40.0),
              Comprehension(D(2026, 3, 1), True)]
    status = st.course_status("us-ipledge", CAN, History(events), D(2026, 3, 1))
    assert status.program == "us-ipledge-2021"
    test = next(a for a in status.next_actions if a.code == st.PREGNANCY_TEST)
    assert test.not_before == D(2026, 3, 11)  # 2026-02-20 + 19 days
    assert "laboratory" in test.message


def test_in_treatment_with_nothing_open_it_plans_the_next_fill() -> None:
    events = [*first_fill_events(), Dispense("rx-1", D(2026, 10, 6), 30)]
    status = st.course_status("us-ipledge", CAN, History(events), D(2026, 10, 20))
    assert status.phase == st.IN_TREATMENT and status.prescription is None and status.decision is None
    assert status.supply_ends_on == D(2026, 11, 4) and status.next_fill_due == D(2026, 11, 5)
    codes = {a.code for a in status.next_actions}
    assert {st.PREGNANCY_TEST, st.COUNSEL, st.CONFIRM_CONTRACEPTION, st.COMPREHENSION,
            st.WRITE_PRESCRIPTION} <= codes
    assert all(a.by == D(2026, 11, 5) for a in status.next_actions)
    home = next(a for a in status.next_actions if a.code == st.PREGNANCY_TEST)
    assert "home" in home.message  # 2026 rules: home tests during treatment


def test_a_positive_test_puts_stop_and_refer_first() -> None:
    events = [*first_fill_events(), PregnancyTest(D(2026, 10, 6), "clinic", "positive")]
    status = st.course_status("us-ipledge", CAN, History(events), D(2026, 10, 6))
    assert status.next_actions[0].code == st.STOP_AND_REFER


def test_an_ended_course_is_reported_as_ended() -> None:
    events = [Enrolled(D(2026, 9, 1)), Counseling(D(2026, 9, 1)), Prescription("rx-1", D(2026, 9, 1), 30, 40.0),
              Dispense("rx-1", D(2026, 9, 2), 30), TreatmentEnd(D(2026, 10, 1))]
    status = st.course_status("us-ipledge", CANNOT, History(events), D(2026, 10, 5))
    assert status.phase == st.ENDED and status.prescription is None
    assert st.COUNSEL in {a.code for a in status.next_actions}  # a new course starts with counselling


def test_a_named_prescription_is_judged_even_when_another_is_newer() -> None:
    events = [*first_fill_events(), Prescription("rx-0", D(2026, 10, 1), 30, 40.0)]
    status = st.course_status("us-ipledge", CAN, History(events), D(2026, 10, 6), prescription_id="rx-0")
    assert status.prescription == "rx-0" and status.decision is not None and status.decision.allowed
    assert st.course_status("us-ipledge", CAN, History(events), D(2026, 10, 6)).prescription == "rx-1"


def test_a_lone_negative_test_before_the_first_fill_is_the_screening_test_not_also_the_one_in_its_window() -> None:
    """Issue 12: one negative test was shown both as "negative pregnancy test in its window" (met) and as
    "screening pregnancy test" (due). It is the screening test; the confirmation test is due later."""
    events = [Enrolled(D(2026, 9, 1)), Counseling(D(2026, 9, 1)), Contraception(D(2026, 9, 1), TWO_METHODS),
              PregnancyTest(D(2026, 10, 5), "clinic", "negative")]
    status = st.course_status("us-ipledge", CAN, History(events), D(2026, 10, 6))
    done = {i.condition: i for i in status.done}
    due = {i.condition: i for i in status.due}
    assert done["screening_test"].since == D(2026, 10, 5)
    assert "pregnancy_test" in due and "pregnancy_test" not in done and "screening_test" not in due
    assert due["pregnancy_test"].not_before == D(2026, 10, 24)  # 19 days after the screening test
    assert "2026-10-05 is the screening test" in due["pregnancy_test"].messages[0]
    assert status.window is None  # no fill possible before the confirmation test
    confirmation = next(a for a in status.next_actions if a.code == st.PREGNANCY_TEST)
    assert confirmation.not_before == due["pregnancy_test"].not_before
