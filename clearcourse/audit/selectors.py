"""Reads of the audit trail: chain verification, the administrators' search, a patient's own access
report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db.models import Q, QuerySet

from clearcourse.audit.chain import GENESIS, HASHED_FIELDS, ChainProblem, verify_chain
from clearcourse.audit.models import AuditEntry, AuditHead

HEAD_MISMATCH = ("the chain ends at entry #{last} but the head records #{head}: entries at the end were "
                 "removed, or the head was changed")


def _rows() -> Iterator[dict[str, Any]]:
    fields = (*HASHED_FIELDS, "prev_hash", "hash")
    yield from AuditEntry.objects.order_by("seq").values(*fields).iterator(chunk_size=2000)


def verify_trail() -> tuple[ChainProblem | None, int, str]:
    """Checks every entry in order, then that the chain ends where the head row says it does (which
    catches entries removed from the end). Returns (first problem or None, entries checked, last hash)."""
    count = 0
    last_seq = 0
    last_hash = GENESIS

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count, last_seq, last_hash
        for row in _rows():
            count += 1
            last_seq = row["seq"]
            last_hash = row["hash"]
            yield row

    problem = verify_chain(counted())
    if problem is not None:
        return problem, count, last_hash
    head = AuditHead.objects.filter(pk=1).first()
    head_seq = head.last_seq if head else 0
    head_hash = head.last_hash if head else GENESIS
    if head_seq != last_seq or head_hash != last_hash:
        return ChainProblem(max(head_seq, last_seq), HEAD_MISMATCH.format(last=last_seq, head=head_seq)), \
            count, last_hash
    return None, count, last_hash


def audit_search(*, patient_id: int | None = None, actor: str = "", action: str = "",
                 date_from: dt.date | None = None, date_to: dt.date | None = None) -> QuerySet[AuditEntry]:
    """Entries matching every given filter, newest first. Dates are inclusive calendar days in the
    server's time zone. Callers check that the user is an administrator."""
    qs = AuditEntry.objects.select_related("actor").order_by("-seq")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if actor:
        qs = qs.filter(Q(actor_label__iexact=actor) | Q(actor__last_name__iexact=actor))
    if action:
        qs = qs.filter(action__startswith=action)
    if date_from is not None:
        qs = qs.filter(at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(at__date__lte=date_to)
    return qs


def access_report(*, patient_id: int) -> QuerySet[AuditEntry]:
    """Every entry about one patient's record, newest first: who (name and role), what, when."""
    return AuditEntry.objects.select_related("actor").filter(patient_id=patient_id).order_by("-seq")


def known_actions() -> list[str]:
    return list(AuditEntry.objects.order_by("action").values_list("action", flat=True).distinct())
