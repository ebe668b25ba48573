from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from clearcourse.ppp.selectors import course_decision, course_facts
from clearcourse.rules.programs import facts

pytestmark = pytest.mark.django_db
D = dt.date


def test_the_facts_match_the_records(ready_course: Any, patient: Any) -> None:
    person, history = course_facts(ready_course)
    assert person == facts.Patient(birth_date=patient.birth_date, can_get_pregnant=True)
    assert history.enrolments == (D(2026, 9, 1),)
    assert history.counselings == (D(2026, 9, 1), D(2026, 10, 5))
    assert history.contraceptions == (facts.Contraception(D(2026, 9, 1), ("iud_copper", "male_condom")),
                                      facts.Contraception(D(2026, 10, 5), ("iud_copper", "male_condom")))
    assert [t.date for t in history.tests] == [D(2026, 9, 10), D(2026, 10, 5)]
    assert history.comprehensions == (facts.Comprehension(D(2026, 10, 5), True),)
    rx = ready_course.rx
    assert dict(history.prescriptions) == {
        str(rx.pk): facts.Prescription(id=str(rx.pk), date=D(2026, 10, 5), days_supply=30, daily_dose_mg=40.0)}
    assert history.dispenses == ()


def test_a_ready_course_is_allowed(ready_course: Any) -> None:
    decision = course_decision(ready_course, prescription=ready_course.rx, request_date=D(2026, 10, 7),
                               days_supply=30)
    assert decision.allowed, decision.reasons
    assert decision.program == "us-ipledge-2026"
    assert decision.valid_through == D(2026, 10, 11)


def _fresh_course(course: Any) -> Any:
    from clearcourse.courses.models import Course

    return Course.objects.select_related("patient").get(pk=course.pk)


def test_superseded_records_are_left_out(course: Any, add: Callable[..., Any]) -> None:
    old = add("contraception", confirmed_on=D(2026, 9, 1), methods=["male_condom"])
    add("contraception", confirmed_on=D(2026, 9, 1), methods=["implant", "male_condom"], supersedes=old,
        correction_reason="implant was missed")
    wrong = add("test", collected_on=D(2026, 9, 2), setting="clinic", result="positive")
    add("test", collected_on=D(2026, 9, 2), setting="clinic", result="negative", supersedes=wrong,
        correction_reason="typo")
    _, history = course_facts(course)
    assert history.contraceptions == (facts.Contraception(D(2026, 9, 1), ("implant", "male_condom")),)
    assert [(t.date, t.result) for t in history.tests] == [(D(2026, 9, 2), "negative")]


def test_voided_prescriptions_are_left_out(course: Any, add: Callable[..., Any], prescriber: Any) -> None:
    from clearcourse.ppp.services import prescription_void

    kept = add("rx", issued_on=D(2026, 10, 1))
    gone = add("rx", issued_on=D(2026, 10, 2))
    prescription_void(actor=prescriber, prescription=gone, reason="wrong dose")
    _, history = course_facts(course)
    assert list(history.prescriptions) == [str(kept.pk)]


def test_a_dispense_of_a_corrected_prescription_counts_against_the_correction(
        ready_course: Any, add: Callable[..., Any]) -> None:
    rx = ready_course.rx
    add("dispense", prescription=rx, dispensed_on=D(2026, 10, 6))
    corrected = add("rx", issued_on=rx.issued_on, supersedes=rx, correction_reason="dose typo")
    _, history = course_facts(ready_course)
    assert list(history.prescriptions) == [str(corrected.pk)]
    assert history.dispensed_on == {str(corrected.pk): (D(2026, 10, 6),)}
    decision = course_decision(ready_course, prescription=corrected, request_date=D(2026, 10, 7), days_supply=30)
    assert "already_dispensed" in decision.codes


def test_dispenses_are_loaded_and_a_second_fill_is_refused(ready_course: Any, add: Callable[..., Any]) -> None:
    add("dispense", prescription=ready_course.rx, dispensed_on=D(2026, 10, 6))
    _, history = course_facts(ready_course)
    assert history.dispenses == (facts.Dispense(str(ready_course.rx.pk), D(2026, 10, 6), 30),)
    decision = course_decision(ready_course, prescription=ready_course.rx.pk, request_date=D(2026, 10, 7),
                               days_supply=30)
    assert "already_dispensed" in decision.codes


