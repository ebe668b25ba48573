"""The CDS Hooks 2.0 door: discovery at ``GET /cds-services`` and three services for isotretinoin,
``rems-order-select``, ``rems-order-sign`` and ``rems-patient-view`` (the ids MITRE's REMS administrator
uses, so its EHR test client finds them).

**Authentication** is what the CDS Hooks specification asks of a CDS client: each call carries
``Authorization: Bearer <JWT>`` signed by the EHR with a key of its JWK Set. The token's ``iss`` must be a
registered EHR client (``python -m clearcourse register_ehr ISSUER JWKS``), its signature must verify
against that client's JWK Set (stored, or fetched from its URL), ``aud`` must be the URL of the service
called, ``exp`` must lie ahead (at most an hour), and its ``jti`` must never have been used before. An
unsigned (``alg: none``), expired, wrongly signed, replayed or unknown-issuer token gets 401 and no card.

**What it answers**: the patient (from the ``patient`` prefetch: name and birthDate, or the clinic's record
number as an identifier) is looked up in the EHR client's clinic; the order (``context.draftOrders``
MedicationRequest coded by RxNorm or NDC) must be isotretinoin; the requirements are the rules core's
conditions for a prescription written today, with the certification of the ordering prescriber (matched
on the ``practitioner`` prefetch's NPI, else the course's prescriber). Each unmet requirement is a card
(``critical`` for a positive pregnancy test or a patient not enrolled, ``warning`` otherwise) naming it,
its reasons and their sources, with a link that opens the course in ClearCourse.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from django.db import IntegrityError, transaction

from clearcourse.accounts.models import Role, User
from clearcourse.audit.services import audit_record
from clearcourse.core import clock
from clearcourse.core.errors import DomainError
from clearcourse.courses.models import Course, Patient
from clearcourse.interop import codes
from clearcourse.ppp.selectors import course_evaluation
from clearcourse.rems import matching
from clearcourse.rems.fhir import requirement_name
from clearcourse.rems.models import EhrClient, UsedJti

SERVICES = {
    "rems-order-select": ("order-select", "ClearCourse isotretinoin REMS: order select"),
    "rems-order-sign": ("order-sign", "ClearCourse isotretinoin REMS: order sign"),
    "rems-patient-view": ("patient-view", "ClearCourse isotretinoin REMS: patient view"),
}
PREFETCH = {"patient": "Patient/{{context.patientId}}", "practitioner": "{{context.userId}}"}
ALGORITHMS = ("RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512")
MAX_LIFETIME = dt.timedelta(hours=1)
JWKS_CACHE_SECONDS = 300
CRITICAL_CODES = frozenset({"pregnancy_test_positive", "not_enrolled"})
_JWKS_CACHE: dict[str, tuple[float, dict[str, Any]]] = {}


class HookRefused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def discovery() -> dict[str, Any]:
    return {"services": [
        {"hook": hook, "id": service_id, "title": title,
         "description": "Each unmet requirement of the isotretinoin pregnancy-prevention program (REMS) for "
                        "this patient, with its source and a link to the course in ClearCourse.",
         "prefetch": dict(PREFETCH),
         "usageRequirements": "Register the EHR as a CDS client (its JWT issuer and JWK Set) with ClearCourse."}
        for service_id, (hook, title) in SERVICES.items()]}


# --- authentication ------------------------------------------------------------------------------------


def _jwks(client: EhrClient) -> dict[str, Any]:
    if client.jwks:
        return dict(client.jwks)
    cached = _JWKS_CACHE.get(client.jwks_url)
    if cached is not None and time.monotonic() - cached[0] < JWKS_CACHE_SECONDS:
        return cached[1]
    try:
        with urllib.request.urlopen(client.jwks_url, timeout=5) as response:  # noqa: S310 - the registered URL
            keys = json.loads(response.read(1_000_000))
    except (OSError, ValueError) as exc:
        raise HookRefused(401, f"The EHR client's JWK Set could not be fetched ({type(exc).__name__}).") from None
    _JWKS_CACHE[client.jwks_url] = (time.monotonic(), keys)
    return dict(keys)


def authenticate(authorization: str, audience: str) -> EhrClient:
    """The registered EHR client whose JWT this is, after every check in the module docstring."""
    if authorization[:7].lower() != "bearer ":
        raise HookRefused(401, "Send a JWT signed by a registered EHR client as Authorization: Bearer.")
    token = authorization[7:].strip()
    try:
        header = jwt.get_unverified_header(token)
        unverified = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise HookRefused(401, "The bearer token is not a JWT.") from None
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise HookRefused(401, f"JWTs signed with {algorithm!r} are not accepted (asymmetric signatures only).")
    issuer = unverified.get("iss")
    client = (EhrClient.objects.select_related("clinic").filter(issuer=issuer, revoked_at__isnull=True).first()
              if isinstance(issuer, str) else None)
    if client is None:
        raise HookRefused(401, "The JWT's issuer is not a registered EHR client.")
    try:
        key_set = jwt.PyJWKSet.from_dict(_jwks(client))
    except jwt.PyJWTError:
        raise HookRefused(401, "The EHR client's JWK Set holds no usable key.") from None
    kid = header.get("kid")
    keys = [k for k in key_set.keys if kid is None or k.key_id == kid]
    claims: dict[str, Any] | None = None
    for key in keys:
        try:
            claims = jwt.decode(token, key.key, algorithms=[algorithm], audience=[audience, audience.rstrip("/")],
                                issuer=client.issuer, leeway=30,
                                options={"require": ["iss", "aud", "exp", "jti"]})
            break
        except jwt.InvalidSignatureError:
            continue
        except jwt.ExpiredSignatureError:
            raise HookRefused(401, "The JWT has expired.") from None
        except jwt.InvalidAudienceError:
            raise HookRefused(401, "The JWT's audience (aud) is not this service's URL.") from None
        except jwt.PyJWTError as exc:
            raise HookRefused(401, f"The JWT is not valid: {exc}.") from None
    if claims is None:
        raise HookRefused(401, "The JWT's signature does not verify with the EHR client's keys.")
    expires = dt.datetime.fromtimestamp(int(claims["exp"]), tz=dt.UTC)
    if expires - clock.now() > MAX_LIFETIME:
        raise HookRefused(401, "The JWT expires too far ahead (at most an hour; five minutes is usual).")
    try:
        with transaction.atomic():
            UsedJti.objects.create(client=client, jti=str(claims["jti"])[:255], expires_at=expires)
    except IntegrityError:
        raise HookRefused(401, "This JWT (its jti) has already been used.") from None
    UsedJti.objects.filter(client=client, expires_at__lt=clock.now() - dt.timedelta(minutes=5)).delete()
    return client


# --- the services --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Found:
    course: Course | None
    why: str = ""


def _resource(hook: dict[str, Any], key: str) -> dict[str, Any] | None:
    prefetch = hook.get("prefetch") or {}
    value = prefetch.get(key) if isinstance(prefetch, dict) else None
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        entries = [e.get("resource") for e in value.get("entry") or [] if isinstance(e, dict)]
        value = next((r for r in entries if isinstance(r, dict)), None)
    return value if isinstance(value, dict) else None


def _patient(client: EhrClient, patient: dict[str, Any] | None) -> Found:
    if patient is None or patient.get("resourceType") != "Patient":
        return Found(None, "The EHR sent no Patient prefetch, so ClearCourse cannot find the patient's course.")
    born = str(patient.get("birthDate") or "")
    rows = Patient.objects.filter(clinic=client.clinic, birth_date=born) if len(born) == 10 else Patient.objects.none()
    numbers = {str(i.get("value")) for i in patient.get("identifier") or [] if isinstance(i, dict) and i.get("value")}
    names = [n for n in patient.get("name") or [] if isinstance(n, dict)]
    chosen = None
    if numbers:
        chosen = rows.filter(record_number__in=numbers).first()
    if chosen is None and names:
        official = next((n for n in names if n.get("use") == "official"), names[0])
        given = (official.get("given") or [""])[0]
        family = official.get("family") or ""
        chosen = next((p for p in rows if p.given_name.casefold() == str(given).casefold()
                       and p.family_name.casefold() == str(family).casefold()), None)
    if chosen is None:
        return Found(None, "No patient of this clinic in ClearCourse matches this patient (name or record "
                           "number, and date of birth): enrol the patient before prescribing isotretinoin.")
    course = Course.objects.filter(patient=chosen).exclude(status__in=("closed", "stopped")).order_by(
        "-created_at", "-id").first()
    if course is None:
        return Found(None, "The patient has no open isotretinoin course in ClearCourse.")
    return Found(course)


def _orders(hook: dict[str, Any]) -> list[dict[str, Any]]:
    context = hook.get("context") or {}
    bundle = context.get("draftOrders") if isinstance(context, dict) else None
    entries = bundle.get("entry") if isinstance(bundle, dict) else None
    return [e["resource"] for e in entries or [] if isinstance(e, dict) and isinstance(e.get("resource"), dict)
            and e["resource"].get("resourceType") == "MedicationRequest"]


def _product(order: dict[str, Any]) -> matching.ProductMatch | None:
    concept = order.get("medicationCodeableConcept") or {}
    contained = [r for r in order.get("contained") or [] if isinstance(r, dict) and r.get("resourceType") == "Medication"]
    if not concept and contained:
        concept = contained[0].get("code") or {}
    pairs = [(str(c.get("system") or ""), str(c.get("code") or "")) for c in concept.get("coding") or []
             if isinstance(c, dict)]
    return matching.match_product(pairs)


def _prescriber_id(hook: dict[str, Any]) -> int | None:

    practitioner = _resource(hook, "practitioner")
    if practitioner is None:
        return None
    npis = [str(i.get("value")) for i in practitioner.get("identifier") or []
            if isinstance(i, dict) and i.get("system") == codes.ID_NPI and i.get("value")]
    if not npis:
        return None
    return User.objects.filter(role=Role.PRESCRIBER, npi__in=npis).values_list("pk", flat=True).first()


def _card(summary: str, indicator: str, detail: str, link: str, source_label: str, source_url: str) -> dict[str, Any]:
    return {"uuid": str(uuid.uuid4()), "summary": summary[:139], "indicator": indicator, "detail": detail,
            "source": {"label": source_label, "url": source_url},
            "links": [{"label": "Open the course in ClearCourse", "url": link, "type": "absolute"}]}


def cards_for(hook: dict[str, Any], client: EhrClient, *, base_url: str, service_id: str) -> dict[str, Any]:
    """The service's answer: ``{"cards": [...]}``."""
    hook_name = SERVICES[service_id][0]
    source_label = f"ClearCourse REMS ({client.clinic.get_program_display()})"
    if hook_name in ("order-select", "order-sign"):
        products = [p for p in (_product(o) for o in _orders(hook)) if p is not None]
        if not products:
            return {"cards": []}  # no isotretinoin order: nothing to say
    found = _patient(client, _resource(hook, "patient"))
    if found.course is None:
        return {"cards": [_card("Isotretinoin REMS: no ClearCourse course for this patient", "warning", found.why,
                                f"{base_url}/patients/", source_label, base_url)]}
    course = found.course
    link = f"{base_url}/programs/courses/{course.pk}/"
    try:
        evaluation = course_evaluation(course, on=clock.today(), prescriber_id=_prescriber_id(hook)
                                       or course.prescriber_id)
    except DomainError as exc:
        return {"cards": [_card("Isotretinoin REMS: no program version in force", "warning", exc.message, link,
                                source_label, base_url)]}
    with transaction.atomic():
        audit_record(actor=None, action=f"rems.cds.{hook_name}", patient_id=course.patient_id, obj=course,
                     detail={"client": client.issuer, "case": matching.case_number(course)})
    unmet = [c for c in evaluation.conditions if not c.met]
    if not unmet:
        return {"cards": [_card("Isotretinoin REMS: every requirement is met today", "info",
                                f"Case {matching.case_number(course)}: a prescription written today may be "
                                "authorized for dispensing while every requirement stays met.", link,
                                source_label, base_url)]}
    cards = []
    for condition in unmet:
        name = requirement_name(condition.key)
        indicator = "critical" if any(r.code in CRITICAL_CODES for r in condition.reasons) else "warning"
        lines = [f"- {r.message} (source: {r.source.cite()})" for r in condition.reasons]
        cards.append(_card(f"Isotretinoin REMS: {name} — not met", indicator,
                           f"Case {matching.case_number(course)}.\n\n" + "\n".join(lines), link, source_label,
                           base_url))
    return {"cards": cards}
