"""The program demo builder leaves a patient in each situation, and the "ready" ones really are.

One build per test is slow (the courses builder writes 30 patients), so one test checks the whole demo.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from clearcourse.courses.models import prescription_reference
from clearcourse.ppp.models import Enrollment, RiskCategory
from clearcourse.ppp.selectors import course_decision, course_status

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 26)

EXPECTED_CODES = {
    "missing_test": "pregnancy_test_missing",
    "home_test_unverified": "home_test_not_verified",
    "window_expired": "pregnancy_test_window_expired",
    "lead_in_too_short": "contraception_lead_in_too_short",
}


def test_the_demo_has_every_situation_and_its_ready_patients_may_be_dispensed(settings: Any, tmp_path: Any) -> None:
    from clearcourse.accounts import demo as accounts_demo
    from clearcourse.courses import demo as courses_demo
    from clearcourse.ppp import demo

    settings.MEDIA_ROOT = tmp_path / "media"
    ctx: dict[str, Any] = {"today": TODAY}
    accounts_demo.build(ctx)
    courses_demo.build(ctx)
    demo.build(ctx)
    ppp = ctx["ppp"]

    # The situation patients a pharmacist can dispense to today, found by reference and birth date.
    ready = {r["situation"]: r for r in ppp["ready"]}
    assert {"ready_first_fill", "window_closes_in_2_days", "ready_cannot_get_pregnant"} <= set(ready)
    for item in ppp["ready"]:
        assert item["allowed"] and item["reference"] == prescription_reference(item['prescription'])

    # "window closes in 2 days"
    status = course_status(ppp["situations"]["window_closes_in_2_days"], on=TODAY)
    assert status.window is not None
    assert (status.window.days_left, status.window.closes_on) == (2, dt.date(2026, 11, 28))

    # Each refused situation shows its own reason.
    for situation, code in EXPECTED_CODES.items():
        rx = ppp["prescriptions"][situation]
        decision = course_decision(ppp["situations"][situation], prescription=rx, request_date=TODAY,
                                   days_supply=30)
        assert not decision.allowed and code in decision.codes, situation
    status = course_status(ppp["situations"]["not_enrolled"], on=TODAY)
    assert any("not_enrolled" in item.codes for item in status.due)

    # The courses builder's patients: open prescriptions of started courses are ready; a first
    # prescription without a month of contraception is refused; assessed patients are not enrolled.
    ready_pks = {r["prescription"].pk for r in ppp["ready"]}
    refused = {r["prescription"].pk: r["codes"] for r in ppp["refused"]}
    open_entries = [e for e in ctx["courses"] if e["open_prescription"] is not None]
    assert any(e["started_on"] is not None for e in open_entries)
    for entry in open_entries:
        pk = entry["open_prescription"].pk
        if entry["started_on"] is not None:
            assert pk in ready_pks, entry["patient"]
        elif entry["can_get_pregnant"]:
            assert "contraception_lead_in_too_short" in refused[pk]
    for entry in ctx["courses_by_stage"]["assessed"]:
        assert RiskCategory.objects.filter(course=entry["course"]).count() == 1
        assert not Enrollment.objects.filter(course=entry["course"]).exists()
