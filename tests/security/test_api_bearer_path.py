"""The lean middleware path for token-authenticated API requests (clearcourse/core/lean_api.py): a bearer
request is judged by its token alone and still gets every security header; a session-authenticated API
call still takes the full stack with its CSRF check."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client, override_settings

from clearcourse.accounts.services import api_token_create, api_token_revoke
from clearcourse.pharmacy.models import Authorization

pytestmark = pytest.mark.django_db

URL = "/api/v1/pharmacy/authorizations"
BODY = json.dumps({"reference": "RX-999999", "birth_date": "2000-01-01", "days_supply": 30})


def _session_client(user: Any, *, csrf: bool) -> Client:
    """A browser signed in as ``user`` that enforces CSRF like a real one."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if csrf:
        secret = _get_new_csrf_string()
        client.cookies[settings.CSRF_COOKIE_NAME] = secret
        client.defaults["HTTP_X_CSRFTOKEN"] = secret
    return client


def _post(client: Client, **headers: Any) -> Any:
    return client.post(URL, BODY, content_type="application/json", **headers)


def test_a_revoked_token_is_refused_even_with_a_pharmacists_session_cookie(pharmacist: Any, admin_user: Any,
                                                                          pharmacy: Any) -> None:
    token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    api_token_revoke(actor=admin_user, token=token)
    client = _session_client(pharmacist, csrf=True)  # the session alone would be accepted (next test)
    response = _post(client, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert not Authorization.objects.exists()


@pytest.mark.parametrize("header", ["Bearer cc_00000000_nonsense", "bearer garbage", "Bearer "])
def test_a_wrong_token_is_refused_even_with_a_pharmacists_session_cookie(pharmacist: Any, header: str) -> None:
    client = _session_client(pharmacist, csrf=True)
    response = _post(client, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert "Set-Cookie" not in response.headers  # the session was not even opened


def test_a_session_api_post_without_a_csrf_token_is_refused(pharmacist: Any) -> None:
    response = _post(_session_client(pharmacist, csrf=False))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "csrf_failed"


def test_a_session_api_post_with_its_csrf_token_is_authenticated(pharmacist: Any) -> None:
    response = _post(_session_client(pharmacist, csrf=True))
    # Past authentication and CSRF: the (made-up) prescription is simply not found.
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "prescription_not_found"


def test_a_valid_token_acts_as_its_own_identity_whatever_session_rides_along(pharmacist: Any,
                                                                            other_pharmacist: Any,
                                                                            admin_user: Any, pharmacy: Any) -> None:
    _, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    client = _session_client(other_pharmacist, csrf=False)  # no CSRF token: none is needed for a bearer call
    response = _post(client, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "prescription_not_found"
    assert "Set-Cookie" not in response.headers


def test_a_bearer_answer_carries_every_security_header(admin_user: Any, pharmacy: Any) -> None:
    _, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    response = _post(Client(), HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response.headers["Content-Language"] == "en"


@override_settings(SECURE_SSL_REDIRECT=True, SECURE_HSTS_SECONDS=31536000,
                   SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https"))
def test_a_bearer_request_is_sent_to_https_and_gets_hsts(admin_user: Any, pharmacy: Any) -> None:
    _, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    client = Client()
    plain_http = _post(client, HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert plain_http.status_code == 301
    assert plain_http.headers["Location"].startswith("https://")
    over_tls = _post(client, HTTP_AUTHORIZATION=f"Bearer {plain}", HTTP_X_FORWARDED_PROTO="https")
    assert over_tls.status_code == 404
    assert over_tls.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_a_bearer_request_for_an_unknown_host_is_refused(admin_user: Any, pharmacy: Any) -> None:
    _, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    response = _post(Client(), HTTP_AUTHORIZATION=f"Bearer {plain}", HTTP_HOST="evil.example")
    assert response.status_code == 400


def test_a_bearer_request_asks_for_its_language(admin_user: Any, pharmacy: Any) -> None:
    _, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    response = _post(Client(), HTTP_AUTHORIZATION=f"Bearer {plain}", HTTP_ACCEPT_LANGUAGE="de")
    assert response.headers["Content-Language"] == "de"


def test_an_unknown_api_path_with_a_token_is_a_plain_404(admin_user: Any, pharmacy: Any) -> None:
    _, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    response = Client().get("/api/v1/no-such-thing", HTTP_AUTHORIZATION=f"Bearer {plain}")
    assert response.status_code == 404
    assert response.headers["X-Frame-Options"] == "DENY"
