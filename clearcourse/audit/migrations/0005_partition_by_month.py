"""On PostgreSQL the audit trail becomes a table partitioned by month (docs/performance.md, "Partitioning the
audit trail by month"). SQLite keeps one table: nothing changes there.

``audit_auditentry`` becomes ``PARTITION BY RANGE (at)`` with one partition per calendar month in UTC
(``audit_auditentry_y2026m12``) and a ``DEFAULT`` partition (``audit_auditentry_default``) that catches an
entry no month was created for, so an append never fails for want of DDL (``python -m clearcourse audit
partitions --ahead 2``, run nightly, creates the months ahead and reports entries in the default partition).

What changes in the schema, because a partitioned table's unique constraints must contain the partition key:

- the primary key is ``(id, at)``; ids stay unique through the one sequence (``audit_auditentry_id_seq``,
  owned by the column, where the identity column was); Django keeps using ``id``;
- ``UNIQUE (chain, seq)`` becomes ``UNIQUE (chain, seq, at)``; a chain's order is still guarded by its head
  row, locked for every append (``audit.services.audit_record``), and by ``audit verify``;
- ``UNIQUE (hash)`` is dropped: no query looks an entry up by its hash, and the chain, not the index, is
  what proves an entry unchanged (the index was the largest of the table).

The append-only trigger is created on the parent, which PostgreSQL clones to every partition, present and
future. The search indexes keep their names on the parent and exist in every partition.

An existing trail is kept as it is: the old table becomes the partition of everything before the first
day of the month after its newest entry (``audit_auditentry_before_y2027m01``), attached after its rows are
checked against that bound; its indexes are attached, only the new primary key and ``(chain, seq, at)``
are built (a few minutes per 10 million entries, with writes to the trail blocked meanwhile). An empty table
is simply replaced. The next months are created from the current month on.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

TABLE = "audit_auditentry"
SEQUENCE = "audit_auditentry_id_seq"
TRIGGER = "audit_auditentry_append_only"
PK = "audit_auditentry_pkey"
CHAIN_SEQ = "audit_entry_chain_seq_unique"
HASH_UNIQUE = "audit_auditentry_hash_key"
FOREIGN_KEY = "audit_auditentry_actor_id_8ab278be_fk_accounts_user_id"
#: The search indexes (name, columns), as the model and migrations 0001/0004 name them.
INDEXES = (("audit_audit_patient_c59c37_idx", "patient_id, at"), ("audit_auditentry_at_09f867ec", "at"),
           ("audit_entry_action_at", "action, at"), ("audit_entry_actor_at", "actor_id, at"))
MONTHS_AHEAD = 2


def _month_start(value: dt.datetime) -> dt.datetime:
    value = value.astimezone(dt.UTC)
    return dt.datetime(value.year, value.month, 1, tzinfo=dt.UTC)


def _next_month(start: dt.datetime) -> dt.datetime:
    return start.replace(year=start.year + 1, month=1) if start.month == 12 else start.replace(month=start.month + 1)


def _name(start: dt.datetime) -> str:
    return f"{TABLE}_y{start.year:04d}m{start.month:02d}"


def _at(value: dt.datetime) -> str:
    """A partition bound as SQL (DDL takes no parameters): an ISO timestamp in UTC, made here, not typed in."""
    return "'" + value.astimezone(dt.UTC).isoformat() + "'"


def _scalar(cursor: Any, sql: str, params: list[object] | None = None) -> Any:
    cursor.execute(sql, params)
    row = cursor.fetchone()
    return row[0] if row else None


def _indexes_key_and_guard(cursor: Any) -> None:
    """What the table has in either shape: the search indexes, the actor's foreign key, the append-only trigger."""
    for index, columns in INDEXES:
        cursor.execute(f"CREATE INDEX {index} ON {TABLE} ({columns})")
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {FOREIGN_KEY} FOREIGN KEY (actor_id) "
                   "REFERENCES accounts_user (id) DEFERRABLE INITIALLY DEFERRED")
    cursor.execute(f"CREATE TRIGGER {TRIGGER} BEFORE UPDATE OR DELETE ON {TABLE} "
                   "FOR EACH ROW EXECUTE FUNCTION clearcourse_audit_refuse_change()")


