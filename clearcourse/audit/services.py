"""Writing audit entries. Every service calls :func:`audit_record` inside its own transaction."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone

from clearcourse.audit.chain import GENESIS, entry_hash
from clearcourse.audit.models import AuditEntry, AuditHead
from clearcourse.core.request_context import current_origin

if TYPE_CHECKING:
    from clearcourse.accounts.models import User


def _locked_head() -> AuditHead:
    # select_for_update serialises appenders on PostgreSQL; SQLite serialises writers by itself.
    head = AuditHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        AuditHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
        head = AuditHead.objects.select_for_update().get(pk=1)
    return head


def audit_record(
    *,
    actor: User | None,
    action: str,
    patient_id: int | None = None,
    obj: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the chain. It must run inside the caller's transaction, so that the action
    and its audit entry commit or roll back together. Call it last in the transaction: the head row
    stays locked until commit."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must be called inside the action's transaction")
    origin = current_origin()
    with transaction.atomic():
        head = _locked_head()
        entry = AuditEntry(
            seq=head.last_seq + 1,
            at=timezone.now(),
            actor=actor if actor is not None and actor.pk else None,
            actor_label=(actor.get_username() if actor is not None else "system")[:150],
            actor_role=(getattr(actor, "role", "") or "") if actor is not None else "system",
            action=action,
            patient_id=patient_id,
            object_type=type(obj).__name__ if obj is not None else "",
            object_id=str(getattr(obj, "pk", "") or "") if obj is not None else "",
            ip=origin.ip,
            channel=origin.channel,
            detail=detail or {},
            prev_hash=head.last_hash,
        )
        entry.hash = entry_hash(head.last_hash, {**entry.__dict__, "actor_id": entry.actor_id})
        entry.save(force_insert=True)
        AuditHead.objects.filter(pk=1).update(last_seq=entry.seq, last_hash=entry.hash)
    return entry
