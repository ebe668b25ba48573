"""Archiving verified months of the audit trail (PostgreSQL; docs/performance.md, "Partitioning the audit trail
by month").

``python -m clearcourse audit archive --month 2024-11 --out DIR`` moves the oldest monthly partition out of the
database, once it is older than the months kept online (``CLEARCOURSE_AUDIT_ONLINE_MONTHS``, a clinic default
of 24: how long the trail must be kept is a legal question the sources here do not answer, and the archive
keeps it for as long as required without keeping it in the database). In order:

1. the whole trail is verified (every chain, from the previous archive's ends);
2. the partition's entries are written, in the same snapshot, to ``DIR/<partition>.csv.gz`` (mode 0600,
   never overwritten), every chain in sequence order;
3. the file is read back and its chains are checked from where the previous archive ended;
4. in one transaction the partition is locked, counted again (nothing may have been added), detached and
   dropped, and an :class:`~clearcourse.audit.models.AuditArchive` record keeps the file's SHA-256 and each
   chain's end; then an ``audit.archive`` entry records who did it.

``audit verify`` then starts each chain at its archived end, and ``audit archive-check FILE`` proves an
archived file unchanged (its SHA-256 and its chains) whenever asked.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import OperationalError, connection, transaction

from clearcourse.audit import archive_records, checkpoint, partitions
from clearcourse.audit.backup_archive import open_private, sha256_file
from clearcourse.audit.chain import ChainEnd, ChainProblem, verify_chain
from clearcourse.audit.models import AuditArchive, AuditEntry
from clearcourse.audit.selectors import ROW_FIELDS, ROW_SQL_COLUMNS, snapshot, walk_trail
from clearcourse.audit.services import audit_record
from clearcourse.core import clock

DEFAULT_ONLINE_MONTHS = 24
#: How long the archive waits for the trail's locks before giving up (and changing nothing).
LOCK_TIMEOUT_MS = 10_000


class ArchiveError(Exception):
    """The archive was not made (or a file does not check); the message says why. Nothing was changed."""


@dataclass(frozen=True)
class FileCheck:
    entries: int
    ends: dict[int, ChainEnd]
    problem: ChainProblem | None


def online_months() -> int:
    return max(0, int(getattr(settings, "CLEARCOURSE_AUDIT_ONLINE_MONTHS", DEFAULT_ONLINE_MONTHS)))


def oldest_archivable(now: dt.datetime) -> dt.datetime:
    """The latest end a partition may have to be archived: the first day of the month ``online_months``
    before the current one (UTC)."""
    start = partitions.month_start(now)
    for _ in range(online_months()):
        start = start.replace(year=start.year - 1, month=12) if start.month == 1 else start.replace(month=start.month - 1)
    return start


def _int(value: str) -> int | None:
    return int(value) if value != "" else None


def read_rows(path: Path) -> Iterator[dict[str, Any]]:
    """An archive file's entries as the chain check reads them (the hashed fields, ``at`` in canonical text)."""
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or list(reader.fieldnames) != list(ROW_FIELDS):
            raise ArchiveError(f"{path} is not a ClearCourse audit archive (its columns differ)")
        for row in reader:
            values: dict[str, Any] = dict(row)
            for name in ("chain", "seq"):
                values[name] = int(row[name])
            for name in ("actor_id", "patient_id"):
                values[name] = _int(row[name])
            values["detail"] = json.loads(row["detail"])
            yield values


def check_file(path: Path, starts: dict[int, ChainEnd]) -> FileCheck:
    """Walks the file's chains from ``starts`` (each chain's end before it)."""
    ends = {c: ChainEnd(e.seq, e.hash) for c, e in starts.items()}
    count = 0

    def counted() -> Iterator[dict[str, Any]]:
        nonlocal count
        for row in read_rows(path):
            count += 1
            yield row

    try:
        problem = verify_chain(counted(), ends)
    except (OSError, EOFError, ValueError, KeyError, csv.Error) as exc:
        raise ArchiveError(f"{path} cannot be read as an audit archive: {exc.__class__.__name__}") from exc
    return FileCheck(count, ends, problem)


