"""Reads of the audit trail: chain verification, the administrators' search, a patient's own access
report."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from os import PathLike
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from clearcourse.audit import archive_records
from clearcourse.audit.chain import GENESIS, HASHED_FIELDS, ChainEnd, ChainProblem, verify_chain
from clearcourse.audit.models import AuditArchive, AuditEntry, AuditHead

HEAD_MISMATCH = ("the chain ends at entry #{last} but the head records #{head}: entries at the end were "
                 "removed, or the head was changed")


_ROW_FIELDS = ("chain", *HASHED_FIELDS, "prev_hash", "hash")
# PostgreSQL writes the entry's time in the canonical form the hash covers (UTC, microseconds), so the
# walk neither parses timestamps nor formats them again; JSON details come as text (almost all are {}).
_CANONICAL_AT = """to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


#: What a walk reads (and an archive file holds, ``audit.archive``), in this order ...
ROW_FIELDS = _ROW_FIELDS
#: ... as SQL on PostgreSQL: the column names are the field names; the time in the hash's canonical text, the
#: details as JSON text.
ROW_SQL_COLUMNS = tuple(f'{_CANONICAL_AT} AS "at"' if name == "at" else '"detail"::text AS "detail"'
                        if name == "detail" else f'"{name}"' for name in _ROW_FIELDS)


def archived_before() -> dt.datetime | None:
    """The end of the newest archive: entries before it are in archive files, not in the database."""
    return AuditArchive.objects.order_by("-range_end").values_list("range_end", flat=True).first()


def _rows() -> Iterator[dict[str, Any]]:
    """Every entry's hashed fields, each chain in sequence order."""
    if connection.vendor != "postgresql":
        yield from AuditEntry.objects.order_by("chain", "seq").values(*_ROW_FIELDS).iterator(chunk_size=2000)
        return
    meta = AuditEntry._meta
    select = ", ".join(ROW_SQL_COLUMNS)
    sql = f'SELECT {select} FROM "{meta.db_table}" ORDER BY "chain", "seq"'  # noqa: S608 - identifiers only
    loads = json.loads
    # A server-side cursor in the caller's transaction (or its own): rows arrive in batches, not all at once.
    with transaction.atomic(), connection.connection.cursor(name="clearcourse_audit_walk") as cursor:
        cursor.itersize = 5000
        cursor.execute(sql)
        detail_at = _ROW_FIELDS.index("detail")
        for row in cursor:
            values = dict(zip(_ROW_FIELDS, row, strict=True))
            text = row[detail_at]
            values["detail"] = {} if text == "{}" else loads(text)
            yield values


def verify_trail() -> tuple[ChainProblem | None, int, str]:
    """Checks every chain entry by entry, then that each chain ends where its head row says it does
    (which catches entries removed from the end, and a chain removed entirely). Returns (first problem
    or None, entries checked, a digest of every chain's last hash: SHA-256 over ``chain:hash`` lines,
    or chain 0's last hash when it is the only chain, as before the split)."""
    walk = walk_trail()
    return walk.problem, walk.count, walk.digest


@dataclass
class TrailWalk:
    """What a walk of the whole trail found: the first problem (or None), entries checked, the digest of
    the chains' last hashes, where each chain ends, the hash of the entry at each marked position, and where
    each chain ended in the archived months (the walk's starting points, checked)."""

    problem: ChainProblem | None
    count: int
    digest: str
    ends: dict[int, ChainEnd] = field(default_factory=dict)
    hashes_at_marks: dict[int, str] = field(default_factory=dict)
    archived: dict[int, ChainEnd] = field(default_factory=dict)


def walk_trail(marks: Mapping[int, int] | None = None, *, key: str | PathLike[str] | None = None) -> TrailWalk:
    """:func:`verify_trail`, also noting the hash of the entry at ``marks[chain]`` (a sequence number) of each
    chain (used to compare the trail with a signed checkpoint)."""
    count = 0
    # Archived months (``audit archive``) are not walked again: each chain starts where its archive ended, once
    # the archive records are proven genuine with the checkpoint key (``archive_records``; raises if not).
    archived = archive_records.verified_ends(key)
    ends = {chain: ChainEnd(end.seq, end.hash) for chain, end in archived.items()}  # the walk moves these on
    marks = marks or {}
    seen: dict[int, str] = {}

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in _rows():
            count += 1
            if marks and marks.get(int(row["chain"] or 0)) == row["seq"]:
                seen[int(row["chain"] or 0)] = row["hash"]
            yield row

    problem = verify_chain(counted(), ends)
    if problem is not None:
        return TrailWalk(problem, count, "", ends, seen, archived)
    heads = {h.id: h for h in AuditHead.objects.all()}
    for chain in sorted(set(ends) | set(heads)):
        end = ends.get(chain, ChainEnd())
        head = heads.get(chain)
        head_seq = head.last_seq if head else 0
        head_hash = head.last_hash if head else GENESIS
        if head_seq != end.seq or head_hash != end.hash:
            problem = ChainProblem(max(head_seq, end.seq), HEAD_MISMATCH.format(last=end.seq, head=head_seq), chain)
            return TrailWalk(problem, count, "", ends, seen, archived)
    return TrailWalk(None, count, trail_digest(ends), ends, seen, archived)


