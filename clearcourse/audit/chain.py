"""Hashing for the audit chain: pure functions over plain values."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = ("seq", "at", "actor_id", "actor_label", "actor_role", "action", "patient_id",
                 "object_type", "object_id", "ip", "channel", "detail")


def canonical_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, fields: Mapping[str, Any]) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the entry's fields (the sequence number
    included, so a reordering or a removal shows)."""
    values = {k: fields[k] for k in HASHED_FIELDS}
    if isinstance(values["at"], dt.datetime):
        values["at"] = canonical_time(values["at"])
    payload = json.dumps(values, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=True)
    return hashlib.sha256((prev_hash + payload).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ChainProblem:
    seq: int
    reason: str


def verify_chain(rows: Iterable[Mapping[str, Any]]) -> ChainProblem | None:
    """Walks entries in sequence order; returns the first bad entry, or None when the chain is intact."""
    prev = GENESIS
    expected_seq = 1
    for row in rows:
        if row["seq"] != expected_seq:
            return ChainProblem(row["seq"], f"expected entry #{expected_seq} here: an entry was removed or "
                                            "the entries were reordered")
        if row["prev_hash"] != prev:
            return ChainProblem(row["seq"], "its link to the previous entry does not match (an entry before "
                                            "it was changed, removed or reordered)")
        if row["hash"] != entry_hash(prev, row):
            return ChainProblem(row["seq"], "its content does not match its hash (the entry was changed)")
        prev = row["hash"]
        expected_seq += 1
    return None
