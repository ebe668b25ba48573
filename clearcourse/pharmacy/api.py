"""The pharmacy JSON API, mounted at ``/api/v1/pharmacy/``.

A pharmacy system authenticates with its API token (``Authorization: Bearer ...``); a signed-in
pharmacist's browser session works too (CSRF-checked). Either way the acting user is a pharmacist of
one pharmacy, and everything is scoped to that pharmacy: another pharmacy's authorization is "not
found".

Errors are ``{"error": {"code", "message", "field"}}``: 404 unknown or outside your pharmacy, 409 the
state forbids it (``already_dispensed``, ``authorization_expired``, ...), 422 bad input (schema errors,
``days_supply_exceeds_limit``, ``idempotency_key_reused``), with ``field`` naming the input at fault.
Nothing is written when an error is answered.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Header, Query, Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import BeforeValidator, ConfigDict, StrictInt, StrictStr

from clearcourse.accounts.api_auth import PharmacyTokenAuth, SessionRoleAuth, api_actor, one_transaction
from clearcourse.accounts.models import User
from clearcourse.core import clock
from clearcourse.courses.models import Prescription
from clearcourse.pharmacy import selectors, services
from clearcourse.pharmacy.models import Authorization, Dispense
from clearcourse.pharmacy.selectors import UnprocessableError

PREFIX = "/pharmacy/"

IDEMPOTENCY_KEYS_DIFFER = "The Idempotency-Key header and the body's idempotency_key differ."
IDEMPOTENCY_KEY_MISSING = "Send an Idempotency-Key header (or an idempotency_key field)."

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _iso_date(value: Any) -> Any:
    """Dates are ISO ``YYYY-MM-DD`` strings, nothing else (no timestamps, no other formats)."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise ValueError("Enter a date as YYYY-MM-DD.")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("This date does not exist.") from None


IsoDate = Annotated[dt.date, BeforeValidator(_iso_date)]


class StrictSchema(Schema):
    model_config = ConfigDict(strict=True, extra="forbid")


# --- output -----------------------------------------------------------------------------------------


