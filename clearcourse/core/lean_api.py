"""A lean middleware path for token-authenticated API requests (docs/performance.md, round 2).

A pharmacy system calls ``/api/v1/`` with ``Authorization: Bearer <token>`` and no browser state. Most
of the site's middleware exists for browser sessions: sessions (which also save the session on every
request), messages, CSRF (protects cookie-authenticated requests only), the second-factor redirect,
the authentication of the session user, django-axes (sign-in lockout) and whitenoise (static files).
For such a request :class:`BearerApiMiddleware`, FIRST in ``MIDDLEWARE``, skips the whole stack and
runs the request through :data:`LEAN_MIDDLEWARE` instead, which keeps everything that still applies:

- SecurityMiddleware (HTTPS redirect, HSTS, nosniff, referrer and opener policies),
- LocaleMiddleware (messages in the language the client asks for, the same as before, and no
  language left over from the thread's previous request),
- CommonMiddleware (``ALLOWED_HOSTS`` check of the Host header),
- the audit trail's request origin, X-Frame-Options and the Content-Security-Policy.

Such a request is judged by its token ALONE: it never gets a session, so a session cookie sent with
it authenticates nothing (``request.user`` starts anonymous; ``accounts.api_auth.SessionRoleAuth``
refuses it as well, so the rule does not depend on this middleware). Hence no CSRF check is needed
for it: there is no ambient credential to ride on. Every other request, including a browser's
session-authenticated API call, takes the full stack with its CSRF check.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import get_resolver, get_urlconf
from django.utils.module_loading import import_string

API_PREFIX = "/api/v1/"
#: Every path a bearer token (a pharmacy's API token, an EHR's JWT) may authenticate: the JSON API and the
#: REMS doors (NCPDP SCRIPT, FHIR, CDS Hooks).
BEARER_PREFIXES = (API_PREFIX, "/ncpdp/", "/fhir/r4/", "/cds-services")

#: What a token-authenticated API request still passes through, outermost first.
LEAN_MIDDLEWARE: tuple[str, ...] = (
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "clearcourse.core.request_context.RequestOriginMiddleware",
    # No user yet (the token authenticates later and activates its pharmacy's zone); this layer makes
    # sure the zone is deactivated when the request ends.
    "clearcourse.core.clock.TimeZoneMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
)


def has_bearer_token(request: HttpRequest) -> bool:
    """Whether the request presents a bearer token (the scheme as django-ninja's HttpBearer reads it)."""
    return str(request.META.get("HTTP_AUTHORIZATION", ""))[:7].lower() == "bearer "


def is_bearer_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(BEARER_PREFIXES) and has_bearer_token(request)


def _view(request: HttpRequest) -> HttpResponse:
    """Resolve and call the view, as Django's handler does when no middleware has view hooks (none of
    :data:`LEAN_MIDDLEWARE` has; django-ninja's views are CSRF-exempt and check CSRF themselves for
    cookie authentication). An unknown path raises Resolver404, answered like any 404."""
    match = get_resolver(get_urlconf()).resolve(request.path_info)
    request.resolver_match = match
    response = match.func(request, *match.args, **match.kwargs)
    if response is None:
        raise ValueError(f"The view {match.func.__module__}.{match.func.__qualname__} returned None.")
    return response  # type: ignore[no-any-return]


class BearerApiMiddleware:
    """Sends ``/api/v1/`` requests with a bearer token through :data:`LEAN_MIDDLEWARE`, everything else
    through the rest of ``MIDDLEWARE``. Must be first in ``MIDDLEWARE``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        # Each layer wrapped as Django's handler wraps middleware: an exception becomes its response.
        handler: Any = convert_exception_to_response(_view)
        for path in reversed(LEAN_MIDDLEWARE):
            handler = convert_exception_to_response(import_string(path)(handler))
        self.lean: Callable[[HttpRequest], HttpResponse] = handler

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_bearer_api_request(request):
            # Only the token may authenticate this request (api_auth.PharmacyTokenAuth sets the user).
            request.user = AnonymousUser()
            return self.lean(request)
        return self.get_response(request)
