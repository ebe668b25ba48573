"""Django settings for ClearCourse.

One module, configured by environment variables so that an installed ``clearcourse`` command
works anywhere:

- ``DATABASE_URL``: PostgreSQL in production and CI (``postgres://user@host:5432/name``);
  unset means the embedded SQLite database in ``CLEARCOURSE_DATA_DIR`` (default ``./var``).
- ``CLEARCOURSE_DEBUG``: ``true`` (default, development and demo) or ``false`` (production).
  Production needs ``CLEARCOURSE_SECRET_KEY`` and ``CLEARCOURSE_ALLOWED_HOSTS``.
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("CLEARCOURSE_DATA_DIR", Path.cwd() / "var"))


def env_bool(name: str, default: bool) -> bool:
    """Read a boolean; anything but true/false is a configuration error, not a silent default."""
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"true", "1", "yes"}:
        return True
    if value in {"false", "0", "no"}:
        return False
    raise ValueError(f"{name} must be true or false, not {raw!r}")


DEBUG = env_bool("CLEARCOURSE_DEBUG", True)
# The test suite runs with clearcourse.test_settings, which imports these and changes what a test run
# needs; nothing here depends on how the process was started.

if DEBUG:
    SECRET_KEY = os.environ.get("CLEARCOURSE_SECRET_KEY", "insecure-development-key-do-not-use-in-production")
    ALLOWED_HOSTS = os.environ.get("CLEARCOURSE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
else:
    SECRET_KEY = os.environ["CLEARCOURSE_SECRET_KEY"]
    ALLOWED_HOSTS = [h for h in os.environ["CLEARCOURSE_ALLOWED_HOSTS"].split(",") if h]

INSTALLED_APPS = [
    # Django's admin on the audited site: every admin write and every read of a patient's data is in the
    # hash-chained audit trail (audit/admin_site.py).
    "clearcourse.audit.admin_config.AuditedAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    # django-ninja: serves the API docs (Swagger UI) from its own static files, not a CDN (strict CSP, offline).
    "ninja",
    "clearcourse.core",
    "clearcourse.accounts",
    "clearcourse.audit",
    "clearcourse.courses",
    "clearcourse.ppp",
    "clearcourse.pharmacy",
    "clearcourse.monitoring",
    "clearcourse.portal",
    "clearcourse.interop",
    "clearcourse.rems",
    "clearcourse.synth",
]

MIDDLEWARE = [
    # The site's own error pages even with DEBUG on (make run): never Django's URL list (core/error_pages.py).
    "clearcourse.core.error_pages.SiteErrorPagesMiddleware",
    # Token-authenticated /api/v1/ requests take a lean path with the security middleware only (its
    # docstring lists what they keep); everything else takes the stack below.
    "clearcourse.core.lean_api.BearerApiMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "clearcourse.core.request_context.RequestOriginMiddleware",
    # Calendar days in the reader's clinic or pharmacy time zone (clearcourse/core/clock.py).
    "clearcourse.core.clock.TimeZoneMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "clearcourse.accounts.otp.RequireOTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clearcourse.urls"
WSGI_APPLICATION = "clearcourse.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clearcourse.core.context_processors.navigation",
            ],
        },
    }
]

_default_sqlite = f"sqlite:///{DATA_DIR / 'clearcourse.sqlite3'}"
if not os.environ.get("DATABASE_URL"):
    DATA_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or _default_sqlite,
        # Production keeps connections (a new PostgreSQL connection costs more than a whole request);
        # development and tests open one per request unless told otherwise.
        conn_max_age=int(os.environ.get("CLEARCOURSE_CONN_MAX_AGE", "0" if DEBUG else "600")),
    )
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# A kept connection that died (database restart) is replaced at the start of the next request instead
# of failing it (docs/performance.md, Faults).
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
        "CLEARCOURSE_DB_SERVER_BINDING", True):
    # Server-side binding with psycopg's automatic prepared statements: a statement run
    # CLEARCOURSE_DB_PREPARE_THRESHOLD times on a connection is prepared and then only executed, which
    # saves PostgreSQL parsing and planning on every request (docs/performance.md, round 2). A
    # transaction-pooling pgbouncer needs prepared-statement support (1.21+) or
    # CLEARCOURSE_DB_SERVER_BINDING=false; after a migration that changes a table, restart the workers.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].update({
        "server_side_binding": True,
        "prepare_threshold": int(os.environ.get("CLEARCOURSE_DB_PREPARE_THRESHOLD", "5")),
    })
if os.environ.get("CLEARCOURSE_TEST_DB_NAME"):
    # Lets several test runs share one PostgreSQL server without dropping each other's database.
    DATABASES["default"]["TEST"] = {"NAME": os.environ["CLEARCOURSE_TEST_DB_NAME"]}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {})
    # WAL and a busy timeout let the reminder worker and the web server share the file. BEGIN IMMEDIATE:
    # a deferred transaction that reads and then writes (every audited page reads the audit chain head,
    # then appends) gets SQLITE_BUSY at once, without waiting for the timeout, when another writer
    # committed in between; an immediate one takes the write lock up front and waits its turn.
    DATABASES["default"]["OPTIONS"].update(
        {"timeout": 20, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
         "transaction_mode": "IMMEDIATE"}
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("de", _("German"))]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = os.environ.get("CLEARCOURSE_TIME_ZONE", "Europe/Berlin")
USE_I18N = True
# One date style per language: "7 Dec 2026" / "7. Dez. 2026" (clearcourse/formats/<language>/formats.py); ISO
# dates only in data exports. Times are shown in the reader's clinic or pharmacy zone (core/clock.py).
FORMAT_MODULE_PATH = ["clearcourse.formats"]
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
# The shared CSS/JS live in the package (not in an app), so the finders need to be told where.
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
MEDIA_ROOT = DATA_DIR / "media"
# Uploaded files (home-test photos) are never served as static media; views stream them after an
# access check. No URL pattern serves this prefix (Django's test server needs a value here).
MEDIA_URL = "/media-not-served/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

EMAIL_BACKEND = os.environ.get("CLEARCOURSE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("CLEARCOURSE_FROM_EMAIL", "ClearCourse <noreply@clearcourse.invalid>")

# Sessions expire after 30 minutes without activity (clinical workstations are shared).
SESSION_COOKIE_AGE = int(os.environ.get("CLEARCOURSE_SESSION_SECONDS", "1800"))
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# django-axes: lock an account+address after five failures for one hour.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("CLEARCOURSE_AXES_ENABLED", True)
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("CLEARCOURSE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Django's technical error pages (URL list, traceback) instead of the site's, for a developer who asks.
CLEARCOURSE_TECHNICAL_ERRORS = env_bool("CLEARCOURSE_TECHNICAL_ERRORS", False)

# Every role but patients must sign in with a second factor (TOTP).
CLEARCOURSE_REQUIRE_2FA = env_bool("CLEARCOURSE_REQUIRE_2FA", True)
OTP_TOTP_ISSUER = "ClearCourse"
# An administrator setting someone's password or resetting their second factor must have entered their own
# code within this many seconds (accounts/admin.py); otherwise the code step asks again.
CLEARCOURSE_ADMIN_RECONFIRM_SECONDS = int(os.environ.get("CLEARCOURSE_ADMIN_RECONFIRM_SECONDS", "600"))
# Each pharmacy API token may make at most this many requests in any window of this many seconds, in
# bursts of at most CLEARCOURSE_API_RATE_BURST (0: half the limit) (accounts/api_auth.py, a token bucket).
CLEARCOURSE_API_RATE_LIMIT = int(os.environ.get("CLEARCOURSE_API_RATE_LIMIT", "120"))
CLEARCOURSE_API_RATE_WINDOW = int(os.environ.get("CLEARCOURSE_API_RATE_WINDOW", "60"))
CLEARCOURSE_API_RATE_BURST = int(os.environ.get("CLEARCOURSE_API_RATE_BURST", "0"))
# The Ed25519 key that signs audit checkpoints (`audit checkpoint`); a file outside the database, never in a
# backup of it (docs/security.md, "Anchoring the audit trail").
CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE = os.environ.get("CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE", "")
# Months of the audit trail kept in the database before `audit archive` may move a month to a file. A clinic
# default, not a rule: how long the trail must be kept is a legal question the sources do not answer.
CLEARCOURSE_AUDIT_ONLINE_MONTHS = int(os.environ.get("CLEARCOURSE_AUDIT_ONLINE_MONTHS", "24"))
# The key that encrypts backups (`backup_key FILE` makes one); unset: backups are not encrypted.
CLEARCOURSE_BACKUP_KEY_FILE = os.environ.get("CLEARCOURSE_BACKUP_KEY_FILE", "")

# The API's OpenAPI schema and docs page: open to anyone in development, only to signed-in
# administrators (second factor done) in production (core/api.py).
CLEARCOURSE_API_DOCS_PUBLIC = env_bool("CLEARCOURSE_API_DOCS_PUBLIC", DEBUG)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("CLEARCOURSE_LOG_LEVEL", "WARNING")},
}
