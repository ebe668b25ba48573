from __future__ import annotations

import datetime as dt
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
