"""Who may knock on the REMS doors: a pharmacy system with its API token (NCPDP, FHIR), an EHR with a
signed JWT (CDS Hooks, see ``cds.py``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from clearcourse.accounts.api_auth import token_count_request, token_lookup
from clearcourse.accounts.models import PharmacyApiToken
from clearcourse.core import clock


def bearer(request: HttpRequest) -> str:
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    return header[7:].strip() if header[:7].lower() == "bearer " else ""


def pharmacy_token(request: HttpRequest) -> PharmacyApiToken | None:
    """The pharmacy API token the request presents, counted against its rate limit (raises
    ``RateLimitedError`` beyond it), or None. Activates the pharmacy's time zone, so ``clock.today()`` is
    the pharmacy's calendar day, exactly as for ``/api/v1``. Call inside the request's transaction."""
    plain = bearer(request)
    token = token_lookup(plain) if plain else None
    if token is None or not token_count_request(token):
        return None
    request.user = token.service_user
    timezone.activate(clock.zone_of(token.pharmacy))
    return token
