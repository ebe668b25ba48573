"""Deployment checks (``python -m clearcourse check --deploy``): a production process must not run with
any switch that turns a protection off (issue 14, finding 8).

Each is an Error, so ``check --deploy`` fails at any ``--fail-level``:

- ``clearcourse.E001``: the test suite's settings (``clearcourse.test_settings``: MD5 hashing, second
  factor off) or ``CLEARCOURSE_TESTING`` set;
- ``clearcourse.E002``: a fast, unsalted or broken password hasher first in ``PASSWORD_HASHERS``;
- ``clearcourse.E003``: ``CLEARCOURSE_REQUIRE_2FA`` off (staff would sign in with a password alone);
- ``clearcourse.E004``: ``CLEARCOURSE_AXES_ENABLED`` off (no lockout after wrong passwords);
- ``clearcourse.E005``: ``ALLOWED_HOSTS`` contains ``*`` (any Host header: poisoned reset links);
- ``clearcourse.W006``: the API schema and docs open to anyone (``CLEARCOURSE_API_DOCS_PUBLIC``).
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register

#: Hashers fit for tests only: fast or unsalted (Django keeps them for speed and old databases).
WEAK_HASHERS = frozenset({
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.UnsaltedMD5PasswordHasher",
    "django.contrib.auth.hashers.UnsaltedSHA1PasswordHasher",
    "django.contrib.auth.hashers.SHA1PasswordHasher",
    "django.contrib.auth.hashers.CryptPasswordHasher",
})


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "1", "yes"}


@register(Tags.security, deploy=True)
def check_protections_are_on(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    found: list[CheckMessage] = []
    if getattr(settings, "TESTING", False) or _truthy(os.environ.get("CLEARCOURSE_TESTING")):
        found.append(Error(
            "The test suite's settings are active (fast MD5 password hashing, second factor off).",
            hint="Run production with DJANGO_SETTINGS_MODULE=clearcourse.settings and without "
                 "CLEARCOURSE_TESTING.", id="clearcourse.E001"))
    hashers = list(getattr(settings, "PASSWORD_HASHERS", []))
    if hashers and hashers[0] in WEAK_HASHERS:
        found.append(Error(
            f"New passwords are hashed with {hashers[0].rsplit('.', 1)[-1]}, which is fast to guess.",
            hint="Put Argon2PasswordHasher first in PASSWORD_HASHERS.", id="clearcourse.E002"))
    if not getattr(settings, "CLEARCOURSE_REQUIRE_2FA", True):
        found.append(Error(
            "The second factor is off: staff sign in with a password alone.",
            hint="Unset CLEARCOURSE_REQUIRE_2FA (or set it to true).", id="clearcourse.E003"))
    if not getattr(settings, "AXES_ENABLED", True):
        found.append(Error(
            "Sign-in lockout is off: wrong passwords can be tried without limit.",
            hint="Unset CLEARCOURSE_AXES_ENABLED (or set it to true).", id="clearcourse.E004"))
    if "*" in getattr(settings, "ALLOWED_HOSTS", []):
        found.append(Error(
            "ALLOWED_HOSTS accepts any host name, so password-reset links can point at another site.",
            hint="Set CLEARCOURSE_ALLOWED_HOSTS to the names the site is served under.", id="clearcourse.E005"))
    if getattr(settings, "CLEARCOURSE_API_DOCS_PUBLIC", False):
        found.append(Warning(
            "The API schema and docs are open to anyone.",
            hint="Unset CLEARCOURSE_API_DOCS_PUBLIC in production.", id="clearcourse.W006"))
    return found
