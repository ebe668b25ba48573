"""Authentication for the JSON API (django-ninja).

- :class:`PharmacyTokenAuth`: a pharmacy system sends ``Authorization: Bearer cc_<prefix>_<secret>``.
  On success ``request.auth`` is the token's :class:`~clearcourse.accounts.models.Pharmacy` and
  ``request.user`` is the token's service identity (a pharmacist account of that pharmacy, username
  ``api-<prefix>``, that cannot sign in on a page). Services take that user as ``actor``, so the
  audit trail records ``actor_label = "api-<prefix>"``, ``actor_role = "pharmacist"`` and
  ``channel = "api"``; the token (and who created it) is found from the prefix. ``request.api_token``
  is the token itself. Use :func:`api_actor` to get the acting user in an endpoint.
- :class:`SessionRoleAuth`: a signed-in browser session (CSRF-checked for unsafe methods), limited to
  ``roles``; staff whose session has not passed the second factor are refused when
  ``CLEARCOURSE_REQUIRE_2FA`` is on.

Put both on an endpoint as ``auth=[PharmacyTokenAuth(), SessionRoleAuth(roles={"pharmacist"})]``.

Rate limit: each token may make at most ``CLEARCOURSE_API_RATE_LIMIT`` requests (default 120) in ANY
``CLEARCOURSE_API_RATE_WINDOW`` seconds (default 60), however they straddle the clock: a token bucket
(:class:`Bucket`) that lets ``CLEARCOURSE_API_RATE_BURST`` requests (default half the limit) come at
once and refills at the rest of the limit per window. Its state is one number in the token's own row,
so every web process shares it; beyond it the API answers 429 with
``{"error": {"code": "rate_limited", "retry_after": seconds}}``.

Speed (docs/performance.md): the token's identity (prefix -> secret hash, pharmacy, service user) is
kept in the process for ``CLEARCOURSE_API_TOKEN_CACHE_SECONDS`` (default 30), so a request does not
join three tables to find it. Revocation is NOT delayed by that cache: the one statement that counts
the request (``UPDATE ... RETURNING``) only matches a token that is not revoked and whose service
identity is active, so a revoked token is refused on its very next request, in every process. The
count runs inside the request's own transaction (:func:`one_transaction`), so a request commits (and
flushes the WAL) once; a refused request (4xx) still commits its count, so guessing is rate-limited.
"""

from __future__ import annotations

import datetime as dt
import functools
import hmac
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from ninja.security import APIKeyCookie, HttpBearer

from clearcourse.accounts.models import Pharmacy, PharmacyApiToken, User
from clearcourse.accounts.otp import session_needs_otp
from clearcourse.accounts.services import split_token, token_hash
from clearcourse.core import clock
from clearcourse.core.api import database_unavailable
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.core.lean_api import has_bearer_token

RATE_LIMITED = N_("Too many requests for this API token; try again in %(seconds)s seconds.")
SECOND_FACTOR_REQUIRED = N_("Confirm your sign-in with your second factor first.")
ROLE_NOT_ALLOWED = N_("Your role cannot use this endpoint.")


class RateLimitedError(DomainError):
    status = 429


def rate_limit() -> tuple[int, int]:
    """(requests allowed in any window, window in seconds)."""
    return (int(getattr(settings, "CLEARCOURSE_API_RATE_LIMIT", 120)),
            int(getattr(settings, "CLEARCOURSE_API_RATE_WINDOW", 60)))


