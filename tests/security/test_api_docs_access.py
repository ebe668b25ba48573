"""The API's OpenAPI schema and docs page are for signed-in administrators in production (issue 14,
finding 10): the schema lists every endpoint and field a caller could probe."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.security.test_production import clearcourse, production_env

DOCS = ("/api/v1/openapi.json", "/api/v1/docs")


def test_production_settings_close_the_api_docs(tmp_path: Path) -> None:
    code = "from django.conf import settings as s; print(s.CLEARCOURSE_API_DOCS_PUBLIC)"
    result = clearcourse(["shell", "-c", code], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "False"


@pytest.fixture
def closed_docs(settings: Any) -> None:
    settings.CLEARCOURSE_API_DOCS_PUBLIC = False
    settings.CLEARCOURSE_REQUIRE_2FA = True


@pytest.mark.parametrize("path", DOCS)
def test_closed_docs_refuse_anyone_but_a_verified_administrator(
        closed_docs: None, path: str, admin_user: Any, prescriber: Any, pharmacy: Any, db: Any) -> None:
    from clearcourse.accounts.services import api_token_create

    anonymous = Client().get(path)
    assert anonymous.status_code == 401 and anonymous.json()["error"]["code"] == "not_authenticated"
    _token, plain = api_token_create(actor=admin_user, pharmacy=pharmacy, name="pos")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {plain}").get(path).status_code == 401

    staff = Client()
    staff.force_login(prescriber, backend="django.contrib.auth.backends.ModelBackend")
    assert staff.get(path).status_code == 403  # signed in, not an administrator

    unverified = Client()
    unverified.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    assert unverified.get(path).status_code == 403  # the second factor is still owed

    device = TOTPDevice.objects.create(user=admin_user, name="phone", confirmed=True)
    verified = Client()
    verified.force_login(admin_user, backend="django.contrib.auth.backends.ModelBackend")
    session = verified.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    assert verified.get(path).status_code == 200


@pytest.mark.parametrize("path", DOCS)
def test_development_keeps_the_docs_open(settings: Any, path: str, db: Any) -> None:
    settings.CLEARCOURSE_API_DOCS_PUBLIC = True
    assert Client().get(path).status_code == 200
