"""A body over the upload limit (issue 14, finding 7): the API answers its own JSON error with 413, in
production and in debug; pages keep their friendly error page."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

LIMIT = 4096


@pytest.fixture
def small_limit(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = LIMIT


def too_big() -> str:
    return json.dumps({"prescription_reference": "x" * (2 * LIMIT)})


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_the_api_answers_an_oversized_body_with_its_json_413(
        small_limit: None, settings: Any, debug: bool, admin_user: Any, pharmacy: Any) -> None:
    from clearcourse.accounts.services import api_token_create

    settings.DEBUG = debug
    _token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {plain}", raise_request_exception=False).post(
        "/api/v1/pharmacy/authorizations", data=too_big(), content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "request_too_large" and str(LIMIT) in error["message"]


@pytest.mark.parametrize("debug", [False, True], ids=["production", "debug"])
def test_a_signed_in_session_on_the_api_gets_the_same_413(
        small_limit: None, settings: Any, debug: bool, pharmacist: Any) -> None:
    settings.DEBUG = debug
    client = Client(raise_request_exception=False)
    client.force_login(pharmacist, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/api/v1/pharmacy/authorizations", data=too_big(), content_type="application/json")
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "request_too_large"


def test_a_page_keeps_its_friendly_error_page(small_limit: None, settings: Any, prescriber: Any) -> None:
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    client.force_login(prescriber, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post("/patients/new/", {"given_name": "x" * (2 * LIMIT)})
    assert response.status_code in {400, 413}
    assert response["Content-Type"].startswith("text/html")
    assert "Traceback" not in response.content.decode()
