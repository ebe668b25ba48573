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
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Field, Model, QuerySet
from django.utils.translation import gettext as _

from clearcourse.accounts.models import Pharmacy, Role, User
from clearcourse.audit.models import AuditEntry
from clearcourse.audit.services import audit_read, audit_record
from clearcourse.core import clock, numbers
from clearcourse.core.errors import DomainError, NotFoundError, PermissionDeniedError
from clearcourse.courses import state
from clearcourse.courses.models import Course, Patient, Prescription
from clearcourse.courses.models import prescription_reference as reference_of
from clearcourse.pharmacy.models import Authorization, Dispense
from clearcourse.rules.programs.facts import Decision

ONLY_PHARMACISTS = "Only a pharmacist of a registered pharmacy can do this."
REFERENCE_MALFORMED = ("Enter the whole prescription reference as printed on the prescription, for example "
                       "RX-1234-K7Q3.")
PRESCRIPTION_NOT_FOUND = "No prescription matches this reference and date of birth."
LOOKUP_THROTTLED = ("Too many look-ups that found nothing: wait %(minutes)d minutes before the next one. Check the "
                    "reference and the date of birth with the patient.")
PRESCRIPTION_LOCKED = ("This prescription is locked for look-ups after %(count)d tries with a wrong date of birth "
                       "or reference within %(hours)d hours. Check both with the patient and ask the prescribing "
                       "clinic; the lock ends on its own after %(hours)d hours.")

#: Look-up guard (issue 14, finding 3). **Clinic defaults, not program rules** (no source sets them; chosen so
#: that a pharmacist's typing errors pass and guessing a date of birth does not): a user may fail this many
#: look-ups within the window before further look-ups are refused for the rest of it ...
LOOKUP_FAILURES_PER_USER = 10
LOOKUP_USER_WINDOW = dt.timedelta(minutes=15)
#: ... and a prescription is locked for look-ups (by anyone) once this many tries on it failed within the lock
#: window. Settings ``CLEARCOURSE_LOOKUP_FAILURES_PER_USER`` / ``CLEARCOURSE_LOOKUP_FAILURES_PER_PRESCRIPTION``.
LOOKUP_FAILURES_PER_PRESCRIPTION = 5
LOOKUP_LOCK_WINDOW = dt.timedelta(hours=24)
LOOKUP_FAILED = "pharmacy.prescription.lookup_failed"
AUTHORIZATION_NOT_FOUND = "There is no such authorization at your pharmacy."

#: "RX-1234-K7Q3", "rx 1234 k7q3", "RX1234K7Q3" or "1234-K7Q3": the prescription's record id and its random
#: check code (``Prescription.lookup_code``), which makes a reference impossible to guess from the sequential id.
_REFERENCE = re.compile(r"^\s*(?:RX[\s-]?)?(\d{1,18})[\s-]?([A-Z0-9]{4})\s*$", re.IGNORECASE | re.ASCII)


class LookupRefusedError(DomainError):
    """Look-ups refused for a while (too many failures by this user, or on this prescription): HTTP 429."""

    status = 429


class UnprocessableError(DomainError):
    """Well-formed but unacceptable input (HTTP 422, like a schema error): nothing was written."""

    status = 422


def prescription_reference(prescription: Prescription | int) -> str:
    """The reference printed on a prescription and typed in by the pharmacist (courses.models makes it)."""
    return reference_of(prescription)


def parse_reference(reference: str) -> int:
    """The record id a reference names (with its check code: :func:`parse_reference_code`)."""
    return parse_reference_code(reference)[0]


def parse_reference_code(reference: str) -> tuple[int, str]:
    """The record id and the check code (upper case) a reference names; raises on anything else."""
    if numbers.has_non_ascii_digits(reference or ""):
        # "RX-９５" is not RX-95: say so rather than look up another prescription or answer "malformed".
        raise UnprocessableError(_(numbers.USE_ASCII_DIGITS), code="non_ascii_digits", field="reference")
    match = _REFERENCE.match(reference or "")
    if match is None:
        raise UnprocessableError(_(REFERENCE_MALFORMED), code="invalid_reference", field="reference")
    return int(match.group(1)), match.group(2).upper()