def _marks(ends: dict[int, ChainEnd]) -> dict[str, list[Any]]:
    return {str(c): [e.seq, e.hash] for c, e in sorted(ends.items()) if e.seq}



def _write_partition(name: str, target: Path) -> None:
    """The partition's entries, chain by chain in sequence order, as CSV in ``target`` (gzip, 0600, new)."""
    columns = ", ".join(ROW_SQL_COLUMNS)
    sql = (f"COPY (SELECT {columns} FROM {connection.ops.quote_name(name)} ORDER BY chain, seq) "  # noqa: S608
           "TO STDOUT WITH (FORMAT csv, HEADER)")
    with open_private(target) as raw:
        with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
            cursor = connection.connection.cursor()
            with cursor.copy(sql) as copy:
                for block in copy:
                    out.write(bytes(block))
        # On disk before the partition is dropped: the file is then the only copy of these entries.
        raw.flush()
        os.fsync(raw.fileno())
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def archive_month(month: dt.date, out_dir: Path, *, key: str | os.PathLike[str] | None = None,
                  actor_label: str = "system") -> AuditArchive:
    """Moves the partition of ``month`` (the oldest one online) to a file in ``out_dir``; see the module. The
    record is signed with the checkpoint's private key (``key`` or the setting)."""
    if not partitions.is_partitioned():
        raise ArchiveError("archiving needs the monthly partitions of PostgreSQL; this database keeps the trail "
                           "in one table")
    start = partitions.month_start(month)
    end = partitions.next_month(start)
    now = clock.now()
    limit = oldest_archivable(now)
    if end > limit:
        raise ArchiveError(f"{start:%B %Y} is within the {online_months()} months kept online: months up to "
                           f"{partitions.month_start(limit - dt.timedelta(days=1)):%B %Y} can be archived")
    existing = partitions.partitions()
    ranged = [p for p in existing if not p.default]
    target = next((p for p in ranged if p.end == end), None)
    if target is None:
        raise ArchiveError(f"no partition of the trail ends with {start:%B %Y}")
    if ranged[0] is not target:
        raise ArchiveError(f"archive the older partition {ranged[0].name} first: the trail online stays one piece")
    if not out_dir.is_dir():
        raise ArchiveError(f"{out_dir} is not a directory")
    path = out_dir / f"{target.name}.csv.gz"
    if path.exists():
        raise ArchiveError(f"{path} exists; an archive file is never overwritten")
    default = next((p for p in existing if p.default), None)
    if default is not None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {connection.ops.quote_name(default.name)} "  # noqa: S608
                           "WHERE at < %s)", [end])
            if cursor.fetchone()[0]:
                raise ArchiveError(f"the default partition holds entries before {end:%d %B %Y}; they would be "
                                   "left out of the archive")

    try:
        key_file = checkpoint.key_path(key)
        checkpoint.sign({}, key_file)  # a private key, readable: known before anything is written
    except checkpoint.CheckpointError as exc:
        raise ArchiveError(f"archiving signs its record with the checkpoint key: {exc}") from exc
    with snapshot():
        try:
            walk = walk_trail(key=key_file)
        except archive_records.ArchiveRecordError as exc:
            raise ArchiveError(str(exc)) from exc
        base = walk.archived
        if walk.problem is not None:
            p = walk.problem
            raise ArchiveError(f"not archiving a broken trail: audit chain {p.chain} broken at entry #{p.seq}: "
                               f"{p.reason}")
        try:
            _write_partition(target.name, path)
        except BaseException:
            path.unlink(missing_ok=True)
            raise
    committing = False
    try:
        checked = check_file(path, base)
        if checked.problem is not None:
            raise ArchiveError(f"the written file does not check (chain {checked.problem.chain}, entry "
                               f"#{checked.problem.seq}: {checked.problem.reason}); nothing was removed")
        digest = sha256_file(path)
        with transaction.atomic():
            table = connection.ops.quote_name(target.name)
            parent = connection.ops.quote_name(AuditEntry._meta.db_table)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # pending foreign-key checks would block the DDL
                # The parent first, then the month, as every reader and writer locks them; and not for long: a
                # queued ACCESS EXCLUSIVE request would make every later read and append of the trail wait too.
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
                try:
                    cursor.execute(f"LOCK TABLE ONLY {parent} IN ACCESS EXCLUSIVE MODE")
                    cursor.execute(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
                except OperationalError as exc:
                    if getattr(getattr(exc, "__cause__", None), "sqlstate", None) != "55P03":
                        raise
                    raise ArchiveError("the audit trail is busy (a long read or a backup holds it); nothing was "
                                       "removed: try again later") from exc
                cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
                online = int(cursor.fetchone()[0])
                if online != checked.entries:
                    raise ArchiveError(f"{target.name} holds {online} entries, the file {checked.entries}: entries "
                                       "were added meanwhile; nothing was removed")
                record = AuditArchive(
                    range_start=target.start, range_end=end, partition=target.name, entries=checked.entries,
                    file_name=path.name, file_sha256=digest, chain_starts=_marks(base),
                    chain_ends=_marks({**base, **checked.ends}), archived_at=now, archived_by=actor_label[:150])
                record.signature = checkpoint.sign(archive_records.body(record), key_file)["signature"]
                record.save()
                cursor.execute(f"ALTER TABLE {parent} DETACH PARTITION {table}")
                cursor.execute(f"DROP TABLE {table}")
            committing = True  # from here the commit may have happened even if it reports an error
    except BaseException:
        if not committing:
            path.unlink(missing_ok=True)  # nothing was removed from the database: the file is not needed
        raise
    with transaction.atomic():
        audit_record(actor=None, action="audit.archive", obj=record,
                     detail={"partition": target.name, "entries": checked.entries, "file_sha256": digest})
    return record


def check_archive(path: Path, *, key: str | os.PathLike[str] | None = None) -> AuditArchive:
    """The archive record ``path`` belongs to, after proving the file unchanged: its SHA-256 as recorded, and
    every chain in it linking from the recorded starts to the recorded ends."""
    if not path.is_file():
        raise ArchiveError(f"{path} is not a file")
    try:
        archive_records.verified_ends(key)  # every record genuine, and in one piece
    except archive_records.ArchiveRecordError as exc:
        raise ArchiveError(str(exc)) from exc
    digest = sha256_file(path)
    record = AuditArchive.objects.filter(file_sha256=digest).first()
    if record is None:
        raise ArchiveError(f"{path} matches no archive of this trail (it was changed, or belongs elsewhere)")
    checked = check_file(path, archive_records.ends_of(record.chain_starts))
    if checked.problem is not None:
        p = checked.problem
        raise ArchiveError(f"{path}: audit chain {p.chain} broken at entry #{p.seq}: {p.reason}")
    expected = archive_records.ends_of(record.chain_ends)
    if checked.entries != record.entries or any(
            checked.ends.get(c, ChainEnd()).seq != e.seq or checked.ends.get(c, ChainEnd()).hash != e.hash
            for c, e in expected.items()):
        raise ArchiveError(f"{path} does not end where the archive record says its chains end")
    return record


def describe(record: AuditArchive) -> str:
    span = (f"{record.range_start:%d %b %Y} to {record.range_end:%d %b %Y}" if record.range_start
            else f"everything before {record.range_end:%d %b %Y}")
    return f"{record.file_name}: {record.entries} entries, {span} (UTC), SHA-256 {record.file_sha256}"