def test_a_home_test_counts_only_after_a_confirmed_verification(course: Any, add: Callable[..., Any]) -> None:
    test = add("test", collected_on=D(2026, 10, 5), setting="home", result="negative")
    assert course_facts(course)[1].tests[0].verified_by_prescriber is False
    rejected = add("verification", test=test, verified_on=D(2026, 10, 5), outcome="rejected", note="blurred")
    assert course_facts(course)[1].tests[0].verified_by_prescriber is False
    add("verification", test=test, verified_on=D(2026, 10, 6), outcome="confirmed", supersedes=rejected,
        correction_reason="clear photo sent")
    assert course_facts(course)[1].tests[0].verified_by_prescriber is True
    # Known on 5 Oct, the test was not yet verified.
    assert course_facts(course, as_of=D(2026, 10, 5))[1].tests[0].verified_by_prescriber is False


def test_an_unverified_positive_home_test_still_stops_dispensing(ready_course: Any,
                                                                 add: Callable[..., Any]) -> None:
    add("test", collected_on=D(2026, 10, 6), setting="home", result="positive")
    decision = course_decision(ready_course, prescription=ready_course.rx, request_date=D(2026, 10, 7),
                               days_supply=30)
    assert "pregnancy_test_positive" in decision.codes


def test_the_risk_category_in_force_on_the_day_applies(course: Any, add: Callable[..., Any]) -> None:
    assert course_facts(course)[0].can_get_pregnant is True  # none assigned yet: the safer reading
    add("risk", can_get_pregnant=True, effective_on=D(2026, 9, 1))
    add("risk", can_get_pregnant=False, effective_on=D(2026, 10, 1), reason="hysterectomy 2026-09-20")
    assert course_facts(course)[0].can_get_pregnant is False
    assert course_facts(course, as_of=D(2026, 9, 30))[0].can_get_pregnant is True


def test_as_of_leaves_out_later_records(ready_course: Any) -> None:
    _, history = course_facts(ready_course, as_of=D(2026, 9, 30))
    assert history.enrolments == (D(2026, 9, 1),)
    assert [t.date for t in history.tests] == [D(2026, 9, 10)]
    assert dict(history.prescriptions) == {}
    assert history.comprehensions == ()


def test_records_of_another_course_are_not_loaded(ready_course: Any, other_patient: Any, prescriber: Any) -> None:
    from clearcourse.courses.services import course_create

    other = course_create(actor=prescriber, patient=other_patient)
    _, history = course_facts(other)
    assert len(history) == 0


def _add_month(add: Callable[..., Any], month: int) -> None:
    day = D(2025, 1, 1) + dt.timedelta(days=30 * month)
    add("counseling", counseled_on=day)
    add("contraception", confirmed_on=day, methods=["implant", "male_condom"])
    test = add("test", collected_on=day, setting="home", result="negative")
    add("verification", test=test, verified_on=day)
    add("comprehension", answered_on=day, passed=True)
    rx = add("rx", issued_on=day)
    add("dispense", prescription=rx, dispensed_on=day)


# transaction=True: as in production, the calls commit. With client-side binding on PostgreSQL the loader
# remembers its own PREPARE only once that commits (a rolled-back PREPARE is gone), so inside a test's
# never-committed transaction it would look the statement up again on every call.
@pytest.mark.django_db(transaction=True)
def test_the_loader_runs_a_fixed_number_of_queries(ready_course: Any, add: Callable[..., Any],
                                                   django_assert_num_queries: Any) -> None:
    # On PostgreSQL the first call per session (and shape) also prepares the statement.
    course_facts(ready_course.pk)
    course_facts(ready_course.pk, as_of=D(2026, 10, 7))
    with django_assert_num_queries(1):
        _, short = course_facts(ready_course.pk)
    for month in range(12):
        _add_month(add, month)
    course = _fresh_course(ready_course)
    with django_assert_num_queries(1):
        _, long = course_facts(course)
    with django_assert_num_queries(1):
        course_facts(course, as_of=D(2026, 10, 7))
    assert len(long) == len(short) + 12 * 6
