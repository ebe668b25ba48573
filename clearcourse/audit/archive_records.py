"""The archive records (``AuditArchive``), checked before a walk of the trail trusts them.

A walk starts each chain where the archived months ended. Those ends come from database rows, which someone with
full database rights could write: a forged record could make deleted entries look archived. So every record is
signed with the checkpoint key when the month is archived (``audit archive``), and before a walk uses them:

- every record's signature must match (the public key is enough);
- each record must start where the one before it ended (its chain starts, its first day);
- the oldest month still in the database must start where the newest record ends.

Without archive records nothing is checked and no key is needed.
"""

from __future__ import annotations

import datetime as dt
from os import PathLike
from typing import Any

from clearcourse.audit import checkpoint, partitions
from clearcourse.audit.chain import ChainEnd
from clearcourse.audit.models import AuditArchive

FORMAT = "clearcourse-audit-archive/1"


class ArchiveRecordError(Exception):
    """An archive record that cannot be trusted, or no key to check it; the message says which."""


def _time(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.UTC).isoformat()


def body(record: AuditArchive) -> dict[str, Any]:
    """What the signature covers."""
    return {"format": FORMAT, "partition": record.partition, "range_start": _time(record.range_start),
            "range_end": _time(record.range_end), "entries": int(record.entries), "file_name": record.file_name,
            "file_sha256": record.file_sha256, "chain_starts": record.chain_starts, "chain_ends": record.chain_ends,
            "archived_at": _time(record.archived_at)}


def ends_of(marks: dict[str, Any]) -> dict[int, ChainEnd]:
    return {int(c): ChainEnd(int(v[0]), str(v[1])) for c, v in marks.items()}


def verified_ends(key: str | PathLike[str] | None = None) -> dict[int, ChainEnd]:
    """Where each chain ended in the archived months, after checking every archive record (see the module);
    empty when nothing was archived."""
    records = list(AuditArchive.objects.order_by("range_end"))
    if not records:
        return {}
    try:
        key_file = checkpoint.key_path(key)
    except checkpoint.CheckpointError as exc:
        raise ArchiveRecordError(f"months of the trail are archived; checking their records needs the checkpoint "
                                 f"key (public or private): {exc}") from exc
    previous_ends: dict[str, Any] = {}
    previous_end: dt.datetime | None = None
    for record in records:
        try:
            checkpoint.verify_signature(body(record), record.signature, key_file)
        except checkpoint.CheckpointError as exc:
            raise ArchiveRecordError(f"the archive record of {record.partition} does not match its signature: it was "
                                     f"changed, forged, or signed with another key ({exc})") from exc
        if record.chain_starts != previous_ends or (previous_end is not None and record.range_start != previous_end):
            raise ArchiveRecordError(f"the archive record of {record.partition} does not follow on from the one "
                                     "before it: a record was removed")
        previous_ends, previous_end = record.chain_ends, record.range_end
    online = [p for p in partitions.partitions() if not p.default]
    if online and online[0].start != previous_end:
        raise ArchiveRecordError(f"the oldest month in the database ({online[0].name}) does not start where the "
                                 f"archives end ({previous_end:%d %b %Y}): a month was removed without an archive")
    return ends_of(previous_ends)