@dataclass(frozen=True)
class Bucket:
    """The token bucket of one API token, as GCRA (the generic cell rate algorithm: one number per
    bucket, the "theoretical arrival time" ``tat``). A request at ``now`` is accepted when
    ``max(tat, now) - now <= tolerance`` and then moves ``tat`` to ``max(tat, now) + interval``.

    ``burst`` requests may come at once; after that one every ``interval`` seconds, where
    ``interval = window / (limit - burst)``. Any ``n`` accepted requests therefore span at least
    ``(n - burst) * interval`` seconds, so no span of ``window`` seconds ever holds more than ``limit``
    requests, wherever it starts (the fixed window let 2 x limit through across its boundary)."""

    limit: int
    window: float
    burst: int

    @property
    def interval(self) -> float:
        return self.window / max(1, self.limit - self.burst)

    @property
    def tolerance(self) -> float:
        return (self.burst - 1) * self.interval

    def retry_after(self, tat: float, now: float) -> int:
        """Whole seconds until a request would be accepted again."""
        return max(1, math.ceil(tat - self.tolerance - now))


def bucket() -> Bucket:
    limit, window = rate_limit()
    limit = max(1, limit)
    # Half the limit may come at once by default; the rest is spread over the window.
    burst = int(getattr(settings, "CLEARCOURSE_API_RATE_BURST", 0) or limit // 2)
    return Bucket(limit=limit, window=float(window), burst=max(1, min(burst, limit - 1)))


#: prefix -> (monotonic time fetched, token with its pharmacy and service user). Read-only instances shared
#: by the threads of one process; entries are replaced, never mutated.
_TOKEN_CACHE: dict[str, tuple[float, PharmacyApiToken]] = {}


def token_cache_seconds() -> float:
    return float(getattr(settings, "CLEARCOURSE_API_TOKEN_CACHE_SECONDS", 30))


def token_lookup(plain: str) -> PharmacyApiToken | None:
    """The token matching ``plain`` (active when it was read, at most ``token_cache_seconds()`` ago), or
    None. The secret is compared (constant-time) on every call. Revocation and a disabled service
    identity are checked again by :func:`token_count_request` on every request."""
    prefix = split_token(plain)
    if prefix is None:
        return None
    now = time.monotonic()
    cached = _TOKEN_CACHE.get(prefix)
    token = cached[1] if cached is not None and now - cached[0] < token_cache_seconds() else None
    if token is None:
        token = (PharmacyApiToken.objects.select_related("pharmacy", "service_user")
                 .filter(prefix=prefix, revoked_at__isnull=True).first())
        if token is None or not token.service_user.is_active:
            _TOKEN_CACHE.pop(prefix, None)
            return None
        _TOKEN_CACHE[prefix] = (now, token)
    if not hmac.compare_digest(token.secret_hash, token_hash(plain)):
        return None
    return token


@functools.cache
def _count_sql(vendor: str) -> str:
    """Accepts one request in the token's bucket, or matches no row. ``%(now)s`` appears several times,
    so the parameters are named."""
    q = connection.ops.quote_name
    t = q(PharmacyApiToken._meta.db_table)
    u = q(User._meta.db_table)
    start = "(CASE WHEN rate_tat > %(now)s THEN rate_tat ELSE %(now)s END)"
    return (f"UPDATE {t} SET rate_tat = {start} + %(interval)s, request_count = request_count + 1, "  # noqa: S608
            f"last_used_at = %(at)s "
            f"WHERE id = %(id)s AND revoked_at IS NULL "
            f"AND EXISTS (SELECT 1 FROM {u} su WHERE su.id = {t}.service_user_id AND su.is_active) "
            f"AND {start} - %(now)s <= %(tolerance)s "
            f"RETURNING rate_tat")


def token_count_request(token: PharmacyApiToken, *, now: dt.datetime | None = None) -> bool:
    """Counts one request in the token's bucket (:class:`Bucket`) with ONE statement on the way in
    (``UPDATE ... WHERE <bucket has room> RETURNING``, atomic in the database, so every web process
    shares the bucket) and raises RateLimitedError when the bucket is empty. Returns False, counting
    nothing, when the token was revoked or its service identity disabled since it was read (so
    revocation takes effect at once despite the cache)."""
    now = now or clock.now()
    rule = bucket()
    moment = now.timestamp()
    params = {"now": moment, "interval": rule.interval, "tolerance": rule.tolerance,
              "at": connection.ops.adapt_datetimefield_value(now), "id": token.pk}
    with connection.cursor() as cursor:
        cursor.execute(_count_sql(connection.vendor), params)
        if cursor.fetchone() is not None:
            return True
    # No room, or revoked: the rare path reads the row to tell which.
    state = (PharmacyApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True,
                                             service_user__is_active=True)
             .values_list("rate_tat", flat=True).first())
    if state is None:
        _TOKEN_CACHE.pop(token.prefix, None)
        return False
    retry = rule.retry_after(state, moment)
    raise RateLimitedError(_(RATE_LIMITED) % {"seconds": retry}, code="rate_limited",
                           extra={"retry_after": retry})