def trail_digest(ends: dict[int, ChainEnd]) -> str:
    used = {c: e for c, e in ends.items() if e.seq}
    if not used:
        return GENESIS
    if set(used) == {0}:
        return used[0].hash
    lines = "".join(f"{c}:{used[c].hash}\n" for c in sorted(used))
    return hashlib.sha256(lines.encode()).hexdigest()


def audit_search(*, patient_id: int | None = None, patient_ids: Iterable[int] | None = None, actor: str = "",
                 action: str = "", date_from: dt.date | None = None,
                 date_to: dt.date | None = None) -> QuerySet[AuditEntry]:
    """Entries matching every given filter, newest first (``patient_ids``: any of these patients, found by
    record number, name or prescription reference through ``audit.lookups``; an empty set matches nothing).
    Dates are inclusive calendar days in the server's time zone. Callers check that the user is an
    administrator.

    Every filter is one an index answers in the order of the page (newest first: ``at``, then ``id``), so
    the first page costs about the same at a thousand entries and at ten million (docs/performance.md):
    the patient by ``(patient_id, at)``, the person by ``(actor, at)``, the action by ``(action, at)``,
    the days by ``at`` as a range (not the date of each entry). A person is the user whose username or last
    name matches (case-insensitive), or, for entries without a user account (``system``), the label."""
    qs = AuditEntry.objects.select_related("actor").order_by("-at", "-id")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if patient_ids is not None:
        qs = qs.filter(patient_id__in=list(patient_ids))
    if actor:
        actor_ids = _actor_ids(actor)
        qs = qs.filter(actor_id__in=actor_ids) if actor_ids else qs.filter(actor__isnull=True,
                                                                            actor_label__iexact=actor)
    if action:
        names = [name for name in known_actions() if name.startswith(action)]
        qs = qs.filter(action__in=names) if len(names) > 1 else qs.filter(action=names[0] if names else action)
    if date_from is not None:
        qs = qs.filter(at__gte=_day_start(date_from))
    if date_to is not None:
        qs = qs.filter(at__lt=_day_start(date_to + dt.timedelta(days=1)))
    return qs


def _actor_ids(actor: str) -> list[int]:
    user_model = get_user_model()
    by_name = Q(username__iexact=actor) | Q(last_name__iexact=actor)
    words = actor.split()
    if len(words) == 2:  # "Ana Rivera"
        by_name |= Q(first_name__iexact=words[0], last_name__iexact=words[1])
    return list(user_model.objects.filter(by_name).values_list("pk", flat=True)[:100])


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the server's time zone."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min), timezone.get_default_timezone())


def access_report(*, patient_id: int) -> QuerySet[AuditEntry]:
    """Every entry about one patient's record, newest first: who (name and role), what, when (read through
    the ``(patient_id, at)`` index)."""
    return (AuditEntry.objects.select_related("actor__clinic", "actor__pharmacy").filter(patient_id=patient_id)
            .order_by("-at", "-id"))


_DISTINCT_ACTIONS = """
WITH RECURSIVE walk(action) AS (
    SELECT MIN(action) FROM {table}
    UNION ALL
    SELECT (SELECT MIN(action) FROM {table} WHERE action > walk.action) FROM walk WHERE walk.action IS NOT NULL
)
SELECT action FROM walk WHERE action IS NOT NULL"""


def known_actions() -> list[str]:
    """The actions in the trail, in order. One index probe per distinct action (a "loose index scan"
    through the ``(action, at)`` index), not a pass over every entry: a few dozen probes at any size."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(_DISTINCT_ACTIONS.format(table=table))  # identifiers only
        return [str(row[0]) for row in cursor.fetchall()]


@contextmanager
def snapshot() -> Iterator[None]:
    """A transaction in which, on PostgreSQL, every read sees one snapshot (REPEATABLE READ), so that a walk of
    the entries and the later read of the heads agree while others append. Inside an outer transaction it
    keeps that transaction's level."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield
