"""Certification of the prescriber and the pharmacy in the core: never enrolled, the period that judges a
day, and the yearly pharmacy staff training of iPLEDGE 2026."""

from __future__ import annotations

from program_builders import CAN, D, days, first_fill_events

from clearcourse.rules.programs import decide
from clearcourse.rules.programs import messages as m
from clearcourse.rules.programs.facts import (
    NEVER_CERTIFIED,
    Certification,
    History,
    Participants,
    Request,
    certification_on,
)
from clearcourse.rules.sources import FDA_IPLEDGE_2026

ASKED = Request(D(2026, 10, 7), "rx-1", 30)
ACTIVE = Certification(D(2026, 1, 1), None)


def _decide(participants: Participants, program: str = "us-ipledge", request: Request = ASKED):
    return decide(program, CAN, History(first_fill_events()), request, participants)


def test_a_prescriber_never_enrolled_is_refused_with_its_own_sentence() -> None:
    decision = _decide(Participants(prescriber=NEVER_CERTIFIED, pharmacy=ACTIVE))
    assert not decision.allowed
    assert [(r.code, r.message) for r in decision.reasons] == [
        ("prescriber_not_certified", m.PRESCRIBER_NEVER_CERTIFIED)]


def test_a_pharmacy_never_enrolled_is_refused() -> None:
    decision = _decide(Participants(prescriber=ACTIVE, pharmacy=NEVER_CERTIFIED))
    assert decision.codes == ("pharmacy_not_certified",)
    assert decision.reasons[0].message == m.PHARMACY_NEVER_CERTIFIED


def test_under_2026_rules_a_pharmacy_without_a_training_attestation_is_refused() -> None:
    decision = _decide(Participants(prescriber=ACTIVE, pharmacy=Certification(D(2026, 1, 1), None, trainings=())))
    assert decision.codes == ("pharmacy_not_certified",)
    assert decision.reasons[0].message == m.PHARMACY_TRAINING_MISSING
    assert decision.reasons[0].source is FDA_IPLEDGE_2026


def test_a_training_attestation_covers_365_days_counting_its_own_day() -> None:
    trained = D(2025, 10, 7)
    pharmacy = Certification(D(2025, 1, 1), None, trainings=(trained,))
    last_day = trained + days(364)
    on_last = decide("us-ipledge-2026", CAN, History(first_fill_events(test=last_day - days(2))),
                     Request(last_day, "rx-1", 30), Participants(pharmacy=pharmacy))
    assert on_last.allowed, on_last.reasons
    after = decide("us-ipledge-2026", CAN, History(first_fill_events(test=last_day - days(1))),
                   Request(last_day + days(1), "rx-1", 30), Participants(pharmacy=pharmacy))
    assert after.codes == ("pharmacy_not_certified",)
    assert after.reasons[0].message == m.PHARMACY_TRAINING_EXPIRED.format(trained="2025-10-07",
                                                                         last_day=last_day.isoformat())


def test_a_training_recorded_after_the_day_asked_does_not_count() -> None:
    pharmacy = Certification(D(2026, 1, 1), None, trainings=(ASKED.date + days(1),))
    assert _decide(Participants(pharmacy=pharmacy)).codes == ("pharmacy_not_certified",)


def test_the_2021_rules_and_the_eu_programme_ask_for_no_training() -> None:
    pharmacy = Certification(D(2020, 1, 1), None, trainings=())
    assert decide("us-ipledge-2021", CAN, History(first_fill_events(setting="lab")), ASKED,
                  Participants(pharmacy=pharmacy)).allowed
    assert "pharmacy_not_certified" not in _decide(Participants(pharmacy=pharmacy), program="eu-ppp").codes


def test_unknown_trainings_are_not_checked_so_contract_cases_keep_their_meaning() -> None:
    assert _decide(Participants(prescriber=ACTIVE, pharmacy=ACTIVE)).allowed


def test_the_period_covering_the_day_judges_it_and_a_renewal_before_lapse_wins() -> None:
    old, renewal = (D(2025, 1, 1), D(2026, 1, 31)), (D(2026, 1, 15), D(2027, 1, 31))
    assert certification_on([renewal, old], D(2026, 1, 20)) == Certification(D(2026, 1, 15), D(2027, 1, 31))
    assert certification_on([old], D(2026, 2, 1)) == Certification(D(2025, 1, 1), D(2026, 1, 31))
    assert certification_on([renewal], D(2026, 1, 1)) == Certification(D(2026, 1, 15), D(2027, 1, 31))
    assert certification_on([], D(2026, 1, 1)) == NEVER_CERTIFIED
    assert certification_on([(D(2025, 1, 1), None)], D(2030, 1, 1), [D(2029, 5, 1)]).trainings == (D(2029, 5, 1),)


def test_a_lapsed_period_names_the_period_and_no_day_it_could_be_met() -> None:
    decision = _decide(Participants(prescriber=Certification(D(2025, 1, 1), D(2026, 9, 30))))
    assert decision.reasons[0].message == m.PRESCRIBER_NOT_CERTIFIED.format(
        on="2026-10-07", period="2025-01-01 to 2026-09-30")