class PharmacyTokenAuth(HttpBearer):
    """Bearer token of a pharmacy system; ``request.auth`` is the Pharmacy. Put the endpoint in
    :func:`one_transaction` so that the count commits with the request's own work."""

    def authenticate(self, request: HttpRequest, token: str) -> Pharmacy | None:
        api_token = token_lookup(token)
        if api_token is None:
            return None
        if not token_count_request(api_token):
            return None
        request.user = api_token.service_user
        request.api_token = api_token  # type: ignore[attr-defined]
        # The pharmacy's calendar day decides "today" for this request (TimeZoneMiddleware resets it).
        timezone.activate(clock.zone_of(api_token.pharmacy))
        return api_token.pharmacy


def one_transaction(run: Callable[..., Any]) -> Callable[..., Any]:
    """For ``ninja.decorators.decorate_view``: the whole operation (authentication with its rate-limit
    count, the service, the answer) in ONE database transaction, so a request commits once. django-ninja
    turns a raised error into its answer inside the operation, so an error answer (4xx) commits the count
    while the service's own atomic block (a savepoint here) has already undone its writes."""

    @functools.wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            with transaction.atomic():
                return run(request, *args, **kwargs)
        except (OperationalError, InterfaceError) as exc:
            # BEGIN or COMMIT itself failed (database gone): the API's retryable 503, not an HTML 500.
            return database_unavailable(request, exc)

    return wrapper


def otp_needed(request: HttpRequest) -> bool:
    """Whether this signed-in session still owes its second factor (see accounts.otp)."""
    return session_needs_otp(request)


class SessionRoleAuth(APIKeyCookie):
    """The signed-in session, for browser pages calling the API; ``request.auth`` is the User."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def __init__(self, roles: Iterable[str] | None = None, csrf: bool = True) -> None:
        self.roles = frozenset(str(r) for r in roles) if roles is not None else None
        super().__init__(csrf=csrf)

    def _get_key(self, request: HttpRequest) -> str | None:
        # Without a session cookie there is nothing to check, and a CSRF failure here would hide a
        # later auth class (a pharmacy system's bearer token never comes with cookies).
        if self.param_name not in request.COOKIES:
            return None
        # A request that presents a bearer token is judged by the token alone: a session cookie riding
        # along (a pharmacist's browser, a forwarded cookie) must not rescue a revoked or wrong token.
        if has_bearer_token(request):
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if key is None or user is None or not user.is_authenticated or not user.is_active:
            return None
        if otp_needed(request):
            raise PermissionDeniedError(_(SECOND_FACTOR_REQUIRED), code="otp_required")
        if self.roles is not None and user.role not in self.roles:
            raise PermissionDeniedError(_(ROLE_NOT_ALLOWED), code="forbidden_role")
        return user


def api_actor(request: HttpRequest) -> User:
    """The user to pass as ``actor`` to services: the session user or the token's service identity."""
    user = request.user
    if not user.is_authenticated:
        raise PermissionDeniedError(_(ROLE_NOT_ALLOWED), code="not_authenticated")
    return user  # type: ignore[return-value]