class ErrorBody(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorSchema(Schema):
    error: ErrorBody


class ReasonOut(Schema):
    code: str
    message: str
    source: str


class PatientOut(Schema):
    """Only what dispensing needs."""

    given_name: str
    family_name: str
    birth_date: dt.date


class PrescriptionOut(Schema):
    reference: str
    issued_on: dt.date
    product: str
    daily_dose_mg: int
    capsules: dict[str, int]
    days_supply: int
    voided: bool


class DispenseOut(Schema):
    id: int
    authorization_id: int | None
    prescription: str
    dispensed_on: dt.date
    days_supply: int
    daily_dose_mg: int
    ipledge_rma: str
    idempotency_key: str
    #: True when this answers a retry: the dispense was recorded by an earlier request with the same key.
    replayed: bool = False


class ReversalOut(Schema):
    reversed_on: dt.date
    reason: str


class AuthorizationOut(Schema):
    id: int
    reference: str
    status: str = Field(description="refused, open, dispensed, reversed or expired (computed for today)")
    allowed: bool
    program: str = Field(description="the program version applied, e.g. us-ipledge-2026")
    decided_on: dt.date
    valid_through: dt.date | None = Field(description="last day the authorization may be used; null when refused")
    reasons: list[ReasonOut] = Field(description="every unmet condition with its source; empty when allowed")
    days_supply: int
    ipledge_rma: str
    patient: PatientOut
    prescription: PrescriptionOut
    dispense: DispenseOut | None
    reversal: ReversalOut | None


class PrescriptionLookupOut(Schema):
    patient: PatientOut
    prescription: PrescriptionOut
    dispensed_on: dt.date | None
    superseded: bool


# --- input ------------------------------------------------------------------------------------------


class AuthorizationIn(StrictSchema):
    reference: StrictStr = Field(max_length=40, description="the prescription reference printed on it, e.g. RX-1234-K7Q3")
    birth_date: IsoDate = Field(description="the patient's date of birth, YYYY-MM-DD")
    days_supply: StrictInt = Field(ge=1, le=services.MAX_DAYS_SUPPLY)
    ipledge_rma: StrictStr = Field("", max_length=40, description="iPLEDGE RMA number, when you have one")


class DispenseIn(StrictSchema):
    authorization_id: StrictInt = Field(ge=1)
    days_supply: StrictInt = Field(ge=1, le=services.MAX_DAYS_SUPPLY)
    idempotency_key: StrictStr | None = Field(None, max_length=100,
                                              description="or send the Idempotency-Key header")
    ipledge_rma: StrictStr = Field("", max_length=40)


class ReverseIn(StrictSchema):
    reason: StrictStr = Field("", max_length=500, description="why the authorization is given back (required, at "
                              "least 5 characters), for example \"Not picked up\"")


class LookupQuery(StrictSchema):
    reference: StrictStr = Field(max_length=40)
    birth_date: IsoDate


# --- helpers ----------------------------------------------------------------------------------------


def _auth() -> list[Any]:
    """A pharmacy's API token, or a signed-in pharmacist's session (CSRF-checked). Both resolve to a
    pharmacist user of one pharmacy (a token acts through its service identity), which is all the
    services need, so another auth class can be added here without touching them."""
    return [PharmacyTokenAuth(), SessionRoleAuth(roles={"pharmacist"})]


def _actor(request: HttpRequest) -> User:
    return api_actor(request)


def _patient_out(prescription: Prescription) -> PatientOut:
    patient = prescription.course.patient
    return PatientOut(given_name=patient.given_name, family_name=patient.family_name, birth_date=patient.birth_date)


def _prescription_out(prescription: Prescription) -> PrescriptionOut:
    return PrescriptionOut(
        reference=selectors.prescription_reference(prescription), issued_on=prescription.issued_on,
        product=prescription.product, daily_dose_mg=prescription.daily_dose_mg,
        capsules={str(k): int(v) for k, v in (prescription.capsules or {}).items()},
        days_supply=prescription.days_supply, voided=prescription.voided,
    )


def _dispense_out(dispense: Dispense, *, replayed: bool = False) -> DispenseOut:
    return DispenseOut(
        id=dispense.pk, authorization_id=dispense.authorization_id,
        prescription=selectors.prescription_reference(dispense.prescription_id), dispensed_on=dispense.dispensed_on,
        days_supply=dispense.days_supply, daily_dose_mg=dispense.daily_dose_mg, ipledge_rma=dispense.ipledge_rma,
        idempotency_key=dispense.idempotency_key, replayed=replayed,
    )


def _authorization_out(authorization: Authorization, *, today: dt.date) -> AuthorizationOut:
    prescription = authorization.prescription
    dispense, reversal = authorization.dispense, authorization.reversal
    return AuthorizationOut(
        id=authorization.pk, reference=authorization.reference, status=authorization.status_on(today),
        allowed=authorization.allowed, program=authorization.program, decided_on=authorization.decided_on,
        valid_through=authorization.valid_through, reasons=[ReasonOut(**r) for r in authorization.reasons],
        days_supply=authorization.days_supply, ipledge_rma=authorization.ipledge_rma,
        patient=PatientOut(given_name=authorization.patient.given_name, family_name=authorization.patient.family_name,
                           birth_date=authorization.patient.birth_date),
        prescription=_prescription_out(prescription),
        dispense=_dispense_out(dispense) if dispense is not None else None,
        reversal=ReversalOut(reversed_on=reversal.reversed_on, reason=reversal.reason) if reversal is not None else None,
    )


ERRORS: dict[int, Any] = {401: ErrorSchema, 403: ErrorSchema, 404: ErrorSchema, 422: ErrorSchema, 429: ErrorSchema}
ERRORS_409: dict[int, Any] = {**ERRORS, 409: ErrorSchema}

router = Router(tags=["pharmacy"], auth=_auth())


@router.post("/authorizations", response={201: AuthorizationOut, **ERRORS}, url_name="pharmacy_authorize",
             summary="Ask whether a prescription may be dispensed today")
@decorate_view(one_transaction)
def authorize(request: HttpRequest, payload: AuthorizationIn) -> Status[AuthorizationOut]:
    """Stores and returns the decision: ``allowed`` with ``valid_through``, or a refusal listing every
    unmet condition (code, message, source). A supply over the program's limit or the prescription is
    refused with 422 ``days_supply_exceeds_limit`` on ``days_supply`` and stores nothing."""
    today = clock.today()
    authorization = services.authorization_request(
        actor=_actor(request), reference=payload.reference, birth_date=payload.birth_date,
        days_supply=payload.days_supply, ipledge_rma=payload.ipledge_rma, today=today,
    )
    return Status(201, _authorization_out(authorization, today=today))


@router.get("/authorizations/{authorization_id}", response={200: AuthorizationOut, **ERRORS},
            url_name="pharmacy_authorization", summary="One of your pharmacy's authorizations")
@decorate_view(one_transaction)
def authorization_detail(request: HttpRequest, authorization_id: int) -> AuthorizationOut:
    authorization = selectors.authorization_get(actor=_actor(request), authorization_id=authorization_id)
    return _authorization_out(authorization, today=clock.today())


@router.post("/authorizations/{authorization_id}/reverse", response={200: AuthorizationOut, **ERRORS_409},
             url_name="pharmacy_reverse", summary="Reverse an unused authorization")
@decorate_view(one_transaction)
def authorization_reverse(request: HttpRequest, authorization_id: int, payload: ReverseIn) -> AuthorizationOut:
    """The patient did not pick the prescription up. A reason is required (422 without one). Repeating the call
    changes nothing; a refused or dispensed authorization answers 409."""
    actor = _actor(request)
    today = clock.today()
    services.authorization_reverse(actor=actor, authorization_id=authorization_id, today=today, reason=payload.reason)
    authorization = selectors.authorization_get(actor=actor, authorization_id=authorization_id, audit=None)
    return _authorization_out(authorization, today=today)


@router.post("/dispenses", response={201: DispenseOut, 200: DispenseOut, **ERRORS_409}, url_name="pharmacy_dispense",
             summary="Record the dispense of an authorized prescription (exactly once)")
@decorate_view(one_transaction)
def dispense(request: HttpRequest, payload: DispenseIn,
             idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None
             ) -> Status[DispenseOut]:
    """Send an ``Idempotency-Key`` header (or body field). A retry with the same key and content answers
    200 with the original dispense; the same key with other content answers 422 on the field that
    differs. A second dispense of the prescription answers 409 ``already_dispensed``."""
    key = idempotency_key if idempotency_key is not None else payload.idempotency_key
    if idempotency_key is not None and payload.idempotency_key is not None and idempotency_key != payload.idempotency_key:
        raise UnprocessableError(IDEMPOTENCY_KEYS_DIFFER, code="invalid_idempotency_key", field="idempotency_key")
    if not key:
        raise UnprocessableError(IDEMPOTENCY_KEY_MISSING, code="invalid_idempotency_key", field="idempotency_key")
    result = services.dispense_record(
        actor=_actor(request), authorization_id=payload.authorization_id, idempotency_key=key,
        days_supply=payload.days_supply, ipledge_rma=payload.ipledge_rma, today=clock.today(),
    )
    return Status(200 if result.replayed else 201, _dispense_out(result.dispense, replayed=result.replayed))


@router.post("/prescriptions/lookup", response={200: PrescriptionLookupOut, **ERRORS},
             url_name="pharmacy_prescription_lookup",
             summary="Find a prescription by its reference and the patient's birth date (JSON body)")
@decorate_view(one_transaction)
def prescription_lookup(request: HttpRequest, payload: LookupQuery) -> PrescriptionLookupOut:
    """The look-up with the birth date in the body, so it stays out of URLs, proxies' and servers' logs."""
    return _lookup_answer(request, payload)


@router.get("/prescriptions/lookup", response={200: PrescriptionLookupOut, **ERRORS}, deprecated=True,
            url_name="pharmacy_prescription_lookup",
            summary="Deprecated: the same look-up with the birth date in the query string; use POST")
@decorate_view(one_transaction)
def prescription_lookup_by_query(request: HttpRequest, query: Query[LookupQuery]) -> PrescriptionLookupOut:
    """Kept for pharmacy systems written against the first version; the birth date lands in URLs and logs,
    so new clients use the POST form. Same throttle, lock and audit entries."""
    return _lookup_answer(request, query)


def _lookup_answer(request: HttpRequest, query: LookupQuery) -> PrescriptionLookupOut:
    prescription = selectors.prescription_lookup(actor=_actor(request), reference=query.reference,
                                                 birth_date=query.birth_date)
    return PrescriptionLookupOut(
        patient=_patient_out(prescription), prescription=_prescription_out(prescription),
        dispensed_on=prescription.first_dispensed_on,  # type: ignore[attr-defined]
        superseded=prescription.is_superseded,  # type: ignore[attr-defined]
    )
