"""The synthetic population's planner: one patient's course laid out as dated records (pure: no database).

``python -m clearcourse synth`` (``clearcourse.synth.writer``) writes what this plans. For one patient
:func:`plan_course` lays out a course's records day by day (enrolment, risk category, counselling,
contraception, pregnancy tests, comprehension, prescriptions, dispenses, treatment end, plus assessment,
dose plan, labs and mood screens for the worklist). The histories are built to be valid under every
program version in force on their dates (both iPLEDGE versions: laboratory tests, screening test 19+ days
before the confirmation test, two methods one of them primary; the EU/UK PPP: test on the prescription
day, dispense within 7 days of it), so every past dispense was allowed on its day and most open
prescriptions are allowed today. A share of open prescriptions is deliberately refused (this month's test
missing, window lapsed), as in a real pharmacy. :func:`plan_facts` turns a plan into the rules core's
``Patient``/``History``, which the rules benchmark and the tests use without a database.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from clearcourse.rules.programs import facts

DAY = dt.timedelta(days=1)
FAMILIES = ("us-ipledge", "eu-ppp", "uk-mhra")
#: Clinics take their program family in this order (the first, largest clinic is a US clinic).
CLINIC_FAMILY_CYCLE = ("us-ipledge", "eu-ppp", "us-ipledge", "uk-mhra", "us-ipledge")
US_METHODS = ("iud_copper", "male_condom")
PPP_METHODS = ("implant",)
ALT_US_METHODS = (("combined_pill", "male_condom"), ("iud_hormonal", "male_condom"), ("implant", "diaphragm"))
DAYS_SUPPLY = 30
DAILY_DOSE_MG = 40

# Stages of a course on the synthetic "today" (shares of patients; must sum to 1).
STAGE_SHARES: tuple[tuple[str, float], ...] = (
    ("planned", 0.08),  # enrolled, lead-in running, no prescription yet
    ("first_fill", 0.12),  # every pre-treatment condition met, first prescription open
    ("on_treatment", 0.62),  # 1..11 fills so far, this month's prescription open
    ("completed", 0.18),  # treatment ended, every prescription dispensed
)
#: Of the open prescriptions of patients who can get pregnant: refused on purpose (what pharmacies see).
REFUSAL_SHARES: tuple[tuple[str, float], ...] = (("missing_test", 0.07), ("window_expired", 0.05))
CAN_GET_PREGNANT_SHARE = 0.45

GIVEN_FEMALE = ("Mia", "Emma", "Hana", "Ivy", "Ava", "Rosa", "Lena", "Sofia", "Clara", "Nora", "Maya", "Ella",
                "Lea", "Zoe", "Amira", "Ines", "Julia", "Chloe", "Lucia", "Aisha")
GIVEN_MALE = ("Ben", "Omar", "Noah", "Liam", "Jonas", "Felix", "Leo", "Ethan", "Mateo", "Yusuf", "Lucas", "Elias",
              "Samuel", "Adam", "Theo", "Paul", "Kai", "Ravi", "Tom", "Max")
FAMILY = ("Miller", "Schultz", "Carter", "Alvarez", "Suzuki", "Lindgren", "Martin", "Farouk", "Okafor", "Weber",
          "Nguyen", "Rossi", "Kowalski", "Dubois", "Hansen", "Patel", "Garcia", "Novak", "Fischer", "Brown",
          "Silva", "Yilmaz", "Kim", "Murphy", "Costa", "Berg", "Lopez", "Wagner", "Ito", "Moreau")


def _pick(rng: random.Random, shares: Sequence[tuple[str, float]]) -> str:
    x = rng.random()
    for name, share in shares:
        if x < share:
            return name
        x -= share
    return shares[-1][0]


# ---------------------------------------------------------------------------------------------------
# The planner (pure: no database)
# ---------------------------------------------------------------------------------------------------


@dataclass
class CoursePlan:
    """One patient's course as dated records (local prescription keys 0, 1, ...)."""

    family: str
    can_get_pregnant: bool
    birth_date: dt.date
    sex: str
    stage: str
    status: str  # courses.CourseStatus value
    enrolled_on: dt.date
    assessed_on: dt.date
    counselings: list[dt.date] = field(default_factory=list)
    contraceptions: list[tuple[dt.date, tuple[str, ...]]] = field(default_factory=list)
    tests: list[tuple[dt.date, str, str]] = field(default_factory=list)  # (collected, setting, result)
    comprehensions: list[dt.date] = field(default_factory=list)
    prescriptions: list[dt.date] = field(default_factory=list)  # issued_on, by key
    dispenses: list[tuple[int, dt.date]] = field(default_factory=list)  # (prescription key, date)
    treatment_end: dt.date | None = None
    open_prescription: int | None = None  # key of the prescription waiting for pick-up
    expect_allowed: bool | None = None  # the planner's intent for the open prescription today
    refusal: str = ""
    started_on: dt.date | None = None
    labs: list[dt.date] = field(default_factory=list)  # lipid + liver panels
    mood_screens: list[dt.date] = field(default_factory=list)

    @property
    def months(self) -> int:
        return len(self.dispenses)


