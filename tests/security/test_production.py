"""Production settings: `check --deploy` passes, cookies are secure, the CSP is strict."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

PROJECT = Path(__file__).resolve().parents[2]


def production_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CLEARCOURSE_") and k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE",
                                                                   "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update(
        CLEARCOURSE_DEBUG="false",
        CLEARCOURSE_SECRET_KEY=secrets.token_urlsafe(50),
        CLEARCOURSE_ALLOWED_HOSTS="clearcourse.example.org",
        # Checks do not connect; the URL only has to select PostgreSQL as production would.
        DATABASE_URL="postgres://clearcourse@127.0.0.1:5432/clearcourse",
        CLEARCOURSE_DATA_DIR=str(tmp_path),
    )
    env.update(extra)
    return env


def clearcourse(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "clearcourse", *args], env=env, cwd=PROJECT,
                          capture_output=True, text=True, check=False, timeout=120)


def test_check_deploy_passes_with_production_settings(tmp_path: Path) -> None:
    result = clearcourse(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_fails_with_a_weak_secret_key(tmp_path: Path) -> None:
    result = clearcourse(["check", "--deploy", "--fail-level", "WARNING"],
                         production_env(tmp_path, CLEARCOURSE_SECRET_KEY="short"))
    assert result.returncode != 0 and "security.W009" in result.stderr + result.stdout


@pytest.mark.parametrize(("switch", "expected"), [
    ({"CLEARCOURSE_REQUIRE_2FA": "false"}, {"clearcourse.E003"}),
    ({"CLEARCOURSE_AXES_ENABLED": "false"}, {"clearcourse.E004"}),
    ({"CLEARCOURSE_ALLOWED_HOSTS": "*"}, {"clearcourse.E005"}),
    ({"CLEARCOURSE_TESTING": "true"}, {"clearcourse.E001"}),
    ({"DJANGO_SETTINGS_MODULE": "clearcourse.test_settings"},
     {"clearcourse.E001", "clearcourse.E002", "clearcourse.E003"}),
    ({"CLEARCOURSE_API_DOCS_PUBLIC": "true"}, {"clearcourse.W006"}),
], ids=["2fa-off", "axes-off", "any-host", "testing-env", "test-settings", "docs-public"])
def test_check_deploy_fails_on_every_switch_that_turns_a_protection_off(
        tmp_path: Path, switch: dict[str, str], expected: set[str]) -> None:
    """Issue 14, finding 8: each of these passed `check --deploy --fail-level WARNING` before."""
    result = clearcourse(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path, **switch))
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    found = set(re.findall(r"\((clearcourse\.[EW]\d+)\)", output))
    assert found == expected, output


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["CLEARCOURSE_SECRET_KEY"]
    result = clearcourse(["check"], env)
    assert result.returncode != 0 and "CLEARCOURSE_SECRET_KEY" in result.stderr


def test_production_cookies_and_transport_are_secure(tmp_path: Path) -> None:
    code = ("from django.conf import settings as s; print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
            "s.SESSION_COOKIE_HTTPONLY, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS >= 31536000, "
            "s.CLEARCOURSE_REQUIRE_2FA, s.SESSION_COOKIE_AGE <= 1800, "
            "s.PASSWORD_HASHERS[0].endswith('Argon2PasswordHasher'))")
    result = clearcourse(["shell", "-c", code], production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False", "True", "True", "True", "True", "True", "True", "True", "True"]


def test_pages_carry_a_strict_content_security_policy(client: Client, db: Any) -> None:
    response = client.get("/accounts/login/")
    policy = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split(";") if d.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("path", ["/accounts/login/", "/accounts/password-reset/"])
def test_sign_in_pages_have_no_inline_script_or_style(client: Client, db: Any, path: str) -> None:
    html = client.get(path).content.decode()
    assert "<script>" not in html and "style=" not in html and " on" + "click=" not in html
