"""Writes for the pharmacy: ask for an authorization, record the dispense, reverse an unused authorization.

Each is one transaction that writes its rows and its audit entry together, or nothing at all: every
check runs before the first INSERT, and a refusal raises a DomainError (mapped to 4xx by the API and
to a form error by the pages).

Exactly once: ``dispense_record`` and ``authorization_reverse`` first lock the prescription's row
(``SELECT ... FOR UPDATE``), so the two, and every concurrent attempt on the same prescription,
run one after another; then the partial unique constraint ``dispense_once_per_prescription`` (and the
one-to-one link to the authorization) make a second dispense impossible even for code that forgets
the lock. Under PostgreSQL's READ COMMITTED each statement after the lock sees what the previous
holder committed, so the second attempt finds the first dispense and is refused with
``already_dispensed``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clearcourse.accounts.models import Pharmacy, User
from clearcourse.audit.services import audit_record
from clearcourse.core import clock
from clearcourse.core.errors import ConflictError, DomainError, NotFoundError
from clearcourse.core.wording import draw, pharmacy_reason_json
from clearcourse.courses.models import Prescription
from clearcourse.courses.services import course_start_on_dispense
from clearcourse.pharmacy import selectors
from clearcourse.pharmacy.models import Authorization, AuthorizationReversal, Dispense
from clearcourse.pharmacy.selectors import AUTHORIZATION_NOT_FOUND, UnprocessableError
from clearcourse.pharmacy.signals import dispensed_after_commit
from clearcourse.rules import reversal as reversal_rule
from clearcourse.rules.programs.facts import Decision, Reason
from clearcourse.rules.sources import CLEARCOURSE_RECORD, PHARMACY_REVERSAL_WINDOW
from clearcourse.rules.text import Text

# Messages that tests assert (named placeholders; translated where raised).
DAYS_SUPPLY_INVALID = "Enter the days of supply as a whole number from 1 to 90."
RMA_INVALID = "Enter the iPLEDGE RMA number as given (letters, digits and dashes, at most 40)."
IDEMPOTENCY_KEY_INVALID = "Send an idempotency key of 1 to 100 visible characters."
IDEMPOTENCY_KEY_REUSED = ("This idempotency key was already used for a different dispense ({field} differs); "
                          "use a new key for a new dispense.")
AUTHORIZATION_REFUSED = "This request was refused; a refusal cannot be dispensed or reversed."
AUTHORIZATION_EXPIRED = "This authorization was valid through {valid_through}; ask for a new authorization."
AUTHORIZATION_NOT_YET_VALID = "This authorization was given for {decided_on}; it cannot be used before that day."
AUTHORIZATION_REVERSED = "This authorization was reversed on {reversed_on}; ask for a new authorization."
ALREADY_DISPENSED = "This prescription was already dispensed on {dispensed_on}; each prescription is dispensed once."
DAYS_SUPPLY_OVER_AUTHORIZED = "{authorized} days of supply were authorized; {days} were asked for."
NO_LONGER_ALLOWED = ("The conditions for dispensing are no longer met (recorded since the authorization): "
                     "{codes}. Ask for a new authorization.")
PRESCRIPTION_VOIDED = gettext_noop("Prescription {reference} was voided by the prescriber.")
PRESCRIPTION_SUPERSEDED = gettext_noop("Prescription {reference} was replaced by a corrected prescription.")
PRESCRIPTION_SUPERSEDED_BY = gettext_noop(
    "Prescription {reference} was replaced by a corrected prescription ({successor}).")

#: Reason codes that mean the request itself is wrong (the supply asked for), not the patient's record:
#: they are answered with 422 on ``days_supply`` and nothing is stored.
SUPPLY_CODES = frozenset({"days_supply_exceeds_limit", "days_supply_exceeds_prescription"})

REVERSAL_REASON_MIN_LENGTH = 5
REVERSAL_REASON_REQUIRED = "Give the reason for the reversal (at least 5 characters), for example \"Not picked up\"."
MAX_DAYS_SUPPLY = 90  # the prescription model's own bound; the program's limit is the core's business
_RMA = re.compile(r"^[A-Za-z0-9-]{1,40}$")
_KEY = re.compile(r"^[\x21-\x7e]{1,100}$")


def _check_days_supply(days_supply: Any) -> int:
    if isinstance(days_supply, bool) or not isinstance(days_supply, int) or not 1 <= days_supply <= MAX_DAYS_SUPPLY:
        raise UnprocessableError(_(DAYS_SUPPLY_INVALID), code="invalid", field="days_supply")
    return days_supply


def _check_rma(ipledge_rma: str) -> str:
    value = (ipledge_rma or "").strip()
    if value and not _RMA.match(value):
        raise UnprocessableError(_(RMA_INVALID), code="invalid", field="ipledge_rma")
    return value


def _check_key(idempotency_key: str) -> str:
    if not isinstance(idempotency_key, str) or not _KEY.match(idempotency_key):
        raise UnprocessableError(_(IDEMPOTENCY_KEY_INVALID), code="invalid_idempotency_key",
                                 field="idempotency_key")
    return idempotency_key


def _record_refusal(prescription: Prescription) -> Decision | None:
    """A refusal that needs no rules core: a voided or corrected prescription is not dispensable."""
    source = CLEARCOURSE_RECORD
    reference = selectors.prescription_reference(prescription)
    if prescription.voided:
        return Decision(allowed=False, program=prescription.course.program, reasons=(
            Reason("prescription_voided", Text.of(PRESCRIPTION_VOIDED, reference=reference), source),))
    if getattr(prescription, "is_superseded", False):
        successor = selectors.current_successor(prescription)
        text = (Text.of(PRESCRIPTION_SUPERSEDED_BY, reference=reference,
                        successor=selectors.prescription_reference(successor)) if successor is not None
                else Text.of(PRESCRIPTION_SUPERSEDED, reference=reference))
        return Decision(allowed=False, program=prescription.course.program, reasons=(
            Reason("prescription_superseded", text, source),))
    return None


def decision_for(prescription: Prescription, *, days_supply: int, today: dt.date, pharmacy_id: int) -> Decision:
    """The decision for ``pharmacy_id`` dispensing ``prescription`` today: the record's own refusals first,
    then the rules core (through the ppp loader, which also loads the prescriber's and the pharmacy's
    program certification). Every authorization path (pages, ``/api/v1``, the NCPDP and FHIR doors) comes
    here, so the same facts always get the same answer."""
    return _record_refusal(prescription) or selectors.program_decision(
        prescription.course, prescription=prescription, request_date=today, days_supply=days_supply,
        pharmacy_id=pharmacy_id)


def _supply_error(decision: Decision) -> UnprocessableError | None:
    supply = [r for r in decision.reasons if r.code in SUPPLY_CODES]
    if not supply:
        return None
    return UnprocessableError(draw(supply[0].text), code=supply[0].code, field="days_supply",
                              extra={"reasons": [pharmacy_reason_json(r) for r in decision.reasons]})


def authorization_request(*, actor: User, reference: str, birth_date: dt.date, days_supply: int,
                          today: dt.date, ipledge_rma: str = "") -> Authorization:
    """Ask whether the prescription may be dispensed today, and store the answer (allowed or refused,
    with every reason) as an Authorization of the actor's pharmacy.

    A supply over the program's limit or over the prescription is an error in the request, not a fact
    about the patient: it raises UnprocessableError on ``days_supply`` (with all the reasons) and
    stores nothing.

    Queries: one for the prescription, the loader's fixed handful, one INSERT, and the audit entry,
    whatever the length of the patient's history.
    """
    pharmacy_id = selectors.require_pharmacist(actor)
    days_supply = _check_days_supply(days_supply)
    ipledge_rma = _check_rma(ipledge_rma)
    # The look-up comes first, outside this service's transaction: a failed one is audited (and counts towards
    # the look-up guard) even though nothing else is written.
    prescription = selectors.prescription_lookup(actor=actor, reference=reference, birth_date=birth_date,
                                                 audit=None, with_first_dispense=False)
    return _authorization_store(actor=actor, prescription=prescription, pharmacy_id=pharmacy_id,
                                days_supply=days_supply, ipledge_rma=ipledge_rma, today=today)


@transaction.atomic
def _authorization_store(*, actor: User, prescription: Prescription, pharmacy_id: int, days_supply: int,
                         ipledge_rma: str, today: dt.date) -> Authorization:
    decision = decision_for(prescription, days_supply=days_supply, today=today, pharmacy_id=pharmacy_id)
    error = _supply_error(decision)
    if error is not None:
        raise error
    valid_through: dt.date | None = None
    if decision.allowed:
        # OPEN QUESTION (fact sheet #2): how long an authorization stays valid when the program sets no
        # window (iPLEDGE 2026 for patients who cannot get pregnant) is not known. Safer reading: it is
        # good on the day it was given; a later pick-up asks again, which re-checks every condition.
        valid_through = decision.valid_through or today
    authorization = Authorization.objects.create(
        pharmacy_id=pharmacy_id, prescription=prescription, patient=prescription.course.patient,
        decided_on=today, allowed=decision.allowed, reasons=[pharmacy_reason_json(r) for r in decision.reasons],
        valid_through=valid_through, program=decision.program, days_supply=days_supply,
        ipledge_rma=ipledge_rma, created_by=actor,
    )
    # A new authorization has no dispense and no reversal yet: say so, so that answering it reads nothing.
    Authorization.dispense_row.related.set_cached_value(authorization, None)
    Authorization.reversal_row.related.set_cached_value(authorization, None)
    audit_record(actor=actor, action="pharmacy.authorize", patient_id=authorization.patient_id, obj=authorization,
                 detail={"prescription": prescription.pk, "allowed": decision.allowed, "codes": list(decision.codes),
                         "program": decision.program, "days_supply": days_supply,
                         "valid_through": valid_through.isoformat() if valid_through else None})
    return authorization


@dataclass(frozen=True, slots=True)
class DispenseResult:
    dispense: Dispense
    #: True when an earlier request with the same idempotency key and content already recorded it.
    replayed: bool


def _replay(existing: Dispense, *, authorization_id: int, days_supply: int, ipledge_rma: str) -> DispenseResult:
    """Same key, same content: the original dispense. Same key, other content: 422 on the field that differs."""
    authorization_rma = ""
    if existing.authorization_id is not None:
        authorization_rma = (Authorization.objects.filter(pk=existing.authorization_id)
                             .values_list("ipledge_rma", flat=True).first() or "")
    differs = None
    if existing.authorization_id != authorization_id:
        differs = "authorization"
    elif existing.days_supply != days_supply:
        differs = "days_supply"
    elif (ipledge_rma or authorization_rma) != existing.ipledge_rma:
        differs = "ipledge_rma"
    if differs is not None:
        raise UnprocessableError(_(IDEMPOTENCY_KEY_REUSED).format(field=differs), code="idempotency_key_reused",
                                 field=differs)
    return DispenseResult(dispense=existing, replayed=True)


def _lock_prescription(prescription_id: int) -> None:
    """Serialise every dispense and reversal of one prescription (no-op on SQLite, which serialises writers)."""
    list(Prescription.objects.select_for_update().filter(pk=prescription_id).values_list("pk", flat=True))


def _already_dispensed(prescription_id: int) -> ConflictError | None:
    prior = (Dispense.objects.filter(prescription_id=prescription_id, supersedes__isnull=True)
             .values_list("dispensed_on", flat=True).first())
    if prior is None:
        return None
    return ConflictError(_(ALREADY_DISPENSED).format(dispensed_on=prior.isoformat()), code="already_dispensed",
                         field="authorization")


@transaction.atomic
def dispense_record(*, actor: User, authorization_id: int, idempotency_key: str, days_supply: int,
                    today: dt.date, ipledge_rma: str = "") -> DispenseResult:
    """Record that the prescription of ``authorization_id`` was handed over today.

    The authorization must be the actor's pharmacy's, allowed, not reversed, valid today, and cover
    the supply. The conditions are checked once more against the record as it is now (a positive test
    recorded since the authorization stops the hand-over). ``idempotency_key`` makes a retry safe: the
    same key with the same content returns the original dispense (``replayed``), with other content it
    is refused on the field that differs.
    """
    pharmacy_id = selectors.require_pharmacist(actor)
    idempotency_key = _check_key(idempotency_key)
    days_supply = _check_days_supply(days_supply)
    ipledge_rma = _check_rma(ipledge_rma)
    authorization = (Authorization.objects.select_related("prescription__course__patient")
                     .filter(pk=authorization_id, pharmacy_id=pharmacy_id).first())
    if authorization is None:
        raise NotFoundError(_(AUTHORIZATION_NOT_FOUND), code="authorization_not_found", field="authorization")
    prescription = authorization.prescription
    _lock_prescription(prescription.pk)

    existing = Dispense.objects.filter(pharmacy_id=pharmacy_id, idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replay(existing, authorization_id=authorization.pk, days_supply=days_supply, ipledge_rma=ipledge_rma)
    if not authorization.allowed:
        raise ConflictError(_(AUTHORIZATION_REFUSED), code="authorization_refused", field="authorization")
    conflict = _already_dispensed(prescription.pk)
    if conflict is not None:
        raise conflict
    reversed_on = (AuthorizationReversal.objects.filter(authorization_id=authorization.pk)
                   .values_list("reversed_on", flat=True).first())
    if reversed_on is not None:
        raise ConflictError(_(AUTHORIZATION_REVERSED).format(reversed_on=reversed_on.isoformat()),
                            code="authorization_reversed", field="authorization")
    assert authorization.valid_through is not None  # noqa: S101 - a database constraint for allowed rows
    if today > authorization.valid_through:
        raise ConflictError(_(AUTHORIZATION_EXPIRED).format(valid_through=authorization.valid_through.isoformat()),
                            code="authorization_expired", field="authorization")
    if today < authorization.decided_on:
        raise ConflictError(_(AUTHORIZATION_NOT_YET_VALID).format(decided_on=authorization.decided_on.isoformat()),
                            code="authorization_not_yet_valid", field="authorization")
    if days_supply > authorization.days_supply:
        raise UnprocessableError(_(DAYS_SUPPLY_OVER_AUTHORIZED).format(authorized=authorization.days_supply,
                                                                       days=days_supply),
                                 code="days_supply_exceeds_authorization", field="days_supply")
    decision = decision_for(prescription, days_supply=days_supply, today=today, pharmacy_id=pharmacy_id)
    if not decision.allowed:
        raise ConflictError(_(NO_LONGER_ALLOWED).format(codes=", ".join(decision.codes)), code="no_longer_allowed",
                            field="authorization", extra={"reasons": [pharmacy_reason_json(r) for r in decision.reasons]})
    try:
        with transaction.atomic():  # a savepoint, so the transaction survives a constraint violation
            dispense = Dispense.objects.create(
                prescription=prescription, pharmacy_id=pharmacy_id, dispensed_on=today, days_supply=days_supply,
                daily_dose_mg=prescription.daily_dose_mg, authorization=authorization,
                idempotency_key=idempotency_key, ipledge_rma=ipledge_rma or authorization.ipledge_rma,
                recorded_by=actor,
            )
    except IntegrityError:
        # Only code that skipped the lock, or the same key used concurrently for another prescription,
        # gets here: the constraints are the last line, and the answer is the same as with the lock.
        existing = Dispense.objects.filter(pharmacy_id=pharmacy_id, idempotency_key=idempotency_key).first()
        if existing is not None:
            return _replay(existing, authorization_id=authorization.pk, days_supply=days_supply,
                           ipledge_rma=ipledge_rma)
        conflict = _already_dispensed(prescription.pk)
        if conflict is not None:
            raise conflict from None
        raise
    # The first dispense of a planned course is its first day of treatment: the course is on treatment now,
    # on every page (recorded by the courses app, with its own audit entry, in this transaction).
    course_start_on_dispense(course=prescription.course, dispensed_on=today, actor=actor)
    audit_record(actor=actor, action="pharmacy.dispense", patient_id=authorization.patient_id, obj=dispense,
                 detail={"prescription": prescription.pk, "authorization": authorization.pk,
                         "days_supply": days_supply, "dispensed_on": today.isoformat()})
    # After the commit (outside this transaction and its locks; a failing listener cannot undo the dispense,
    # and the nightly refresh repairs a missed worklist row).
    dispensed_after_commit(prescription.course_id, dispense.pk)
    return DispenseResult(dispense=dispense, replayed=False)


@dataclass(frozen=True, slots=True)
class ReversalResult:
    reversal: AuthorizationReversal
    #: True when the authorization had already been reversed (a retry changes nothing).
    replayed: bool


@transaction.atomic
def authorization_reverse(*, actor: User, authorization_id: int, today: dt.date, reason: str = "") -> ReversalResult:
    """Give back an unused authorization (the patient did not pick the prescription up). Reversing an
    already reversed authorization returns the first reversal and writes nothing; a refused or
    dispensed one cannot be reversed. An expired one can, so the record shows it was not picked up. The
    reason is required (at least 5 characters, at most 500): the record says why the fill was given back."""
    pharmacy_id = selectors.require_pharmacist(actor)
    authorization = Authorization.objects.filter(pk=authorization_id, pharmacy_id=pharmacy_id).first()
    if authorization is None:
        raise NotFoundError(_(AUTHORIZATION_NOT_FOUND), code="authorization_not_found", field="authorization")
    reason = (reason or "").strip()
    if len(reason) < REVERSAL_REASON_MIN_LENGTH:
        raise UnprocessableError(_(REVERSAL_REASON_REQUIRED), code="reason_required", field="reason")
    if len(reason) > 500:
        raise UnprocessableError(_("Keep the reason under 500 characters."), code="invalid", field="reason")
    _lock_prescription(authorization.prescription_id)
    existing = AuthorizationReversal.objects.filter(authorization_id=authorization.pk).first()
    if existing is not None:
        return ReversalResult(reversal=existing, replayed=True)
    if not authorization.allowed:
        raise ConflictError(_(AUTHORIZATION_REFUSED), code="authorization_refused", field="authorization")
    dispensed_on = (Dispense.objects.filter(authorization_id=authorization.pk)
                    .values_list("dispensed_on", flat=True).first())
    if dispensed_on is not None:
        raise ConflictError(_(ALREADY_DISPENSED).format(dispensed_on=dispensed_on.isoformat()),
                            code="already_dispensed", field="authorization")
    try:
        with transaction.atomic():
            reversal = AuthorizationReversal.objects.create(authorization=authorization, reversed_on=today,
                                                            reason=reason, created_by=actor)
    except IntegrityError:
        existing = AuthorizationReversal.objects.filter(authorization_id=authorization.pk).first()
        if existing is None:
            raise
        return ReversalResult(reversal=existing, replayed=True)
    audit_record(actor=actor, action="pharmacy.reverse", patient_id=authorization.patient_id, obj=reversal,
                 detail={"authorization": authorization.pk, "prescription": authorization.prescription_id,
                         "reason": reason})
    return ReversalResult(reversal=reversal, replayed=False)


WINDOW_OUT_OF_RANGE = "Enter a number of days from 1 to 30, or leave it empty to reverse by hand only."


@transaction.atomic
def pharmacy_reversal_window_set(*, actor: User, days: int | None) -> Pharmacy:
    """The pharmacist sets how many days an authorization may wait for pick-up before it is reversed
    automatically (None: never automatically). Audited; a value outside 1-30 is refused on its field."""
    pharmacy_id = selectors.require_pharmacist(actor)
    if days is not None and not reversal_rule.MIN_WINDOW_DAYS <= days <= reversal_rule.MAX_WINDOW_DAYS:
        raise UnprocessableError(_(WINDOW_OUT_OF_RANGE), code="out_of_range", field="reversal_window_days")
    pharmacy = Pharmacy.objects.select_for_update().get(pk=pharmacy_id)
    before = pharmacy.reversal_window_days
    pharmacy.reversal_window_days = days
    pharmacy.save(update_fields=["reversal_window_days"])
    audit_record(actor=actor, action="pharmacy.settings.reversal_window", obj=pharmacy,
                 detail={"pharmacy": pharmacy_id, "before": before, "days": days,
                         "source": PHARMACY_REVERSAL_WINDOW.key})
    return pharmacy


def authorizations_reverse_unpicked(*, today: dt.date | None = None) -> list[AuthorizationReversal]:
    """Reverse every open authorization older than its pharmacy's reversal window (``reverse_unpicked``,
    daily). ``today`` defaults to each pharmacy's own calendar day. Each reversal is its own transaction
    with its own audit entry (actor "system"); one that was dispensed or reversed meanwhile is skipped."""
    done: list[AuthorizationReversal] = []
    for pharmacy in Pharmacy.objects.filter(reversal_window_days__isnull=False).order_by("pk"):
        window = pharmacy.reversal_window_days
        assert window is not None  # noqa: S101 - filtered above, for the type checker
        day = today or clock.today_in(pharmacy.time_zone)
        due = (Authorization.objects.filter(pharmacy=pharmacy, allowed=True, dispense_row__isnull=True,
                                            reversal_row__isnull=True,
                                            decided_on__lte=reversal_rule.latest_decision_due(window, day))
               .order_by("pk").values_list("pk", flat=True))
        for authorization_id in list(due):
            reversed_ = _reverse_unpicked_one(authorization_id, window, day)
            if reversed_ is not None:
                done.append(reversed_)
    return done


@transaction.atomic
def _reverse_unpicked_one(authorization_id: int, window: int, today: dt.date) -> AuthorizationReversal | None:
    authorization = Authorization.objects.get(pk=authorization_id)
    _lock_prescription(authorization.prescription_id)
    if (Dispense.objects.filter(authorization_id=authorization_id).exists()
            or AuthorizationReversal.objects.filter(authorization_id=authorization_id).exists()
            or not reversal_rule.reversal_due(authorization.decided_on, window, today)):
        return None
    reversed_ = AuthorizationReversal.objects.create(authorization=authorization, reversed_on=today,
                                                     reason=reversal_rule.REASON.format(days=window),
                                                     created_by=None)
    audit_record(actor=None, action="pharmacy.reverse.automatic", patient_id=authorization.patient_id,
                 obj=reversed_, detail={"authorization": authorization.pk,
                                        "prescription": authorization.prescription_id,
                                        "decided_on": authorization.decided_on.isoformat(),
                                        "window_days": window, "source": PHARMACY_REVERSAL_WINDOW.key})
    return reversed_


__all__ = [
    "DispenseResult",
    "DomainError",
    "ReversalResult",
    "authorization_request",
    "authorization_reverse",
    "authorizations_reverse_unpicked",
    "decision_for",
    "dispense_record",
    "pharmacy_reversal_window_set",
]
