from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from clearcourse.courses.models import prescription_reference
from clearcourse.pharmacy import selectors, services, views
from clearcourse.pharmacy.models import Authorization, AuthorizationReversal, Dispense

pytestmark = pytest.mark.django_db

HOME = "/pharmacy/"


@pytest.fixture
def page(login: Callable[[Any], Client], pharmacist: Any) -> Client:
    return login(pharmacist)


def _lookup(client: Client, prescription: Any, birth_date: str = "2004-03-01") -> Any:
    return client.post(HOME, {"reference": prescription_reference(prescription), "birth_date": birth_date})


def _authorization(prescription: Any, pharmacist: Any, today: dt.date) -> Authorization:
    return services.authorization_request(actor=pharmacist, reference=prescription_reference(prescription),
                                          birth_date=prescription.course.patient.birth_date, days_supply=30,
                                          today=today)


def test_the_home_url_is_named_for_the_navigation() -> None:
    assert reverse("pharmacy:home") == HOME


@pytest.mark.parametrize(("persona", "status"), [
    ("pharmacist", 200), ("other_pharmacist", 200), ("prescriber", 403), ("delegate", 403),
    ("patient_user", 403), ("admin_user", 403),
])
def test_who_may_open_the_dispensing_page(request: pytest.FixtureRequest, login: Callable[[Any], Client],
                                          persona: str, status: int) -> None:
    response = login(request.getfixturevalue(persona)).get(HOME)
    assert response.status_code == status


def test_an_anonymous_visitor_is_sent_to_sign_in(client: Client) -> None:
    response = client.get(HOME)
    assert response.status_code == 302 and "/accounts/" in response["Location"]


@pytest.mark.parametrize(("persona", "status"), [
    ("pharmacist", 200), ("other_pharmacist", 404), ("prescriber", 403), ("patient_user", 403),
    ("admin_user", 403),
])
def test_who_may_see_an_authorization(request: pytest.FixtureRequest, login: Callable[[Any], Client],
                                      ready_prescription: Any, pharmacist: Any, today: dt.date, persona: str,
                                      status: int) -> None:
    authorization = _authorization(ready_prescription, pharmacist, today)
    client = login(request.getfixturevalue(persona))
    assert client.get(f"/pharmacy/authorizations/{authorization.pk}/").status_code == status
    response = client.post(f"/pharmacy/authorizations/{authorization.pk}/dispense/",
                           {"days_supply": 30, "confirm": "on", "idempotency_key": "k"})
    assert response.status_code in ({302} if status == 200 else {status})
    assert Dispense.objects.count() == (1 if status == 200 else 0)


def test_a_lookup_shows_a_refusal_listing_every_missing_condition_with_its_source(
        page: Client, bare_prescription: Any) -> None:
    response = _lookup(page, bare_prescription)
    assert response.status_code == 200
    html = response.content.decode()
    from clearcourse.rules.programs import messages as m

    # Which condition is unmet, in words a pharmacist needs (issue 14, finding 10: not the clinical details).
    for code in ("not_enrolled", "pregnancy_test_missing", "contraception_not_confirmed", "comprehension_missing"):
        assert m.PHARMACY_WORDS[code] in html
    # Words, not the reasons' codes (issue 13).
    for code in ("not_enrolled", "pregnancy_test_missing", "contraception_not_confirmed", "comprehension_missing"):
        assert code not in html
    assert "Source" in html
    assert 'action="/pharmacy/authorize/"' not in html
    assert "advice-notice" in html


def test_a_lookup_shows_only_what_dispensing_needs(page: Client, ready_prescription: Any, patient: Any) -> None:
    html = _lookup(page, ready_prescription).content.decode()
    assert "Jordan" in html and "Miller" in html
    assert patient.email not in html and patient.record_number not in html


def test_a_wrong_birth_date_is_shown_beside_the_reference_and_finds_nothing(
        page: Client, ready_prescription: Any) -> None:
    response = _lookup(page, ready_prescription, birth_date="2004-03-02")
    assert response.status_code == 400
    assert response.context["form"].errors["reference"] == [selectors.PRESCRIPTION_NOT_FOUND]
    assert "Jordan" not in response.content.decode()


def test_a_malformed_birth_date_is_a_field_error(page: Client, ready_prescription: Any) -> None:
    response = _lookup(page, ready_prescription, birth_date="31.02.2004")
    assert response.status_code == 400 and "birth_date" in response.context["form"].errors


