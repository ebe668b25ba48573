"""Engine behaviour that the JSON cases cannot show: messages, sources, valid_through, conditions."""

from __future__ import annotations

from program_builders import CAN, CANNOT, TWO_METHODS, D, days, first_fill_events, twelve_month_history

from clearcourse.rules.programs import decide, evaluate_on
from clearcourse.rules.programs import messages as m
from clearcourse.rules.programs.engine import PREGNANCY_TEST
from clearcourse.rules.programs.facts import (
    Comprehension,
    Contraception,
    Counseling,
    Dispense,
    Enrolled,
    History,
    PregnancyTest,
    Prescription,
    Request,
)
from clearcourse.rules.sources import FDA_IPLEDGE_2026, SMPC_WARNINGS, US_PI_EMBRYO_FETAL


def test_it_allows_the_first_fill_until_collection_plus_six_days() -> None:
    decision = decide("us-ipledge", CAN, History(first_fill_events()), Request(D(2026, 10, 7), "rx-1", 30))
    assert decision.allowed and decision.program == "us-ipledge-2026"
    assert decision.valid_through == D(2026, 10, 11)


def test_the_window_expiry_reason_names_the_collection_date_and_last_day() -> None:
    decision = decide("us-ipledge", CAN, History(first_fill_events()), Request(D(2026, 10, 12), "rx-1", 30))
    (reason,) = decision.reasons
    assert reason.code == "pregnancy_test_window_expired"
    assert reason.message == m.PREGNANCY_TEST_WINDOW_EXPIRED.format(collected="2026-10-05", last_day="2026-10-11")
    assert reason.source is FDA_IPLEDGE_2026


def test_valid_through_is_the_first_day_any_timed_condition_lapses() -> None:
    # The latest counselling, on 2026-09-11, stays fresh through 2026-10-10 (30 days), one day before the
    # test window closes; the authorization ends with it.
    events = [e for e in first_fill_events() if not (isinstance(e, Counseling) and e.date == D(2026, 10, 5))]
    events.append(Counseling(D(2026, 9, 11)))
    decision = decide("us-ipledge", CAN, History(events), Request(D(2026, 10, 6), "rx-1", 30))
    assert decision.allowed and decision.valid_through == D(2026, 10, 10)


def test_a_positive_latest_test_is_refused_with_the_label_as_source() -> None:
    events = [*first_fill_events(), PregnancyTest(D(2026, 10, 6), "clinic", "positive")]
    decision = decide("us-ipledge", CAN, History(events), Request(D(2026, 10, 6), "rx-1", 30))
    assert not decision.allowed
    assert decision.reasons[0].code == "pregnancy_test_positive"
    assert decision.reasons[0].source is US_PI_EMBRYO_FETAL


def test_a_later_negative_test_after_a_positive_one_is_judged_on_its_own() -> None:
    # The positive result of 2026-09-02 is superseded, but the screening test before it no longer counts.
    events = [*first_fill_events(), PregnancyTest(D(2026, 9, 2), "clinic", "positive"),
              PregnancyTest(D(2026, 9, 10), "clinic", "negative")]
    decision = decide("us-ipledge", CAN, History(events), Request(D(2026, 10, 6), "rx-1", 30))
    assert decision.allowed


def test_a_progestin_only_pill_message_lists_the_methods() -> None:
    events = [*first_fill_events(), Contraception(D(2026, 10, 5), ("progestin_only_pill", "male_condom"))]
    decision = decide("us-ipledge", CAN, History(events), Request(D(2026, 10, 6), "rx-1", 30))
    assert [r.message for r in decision.reasons] == [
        m.CONTRACEPTION_INADEQUATE_US.format(methods="Progestin-only pill, Male latex condom")]


def test_the_eu_window_counts_from_the_prescription_and_cites_the_smpc() -> None:
    decision = decide("eu-ppp", CAN, History(first_fill_events()), Request(D(2026, 10, 12), "rx-1", 30))
    assert decision.codes == ("prescription_window_expired",)
    assert decision.reasons[0].source is SMPC_WARNINGS


def test_a_patient_who_cannot_get_pregnant_needs_no_test_or_contraception() -> None:
    events = [Enrolled(D(2026, 9, 1)), Counseling(D(2026, 9, 1)), Prescription("rx-1", D(2026, 9, 1), 30, 40.0)]
    decision = decide("us-ipledge", CANNOT, History(events), Request(D(2026, 9, 2), "rx-1", 30))
    # The 2026 rules set no pick-up window for this category (issue 3), so there is no last day.
    assert decision.allowed and decision.valid_through is None


def test_a_test_is_needed_after_the_previous_dispense_even_inside_its_window() -> None:
    events = [*first_fill_events(), Dispense("rx-1", D(2026, 10, 6), 30), Counseling(D(2026, 10, 8)),
              Contraception(D(2026, 10, 8), TWO_METHODS), Comprehension(D(2026, 10, 8), True),
              Prescription("rx-2", D(2026, 10, 8), 30, 40.0)]
    decision = decide("us-ipledge", CAN, History(events), Request(D(2026, 10, 8), "rx-2", 30))
    assert decision.codes == ("pregnancy_test_missing",)
    assert decision.reasons[0].message == m.PREGNANCY_TEST_MISSING.format(since="2026-10-06")


def test_an_older_accepted_test_in_the_window_still_counts_when_the_newest_is_a_home_test() -> None:
    history, last = twelve_month_history()
    history = history.adding(PregnancyTest(last + days(1), "home", "negative", verified_by_prescriber=False))
    decision = decide("us-ipledge-2026", CAN, history, Request(last + days(1), "rx-11", 30))
    assert decision.allowed and decision.valid_through == last + days(6)


def test_the_evaluation_reports_met_conditions_with_their_dates() -> None:
    ev = evaluate_on("us-ipledge", CAN, History(first_fill_events()), D(2026, 10, 7), "rx-1", 30)
    test = next(c for c in ev.conditions if c.key == PREGNANCY_TEST)
    assert (test.met, test.since, test.until) == (True, D(2026, 10, 5), D(2026, 10, 11))
    assert ev.first_fill and ev.qualifying_test is not None and ev.allowed


def test_a_twelve_month_history_is_decided() -> None:
    # Speed is measured in bench/rules.py (targets live in benchmarks, not in timed tests).
    history, last = twelve_month_history()
    request = Request(last + days(1), "rx-11", 30)
    assert decide("us-ipledge", CAN, history, request).allowed