def require_pharmacist(actor: User) -> int:
    """The acting pharmacist's pharmacy id; anyone else is refused.

    A pharmacy system's API token acts through its own service identity, a pharmacist account of the
    token's pharmacy (``accounts.api_auth``), so the same check covers pages and the API.
    """
    if (not actor.is_authenticated or not actor.is_active or actor.role != Role.PHARMACIST
            or actor.pharmacy_id is None):
        raise PermissionDeniedError(_(ONLY_PHARMACISTS), code="not_pharmacist")
    return actor.pharmacy_id


def _model_columns(model: type[Model], alias: str) -> tuple[list[Field[Any, Any]], list[str]]:
    fields = list(model._meta.concrete_fields)
    return fields, [f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields]


@functools.cache
def _lookup_sql(vendor: str, with_first_dispense: bool) -> tuple[str, tuple[list[Field[Any, Any]], ...]]:
    """The look-up as ONE hand-written statement, built once per backend: the ORM spent more CPU building
    this query than PostgreSQL spent running it (docs/performance.md). Every concrete column of the
    prescription, its course and its patient is read, so nothing is deferred and no later attribute
    access issues a query; ``first_dispensed_on`` only when the caller shows it."""
    q = connection.ops.quote_name
    rx_fields, rx_cols = _model_columns(Prescription, "rx")
    course_fields, course_cols = _model_columns(Course, "c")
    patient_fields, patient_cols = _model_columns(Patient, "p")
    extra = [f"EXISTS (SELECT 1 FROM {q(Prescription._meta.db_table)} s WHERE s.{q('supersedes_id')} = rx.{q('id')})"]  # noqa: S608
    if with_first_dispense:
        extra.append(f"(SELECT MIN(d.{q('dispensed_on')}) FROM {q(Dispense._meta.db_table)} d "  # noqa: S608
                     f"WHERE d.{q('prescription_id')} = rx.{q('id')} AND d.{q('supersedes_id')} IS NULL)")
    sql = (f"SELECT {', '.join([*rx_cols, *course_cols, *patient_cols, *extra])} "  # noqa: S608 - identifiers only
           f"FROM {q(Prescription._meta.db_table)} rx "
           f"JOIN {q(Course._meta.db_table)} c ON c.{q('id')} = rx.{q('course_id')} "
           f"JOIN {q(Patient._meta.db_table)} p ON p.{q('id')} = c.{q('patient_id')} "
           f"JOIN {q(Pharmacy._meta.db_table)} ph ON ph.{q('id')} = %s AND ph.{q('program')} = c.{q('program')} "
           f"WHERE rx.{q('id')} = %s AND rx.{q('lookup_code')} = %s AND p.{q('birth_date')} = %s")
    return sql, (rx_fields, course_fields, patient_fields)


def _converters(fields: list[Field[Any, Any]]) -> list[tuple[int, Any, tuple[Any, ...]]]:
    """(position, column, converters) for the fields that have converters on this connection, worked out
    once per connection (per thread): asking the backend on every request cost more than the query."""
    cache: dict[int, list[tuple[int, Any, tuple[Any, ...]]]] = connection.__dict__.setdefault(
        "_clearcourse_converters", {})
    key = id(fields)  # the field lists are the ones _lookup_sql keeps for the process's lifetime
    found = cache.get(key)
    if found is None:
        found = []
        for i, field in enumerate(fields):
            col = field.get_col(field.model._meta.db_table)
            converters = (*connection.ops.get_db_converters(col), *col.get_db_converters(connection))
            if converters:
                found.append((i, col, converters))
        cache[key] = found
    return found