def plan_course(rng: random.Random, *, family: str, today: dt.date, stage: str | None = None,
                fills: int | None = None, can_get_pregnant: bool | None = None,
                refusal: str | None = None) -> CoursePlan:
    """Lay out one course ending on ``today`` (see the module docstring). Unset choices are drawn from
    ``rng`` with the module's shares; ``fills`` is the number of past dispenses (0-11)."""
    stage = stage or _pick(rng, STAGE_SHARES)
    can = rng.random() < CAN_GET_PREGNANT_SHARE if can_get_pregnant is None else can_get_pregnant
    if fills is None:
        fills = 0 if stage in ("planned", "first_fill") else rng.randint(1, 11)
    if stage in ("planned", "first_fill"):
        fills = 0
    if stage == "completed":
        fills = max(fills, 4)
    if refusal is None:
        refusal = _pick(rng, (*REFUSAL_SHARES, ("", 1.0))) if can and stage in ("first_fill", "on_treatment") \
            else ""
    if not can or stage not in ("first_fill", "on_treatment"):
        refusal = ""  # both refusals are about pregnancy tests, which only patients who can get pregnant need
    # UK patients are adults at their first fill (the 2023 under-18 second-prescriber agreement is not
    # a recorded field), so at least 20 today: a course reaches back up to 13 months.
    min_age = 20 if family == "uk-mhra" else 15
    age_days = rng.randint(min_age * 365 + 30, 40 * 365)
    sex = "female" if can else ("male" if rng.random() < 0.85 else "female")
    us = family == "us-ipledge"
    methods = US_METHODS if us else PPP_METHODS
    if us and rng.random() < 0.3:
        methods = rng.choice(ALT_US_METHODS)
    setting = "lab" if us or rng.random() < 0.5 else "clinic"

    # Work backwards from today: the open visit (or the last fill), then one visit every 28-32 days.
    if stage == "planned":
        enrolled = today - rng.randint(0, 25) * DAY
        visits: list[dt.date] = []
    else:
        if stage == "completed":
            last_visit = today - rng.randint(35, 120) * DAY
        elif refusal == "window_expired":
            last_visit = today - rng.randint(9, 12) * DAY
        else:
            last_visit = today - rng.randint(0, 3) * DAY
        n_visits = fills if stage == "completed" else fills + 1
        visits = [last_visit]
        for _ in range(n_visits - 1):
            visits.append(visits[-1] - rng.randint(28, 32) * DAY)
        visits.reverse()
        enrolled = visits[0] - rng.randint(35, 45) * DAY
    assessed = enrolled - rng.randint(3, 14) * DAY
    birth = today - age_days * DAY
    plan = CoursePlan(family=family, can_get_pregnant=can, birth_date=birth, sex=sex, stage=stage,
                      status="planned", enrolled_on=enrolled, assessed_on=assessed, refusal=refusal)
    plan.counselings.append(enrolled)
    plan.labs.append(assessed)
    plan.mood_screens.append(assessed)
    if can:
        plan.contraceptions.append((enrolled, methods))
        screening = enrolled + 3 * DAY
        if screening <= today:
            plan.tests.append((screening, "lab", "negative"))
    for i, visit in enumerate(visits):
        is_open = stage != "completed" and i == len(visits) - 1
        if i or visit != enrolled:  # the enrolment visit already counselled; later visits counsel again
            plan.counselings.append(visit)
        if can:
            plan.contraceptions.append((visit, methods))
            if not (is_open and refusal == "missing_test"):
                plan.tests.append((visit, setting, "negative"))
            plan.comprehensions.append(visit)
        plan.mood_screens.append(visit)
        plan.prescriptions.append(visit)
        if is_open:
            plan.open_prescription = i
        else:
            plan.dispenses.append((i, visit + rng.randint(0, 3) * DAY))
    if plan.dispenses:
        plan.started_on = plan.dispenses[0][1]
        plan.status = "active"
        plan.labs.append(plan.started_on + 30 * DAY)  # first recheck
    if stage == "completed":
        plan.treatment_end = plan.dispenses[-1][1] + (DAYS_SUPPLY - 1) * DAY
        plan.status = "completed"
    plan.labs = [d for d in plan.labs if d <= today]
    plan.expect_allowed = None if plan.open_prescription is None else not refusal
    return plan


def plan_facts(plan: CoursePlan) -> tuple[facts.Patient, facts.History]:
    """The rules core's view of a plan (prescription ids are the local keys as strings)."""
    events: list[facts.Event] = [facts.Enrolled(date=plan.enrolled_on)]
    events += [facts.Counseling(date=d) for d in plan.counselings]
    events += [facts.Contraception(date=d, methods=m) for d, m in plan.contraceptions]
    events += [facts.PregnancyTest(date=d, setting=s, result=r) for d, s, r in plan.tests]
    events += [facts.Comprehension(date=d, passed=True) for d in plan.comprehensions]
    events += [facts.Prescription(id=str(k), date=d, days_supply=DAYS_SUPPLY, daily_dose_mg=DAILY_DOSE_MG)
               for k, d in enumerate(plan.prescriptions)]
    events += [facts.Dispense(prescription=str(k), date=d, days_supply=DAYS_SUPPLY) for k, d in plan.dispenses]
    if plan.treatment_end is not None:
        events.append(facts.TreatmentEnd(date=plan.treatment_end))
    return facts.Patient(birth_date=plan.birth_date, can_get_pregnant=plan.can_get_pregnant), facts.History(events)
