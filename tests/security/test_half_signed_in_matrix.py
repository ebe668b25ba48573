"""The second access matrix: half-signed-in sessions (issue 14, finding 1).

Every persona of the access matrix (tests/security/test_access_matrix.py) signs in with the password only
(through the sign-in form, with the second factor required and a confirmed device, so patients owe the
code too). Each URL of the matrix then either sends the session to the code step (302 to
``accounts:otp_verify``), or refuses it (401/403), or answers what an anonymous visitor gets when that is
itself a refusal (404 for a path that is no page). Only the sign-in steps themselves (sign-in, code entry,
enrolment, password reset, sign-out), language switching and the health check are left out; nothing else
ever answers 200 or processes the request (a 400/422 would mean the view ran).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import PASSWORD
from tests.security.test_access_matrix import SIGNED_IN, Entry, _cases, build_url
from tests.security.test_access_matrix import objects as objects  # the fixture

CODE_STEP = "code step"
#: The URLs a half-signed-in session may reach: the sign-in steps, language switching, the health check.
OPEN_TO_HALF_SIGNED_IN = frozenset({
    "accounts:login", "accounts:logout", "accounts:otp_verify", "accounts:otp_setup",
    "accounts:password_reset", "accounts:password_reset_done", "accounts:password_reset_confirm",
    "accounts:password_reset_complete", "set_language", "core:healthz",
})
REFUSED = frozenset({401, 403})


def password_only(user: Any) -> Client:
    """A client signed in with the password alone, through the sign-in form."""
    TOTPDevice.objects.get_or_create(user=user, name="phone", defaults={"confirmed": True})
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_verify")), (
        f"{user.username}: the password step should lead to the code step, got {response.status_code}")
    return client


@pytest.fixture
def half_signed_in(admin_user: Any, prescriber: Any, delegate: Any, pharmacist: Any, patient_user: Any,
                   other_prescriber: Any, other_pharmacist: Any, other_patient_user: Any,
                   settings: Any) -> dict[str, Client]:
    settings.CLEARCOURSE_REQUIRE_2FA = True
    # Production's answer for the API schema and docs (staff only), whatever this run's DEBUG.
    settings.CLEARCOURSE_API_DOCS_PUBLIC = False
    users = {"admin": admin_user, "prescriber": prescriber, "delegate": delegate, "pharmacist": pharmacist,
             "patient": patient_user, "other_prescriber": other_prescriber,
             "other_pharmacist": other_pharmacist, "other_patient": other_patient_user}
    assert set(users) == set(SIGNED_IN)
    return {persona: password_only(user) for persona, user in users.items()}


def observe(client: Client, url: str, method: str) -> int | str:
    if method == "POST":
        if url.startswith("/api/"):
            response = client.post(url, data=json.dumps({}), content_type="application/json")
        else:
            response = client.post(url, {})
    else:
        response = client.get(url)
    if response.status_code == 302 and response["Location"].startswith(reverse("accounts:otp_verify")):
        return CODE_STEP
    return response.status_code


def allowed(entry: Entry) -> set[int | str]:
    outcomes: set[int | str] = {CODE_STEP, *REFUSED}
    anonymous = entry.expected["anonymous"]
    if isinstance(anonymous, int) and anonymous in {404, 405, 410}:
        outcomes.add(anonymous)
    return outcomes


@pytest.mark.parametrize(("name", "entry"), [c for c in _cases() if c[0] not in OPEN_TO_HALF_SIGNED_IN],
                         ids=lambda v: v if isinstance(v, str) else v.method)
def test_a_password_only_session_is_refused_or_sent_to_the_code_step(
        name: str, entry: Entry, objects: dict[str, Any], half_signed_in: dict[str, Client]) -> None:
    url = build_url(name, entry, objects)
    actual = {persona: observe(client, url, entry.method) for persona, client in half_signed_in.items()}
    wrong = {p: v for p, v in actual.items() if v not in allowed(entry)}
    assert not wrong, f"{entry.method} {url} answered a half-signed-in session:\n" + "\n".join(
        f"  {p:17} {v}" for p, v in wrong.items())


@pytest.mark.parametrize("name", sorted(OPEN_TO_HALF_SIGNED_IN))
def test_the_middleware_lets_a_password_only_session_reach_the_sign_in_steps(
        name: str, objects: dict[str, Any]) -> None:
    from clearcourse.accounts.otp import path_is_otp_exempt

    entry = next(e for n, e in _cases() if n == name)
    assert path_is_otp_exempt(build_url(name, entry, objects))


def test_a_password_only_session_can_enter_its_code_reset_its_password_and_sign_out(
        half_signed_in: dict[str, Client]) -> None:
    for persona, client in half_signed_in.items():
        assert client.get(reverse("accounts:otp_verify")).status_code == 200, persona
        assert client.get(reverse("accounts:password_reset")).status_code == 200, persona
        out = client.post(reverse("accounts:logout"))
        assert out.status_code == 302 and out["Location"] == reverse("accounts:login"), persona


@override_settings(CLEARCOURSE_REQUIRE_2FA=True)
@pytest.mark.parametrize("enrolled", [True, False], ids=["with a device", "before enrolment"])
def test_a_password_only_administrator_cannot_open_or_use_the_api_tokens_page(
        admin_user: Any, pharmacy: Any, enrolled: bool) -> None:
    """The review's finding: with the password alone an administrator minted a pharmacy token."""
    from clearcourse.accounts.models import PharmacyApiToken

    if enrolled:
        TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    client = Client()
    client.post(reverse("accounts:login"), {"username": admin_user.username, "password": PASSWORD})
    step = reverse("accounts:otp_verify" if enrolled else "accounts:otp_setup")
    page = client.get(reverse("accounts:api_tokens"))
    assert page.status_code == 302 and page["Location"].startswith(step)
    minted = client.post(reverse("accounts:api_tokens"), {"pharmacy": pharmacy.pk, "name": "stolen"})
    assert minted.status_code == 302 and minted["Location"].startswith(step)
    assert not PharmacyApiToken.objects.exists()
