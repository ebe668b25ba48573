"""The REMS doors over HTTP. Thin: authenticate, hand the body to the door, send its answer.

They are CSRF-exempt (no cookie authenticates them: a pharmacy's token or an EHR's JWT does) and take the
lean middleware path of bearer requests (``core.lean_api``). Each request is one database transaction.
"""

from __future__ import annotations

import json

from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from clearcourse.accounts.api_auth import RateLimitedError
from clearcourse.rems import auth, cds, fhir, ncpdp, xmlio

XML = "application/xml; charset=utf-8"
FHIR_JSON = "application/fhir+json; charset=utf-8"
#: The largest FHIR request body read (a Parameters with a Patient and a Medication is a few KB).
MAX_FHIR_BYTES = 256 * 1024


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


def _fhir(answer: fhir.FhirAnswer, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(answer.body), status=answer.status, content_type=FHIR_JSON)
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
def fhir_rems_etasu(request: HttpRequest) -> HttpResponse:
    """``POST /fhir/r4/GuidanceResponse/$rems-etasu``."""
    if request.method != "POST":
        return _fhir(fhir.outcome(405, "not-supported", "Call the operation with POST."), Allow="POST")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_FHIR_BYTES:
        return _fhir(fhir.outcome(413, "too-costly", "The request body is too large."))
    try:
        with transaction.atomic():
            try:
                token = auth.pharmacy_token(request)
            except RateLimitedError as exc:
                return _fhir(fhir.outcome(429, "throttled", exc.message))
            if token is None:
                return _fhir(fhir.outcome(401, "login", "Send the pharmacy's API token as Authorization: Bearer."),
                             **{"WWW-Authenticate": "Bearer"})
            try:
                parameters = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                return _fhir(fhir.outcome(400, "invalid", "The body is not JSON."))
            return _fhir(fhir.rems_etasu(parameters, token))
    except (OperationalError, InterfaceError):
        return _fhir(fhir.outcome(503, "transient", "The database is unavailable for a moment; retry."),
                     **{"Retry-After": "2"})


@csrf_exempt
def fhir_metadata(request: HttpRequest) -> HttpResponse:
    """``GET /fhir/r4/metadata``: what this FHIR endpoint offers (no authentication, as FHIR expects)."""
    if request.method != "GET":
        return _fhir(fhir.outcome(405, "not-supported", "Read the CapabilityStatement with GET."), Allow="GET")
    return _fhir(fhir.FhirAnswer(200, fhir.capability_statement(request.build_absolute_uri("/fhir/r4"))))


def _json(body: object, status: int = 200, **headers: str) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    return response


@csrf_exempt
def cds_discovery(request: HttpRequest) -> HttpResponse:
    """``GET /cds-services``: the CDS Hooks discovery document (public, as the specification says)."""
    if request.method != "GET":
        return _json({"error": "Read the discovery document with GET."}, 405, Allow="GET")
    return _json(cds.discovery())


@csrf_exempt
def cds_service(request: HttpRequest, service_id: str) -> HttpResponse:
    """``POST /cds-services/<id>``: one hook call, answered with cards."""
    if service_id not in cds.SERVICES:
        return _json({"error": "No such CDS service."}, 404)
    if request.method != "POST":
        return _json({"error": "Call a CDS service with POST."}, 405, Allow="POST")
    length = request.META.get("CONTENT_LENGTH") or "0"
    if not length.isdigit() or int(length) > MAX_FHIR_BYTES:
        return _json({"error": "The request body is too large."}, 413)
    audience = request.build_absolute_uri(request.path)
    try:
        with transaction.atomic():
            try:
                client = cds.authenticate(str(request.META.get("HTTP_AUTHORIZATION", "")), audience)
            except cds.HookRefused as refused:
                return _json({"error": refused.message}, refused.status, **{"WWW-Authenticate": "Bearer"})
            try:
                hook = json.loads(request.body or b"null")
            except (ValueError, UnicodeDecodeError):
                return _json({"error": "The body is not JSON."}, 400)
            if not isinstance(hook, dict):
                return _json({"error": "The body is not a CDS Hooks request."}, 400)
            base = request.build_absolute_uri("/").rstrip("/")
            return _json(cds.cards_for(hook, client, base_url=base, service_id=service_id))
    except (OperationalError, InterfaceError):
        return _json({"error": "The database is unavailable for a moment; retry."}, 503, **{"Retry-After": "2"})
