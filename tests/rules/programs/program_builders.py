"""Small builders shared by the program-engine tests."""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.programs.facts import (
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
)

D = dt.date
CAN = Patient(birth_date=D(2004, 3, 1), can_get_pregnant=True)
CANNOT = Patient(birth_date=D(1999, 7, 15), can_get_pregnant=False)
TWO_METHODS = ("iud_copper", "male_condom")
CASE_01_TEST = D(2026, 10, 5)
CASE_01_START = D(2026, 9, 1)
YEAR_START = D(2026, 1, 5)


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def first_fill_events(test: dt.date = CASE_01_TEST, *, setting: str = "clinic",
                      start: dt.date = CASE_01_START, rx_id: str = "rx-1") -> list[Event]:
    """A complete first fill for a patient who can get pregnant (the public case 01, by default)."""
    return [
        Enrolled(start), Counseling(start), PregnancyTest(start, setting, "negative"),
        Contraception(start, TWO_METHODS),
        PregnancyTest(test, setting, "negative"), Counseling(test), Contraception(test, TWO_METHODS),
        Comprehension(test, True), Prescription(rx_id, test, 30, 40.0),
    ]


def twelve_month_history(start: dt.date = YEAR_START) -> tuple[History, dt.date]:
    """Twelve monthly fills (lab tests), the last one not yet dispensed; returns the history and the
    last prescription's date."""
    events: list[Event] = [Enrolled(start), Counseling(start), PregnancyTest(start, "lab", "negative"),
                           Contraception(start, TWO_METHODS)]
    day = start + days(34)
    last = day
    for k in range(12):
        events += [PregnancyTest(day, "lab", "negative"), Counseling(day), Contraception(day, TWO_METHODS),
                   Comprehension(day, True), Prescription(f"rx-{k}", day, 30, 40.0)]
        if k < 11:
            events.append(Dispense(f"rx-{k}", day + days(1), 30))
        last = day
        day += days(30)
    return History(events), last
