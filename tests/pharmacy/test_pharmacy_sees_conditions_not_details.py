"""Issue 14, finding 10: a pharmacist is told WHICH condition is unmet, not the clinical details behind it
(no contraception methods or dates, no comprehension answers or dates, no test dates or results), on the
pharmacy page, in the API answer and in the stored authorization. The clinic's program page keeps the
details. (Failed on main before reasons became data: the refusal carried the clinic's full sentences.)"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from clearcourse.courses.models import prescription_reference
from clearcourse.ppp import models as ppp

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


@pytest.fixture
def refused_prescription(ready_prescription: Any, course: Any, prescriber: Any, today: dt.date) -> Any:
    """Ready yesterday; then the contraception confirmed is inadequate and the questions were failed."""
    ppp.ContraceptionConfirmation.objects.create(course=course, confirmed_on=today - DAY,
                                                 methods=["progestin_only_pill"], confirmed_by="prescriber",
                                                 recorded_by=prescriber)
    ppp.ComprehensionAttempt.objects.create(course=course, answered_on=today - DAY, program=course.program,
                                            answers={}, score=1, total=5, passed=False, recorded_by=prescriber)
    return ready_prescription


def _clinical_details(today: dt.date) -> list[str]:
    yesterday = today - DAY
    return ["progestin_only_pill", "progestin", "Progestin", yesterday.isoformat(),
            f"{yesterday.day} {yesterday:%b} {yesterday.year}", "were not passed", "answered on"]


def test_the_pharmacy_page_names_the_conditions_without_the_details(
        login: Callable[[Any], Client], pharmacist: Any, refused_prescription: Any, today: dt.date) -> None:
    html = login(pharmacist).post("/pharmacy/", {"reference": prescription_reference(refused_prescription),
                                                 "birth_date": "2004-03-01"}).content.decode()
    assert "The contraception condition is not met." in html
    assert "The comprehension condition is not met." in html
    for detail in _clinical_details(today):
        assert detail not in html, detail


def test_the_api_and_the_stored_authorization_name_the_conditions_without_the_details(
        login: Callable[[Any], Client], pharmacist: Any, refused_prescription: Any, today: dt.date) -> None:
    from clearcourse.pharmacy.models import Authorization

    response = login(pharmacist).post("/api/v1/pharmacy/authorizations",
                                      {"reference": prescription_reference(refused_prescription),
                                       "birth_date": "2004-03-01",
                                       "days_supply": 30}, content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["allowed"] is False
    assert {r["code"] for r in body["reasons"]} == {"contraception_not_confirmed", "comprehension_missing"}
    stored = str(Authorization.objects.get(pk=body["id"]).reasons)
    for detail in _clinical_details(today):
        assert detail not in response.content.decode(), detail
        assert detail not in stored, detail


def test_the_clinic_still_sees_the_details(login: Callable[[Any], Client], prescriber: Any,
                                           refused_prescription: Any, course: Any, today: dt.date) -> None:
    html = login(prescriber).get(f"/programs/courses/{course.pk}/").content.decode()
    assert "Progestin-only pill" in html
    assert "were not passed" in html
