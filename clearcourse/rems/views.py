"""The REMS doors over HTTP. Thin: authenticate, hand the body to the door, send its answer.

They are CSRF-exempt (no cookie authenticates them: a pharmacy's token or an EHR's JWT does) and take the
lean middleware path of bearer requests (``core.lean_api``). Each request is one database transaction.
"""

from __future__ import annotations

from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from clearcourse.accounts.api_auth import RateLimitedError
from clearcourse.rems import auth, ncpdp, xmlio

XML = "application/xml; charset=utf-8"


def _xml(answer: ncpdp.Answer, **headers: str) -> HttpResponse:
    response = HttpResponse(answer.body, status=answer.status, content_type=XML)
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
def ncpdp_script(request: HttpRequest) -> HttpResponse:
    """``POST /ncpdp/script``: one SCRIPT message in, one SCRIPT message out."""
    if request.method != "POST":
        return _xml(ncpdp.error_answer(None, "Send the SCRIPT message with POST.", status=405), Allow="POST")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > xmlio.MAX_BYTES:
        return _xml(ncpdp.error_answer(None, f"The message is larger than {xmlio.MAX_BYTES // 1024} KB.", status=413))
    try:
        with transaction.atomic():
            try:
                token = auth.pharmacy_token(request)
            except RateLimitedError as exc:
                return _xml(ncpdp.error_answer(None, exc.message, code=ncpdp.REJECTED, status=429),
                            **{"Retry-After": str((exc.extra or {}).get("retry_after", 60))})
            if token is None:
                return _xml(ncpdp.error_answer(None, "Send the pharmacy's API token as Authorization: Bearer.",
                                               code=ncpdp.REJECTED, status=401), **{"WWW-Authenticate": "Bearer"})
            return _xml(ncpdp.handle(request.body, token))
    except (OperationalError, InterfaceError):
        return _xml(ncpdp.error_answer(None, "The database is unavailable for a moment; retry the message.",
                                       code=ncpdp.SYSTEM, status=503), **{"Retry-After": "2"})