def partition(cursor: Any) -> None:
    """The plain table into the partitioned one, with the same rows (a cursor on PostgreSQL, inside a
    transaction)."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # pending foreign-key checks would block ALTER TABLE
    # Fail fast instead of queueing behind a long transaction (while queued, every read and append of the trail
    # would wait behind this migration too); run it again in a quiet moment.
    cursor.execute("SET LOCAL lock_timeout = '10s'")
    now = _scalar(cursor, "SELECT now()")
    newest = _scalar(cursor, f"SELECT max(at) FROM {TABLE}")  # noqa: S608 - constant identifiers
    next_id = int(_scalar(cursor, f"SELECT coalesce(max(id), 0) + 1 FROM {TABLE}"))  # noqa: S608
    old_sequence = _scalar(cursor, "SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
    if old_sequence:
        next_id = max(next_id, int(_scalar(cursor, f"SELECT last_value FROM {old_sequence}")) + 1)  # noqa: S608
    bound = _next_month(_month_start(max(now, newest) if newest else now))
    legacy = f"{TABLE}_before_y{bound.year:04d}m{bound.month:02d}"

    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {legacy}")
    cursor.execute(f"ALTER TABLE {legacy} ALTER COLUMN id DROP IDENTITY IF EXISTS")
    cursor.execute(f"DROP TRIGGER IF EXISTS {TRIGGER} ON {legacy}")
    cursor.execute(f"ALTER TABLE {legacy} DROP CONSTRAINT IF EXISTS {PK}, DROP CONSTRAINT IF EXISTS {HASH_UNIQUE}, "
                   f"DROP CONSTRAINT IF EXISTS {CHAIN_SEQ}")
    for index, columns in INDEXES:
        suffix = columns.replace(", ", "_")
        cursor.execute(f"ALTER INDEX IF EXISTS {index} RENAME TO {legacy}_{suffix}_idx")

    cursor.execute(f"CREATE SEQUENCE {SEQUENCE} START WITH {next_id}")
    cursor.execute(f"CREATE TABLE {TABLE} (LIKE {legacy} INCLUDING DEFAULTS INCLUDING CONSTRAINTS) "
                   "PARTITION BY RANGE (at)")
    cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id SET DEFAULT nextval('{SEQUENCE}')")
    cursor.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {TABLE}.id")
    has_rows = bool(_scalar(cursor, f"SELECT EXISTS (SELECT 1 FROM {legacy})"))  # noqa: S608
    if has_rows:
        cursor.execute(f"ALTER TABLE {TABLE} ATTACH PARTITION {legacy} FOR VALUES FROM (MINVALUE) TO ({_at(bound)})")
        first_month = bound
    else:
        cursor.execute(f"DROP TABLE {legacy}")
        first_month = _month_start(now)
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {PK} PRIMARY KEY (id, at)")
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {CHAIN_SEQ} UNIQUE (chain, seq, at)")
    _indexes_key_and_guard(cursor)
    last = _month_start(now)
    for _ in range(MONTHS_AHEAD):
        last = _next_month(last)
    start = first_month
    while True:  # from the first month not in the old table to two months ahead, at least one
        end = _next_month(start)
        cursor.execute(f"CREATE TABLE {_name(start)} PARTITION OF {TABLE} "
                       f"FOR VALUES FROM ({_at(start)}) TO ({_at(end)})")
        if end > last:
            break
        start = end
    cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")


def unpartition(cursor: Any) -> None:
    """Back to one plain table with the same rows, constraints and indexes as after migration 0004."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    next_id = int(_scalar(cursor, f"SELECT coalesce(max(id), 0) + 1 FROM {TABLE}"))  # noqa: S608
    next_id = max(next_id, int(_scalar(cursor, f"SELECT last_value FROM {SEQUENCE}")) + 1)  # noqa: S608
    plain = f"{TABLE}_plain"
    cursor.execute(f"CREATE TABLE {plain} (LIKE {TABLE} INCLUDING CONSTRAINTS)")
    cursor.execute(f"INSERT INTO {plain} SELECT * FROM {TABLE}")  # noqa: S608
    cursor.execute(f"DROP TABLE {TABLE} CASCADE")  # its partitions and its sequence go with it
    cursor.execute(f"ALTER TABLE {plain} RENAME TO {TABLE}")
    cursor.execute(f"ALTER TABLE {TABLE} ALTER COLUMN id ADD GENERATED BY DEFAULT AS IDENTITY (START WITH {next_id})")
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {PK} PRIMARY KEY (id)")
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {HASH_UNIQUE} UNIQUE (hash)")
    cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {CHAIN_SEQ} UNIQUE (chain, seq)")
    _indexes_key_and_guard(cursor)


def forwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            partition(cursor)


def backwards(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            unpartition(cursor)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_search_indexes"), migrations.swappable_dependency(settings.AUTH_USER_MODEL)]
    operations = [migrations.RunPython(forwards, backwards)]
