from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from clearcourse.audit.models import AuditEntry
from clearcourse.core.api import api as ninja_api
from clearcourse.courses.models import prescription_reference
from clearcourse.pharmacy import selectors
from clearcourse.pharmacy.models import Authorization, AuthorizationReversal, Dispense

pytestmark = pytest.mark.django_db

BASE = "/api/v1/pharmacy"
DAY = dt.timedelta(days=1)


@pytest.fixture
def api(login: Callable[[Any], Client], pharmacist: Any) -> Client:
    return login(pharmacist)


def _body(prescription: Any, **extra: Any) -> dict[str, Any]:
    return {"reference": prescription_reference(prescription), "birth_date": "2004-03-01", "days_supply": 30, **extra}


def _post(client: Client, path: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(f"{BASE}{path}", body, content_type="application/json", **headers)


def _authorize(client: Client, prescription: Any, **extra: Any) -> dict[str, Any]:
    response = _post(client, "/authorizations", _body(prescription, **extra))
    assert response.status_code == 201, response.json()
    return response.json()  # type: ignore[no-any-return]


def _dispense(client: Client, authorization_id: int, key: str = "key-1", days: int = 30, **extra: Any) -> Any:
    return _post(client, "/dispenses", {"authorization_id": authorization_id, "days_supply": days, **extra},
                 HTTP_IDEMPOTENCY_KEY=key)


# --- authorizations -----------------------------------------------------------------------------------


def test_an_allowed_request_answers_201_with_the_decision(api: Client, ready_prescription: Any,
                                                          today: dt.date) -> None:
    body = _authorize(api, ready_prescription, ipledge_rma="RMA-77")
    assert body["allowed"] is True and body["status"] == "open" and body["reasons"] == []
    assert body["valid_through"] == (today + 4 * DAY).isoformat()
    assert body["program"] == "us-ipledge-2026"
    assert body["ipledge_rma"] == "RMA-77"
    # Only what dispensing needs about the patient.
    assert body["patient"] == {"given_name": "Jordan", "family_name": "Miller", "birth_date": "2004-03-01"}
    assert body["prescription"]["reference"] == prescription_reference(ready_prescription)
    assert body["dispense"] is None and body["reversal"] is None


def test_a_refusal_answers_201_and_lists_every_reason_with_its_source(api: Client, bare_prescription: Any) -> None:
    body = _authorize(api, bare_prescription)
    assert body["allowed"] is False and body["status"] == "refused" and body["valid_through"] is None
    assert {"not_enrolled", "pregnancy_test_missing", "contraception_not_confirmed"} <= {
        r["code"] for r in body["reasons"]}
    assert all(set(r) == {"code", "message", "source"} and r["source"] for r in body["reasons"])


def test_a_supply_over_the_limit_answers_422_on_days_supply(api: Client, course: Any, prescriber: Any,
                                                           today: dt.date, make_ready: Callable[..., Any]) -> None:
    prescription = make_ready(course, prescriber, today, days_supply=35)
    response = _post(api, "/authorizations", _body(prescription, days_supply=35))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "days_supply_exceeds_limit" and error["field"] == "days_supply"
    assert error["message"]
    assert Authorization.objects.count() == 0


@pytest.mark.parametrize(("change", "field"), [
    ({"birth_date": "01/03/2004"}, "birth_date"),
    ({"birth_date": "2004-02-30"}, "birth_date"),
    ({"birth_date": 1078099200}, "birth_date"),
    ({"birth_date": "2004-03-01T00:00:00"}, "birth_date"),
    ({"days_supply": "30"}, "days_supply"),
    ({"days_supply": 30.0}, "days_supply"),
    ({"days_supply": 0}, "days_supply"),
    ({"days_supply": 91}, "days_supply"),
    ({"reference": 12}, "reference"),
    ({"unexpected": 1}, "unexpected"),
])
def test_malformed_input_answers_422_with_the_field_and_writes_nothing(
        api: Client, ready_prescription: Any, change: dict[str, Any], field: str) -> None:
    before = AuditEntry.objects.count()
    response = _post(api, "/authorizations", _body(ready_prescription, **change))
    assert response.status_code == 422, response.json()
    assert response.json()["error"]["field"] == field
    assert Authorization.objects.count() == 0 and AuditEntry.objects.count() == before


def test_a_missing_field_answers_422_naming_it(api: Client, ready_prescription: Any) -> None:
    body = _body(ready_prescription)
    del body["birth_date"]
    response = _post(api, "/authorizations", body)
    assert response.status_code == 422 and response.json()["error"]["field"] == "birth_date"


def test_an_unknown_patient_answers_404_on_the_reference(api: Client, ready_prescription: Any) -> None:
    for body in (_body(ready_prescription, birth_date="2004-03-02"), _body(ready_prescription, reference="RX-999999")):
        response = _post(api, "/authorizations", body)
        assert response.status_code == 404
        assert response.json()["error"] == {"code": "prescription_not_found", "field": "reference",
                                             "message": selectors.PRESCRIPTION_NOT_FOUND}
    assert Authorization.objects.count() == 0


def test_a_malformed_reference_answers_422(api: Client, ready_prescription: Any) -> None:
    response = _post(api, "/authorizations", _body(ready_prescription, reference="ABC"))
    assert response.status_code == 422 and response.json()["error"]["field"] == "reference"


def test_get_shows_own_authorizations_and_hides_another_pharmacys(
        api: Client, ready_prescription: Any, login: Callable[[Any], Client], other_pharmacist: Any) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    response = api.get(f"{BASE}/authorizations/{authorization_id}")
    assert response.status_code == 200 and response.json()["id"] == authorization_id
    outsider = login(other_pharmacist)
    response = outsider.get(f"{BASE}/authorizations/{authorization_id}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "authorization_not_found"
    assert outsider.get(f"{BASE}/authorizations/{authorization_id + 1000}").status_code == 404


# --- reverse -------------------------------------------------------------------------------------------


def test_reverse_answers_200_and_repeats_safely(api: Client, ready_prescription: Any) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    response = _post(api, f"/authorizations/{authorization_id}/reverse", {"reason": "not picked up"})
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "reversed" and body["reversal"]["reason"] == "not picked up"
    assert _post(api, f"/authorizations/{authorization_id}/reverse", {"reason": "not picked up"}).status_code == 200
    assert AuthorizationReversal.objects.count() == 1


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": "no"}])
def test_reverse_without_a_reason_answers_422_and_writes_nothing(api: Client, ready_prescription: Any,
                                                                 body: dict[str, str]) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    response = _post(api, f"/authorizations/{authorization_id}/reverse", body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "reason"
    assert AuthorizationReversal.objects.count() == 0


def test_reverse_of_a_dispensed_authorization_answers_409(api: Client, ready_prescription: Any) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    assert _dispense(api, authorization_id).status_code == 201
    response = _post(api, f"/authorizations/{authorization_id}/reverse", {"reason": "not picked up"})
    assert response.status_code == 409 and response.json()["error"]["code"] == "already_dispensed"


def test_reverse_of_another_pharmacys_authorization_answers_404(
        api: Client, ready_prescription: Any, login: Callable[[Any], Client], other_pharmacist: Any) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    response = _post(login(other_pharmacist), f"/authorizations/{authorization_id}/reverse", {"reason": "not picked up"})
    assert response.status_code == 404
    assert AuthorizationReversal.objects.count() == 0


# --- dispenses -----------------------------------------------------------------------------------------


def test_dispense_answers_201_then_200_for_a_replay(api: Client, ready_prescription: Any, today: dt.date) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    first = _dispense(api, authorization_id, key="abc")
    assert first.status_code == 201
    body = first.json()
    assert body["replayed"] is False and body["dispensed_on"] == today.isoformat()
    assert body["authorization_id"] == authorization_id and body["daily_dose_mg"] == 40
    again = _dispense(api, authorization_id, key="abc")
    assert again.status_code == 200
    assert again.json()["id"] == body["id"] and again.json()["replayed"] is True
    assert Dispense.objects.count() == 1


def test_a_replayed_key_with_other_content_answers_422_on_the_field(api: Client, ready_prescription: Any) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    assert _dispense(api, authorization_id, key="abc").status_code == 201
    response = _dispense(api, authorization_id, key="abc", days=28)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert response.json()["error"]["field"] == "days_supply"
    assert Dispense.objects.count() == 1


def test_a_second_dispense_answers_409_already_dispensed(api: Client, ready_prescription: Any) -> None:
    first, second = _authorize(api, ready_prescription)["id"], _authorize(api, ready_prescription)["id"]
    assert _dispense(api, first, key="one").status_code == 201
    response = _dispense(api, second, key="two")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_dispensed"
    assert response.json()["error"]["field"] == "authorization"


def test_the_key_may_come_in_the_body(api: Client, ready_prescription: Any) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    response = _post(api, "/dispenses", {"authorization_id": authorization_id, "days_supply": 30,
                                         "idempotency_key": "in-body"})
    assert response.status_code == 201 and response.json()["idempotency_key"] == "in-body"


def test_a_missing_or_conflicting_key_answers_422(api: Client, ready_prescription: Any) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    response = _post(api, "/dispenses", {"authorization_id": authorization_id, "days_supply": 30})
    assert response.status_code == 422 and response.json()["error"]["field"] == "idempotency_key"
    response = _post(api, "/dispenses", {"authorization_id": authorization_id, "days_supply": 30,
                                         "idempotency_key": "a"}, HTTP_IDEMPOTENCY_KEY="b")
    assert response.status_code == 422 and response.json()["error"]["field"] == "idempotency_key"
    assert Dispense.objects.count() == 0


def test_dispensing_another_pharmacys_authorization_answers_404(
        api: Client, ready_prescription: Any, login: Callable[[Any], Client], other_pharmacist: Any) -> None:
    authorization_id = _authorize(api, ready_prescription)["id"]
    response = _dispense(login(other_pharmacist), authorization_id)
    assert response.status_code == 404 and response.json()["error"]["field"] == "authorization"
    assert Dispense.objects.count() == 0


def test_dispensing_a_refusal_answers_409(api: Client, bare_prescription: Any) -> None:
    authorization_id = _authorize(api, bare_prescription)["id"]
    response = _dispense(api, authorization_id)
    assert response.status_code == 409 and response.json()["error"]["code"] == "authorization_refused"


# --- lookup ---------------------------------------------------------------------------------------------


def test_lookup_shows_the_prescription_and_only_the_patients_name_and_birth_date(
        api: Client, ready_prescription: Any) -> None:
    response = api.get(f"{BASE}/prescriptions/lookup",
                       {"reference": prescription_reference(ready_prescription), "birth_date": "2004-03-01"})
    assert response.status_code == 200
    body = response.json()
    assert set(body["patient"]) == {"given_name", "family_name", "birth_date"}
    assert body["prescription"]["days_supply"] == 30 and body["dispensed_on"] is None
    assert AuditEntry.objects.order_by("-seq").first().action == "pharmacy.prescription.lookup"  # type: ignore[union-attr]


@pytest.mark.parametrize(("params", "status", "field"), [
    ({"reference": "RX-1", "birth_date": "1.3.2004"}, 422, "birth_date"),
    ({"reference": "RX-1"}, 422, "birth_date"),
    ({"reference": "nope", "birth_date": "2004-03-01"}, 422, "reference"),
    ({"reference": "RX-999999", "birth_date": "2004-03-01"}, 404, "reference"),
])
def test_lookup_errors_name_the_field(api: Client, ready_prescription: Any, params: dict[str, str], status: int,
                                      field: str) -> None:
    response = api.get(f"{BASE}/prescriptions/lookup", params)
    assert response.status_code == status
    assert response.json()["error"]["field"] == field


# --- who may call --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), [
    (None, 401), ("prescriber", 403), ("delegate", 403), ("patient_user", 403), ("admin_user", 403),
])
def test_only_pharmacists_and_pharmacy_tokens_may_call(
        request: pytest.FixtureRequest, client: Client, login: Callable[[Any], Client], ready_prescription: Any,
        persona: str | None, status: int) -> None:
    caller = login(request.getfixturevalue(persona)) if persona else client
    response = _post(caller, "/authorizations", _body(ready_prescription))
    assert response.status_code == status
    assert "error" in response.json()
    assert caller.get(f"{BASE}/prescriptions/lookup",
                      {"reference": prescription_reference(ready_prescription), "birth_date": "2004-03-01"}).status_code == status
    assert Authorization.objects.count() == 0


def test_a_pharmacy_token_acts_for_its_pharmacy_only(client: Client, ready_prescription: Any, admin_user: Any,
                                                      pharmacy: Any, other_pharmacy: Any) -> None:
    from clearcourse.accounts.services import api_token_create

    _token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="till 1")
    _other, other_plain = api_token_create(actor=admin_user, pharmacy=other_pharmacy, name="harbor")
    response = _post(client, "/authorizations", _body(ready_prescription), HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 201
    authorization = Authorization.objects.get(pk=response.json()["id"])
    assert authorization.pharmacy_id == pharmacy.pk
    entry = AuditEntry.objects.filter(action="pharmacy.authorize").get()
    assert entry.actor_role == "pharmacist" and entry.actor_label.startswith("api-") and entry.channel == "api"
    assert client.get(f"{BASE}/authorizations/{authorization.pk}",
                      HTTP_AUTHORIZATION=f"Bearer {other_plain}").status_code == 404
    assert client.get(f"{BASE}/authorizations/{authorization.pk}",
                      HTTP_AUTHORIZATION="Bearer cc_wrong_token").status_code == 401


def test_every_endpoint_documents_its_errors(client: Client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    ours = {path: ops for path, ops in schema["paths"].items() if path.startswith(BASE)}
    assert len(ours) == 5
    for path, ops in ours.items():
        for method, op in ops.items():
            codes = set(op["responses"])
            assert {"401", "404", "422"} <= codes, (method, path, codes)
            if path.endswith(("/reverse", "/dispenses")):
                assert "409" in codes


@pytest.mark.django_db(transaction=True)
def test_a_token_request_commits_once_and_a_refused_one_is_still_counted(
        client: Client, ready_prescription: Any, admin_user: Any, pharmacy: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import connection

    from clearcourse.accounts.models import PharmacyApiToken
    from clearcourse.accounts.services import api_token_create

    token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="till 1")
    commits: list[int] = []
    real_commit = connection.commit
    monkeypatch.setattr(connection, "commit", lambda: (commits.append(1), real_commit())[1])
    response = _post(client, "/authorizations", _body(ready_prescription), HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 201
    assert len(commits) == 1  # the rate-limit count, the authorization and its audit entry together
    assert AuditEntry.objects.filter(action="pharmacy.authorize").count() == 1
    response = _post(client, "/authorizations", _body(ready_prescription, birth_date="1999-01-01"),
                     HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 404
    assert PharmacyApiToken.objects.get(pk=token.pk).request_count == 2
    assert Authorization.objects.count() == 1


def test_a_lost_database_connection_answers_503_with_retry_after(api: Client, ready_prescription: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    def down(**kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr("clearcourse.pharmacy.services.authorization_request", down)
    response = _post(api, "/authorizations", _body(ready_prescription))
    assert response.status_code == 503
    assert response["Retry-After"] == "2"
    assert response.json()["error"]["code"] == "database_unavailable"


def test_the_lookup_takes_the_birth_date_in_a_json_body(api: Client, ready_prescription: Any) -> None:
    """The POST form keeps the birth date out of URLs and logs (issue 14, finding 3); the GET form is kept
    for older clients and marked deprecated in the schema."""
    body = {"reference": prescription_reference(ready_prescription), "birth_date": "2004-03-01"}
    response = api.post(f"{BASE}/prescriptions/lookup", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["patient"]["birth_date"] == "2004-03-01"
    wrong = api.post(f"{BASE}/prescriptions/lookup", {**body, "birth_date": "2004-03-02"},
                     content_type="application/json")
    assert wrong.status_code == 404 and wrong.json()["error"]["field"] == "reference"
    assert AuditEntry.objects.filter(action="pharmacy.prescription.lookup_failed").count() == 1
    operations = ninja_api.get_openapi_schema()["paths"]["/api/v1/pharmacy/prescriptions/lookup"]
    assert operations["get"].get("deprecated") is True and not operations["post"].get("deprecated")
