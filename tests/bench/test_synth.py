"""The synthetic population: histories valid under the programs, and a bulk writer that writes them."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clearcourse.rules import programs
from clearcourse.rules.programs.facts import History, Request
from clearcourse.synth import plan as synth
from clearcourse.synth import writer

TODAY = dt.date(2026, 11, 26)


def _before(history: History, day: dt.date, key: int) -> History:
    """What was on file when prescription ``key`` was dispensed on ``day`` (without that dispense)."""
    return History([e for e in history.events
                    if e.date <= day and not (e.type == "dispense" and e.prescription == str(key))])


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**9), family=st.sampled_from(synth.FAMILIES),
       stage=st.sampled_from([s for s, _share in synth.STAGE_SHARES]), fills=st.integers(0, 11),
       can=st.booleans(), refusal=st.sampled_from(["", "missing_test", "window_expired"]))
def test_every_planned_fill_was_allowed_on_its_day_and_the_open_prescription_is_judged_as_planned(
        seed: int, family: str, stage: str, fills: int, can: bool, refusal: str) -> None:
    plan = synth.plan_course(random.Random(seed), family=family, today=TODAY, stage=stage, fills=fills,
                             can_get_pregnant=can, refusal=refusal)
    patient, history = synth.plan_facts(plan)
    for key, day in plan.dispenses:
        decision = programs.decide(family, patient, _before(history, day, key),
                                   Request(date=day, prescription=str(key), days_supply=synth.DAYS_SUPPLY))
        assert decision.allowed, (day, decision.codes)
    if plan.open_prescription is not None:
        decision = programs.decide(family, patient, history, Request(
            date=TODAY, prescription=str(plan.open_prescription), days_supply=synth.DAYS_SUPPLY))
        assert decision.allowed is plan.expect_allowed, decision.codes
    else:
        assert plan.expect_allowed is None


def test_the_default_shares_give_every_stage_both_risk_categories_and_mostly_allowed_requests() -> None:
    rng = random.Random(5)
    plans = [synth.plan_course(rng, family=synth.FAMILIES[i % 3], today=TODAY) for i in range(1500)]
    assert {p.stage for p in plans} == {s for s, _share in synth.STAGE_SHARES}
    assert {p.can_get_pregnant for p in plans} == {True, False}
    assert max(p.months for p in plans) >= 10
    expected = [p.expect_allowed for p in plans if p.expect_allowed is not None]
    assert 0.85 < sum(expected) / len(expected) < 0.99


def test_clinic_sizes_put_the_big_clinic_first_and_share_the_rest() -> None:
    assert writer.clinic_sizes(100, 3, 60) == [60, 20, 20]
    assert writer.clinic_sizes(10, 3, None) == [4, 3, 3]
    assert writer.clinic_sizes(10, 1, 5000) == [10]
    assert sum(writer.clinic_sizes(100_000, 20, 5000)) == 100_000


@pytest.mark.django_db(transaction=True)
def test_synth_writes_a_population_the_loader_judges_as_planned_and_keeps_the_audit_chain_valid() -> None:
    from clearcourse.audit.models import AuditEntry
    from clearcourse.audit.selectors import verify_trail
    from clearcourse.courses.models import Course, Patient, Prescription
    from clearcourse.pharmacy.models import Dispense
    from clearcourse.ppp.selectors import course_decision

    result = writer.generate(patients=40, clinics=2, pharmacies=3, seed=11, today=TODAY, big_clinic=25, chunk=15)
    assert Patient.objects.count() == 40
    assert Patient.objects.filter(clinic_id=result.clinic_ids[0]).count() == 25
    assert result.counts["Dispense"] == Dispense.objects.count() > 0
    judged: list[Any] = []
    for rx in (Prescription.objects.filter(dispenses__isnull=True, course__status__in=["planned", "active"])
               .select_related("course__patient")):
        judged.append(course_decision(rx.course, prescription=rx, request_date=TODAY, days_supply=30).allowed)
    assert sum(judged) == result.open_allowed_expected
    assert len(judged) - sum(judged) == result.open_refused_expected
    assert Course.objects.filter(status="completed").exists()
    # One summarising entry for the whole synthetic history, and the chain still verifies.
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["synth.generate"]
    problem, count, _last = verify_trail()
    assert problem is None and count == 1


@pytest.mark.django_db(transaction=True)
def test_synth_command_prints_a_json_summary() -> None:
    import json
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("synth", "--patients", "6", "--clinics", "1", "--pharmacies", "1", "--today", "2026-11-26",
                 stdout=out, stderr=StringIO())
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    assert summary["patients"] == 6 and summary["rows_by_model"]["Patient"] == 6
