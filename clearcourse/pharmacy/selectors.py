"""Reads for the pharmacy, always scoped to the acting pharmacist's pharmacy.

Pharmacists do not browse patients. They find a prescription by the reference printed on it
(``RX-<number>``) together with the patient's date of birth, as a pharmacist checks a paper
prescription against the person at the counter; the two must match one prescription of a course
under the pharmacy's program, or the answer is "not found", which tells an outsider nothing.
What a pharmacist then sees is only what dispensing needs: the patient's name and date of birth, the
prescription, and the decision.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Pharmacy, Role, User
from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.courses.models import Course, Prescription
from clearcourse.courses.selectors import audit_read
from clearcourse.pharmacy.models import Authorization, Dispense
from clearcourse.rules.programs.facts import Decision

ONLY_PHARMACISTS = "Only a pharmacist of a registered pharmacy can do this."
REFERENCE_MALFORMED = "Enter the prescription reference as printed on the prescription, for example RX-1234."
PRESCRIPTION_NOT_FOUND = "No prescription matches this reference and date of birth."
AUTHORIZATION_NOT_FOUND = "There is no such authorization at your pharmacy."

#: "RX-1234", "rx 1234", "RX1234" or "1234"; the number is the prescription's record id.
_REFERENCE = re.compile(r"^\s*(?:RX[\s-]?)?(\d{1,18})\s*$", re.IGNORECASE)


class UnprocessableError(DomainError):
    """Well-formed but unacceptable input (HTTP 422, like a schema error): nothing was written."""

    status = 422


def prescription_reference(prescription: Prescription | int) -> str:
    """The reference printed on a prescription and typed in by the pharmacist."""
    pk = prescription if isinstance(prescription, int) else prescription.pk
    return f"RX-{pk}"


def parse_reference(reference: str) -> int:
    match = _REFERENCE.match(reference or "")
    if match is None:
        raise UnprocessableError(_(REFERENCE_MALFORMED), code="invalid_reference", field="reference")
    return int(match.group(1))


def require_pharmacist(actor: User) -> int:
    """The acting pharmacist's pharmacy id; anyone else is refused.

    A pharmacy system's API token acts through its own service identity, a pharmacist account of the
    token's pharmacy (``accounts.api_auth``), so the same check covers pages and the API.
    """
    if (not actor.is_authenticated or not actor.is_active or actor.role != Role.PHARMACIST
            or actor.pharmacy_id is None):
        raise PermissionDeniedError(_(ONLY_PHARMACISTS), code="not_pharmacist")
    return actor.pharmacy_id


def prescription_lookup(*, actor: User, reference: str, birth_date: dt.date,
                        audit: str | None = "pharmacy.prescription.lookup") -> Prescription:
    """The prescription with this reference whose patient was born on ``birth_date``, in ONE query,
    with its course and patient, and annotated with ``is_superseded`` and ``first_dispensed_on``.

    Only prescriptions of courses under the pharmacy's own program family are found: a US pharmacy
    does not dispense under the EU programme, and vice versa. A successful look-up is a read of the
    patient's record and is audited unless ``audit`` is None (a write that audits itself).
    """
    pharmacy_id = require_pharmacist(actor)
    pk = parse_reference(reference)
    pharmacy_program = Pharmacy.objects.filter(pk=pharmacy_id).values("program")[:1]
    first_dispense = (Dispense.objects.filter(prescription_id=OuterRef("pk"), supersedes__isnull=True)
                      .order_by("dispensed_on").values("dispensed_on")[:1])
    prescription = (
        Prescription.objects.select_related("course__patient")
        .filter(pk=pk, course__patient__birth_date=birth_date, course__program=Subquery(pharmacy_program))
        .annotate(is_superseded=Exists(Prescription.objects.filter(supersedes_id=OuterRef("pk"))),
                  first_dispensed_on=Subquery(first_dispense))
        .first()
    )
    if prescription is None:
        raise NotFoundError(_(PRESCRIPTION_NOT_FOUND), code="prescription_not_found", field="reference")
    if audit:
        audit_read(actor=actor, patient_id=prescription.course.patient_id, action=audit, obj=prescription)
    return prescription


def current_successor(prescription: Prescription) -> Prescription | None:
    """The corrected prescription that replaces a superseded one (the head of its correction chain)."""
    successor = Prescription.objects.filter(supersedes_id=prescription.pk).first()
    while successor is not None:
        following = Prescription.objects.filter(supersedes_id=successor.pk).first()
        if following is None:
            return successor
        successor = following
    return None


def program_decision(course: Course, *, prescription: Prescription, request_date: dt.date,
                     days_supply: int) -> Decision:
    """The rules core's decision for this prescription on ``request_date`` (the ppp loader builds the
    facts in a fixed number of queries). One seam, so tests can pin a decision."""
    from clearcourse.ppp.selectors import course_decision

    return course_decision(course, prescription=prescription, request_date=request_date,
                           days_supply=days_supply)


def authorizations_of(actor: User) -> QuerySet[Authorization]:
    """The acting pharmacist's pharmacy's authorizations, with what a list shows."""
    pharmacy_id = require_pharmacist(actor)
    return (Authorization.objects.filter(pharmacy_id=pharmacy_id)
            .select_related("prescription", "patient", "dispense_row", "reversal_row"))


def authorization_get(*, actor: User, authorization_id: int,
                      audit: str | None = "pharmacy.authorization.view") -> Authorization:
    """One authorization of the actor's pharmacy, or NotFoundError (another pharmacy's looks absent).
    The read is audited (it shows the patient's name) unless ``audit`` is None."""
    authorization = authorizations_of(actor).filter(pk=authorization_id).first()
    if authorization is None:
        raise NotFoundError(_(AUTHORIZATION_NOT_FOUND), code="authorization_not_found", field="authorization")
    if audit:
        audit_read(actor=actor, patient_id=authorization.patient_id, action=audit, obj=authorization)
    return authorization


@dataclass(frozen=True, slots=True)
class Worklist:
    """The pharmacy's authorizations that still need something: open ones waiting for the patient, and
    expired ones never picked up that the pharmacy should reverse (iPLEDGE 2026, fact sheet 1.2)."""

    open: list[Authorization]
    to_reverse: list[Authorization]
    recent: list[Authorization]


def pharmacy_worklist(*, actor: User, today: dt.date, limit: int = 20) -> Worklist:
    unused = authorizations_of(actor).filter(allowed=True, dispense_row__isnull=True, reversal_row__isnull=True)
    return Worklist(
        open=list(unused.filter(valid_through__gte=today).order_by("valid_through", "id")[:limit]),
        to_reverse=list(unused.filter(valid_through__lt=today).order_by("valid_through", "id")[:limit]),
        recent=list(authorizations_of(actor).order_by("-created_at", "-id")[:limit]),
    )
