"""The audit trail's monthly partitions on PostgreSQL (migration 0005; docs/performance.md, "Partitioning the
audit trail by month").

One partition per calendar month in UTC (``audit_auditentry_y2026m12``); entries of a month with no partition
go to the ``DEFAULT`` partition, so an append never waits for, or fails for want of, DDL. ``python -m
clearcourse audit partitions --ahead 2``, run nightly, creates the coming months; it also reports entries
that landed in the default partition (they stay there: the trail is append-only, so they cannot be moved,
and they are searched and verified like any other). SQLite keeps one table and has no partitions.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.db import DatabaseError, connection, transaction

from clearcourse.audit.models import AuditEntry

_BOUNDS = re.compile(r"FROM \((.+?)\) TO \((.+?)\)")


@dataclass(frozen=True)
class Partition:
    """One partition: its table, its range (``None`` for MINVALUE/MAXVALUE; ``default`` for the default
    partition) and its number of entries as PostgreSQL last estimated it (``None``: not yet analysed)."""

    name: str
    start: dt.datetime | None
    end: dt.datetime | None
    default: bool
    estimated_entries: int | None


@dataclass(frozen=True)
class MonthResult:
    month: dt.date
    name: str
    created: bool
    note: str = ""


def month_start(value: dt.datetime | dt.date) -> dt.datetime:
    """Midnight UTC on the first day of the month ``value`` falls in (a datetime's month in UTC)."""
    if isinstance(value, dt.datetime):
        value = value.astimezone(dt.UTC).date()
    return dt.datetime(value.year, value.month, 1, tzinfo=dt.UTC)


def next_month(start: dt.datetime) -> dt.datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def months(first: dt.datetime | dt.date, last: dt.datetime | dt.date) -> list[dt.datetime]:
    """The first instants of every month from ``first``'s to ``last``'s, both included."""
    start, end = month_start(first), month_start(last)
    out = []
    while start <= end:
        out.append(start)
        start = next_month(start)
    return out


def partition_name(start: dt.datetime) -> str:
    return f"{AuditEntry._meta.db_table}_y{start.year:04d}m{start.month:02d}"


def is_partitioned() -> bool:
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [AuditEntry._meta.db_table])
        row = cursor.fetchone()
    return bool(row and row[0] == "p")


def _bound(text: str) -> dt.datetime | None:
    text = text.strip()
    if text in ("MINVALUE", "MAXVALUE"):
        return None
    return dt.datetime.fromisoformat(text.strip("'")).astimezone(dt.UTC)


def partitions() -> list[Partition]:
    """Every partition of the trail, oldest range first, the default partition last; empty on SQLite."""
    if not is_partitioned():
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid), c.reltuples FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass(%s)", [AuditEntry._meta.db_table])
        rows = cursor.fetchall()
    out = []
    for name, bound, tuples in rows:
        estimate = None if tuples is None or tuples < 0 else int(tuples)
        if bound.strip() == "DEFAULT":
            out.append(Partition(name, None, None, True, estimate))
            continue
        match = _BOUNDS.search(bound)
        if match is None:  # not a range we made; listed without bounds
            out.append(Partition(name, None, None, False, estimate))
            continue
        out.append(Partition(name, _bound(match.group(1)), _bound(match.group(2)), False, estimate))
    floor = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(out, key=lambda p: (p.default, p.start or floor))


def _covered(start: dt.datetime, end: dt.datetime, existing: list[Partition]) -> Partition | None:
    """The existing range partition overlapping [start, end), if any."""
    floor, ceiling = dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC)
    for part in existing:
        if part.default:
            continue
        if (part.start or floor) < end and start < (part.end or ceiling):
            return part
    return None


def ensure_months(first: dt.datetime | dt.date, last: dt.datetime | dt.date) -> list[MonthResult]:
    """Creates the partition of every month from ``first`` to ``last`` that no partition covers yet. A month
    whose entries already went to the default partition is not created (PostgreSQL would have to move them,
    and the trail does not move entries): its entries stay in the default partition, and the result says so.
    Nothing happens on SQLite."""
    if not is_partitioned():
        return []
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    results = []
    existing = partitions()
    for start in months(first, last):
        end = next_month(start)
        name = partition_name(start)
        holder = _covered(start, end, existing)
        if holder is not None:
            results.append(MonthResult(start.date(), holder.name, created=False))
            continue
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                # Not for long: a queued lock on the parent would make every read and append of the trail wait.
                cursor.execute("SET LOCAL lock_timeout = '5s'")
                # DDL takes no parameters: the bounds are made here from datetimes, never from input. IF NOT
                # EXISTS: two workers may create the same month at once.
                cursor.execute(f"CREATE TABLE IF NOT EXISTS {connection.ops.quote_name(name)} PARTITION OF {table} "
                               f"FOR VALUES FROM ('{start.isoformat()}') TO ('{end.isoformat()}')")
        except DatabaseError as exc:
            # 23514 (check_violation): rows of this month are already in the default partition. Recognised by
            # its code, not its text, which follows the server's language.
            if getattr(exc.__cause__, "sqlstate", None) != "23514":
                raise
            results.append(MonthResult(start.date(), f"{AuditEntry._meta.db_table}_default", created=False,
                                       note="entries of this month are already in the default partition"))
            continue
        results.append(MonthResult(start.date(), name, created=True))
        existing = partitions()
    return results


def ensure_ahead(now: dt.datetime, months_ahead: int) -> list[MonthResult]:
    """:func:`ensure_months` from the month of ``now`` to ``months_ahead`` months after it (what the nightly
    ``audit partitions --ahead N`` and the reminder worker run)."""
    last = month_start(now)
    for _ in range(months_ahead):
        last = next_month(last)
    return ensure_months(now, last)


def default_entries(limit: int = 10_000) -> int:
    """How many entries are in the default partition (counted up to ``limit``); 0 on SQLite."""
    default = next((p for p in partitions() if p.default), None)
    if default is None:
        return 0
    name = connection.ops.quote_name(default.name)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT %s) d", [limit])  # noqa: S608
        return int(cursor.fetchone()[0])
