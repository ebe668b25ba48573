"""Pharmacy API tokens: hashed, shown once, revocable, scoped to one pharmacy, rate-limited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.test import RequestFactory, override_settings

from clearcourse.accounts.api_auth import (
    PharmacyTokenAuth,
    RateLimitedError,
    SessionRoleAuth,
    token_count_request,
    token_lookup,
)
from clearcourse.accounts.models import PharmacyApiToken
from clearcourse.accounts.services import api_token_create, api_token_revoke, token_hash
from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import ConflictError, PermissionDeniedError


def bearer(token: str) -> Any:
    return RequestFactory().get("/api/v1/pharmacy/x", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_new_token_is_stored_only_as_a_hash(admin_user: Any, pharmacy: Any) -> None:
    token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="Dispensing system")
    stored = PharmacyApiToken.objects.get(pk=token.pk)
    assert plain not in {stored.secret_hash, stored.prefix, stored.name}
    assert stored.secret_hash == token_hash(plain)
    assert plain.startswith(f"cc_{stored.prefix}_")
    assert AuditEntry.objects.filter(action="api_token.create", actor=admin_user).count() == 1


def test_a_valid_token_authenticates_as_its_pharmacy_and_service_identity(admin_user: Any, pharmacy: Any) -> None:
    token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    request = bearer(plain)
    assert PharmacyTokenAuth()(request) == pharmacy
    assert request.user == token.service_user
    assert request.user.role == "pharmacist" and request.user.pharmacy == pharmacy
    assert not request.user.has_usable_password()
    token.refresh_from_db()
    assert token.last_used_at is not None


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # wrong secret, right prefix
    lambda t: "cc_00000000_" + t.split("_", 2)[2],      # unknown prefix
    lambda t: "garbage",
    lambda t: "",
])
def test_a_wrong_token_is_refused(admin_user: Any, pharmacy: Any, mangle: Any) -> None:
    _, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    assert PharmacyTokenAuth()(bearer(mangle(plain))) is None


def test_a_revoked_token_is_refused_and_its_identity_disabled(admin_user: Any, pharmacy: Any) -> None:
    token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    api_token_revoke(actor=admin_user, token=token)
    assert token_lookup(plain) is None
    token.service_user.refresh_from_db()
    assert token.service_user.is_active is False
    with pytest.raises(ConflictError):
        api_token_revoke(actor=admin_user, token=token)


def test_only_administrators_manage_tokens(pharmacist: Any, prescriber: Any, pharmacy: Any) -> None:
    for actor in (pharmacist, prescriber):
        with pytest.raises(PermissionDeniedError):
            api_token_create(actor=actor, pharmacy=pharmacy, name="POS")
    assert not PharmacyApiToken.objects.exists()


def _accepted(token: Any, at: dt.datetime) -> bool:
    try:
        return token_count_request(token, now=at)
    except RateLimitedError:
        return False


@override_settings(CLEARCOURSE_API_RATE_LIMIT=120, CLEARCOURSE_API_RATE_WINDOW=60)
def test_requests_straddling_a_minute_boundary_cannot_exceed_the_limit(admin_user: Any, pharmacy: Any) -> None:
    """Issue 14, finding 9: the fixed window let 240 requests through in 6 s across a minute boundary
    (120 just before it, 120 just after). Now no span of 60 s holds more than 120, wherever it starts."""
    token, _ = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    boundary = dt.datetime(2026, 11, 26, 10, 1, 0, tzinfo=dt.UTC)
    accepted: list[dt.datetime] = []
    # A client hammering the API: 40 tries a second from 3 s before the boundary to 3 s after it,
    # then on for two more minutes.
    at = boundary - dt.timedelta(seconds=3)
    while at < boundary + dt.timedelta(minutes=2):
        if _accepted(token, at):
            accepted.append(at)
        at += dt.timedelta(milliseconds=25)
    around = [a for a in accepted if boundary - dt.timedelta(seconds=3) <= a < boundary + dt.timedelta(seconds=3)]
    assert len(around) <= 120
    for i, first in enumerate(accepted):
        in_window = [a for a in accepted[i:] if a - first < dt.timedelta(seconds=60)]
        assert len(in_window) <= 120, f"{len(in_window)} requests in the 60 s from {first:%H:%M:%S.%f}"
    # Not a lock-out either: the burst (half the limit) at once, then the other half per minute.
    assert len(accepted) >= 60 + 2 * 60


@override_settings(CLEARCOURSE_API_RATE_LIMIT=4, CLEARCOURSE_API_RATE_WINDOW=60, CLEARCOURSE_API_RATE_BURST=2)
def test_a_burst_then_one_request_per_interval_with_the_wait_in_the_answer(admin_user: Any, pharmacy: Any) -> None:
    token, _ = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    start = dt.datetime(2026, 11, 26, 10, 0, 0, tzinfo=dt.UTC)
    assert token_count_request(token, now=start) and token_count_request(token, now=start)
    with pytest.raises(RateLimitedError) as exc:
        token_count_request(token, now=start + dt.timedelta(seconds=10))
    # Two more per 60 s: one every 30 s.
    assert exc.value.status == 429 and exc.value.extra["retry_after"] == 20
    assert token_count_request(token, now=start + dt.timedelta(seconds=30))
    assert not _accepted(token, start + dt.timedelta(seconds=31))
    assert token_count_request(token, now=start + dt.timedelta(seconds=60))
    # A refused request takes nothing from the bucket.
    assert PharmacyApiToken.objects.get(pk=token.pk).request_count == 4


def test_another_tokens_use_does_not_count_against_this_one(admin_user: Any, pharmacy: Any,
                                                            other_pharmacy: Any) -> None:
    with override_settings(CLEARCOURSE_API_RATE_LIMIT=1):
        one, _ = api_token_create(actor=admin_user, pharmacy=pharmacy, name="A")
        two, _ = api_token_create(actor=admin_user, pharmacy=other_pharmacy, name="B")
        now = dt.datetime(2026, 11, 26, 10, 0, 0, tzinfo=dt.UTC)
        token_count_request(one, now=now)
        token_count_request(two, now=now)


def test_session_role_auth_accepts_only_the_named_roles(client: Any, pharmacist: Any, prescriber: Any) -> None:
    auth = SessionRoleAuth(roles={"pharmacist"}, csrf=False)
    factory = RequestFactory()
    for user, allowed in ((pharmacist, True), (prescriber, False)):
        request = factory.get("/api/v1/x")
        request.COOKIES["sessionid"] = "x"
        request.user = user
        if allowed:
            assert auth(request) == user
        else:
            with pytest.raises(PermissionDeniedError):
                auth(request)


def test_session_role_auth_ignores_requests_without_a_session(pharmacist: Any) -> None:
    request = RequestFactory().post("/api/v1/x")
    request.user = pharmacist
    assert SessionRoleAuth(roles={"pharmacist"})(request) is None


def test_session_role_auth_checks_csrf_on_unsafe_methods(pharmacist: Any) -> None:
    from ninja.errors import HttpError

    request = RequestFactory().post("/api/v1/x")
    request.COOKIES["sessionid"] = "x"
    request.user = pharmacist
    with pytest.raises(HttpError):
        SessionRoleAuth(roles={"pharmacist"})(request)


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
def test_session_role_auth_refuses_a_session_without_its_second_factor(pharmacist: Any) -> None:
    request = RequestFactory().get("/api/v1/x")
    request.COOKIES["sessionid"] = "x"
    request.user = pharmacist
    pharmacist.is_verified = lambda: False
    with pytest.raises(PermissionDeniedError) as exc:
        SessionRoleAuth(roles={"pharmacist"})(request)
    assert exc.value.code == "otp_required"
    pharmacist.is_verified = lambda: True
    assert SessionRoleAuth(roles={"pharmacist"})(request) == pharmacist


def test_through_the_api_a_revoked_token_gets_401_and_a_busy_one_429(client: Any, admin_user: Any,
                                                                     pharmacy: Any) -> None:
    from django.urls import reverse

    url = reverse("api:pharmacy_prescription_lookup")
    token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {plain}"}
    with override_settings(CLEARCOURSE_API_RATE_LIMIT=4), \
            time_machine.travel(dt.datetime(2026, 11, 26, 10, 0, 30, tzinfo=dt.UTC), tick=False):
        assert client.get(url, **headers).status_code != 401
        assert client.get(url, **headers).status_code != 401
        busy = client.get(url, **headers)
    assert busy.status_code == 429
    assert busy.json()["error"]["code"] == "rate_limited" and busy.json()["error"]["retry_after"] >= 1
    api_token_revoke(actor=admin_user, token=token)
    assert client.get(url, **headers).status_code == 401


def test_a_revoked_token_is_refused_on_its_next_request_even_while_cached(admin_user: Any, pharmacy: Any) -> None:
    token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    assert PharmacyTokenAuth()(bearer(plain)) == pharmacy  # now in the process's cache
    assert token_lookup(plain) is not None
    api_token_revoke(actor=admin_user, token=token)
    assert PharmacyTokenAuth()(bearer(plain)) is None


def test_a_cached_token_still_checks_the_secret(admin_user: Any, pharmacy: Any) -> None:
    _token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    assert token_lookup(plain) is not None
    assert token_lookup(plain[:-2] + ("AA" if not plain.endswith("AA") else "BB")) is None


def test_each_request_is_counted_in_the_tokens_row(admin_user: Any, pharmacy: Any) -> None:
    token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="POS")
    for _ in range(3):
        assert PharmacyTokenAuth()(bearer(plain)) == pharmacy
    assert PharmacyApiToken.objects.get(pk=token.pk).request_count == 3
