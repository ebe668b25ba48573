"""Hypothesis properties of the program engine, over random histories and every version."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st
from program_builders import D

from clearcourse.rules.programs import decide
from clearcourse.rules.programs.facts import (
    CONTRACEPTION_METHODS,
    Comprehension,
    Contraception,
    Counseling,
    Dispense,
    Enrolled,
    Event,
    History,
    Patient,
    PregnancyTest,
    Prescription,
    Request,
    TreatmentEnd,
)
from clearcourse.rules.programs.registry import FAMILIES, VERSIONS, resolve

START = D(2026, 6, 1)
SPAN = 150
PROGRAMS = st.sampled_from(FAMILIES + VERSIONS)
PINNED = st.sampled_from(VERSIONS)
day = st.integers(0, SPAN).map(lambda n: START + dt.timedelta(days=n))
patients = st.builds(Patient, birth_date=st.sampled_from([D(2000, 1, 1), D(2010, 1, 15)]),
                     can_get_pregnant=st.booleans())
RX_IDS = ("rx-1", "rx-2", "rx-3")

any_event: st.SearchStrategy[Event] = st.one_of(
    st.builds(Enrolled, day),
    st.builds(Counseling, day),
    st.builds(Contraception, day, st.lists(st.sampled_from(sorted(CONTRACEPTION_METHODS)), max_size=3,
                                           unique=True).map(tuple), st.booleans()),
    st.builds(PregnancyTest, day, st.sampled_from(["lab", "clinic", "home"]), st.sampled_from(["negative", "positive"]),
              st.booleans()),
    st.builds(Comprehension, day, st.booleans()),
    st.builds(TreatmentEnd, day),
)


@st.composite
def histories(draw: st.DrawFn, events: st.SearchStrategy[Event] = any_event) -> History:
    found: list[Event] = draw(st.lists(events, max_size=25))
    for rx_id in draw(st.lists(st.sampled_from(RX_IDS), unique=True, max_size=3)):
        written = draw(day)
        found.append(Prescription(rx_id, written, draw(st.sampled_from([20, 30, 60])), 40.0,
                                  second_prescriber_agreed=draw(st.booleans())))
        if draw(st.booleans()):
            found.append(Dispense(rx_id, written + dt.timedelta(days=draw(st.integers(0, 10))), 30))
    return History(found)


requests = st.builds(Request, day, st.sampled_from((*RX_IDS, "rx-9")), st.sampled_from([20, 30, 31]))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS, patients, histories(), requests)
def test_allowed_means_no_reasons_and_a_window_that_includes_the_day(program: str, patient: Patient,
                                                                     history: History, request: Request) -> None:
    decision = decide(program, patient, history, request)
    event(f"allowed: {decision.allowed}")
    assert decision.allowed is (decision.reasons == ())
    if decision.allowed:
        assert decision.valid_through is None or decision.valid_through >= request.date
    else:
        assert decision.valid_through is None
    assert len(set(decision.codes)) == len(decision.codes)  # each unmet condition is said once


@settings(max_examples=300)
@given(PROGRAMS, patients, histories(), requests, st.sampled_from(["lab", "clinic", "home"]))
def test_a_positive_latest_test_is_never_allowed(program: str, patient: Patient, history: History,
                                                 request: Request, setting: str) -> None:
    history = history.adding(PregnancyTest(request.date, setting, "positive"))
    decision = decide(program, patient, history, request)
    assert not decision.allowed
    assert "pregnancy_test_positive" in decision.codes


# Events that can only help: enrolment, counselling, passed questions, two-method contraception that every
# program accepts, and negative tests in any setting (home tests verified). No positives, no dispenses, no
# treatment ends, and the prescription is written on or after the tests it relies on.
helping_event: st.SearchStrategy[Event] = st.one_of(
    st.builds(Enrolled, day),
    st.builds(Counseling, day),
    st.builds(Contraception, day, st.just(("iud_copper", "male_condom"))),
    st.builds(Contraception, day, st.just(("implant", "combined_pill"))),
    st.builds(PregnancyTest, day, st.sampled_from(["lab", "clinic", "home"]), st.just("negative"), st.just(True)),
    st.builds(Comprehension, day, st.just(True)),
)


@st.composite
def courses(draw: st.DrawFn) -> tuple[list[Event], Request]:
    """A nearly complete first fill (often allowed), with a few random helping or harmful extras."""
    rx_day = START + dt.timedelta(days=draw(st.integers(40, 100)))
    test_day = rx_day - dt.timedelta(days=draw(st.integers(0, 3)))
    setting = draw(st.sampled_from(["lab", "clinic"]))
    events: list[Event] = [
        Enrolled(START), Counseling(START), Contraception(START, ("iud_copper", "male_condom")),
        PregnancyTest(START, setting, "negative"), PregnancyTest(test_day, setting, "negative"),
        Counseling(test_day), Contraception(test_day, ("iud_copper", "male_condom")), Comprehension(test_day, True),
        Prescription("rx-1", rx_day, 30, 40.0),
    ]
    events += draw(st.lists(st.one_of(helping_event, any_event), max_size=3))
    request = Request(rx_day + dt.timedelta(days=draw(st.integers(0, 8))), "rx-1", 30)
    return events, request


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(PINNED, patients, courses())
def test_an_authorization_holds_through_valid_through_and_not_a_day_longer(
        program: str, patient: Patient, course: tuple[list[Event], Request]) -> None:
    events, request = course
    # Only what happened by the request day: later events would change the later days' answers.
    history = History(e for e in events if e.date <= request.date)
    decision = decide(program, patient, history, request)
    event(f"allowed: {decision.allowed}")
    assume(decision.allowed and decision.valid_through is not None)
    assert decision.valid_through is not None
    last = decision.valid_through
    for offset in range((last - request.date).days + 1):
        later = Request(request.date + dt.timedelta(days=offset), request.prescription, request.days_supply)
        assert decide(program, patient, history, later).allowed
    after = Request(last + dt.timedelta(days=1), request.prescription, request.days_supply)
    assert not decide(program, patient, history, after).allowed


def _may_open_a_missed_window(program: str, event: Event, request: Request) -> bool:
    """Under the 2021 iPLEDGE rules an extra negative test whose window closed unused starts a 19-day wait:
    that is a rule, not a "missing condition", so the monotonicity properties leave such tests out."""
    version = resolve(program, request.date)
    return (version.missed_window_wait_days.value is not None and isinstance(event, PregnancyTest)
            and event.date < request.date - dt.timedelta(days=6))


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS, patients, st.lists(helping_event, min_size=1, max_size=30), st.data())
def test_adding_a_missing_condition_never_turns_an_allowed_decision_into_a_refusal(
        program: str, patient: Patient, pool: list[Event], data: st.DataObject) -> None:
    request_day = START + dt.timedelta(days=SPAN)
    rx = Prescription("rx-1", request_day - dt.timedelta(days=data.draw(st.integers(0, 3))), 30, 40.0)
    request = Request(request_day, "rx-1", 30)
    pool = [e for e in pool if not _may_open_a_missed_window(program, e, request)]
    subset = [e for e in pool if data.draw(st.booleans())]
    before = decide(program, patient, History([*subset, rx]), request)
    after = decide(program, patient, History([*pool, rx]), request)
    event(f"allowed with fewer events: {before.allowed}")
    if before.allowed:
        assert after.allowed, after.codes


@settings(max_examples=200)
@given(PROGRAMS, patients, histories(), requests)
def test_a_decision_is_a_pure_function_of_its_facts(program: str, patient: Patient, history: History,
                                                    request: Request) -> None:
    assert decide(program, patient, history, request) == decide(program, patient, History(history.events), request)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(PROGRAMS, patients, courses(), st.data())
def test_dropping_events_from_a_course_never_turns_a_refusal_into_an_allowed_fill(
        program: str, patient: Patient, course: tuple[list[Event], Request], data: st.DataObject) -> None:
    events, request = course
    helping = [e for e in events if not isinstance(e, (Prescription, Dispense, TreatmentEnd))
               and not (isinstance(e, PregnancyTest) and not e.negative)
               and not (isinstance(e, Comprehension) and not e.passed)
               and not (isinstance(e, Contraception) and set(e.methods) != {"iud_copper", "male_condom"})]
    events = [e for e in events if e in events[:9] or not _may_open_a_missed_window(program, e, request)]
    kept = [e for e in events if e not in helping or data.draw(st.booleans())]
    full = decide(program, patient, History(events), request)
    fewer = decide(program, patient, History(kept), request)
    event(f"allowed with fewer events: {fewer.allowed}")
    if fewer.allowed:
        assert full.allowed, full.codes
