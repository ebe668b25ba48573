"""Writing audit entries. Every service calls :func:`audit_record` inside its own transaction.

The trail is several independent hash chains (``audit.chain``); an entry goes to its patient's chain,
else to its actor's. Appending locks only that chain's head row until commit, so audited transactions
on different chains commit (and flush the WAL) in parallel. All entries written by one transaction go
to the chain of its first entry, so a transaction holds at most one head lock and two transactions can
never deadlock on heads.

The append is plain SQL (three statements on SQLite, two on PostgreSQL, no savepoint): the ORM's
statement building cost more CPU than the database's work (docs/performance.md). The model-level
guards are unchanged (``AuditEntry`` rows are only ever inserted here; on PostgreSQL a trigger refuses
UPDATE and DELETE).
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction

from clearcourse.audit.chain import DEFAULT_CHAINS, GENESIS, HASHED_FIELDS, chain_for, entry_hash
from clearcourse.audit.models import AuditEntry, AuditHead
from clearcourse.core import clock
from clearcourse.core.request_context import current_origin

if TYPE_CHECKING:
    from clearcourse.accounts.models import User

_COLUMNS = ("chain", *HASHED_FIELDS, "prev_hash", "hash")


def chain_count() -> int:
    return max(1, int(getattr(settings, "CLEARCOURSE_AUDIT_CHAINS", DEFAULT_CHAINS)))


class _ChainMemo:
    """Registered as an on-commit no-op: while it is in ``connection.run_on_commit`` the transaction
    that took this chain's head lock is still open (Django drops it on rollback, also of a savepoint,
    which in PostgreSQL releases the lock taken inside it)."""

    __slots__ = ("chain",)

    def __init__(self, chain: int) -> None:
        self.chain = chain

    def __call__(self) -> None:
        return None


def _chain_of_transaction() -> int | None:
    for entry in connection.run_on_commit:
        func = entry[1]
        if isinstance(func, _ChainMemo):
            return func.chain
    return None


@functools.cache
def _statements(vendor: str) -> dict[str, str]:
    q = connection.ops.quote_name
    entries, heads = q(AuditEntry._meta.db_table), q(AuditHead._meta.db_table)
    columns = ", ".join(q(str(getattr(AuditEntry._meta.get_field(c), "column", c))) for c in _COLUMNS)
    values = ", ".join(["%s"] * len(_COLUMNS))
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    insert = f"INSERT INTO {entries} ({columns}) VALUES ({values})"  # noqa: S608 - identifiers only
    head_update = f"UPDATE {heads} SET last_seq = %s, last_hash = %s WHERE id = %s"  # noqa: S608
    return {
        "head": f"SELECT last_seq, last_hash FROM {heads} WHERE id = %s{lock}",  # noqa: S608
        "create_head": f"INSERT INTO {heads} (id, last_seq, last_hash) VALUES (%s, 0, %s) ON CONFLICT DO NOTHING",  # noqa: S608
        "insert": f"{insert} RETURNING id",
        "head_update": head_update,
        # PostgreSQL: the entry and the head in one round trip.
        "append": f"WITH e AS ({insert} RETURNING id) {head_update} RETURNING (SELECT id FROM e)",  # noqa: S608
    }


def audit_record(
    *,
    actor: User | None,
    action: str,
    patient_id: int | None = None,
    obj: Any = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to its chain. It must run inside the caller's transaction, so that the action
    and its audit entry commit or roll back together. Call it last in the transaction: the chain's
    head row stays locked until commit."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit_record must be called inside the action's transaction")
    origin = current_origin()
    actor_id = actor.pk if actor is not None and actor.pk else None
    actor_label = (actor.get_username() if actor is not None else "system")[:150]
    chain = _chain_of_transaction()
    if chain is None:
        chain = chain_for(chains=chain_count(), patient_id=patient_id, actor_id=actor_id, actor_label=actor_label)
        transaction.on_commit(_ChainMemo(chain))
    sql = _statements(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql["head"], [chain])
        head = cursor.fetchone()
        if head is None:
            cursor.execute(sql["create_head"], [chain, GENESIS])
            cursor.execute(sql["head"], [chain])
            head = cursor.fetchone()
        last_seq, last_hash = int(head[0]), str(head[1])
        fields: dict[str, Any] = {
            "chain": chain,
            "seq": last_seq + 1,
            "at": clock.now(),
            "actor_id": actor_id,
            "actor_label": actor_label,
            "actor_role": (getattr(actor, "role", "") or "") if actor is not None else "system",
            "action": action,
            "patient_id": patient_id,
            "object_type": type(obj).__name__ if obj is not None else "",
            "object_id": str(getattr(obj, "pk", "") or "") if obj is not None else "",
            "ip": origin.ip,
            "channel": origin.channel,
            "detail": detail or {},
            "prev_hash": last_hash,
        }
        fields["hash"] = entry_hash(last_hash, fields)
        params = [fields[c] for c in _COLUMNS]
        params[_COLUMNS.index("at")] = connection.ops.adapt_datetimefield_value(fields["at"])
        params[_COLUMNS.index("detail")] = AuditEntry._meta.get_field("detail").get_db_prep_save(
            fields["detail"], connection)
        if connection.vendor == "postgresql":
            cursor.execute(sql["append"], [*params, fields["seq"], fields["hash"], chain])
            pk = cursor.fetchone()[0]
        else:
            cursor.execute(sql["insert"], params)
            pk = cursor.fetchone()[0]
            cursor.execute(sql["head_update"], [fields["seq"], fields["hash"], chain])
    entry = AuditEntry(id=pk, **fields)
    entry._state.adding = False
    entry._state.db = connection.alias
    if actor_id is not None:
        entry.actor = actor  # type: ignore[assignment]
    return entry


def audit_read(*, actor: User, patient_id: int, action: str, obj: Any = None) -> None:
    """A read of a patient's record writes its own audit entry, in its own short transaction."""
    with transaction.atomic():
        audit_record(actor=actor, action=action, patient_id=patient_id, obj=obj)


def admin_action_record(*, actor: User, action: str, patient_id: int | None, obj: Any,
                        detail: dict[str, Any]) -> None:
    """An administrator's write or read in Django's admin (``audit.admin_site``): in the write's own
    transaction when there is one, else in a short one of its own."""
    with transaction.atomic():
        audit_record(actor=actor, action=action, patient_id=patient_id, obj=obj, detail=detail)