def test_a_pharmacist_authorizes_and_dispenses_once(page: Client, ready_prescription: Any,
                                                    today: dt.date) -> None:
    html = _lookup(page, ready_prescription).content.decode()
    assert 'action="/pharmacy/authorize/"' in html
    response = page.post("/pharmacy/authorize/", {"reference": prescription_reference(ready_prescription),
                                                  "birth_date": "2004-03-01", "days_supply": 30})
    assert response.status_code == 302
    authorization = Authorization.objects.get()
    assert authorization.allowed and response["Location"] == f"/pharmacy/authorizations/{authorization.pk}/"
    detail = page.get(response["Location"])
    assert detail.status_code == 200 and "advice-notice" in detail.content.decode()
    key = detail.context["dispense_form"].initial["idempotency_key"]

    # Without the confirmation nothing is recorded.
    unconfirmed = page.post(f"/pharmacy/authorizations/{authorization.pk}/dispense/",
                            {"days_supply": 30, "idempotency_key": key})
    assert unconfirmed.status_code == 400 and "confirm" in unconfirmed.context["dispense_form"].errors
    assert Dispense.objects.count() == 0

    done = page.post(f"/pharmacy/authorizations/{authorization.pk}/dispense/",
                     {"days_supply": 30, "confirm": "on", "idempotency_key": key}, follow=True)
    assert done.status_code == 200 and views.DISPENSED in done.content.decode()
    assert Dispense.objects.count() == 1
    # The same form submitted again (a double click) records nothing more.
    again = page.post(f"/pharmacy/authorizations/{authorization.pk}/dispense/",
                      {"days_supply": 30, "confirm": "on", "idempotency_key": key}, follow=True)
    assert views.ALREADY_RECORDED in again.content.decode()
    assert Dispense.objects.count() == 1
    assert not again.context["can_dispense"] and not again.context["can_reverse"]


def test_a_second_dispense_is_refused_on_the_page(page: Client, ready_prescription: Any, pharmacist: Any,
                                                  today: dt.date) -> None:
    first, second = (_authorization(ready_prescription, pharmacist, today) for _ in range(2))
    services.dispense_record(actor=pharmacist, authorization_id=first.pk, idempotency_key="x", days_supply=30,
                             today=today)
    response = page.post(f"/pharmacy/authorizations/{second.pk}/dispense/",
                         {"days_supply": 30, "confirm": "on", "idempotency_key": "y"})
    assert response.status_code == 400
    assert any("already dispensed" in e for e in response.context["dispense_form"].non_field_errors())
    assert Dispense.objects.count() == 1


def test_a_supply_over_the_limit_is_a_field_error_and_stores_nothing(
        page: Client, course: Any, prescriber: Any, today: dt.date, make_ready: Callable[..., Any]) -> None:
    prescription = make_ready(course, prescriber, today, days_supply=35)
    response = page.post("/pharmacy/authorize/", {"reference": prescription_reference(prescription), "birth_date": "2004-03-01",
                                                  "days_supply": 35})
    assert response.status_code == 400
    assert "days_supply" in response.context["authorize_form"].errors
    assert Authorization.objects.count() == 0


def test_a_pharmacist_reverses_an_unused_authorization(page: Client, ready_prescription: Any, pharmacist: Any,
                                                       today: dt.date) -> None:
    authorization = _authorization(ready_prescription, pharmacist, today)
    response = page.post(f"/pharmacy/authorizations/{authorization.pk}/reverse/",
                         {"reason": "not picked up", "confirm_reversal": "on"}, follow=True)
    assert response.status_code == 200 and views.REVERSED in response.content.decode()
    assert AuthorizationReversal.objects.get().reason == "not picked up"
    assert response.context["status"] == "reversed" and not response.context["can_dispense"]


@pytest.mark.parametrize(("post", "field"), [
    ({"reason": "", "confirm_reversal": "on"}, "reason"),
    ({"reason": "no", "confirm_reversal": "on"}, "reason"),
    ({"reason": "x" * 501, "confirm_reversal": "on"}, "reason"),
    ({"reason": "Not picked up"}, "confirm_reversal"),
])
def test_a_reversal_needs_a_reason_and_a_confirmation(page: Client, ready_prescription: Any, pharmacist: Any,
                                                      today: dt.date, post: dict[str, str], field: str) -> None:
    authorization = _authorization(ready_prescription, pharmacist, today)
    response = page.post(f"/pharmacy/authorizations/{authorization.pk}/reverse/", post)
    assert response.status_code == 400
    assert field in response.context["reverse_form"].errors
    assert AuthorizationReversal.objects.count() == 0
    html = response.content.decode()
    assert 'name="confirm_reversal"' in html and 'class="long-text"' in html
    assert html.count('id="id_confirm_reversal"') == 1


def test_the_home_page_lists_open_authorizations_and_those_to_reverse(
        page: Client, ready_prescription: Any, pharmacist: Any, today: dt.date, clock: Any) -> None:
    authorization = _authorization(ready_prescription, pharmacist, today)
    response = page.get(HOME)
    assert [a.pk for a in response.context["worklist"].open] == [authorization.pk]
    later = authorization.valid_through + dt.timedelta(days=1)
    clock.move_to(later)
    page.force_login(pharmacist, backend="django.contrib.auth.backends.ModelBackend")  # the session expired
    response = page.get(HOME)
    assert [a.pk for a in response.context["worklist"].to_reverse] == [authorization.pk]
    assert page.get(f"/pharmacy/authorizations/{authorization.pk}/").context["status"] == "expired"
