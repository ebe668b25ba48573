"""The JSON API (django-ninja), versioned under /api/v1/ with its OpenAPI schema.

Each app adds its router here. Domain errors map to HTTP in one place (:func:`domain_error`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from clearcourse.core.errors import DomainError

DOCS_SIGN_IN = "Sign in as an administrator, with your second factor, to read the API schema and docs."


def docs_are_visible(request: HttpRequest) -> bool:
    """The schema and its docs page: open when ``CLEARCOURSE_API_DOCS_PUBLIC`` (development), otherwise
    only to an active staff account (``is_staff``: administrators) whose session passed the second factor
    when that is required. A bearer token (a pharmacy system) never reads them."""
    if getattr(settings, "CLEARCOURSE_API_DOCS_PUBLIC", False):
        return True
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_active or not user.is_staff:
        return False
    is_verified = getattr(user, "is_verified", None)
    return not getattr(settings, "CLEARCOURSE_REQUIRE_2FA", True) or bool(is_verified and is_verified())


def staff_docs(view: Callable[..., Any]) -> Callable[..., Any]:
    """django-ninja's ``docs_decorator``: refuses the schema and docs to anyone :func:`docs_are_visible`
    turns away (401 signed out, 403 signed in), in the API's error shape."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if docs_are_visible(request):
            return view(request, *args, **kwargs)  # type: ignore[no-any-return]
        signed_in = bool(getattr(request, "user", None) and request.user.is_authenticated)
        code, status = ("forbidden", 403) if signed_in else ("not_authenticated", 401)
        return JsonResponse({"error": {"code": code, "message": DOCS_SIGN_IN}}, status=status)

    return wrapper


api = NinjaAPI(
    title="ClearCourse API",
    docs_decorator=staff_docs,
    version="1",
    description="Pharmacy authorization and dispensing, and clinic data exchange. Every error body is "
                "`{\"error\": {\"code\", \"message\", \"field\"?}}`.",
    urls_namespace="api",
)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_json(), status=exc.status)


DATABASE_UNAVAILABLE = "The database is unavailable for a moment; retry the request."
RETRY_AFTER_SECONDS = 2


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: Exception) -> HttpResponse:
    """A lost or refused database connection (a restart, a failover) is temporary: answer 503 in the
    API's error shape with Retry-After, so a pharmacy system retries (with its idempotency key) instead
    of seeing an HTML 500. The request's transaction was rolled back, so nothing was half-written."""
    body = {"error": {"code": "database_unavailable", "message": DATABASE_UNAVAILABLE}}
    response = api.create_response(request, body, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


REQUEST_TOO_LARGE = "The request body is larger than %(limit)s bytes."


@api.exception_handler(RequestDataTooBig)
def request_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``: 413 in the API's error shape. Without this, Django
    answered its HTML 400 page in production, and django-ninja a 500 with a traceback in debug."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = {"error": {"code": "request_too_large", "message": REQUEST_TOO_LARGE % {"limit": limit},
                      "field": "body"}}
    return api.create_response(request, body, status=413)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    # Same error shape as every other answer, so clients parse one format.
    body = {"error": {"code": "not_authenticated", "message": "Sign in, or send a valid API token."}}
    return api.create_response(request, body, status=401)


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Ninja's own refusals (a body that is not JSON, a failed CSRF check) in the common error shape.
    An unparseable body is bad input like any other, so it is 422 as every endpoint documents."""
    if exc.status_code == 400:
        body = {"error": {"code": "invalid_json", "message": "The request body is not valid JSON.", "field": "body"}}
        return api.create_response(request, body, status=422)
    code = "csrf_failed" if exc.status_code == 403 and "CSRF" in str(exc.message) else f"http_{exc.status_code}"
    return api.create_response(request, {"error": {"code": code, "message": str(exc.message)}},
                               status=exc.status_code)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [str(p) for p in first.get("loc", []) if p not in ("body", "payload", "query", "path")]
    body = {"error": {"code": "invalid", "message": first.get("msg", "Invalid input."),
                      "field": ".".join(loc) or None, "errors": [
                          {"field": ".".join(str(p) for p in e.get("loc", [])), "message": e.get("msg", "")}
                          for e in exc.errors]}}
    return api.create_response(request, body, status=422)


def mount(prefix: str, router: Any) -> None:
    """Mount an app's router (called by the composition root, ``clearcourse.urls``: apps above ``core``
    hand their routers in; ``core`` never imports them)."""
    api.add_router(prefix, router)
