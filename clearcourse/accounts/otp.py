"""Who owes a second factor, and the middleware that sends them to it.

Every role but patients must confirm each sign-in with a TOTP code (or a single-use backup code) when
``CLEARCOURSE_REQUIRE_2FA`` is on (the default outside tests). Patients may enrol a device; once they
have one, their sign-ins need it too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import get_urlconf, reverse
from django_otp import devices_for_user, user_has_device

from clearcourse.accounts.models import Role
from clearcourse.core import clock

#: Session key: when this session last passed its second factor (seconds since the epoch).
OTP_VERIFIED_AT = "clearcourse_otp_verified_at"

# Paths an unverified session may still reach besides the sign-in steps (below): language switching,
# static files and the health check. The JSON API answers such a session itself (api_auth: 403
# ``otp_required``; its schema and docs need a verified staff session, core.api).
OTP_EXEMPT_PREFIXES = ("/static/", "/i18n/", "/healthz", "/api/")
#: The sign-in steps an unverified session may reach, by URL name: the password step, the code step,
#: enrolment and sign-out (exact paths), and password reset (its whole prefix: the confirm link carries
#: the user's id and token). Nothing else under /accounts/: the API tokens page mints pharmacy tokens.
OTP_EXEMPT_NAMES = ("accounts:login", "accounts:logout", "accounts:otp_verify", "accounts:otp_setup")
OTP_EXEMPT_NAME_PREFIXES = ("accounts:password_reset",)


@functools.cache
def _exempt_paths(urlconf: str | None) -> tuple[frozenset[str], tuple[str, ...]]:
    exact = frozenset(reverse(name, urlconf=urlconf) for name in OTP_EXEMPT_NAMES)
    prefixes = tuple(reverse(name, urlconf=urlconf) for name in OTP_EXEMPT_NAME_PREFIXES)
    return exact, (*OTP_EXEMPT_PREFIXES, *prefixes)


def path_is_otp_exempt(path: str) -> bool:
    """Whether a session that still owes its second factor may reach ``path``."""
    exact, prefixes = _exempt_paths(get_urlconf())
    return path in exact or path.startswith(prefixes)


def user_has_confirmed_device(user: Any) -> bool:
    return bool(user.is_authenticated and user_has_device(user, confirmed=True))


def user_needs_otp(user: Any) -> bool:
    """Whether this user's sessions must pass the second factor."""
    if not getattr(settings, "CLEARCOURSE_REQUIRE_2FA", True) or not user.is_authenticated:
        return False
    if user.role == Role.PATIENT:
        return user_has_confirmed_device(user)
    return True


def session_is_verified(request: HttpRequest) -> bool:
    is_verified = getattr(request.user, "is_verified", None)
    return bool(is_verified and is_verified())


def session_needs_otp(request: HttpRequest) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user_needs_otp(user) and not session_is_verified(request))


def otp_step_url(request: HttpRequest, next_url: str | None = None) -> str:
    """The verify step when the user has a device, else the enrolment step."""
    name = "accounts:otp_verify" if user_has_confirmed_device(request.user) else "accounts:otp_setup"
    url = reverse(name)
    if next_url:
        url += "?" + urlencode({"next": next_url})
    return url


def mark_verified_now(request: HttpRequest) -> None:
    request.session[OTP_VERIFIED_AT] = clock.now().timestamp()


def reconfirm_seconds() -> int:
    return int(getattr(settings, "CLEARCOURSE_ADMIN_RECONFIRM_SECONDS", 600))


def second_factor_is_recent(request: HttpRequest) -> bool:
    """Whether this session passed its second factor in the last ``CLEARCOURSE_ADMIN_RECONFIRM_SECONDS``
    (default 10 minutes): an administrator resetting someone's password or second factor must have."""
    if not session_is_verified(request):
        return False
    at = request.session.get(OTP_VERIFIED_AT)
    return isinstance(at, int | float) and 0 <= clock.now().timestamp() - at <= reconfirm_seconds()


def reconfirm_url(request: HttpRequest, next_url: str) -> str:
    """The code step asked again (even of a verified session), then back to ``next_url``."""
    name = "accounts:otp_verify" if user_has_confirmed_device(request.user) else "accounts:otp_setup"
    return reverse(name) + "?" + urlencode({"next": next_url, "reconfirm": "1"})


def confirmed_devices(user: Any) -> list[Any]:
    return list(devices_for_user(user, confirmed=True))


class RequireOTPMiddleware:
    """Sends a signed-in session that still owes its second factor to the OTP step. Must come after
    django_otp's OTPMiddleware (which sets ``request.user.is_verified``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not path_is_otp_exempt(request.path) and session_needs_otp(request):
            return HttpResponseRedirect(otp_step_url(request, request.get_full_path()))
        return self.get_response(request)
