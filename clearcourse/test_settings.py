"""Settings for the test suite (``DJANGO_SETTINGS_MODULE=clearcourse.test_settings``, set in pyproject.toml).

Everything is as in :mod:`clearcourse.settings`, except what makes a test run fast and self-contained.
``check --deploy`` refuses this module (accounts' deployment checks): it is never for production.
"""

from __future__ import annotations

import os

from clearcourse.settings import *  # noqa: F403
from clearcourse.settings import DATABASES, PASSWORD_HASHERS, env_bool

TESTING = True

# Argon2 is deliberately slow; tests sign in hundreds of times.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# Tests force_login the personas; the second factor has tests of its own that switch it on.
CLEARCOURSE_REQUIRE_2FA = env_bool("CLEARCOURSE_REQUIRE_2FA", False)

# One connection per request, as in development (a kept connection outlives the test's database).
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("CLEARCOURSE_CONN_MAX_AGE", "0"))

# No manifest: tests never run collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