def _converted(fields: list[Field[Any, Any]], values: Sequence[Any]) -> list[Any]:
    """Python values from raw column values, with the same converters the ORM applies (JSON, booleans and
    dates on SQLite)."""
    if len(values) != len(fields):
        raise ValueError("one value per field")
    out = list(values)
    for i, col, converters in _converters(fields):
        value = out[i]
        for converter in converters:
            value = converter(value, col, connection)
        out[i] = value
    return out


def prescription_lookup(*, actor: User, reference: str, birth_date: dt.date,
                        audit: str | None = "pharmacy.prescription.lookup",
                        with_first_dispense: bool = True) -> Prescription:
    """The prescription with this reference whose patient was born on ``birth_date``, in ONE query,
    with its course and patient, and annotated with ``is_superseded`` and (unless
    ``with_first_dispense`` is False) ``first_dispensed_on``.

    Only prescriptions of courses under the pharmacy's own program family are found: a US pharmacy
    does not dispense under the EU programme, and vice versa. A successful look-up is a read of the
    patient's record and is audited unless ``audit`` is None (a write that audits itself).
    """
    pharmacy_id = require_pharmacist(actor)
    try:
        pk: int | None
        pk, code = parse_reference_code(reference)
    except DomainError:
        pk, code = None, ""
    user_failures, rx_failures = _recent_failures(actor, pk)
    if user_failures >= _limit("CLEARCOURSE_LOOKUP_FAILURES_PER_USER", LOOKUP_FAILURES_PER_USER):
        _record_failure(actor, None, "throttled", tried=pk)
        raise LookupRefusedError(_(LOOKUP_THROTTLED) % {"minutes": LOOKUP_USER_WINDOW.seconds // 60},
                                 code="lookup_throttled", field="reference")
    rx_limit = _limit("CLEARCOURSE_LOOKUP_FAILURES_PER_PRESCRIPTION", LOOKUP_FAILURES_PER_PRESCRIPTION)
    if pk is not None and rx_failures >= rx_limit:
        _record_failure(actor, None, "locked", tried=pk)
        raise LookupRefusedError(_(PRESCRIPTION_LOCKED) % {"count": rx_limit,
                                                           "hours": LOOKUP_LOCK_WINDOW.seconds // 3600
                                                           + LOOKUP_LOCK_WINDOW.days * 24},
                                 code="prescription_locked", field="reference")
    if pk is None:
        _record_failure(actor, None, "malformed")
        parse_reference(reference)  # raises the reader's own message
        raise AssertionError  # pragma: no cover
    sql, (rx_fields, course_fields, patient_fields) = _lookup_sql(connection.vendor, with_first_dispense)
    with connection.cursor() as cursor:
        cursor.execute(sql, [pharmacy_id, pk, code, birth_date])
        row = cursor.fetchone()
    if row is None:
        # Only a try with the whole reference right (someone holding the prescription, guessing the date of
        # birth) counts towards the prescription's lock; guessing references counts against the guesser only,
        # so nobody can lock prescriptions they never saw.
        if Prescription.objects.filter(pk=pk, lookup_code=code).exists():
            _record_failure(actor, pk, "no_match")
        else:
            _record_failure(actor, None, "no_reference", tried=pk)
        raise NotFoundError(_(PRESCRIPTION_NOT_FOUND), code="prescription_not_found", field="reference")
    n_rx, n_course = len(rx_fields), len(course_fields)
    n_patient = len(patient_fields)
    db = connection.alias
    prescription = Prescription.from_db(db, [f.attname for f in rx_fields], _converted(rx_fields, row[:n_rx]))
    course = Course.from_db(db, [f.attname for f in course_fields],
                            _converted(course_fields, row[n_rx:n_rx + n_course]))
    patient = Patient.from_db(db, [f.attname for f in patient_fields],
                              _converted(patient_fields, row[n_rx + n_course:n_rx + n_course + n_patient]))
    course.patient = patient
    prescription.course = course
    extra = row[n_rx + n_course + n_patient:]
    prescription.is_superseded = bool(extra[0])  # type: ignore[attr-defined]
    if with_first_dispense:
        first = extra[1]
        if first is not None and not isinstance(first, dt.date):  # SQLite hands back an ISO string from MIN()
            first = dt.date.fromisoformat(str(first)[:10])
        prescription.first_dispensed_on = first  # type: ignore[attr-defined]
    if audit:
        audit_read(actor=actor, patient_id=course.patient_id, action=audit, obj=prescription)
    return prescription


def _limit(setting: str, default: int) -> int:
    return int(getattr(settings, setting, default))


@functools.cache
def _failures_sql(vendor: str) -> str:
    """The look-up guard's count as ONE hand-written statement, built once per backend: building it through
    the ORM (an aggregate with two filtered counts) cost more CPU than the rest of the look-up
    (docs/performance.md, round 3). Same rows as the ORM's: the failures since the earlier of the two window
    starts (index ``audit_entry_action_at``), counted per window."""
    q = connection.ops.quote_name
    at, actor, obj_type, obj_id, action = (q(str(getattr(AuditEntry._meta.get_field(name), "column", name)))
                                           for name in ("at", "actor", "object_type", "object_id", "action"))
    return (f"SELECT COUNT(CASE WHEN {actor} = %s AND {at} >= %s THEN 1 END), "  # noqa: S608 - identifiers only
            f"COUNT(CASE WHEN {obj_type} = %s AND {obj_id} = %s AND {at} >= %s THEN 1 END) "
            f"FROM {q(AuditEntry._meta.db_table)} WHERE {action} = %s "
            f"AND {at} >= %s")


def _recent_failures(actor: User, pk: int | None) -> tuple[int, int]:
    """Failed look-ups by ``actor`` within the user window, and on prescription ``pk`` (by anyone) within the
    lock window, counted in the audit trail (which every failure is written to): one query, shared by every
    web process and the API, and kept across restarts."""
    now = clock.now()
    user_since, rx_since = now - LOOKUP_USER_WINDOW, now - LOOKUP_LOCK_WINDOW
    adapt = connection.ops.adapt_datetimefield_value
    params = [actor.pk, adapt(user_since), "Prescription", str(pk) if pk is not None else "-", adapt(rx_since),
              LOOKUP_FAILED, adapt(min(user_since, rx_since))]
    with connection.cursor() as cursor:
        cursor.execute(_failures_sql(connection.vendor), params)
        row = cursor.fetchone()
    return int(row[0] or 0), int(row[1] or 0)


def _record_failure(actor: User, pk: int | None, why: str, *, tried: int | None = None) -> None:
    """Every failed look-up is in the hash-chained trail (its own transaction, or a savepoint of the caller's,
    which the API commits with its error answer). Only ``pk`` (a try with the whole reference right) counts
    towards that prescription's lock; ``tried`` notes the id of any other try. The date of birth and the check
    code tried are not written anywhere."""
    detail: dict[str, Any] = {"why": why}
    if tried is not None:
        detail["tried"] = tried
    with transaction.atomic():
        audit_record(actor=actor, action=LOOKUP_FAILED, obj=Prescription(pk=pk) if pk is not None else None,
                     detail=detail)


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
                     days_supply: int, pharmacy_id: int) -> Decision:
    """The rules core's decision for this prescription on ``request_date`` when ``pharmacy_id`` asks (through
    ``courses.state``: the one loader builds the facts, the prescriber's and the pharmacy's certification
    included, in a fixed number of queries). One seam, so tests can pin a decision."""
    return state.course_decision(course, prescription=prescription, request_date=request_date,
                                 days_supply=days_supply, pharmacy_id=pharmacy_id)


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
