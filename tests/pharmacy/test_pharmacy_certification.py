"""Every authorization checks the certification of the prescription's prescriber and of the asking
pharmacy (issue 15): the service, the pages and /api/v1 give the same refusal for the same facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from clearcourse.courses.models import prescription_reference
from clearcourse.ppp.models import PharmacyTraining, ProgramCertification
from clearcourse.rules.programs import messages as m

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _lapse(*, prescriber: Any = None, pharmacy: Any = None, last_day: dt.date) -> None:
    """Correct the fixture's open-ended enrolment so that it ends on ``last_day`` (append-only: supersede)."""
    current = ProgramCertification.objects.current().get(prescriber=prescriber, pharmacy=pharmacy)
    ProgramCertification.objects.create(program=current.program, prescriber=prescriber, pharmacy=pharmacy,
                                        activated_on=current.activated_on, expires_on=last_day, supersedes=current,
                                        correction_reason="ended")


def test_a_lapsed_prescriber_is_refused_and_the_refusal_is_stored(
        ready_prescription: Any, authorize: Callable[..., Any], prescriber: Any, today: dt.date) -> None:
    _lapse(prescriber=prescriber, last_day=today - DAY)
    authorization = authorize(ready_prescription)
    assert authorization.allowed is False
    assert [r["code"] for r in authorization.reasons] == ["prescriber_not_certified"]
    assert authorization.reasons[0]["message"] == m.PRESCRIBER_NOT_CERTIFIED.format(
        on=today.isoformat(), period=f"2020-01-01 to {(today - DAY).isoformat()}")


def test_the_last_day_of_the_enrolment_still_counts(
        ready_prescription: Any, authorize: Callable[..., Any], prescriber: Any, today: dt.date) -> None:
    _lapse(prescriber=prescriber, last_day=today)
    assert authorize(ready_prescription).allowed is True


def test_a_prescriber_never_enrolled_is_refused(
        course: Any, make_ready: Callable[..., Any], make_user: Callable[..., Any], clinic: Any,
        authorize: Callable[..., Any], today: dt.date) -> None:
    newcomer = make_user("dr_new", "prescriber", clinic=clinic)
    authorization = authorize(make_ready(course, newcomer, today))
    assert [r["code"] for r in authorization.reasons] == ["prescriber_not_certified"]
    assert authorization.reasons[0]["message"] == m.PRESCRIBER_NEVER_CERTIFIED


def test_an_enrolment_in_another_program_does_not_count(
        ready_prescription: Any, authorize: Callable[..., Any], prescriber: Any, pharmacy: Any) -> None:
    current = ProgramCertification.objects.current().get(pharmacy=pharmacy)
    ProgramCertification.objects.create(program="eu-ppp", pharmacy=pharmacy, activated_on=current.activated_on,
                                        supersedes=current, correction_reason="wrong program")
    assert [r["code"] for r in authorize(ready_prescription).reasons] == ["pharmacy_not_certified"]


def test_a_us_pharmacy_without_this_years_staff_training_is_refused(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacy: Any, today: dt.date) -> None:
    training = PharmacyTraining.objects.current().get(pharmacy=pharmacy)
    PharmacyTraining.objects.create(pharmacy=pharmacy, program=pharmacy.program,
                                    trained_on=today - 365 * DAY, attested_by="x", supersedes=training,
                                    correction_reason="wrong date")
    authorization = authorize(ready_prescription)
    assert [r["code"] for r in authorization.reasons] == ["pharmacy_not_certified"]
    assert authorization.reasons[0]["message"] == m.PHARMACY_TRAINING_EXPIRED.format(
        trained=(today - 365 * DAY).isoformat(), last_day=(today - DAY).isoformat())


def test_every_unmet_condition_is_listed_with_both_participants(
        bare_prescription: Any, authorize: Callable[..., Any], prescriber: Any, pharmacy: Any,
        today: dt.date) -> None:
    _lapse(prescriber=prescriber, last_day=today - DAY)
    _lapse(pharmacy=pharmacy, last_day=today - DAY)
    codes = [r["code"] for r in authorize(bare_prescription).reasons]
    assert {"prescriber_not_certified", "pharmacy_not_certified", "not_enrolled"} <= set(codes)


def test_the_api_and_the_service_give_the_same_refusal(
        ready_prescription: Any, authorize: Callable[..., Any], login: Callable[[Any], Any], pharmacist: Any,
        pharmacy: Any, today: dt.date) -> None:
    _lapse(pharmacy=pharmacy, last_day=today - DAY)
    by_service = authorize(ready_prescription)
    response = login(pharmacist).post("/api/v1/pharmacy/authorizations", {
        "reference": prescription_reference(ready_prescription), "birth_date": "2004-03-01", "days_supply": 30},
        content_type="application/json")
    assert response.status_code == 201
    assert response.json()["allowed"] is False
    assert response.json()["reasons"] == [{k: r[k] for k in ("code", "message", "source")} for r in by_service.reasons]


def test_the_pharmacist_page_shows_the_refusal_before_asking(
        ready_prescription: Any, login: Callable[[Any], Any], pharmacist: Any, pharmacy: Any,
        today: dt.date) -> None:
    _lapse(pharmacy=pharmacy, last_day=today - DAY)
    page = login(pharmacist).post("/pharmacy/", {"reference": prescription_reference(ready_prescription),
                                                "birth_date": "2004-03-01"})
    assert page.status_code == 200
    assert "The pharmacy is not enrolled and active in the program" in page.content.decode()


def test_a_dispense_is_refused_when_the_pharmacy_lapsed_after_the_authorization(
        ready_prescription: Any, authorize: Callable[..., Any], pharmacist: Any, pharmacy: Any,
        today: dt.date, clock: Any) -> None:
    from clearcourse.core.errors import ConflictError
    from clearcourse.pharmacy import services

    authorization = authorize(ready_prescription)
    assert authorization.allowed
    _lapse(pharmacy=pharmacy, last_day=today)
    clock.move_to(today + DAY)
    with pytest.raises(ConflictError) as refused:
        services.dispense_record(actor=pharmacist, authorization_id=authorization.pk, idempotency_key="k",
                                 days_supply=30, today=today + DAY)
    assert refused.value.code == "no_longer_allowed"
