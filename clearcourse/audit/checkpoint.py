"""Signed checkpoints of the audit trail, kept outside the database (docs/security.md, "Anchoring").

The hash chains show any entry changed, removed or reordered *inside* a chain, and the head rows show
entries removed from the end. They cannot show a rewrite by someone with full database rights who
truncates the tables, deletes a whole chain with its head, or deletes the newest entries and moves the
head back. A checkpoint closes that gap: per chain, its number of entries and the hash of its last entry,
with the time, signed with an Ed25519 key that lives in a file, not in the database. The operator stores
checkpoints elsewhere (another host, WORM storage); ``audit verify --against FILE`` then proves that every
entry up to each checkpointed position is still there, unchanged.

Ed25519 rather than an HMAC: the private key signs on the database host, and a checker elsewhere needs only
the public key (``audit checkpoint-key`` writes both), which cannot forge a checkpoint.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

FORMAT = "clearcourse-audit-checkpoint/1"
ALGORITHM = "ed25519"
KEY_SETTING = "CLEARCOURSE_AUDIT_CHECKPOINT_KEY_FILE"

NO_KEY = (f"no checkpoint key: give --key FILE or set {KEY_SETTING} (create one with "
          "`python -m clearcourse audit checkpoint-key --out FILE`)")
BAD_SIGNATURE = "checkpoint {path}: the signature does not match (the file was changed, or signed with another key)"
NOT_A_CHECKPOINT = "{path} is not a ClearCourse audit checkpoint"
CHAIN_MISSING = ("audit chain {chain} is missing: the checkpoint of {at} records {count} entries (the chain "
                 "or the audit tables were deleted or truncated)")
FEWER_ENTRIES = ("audit chain {chain} has {now} entries, fewer than the {count} the checkpoint of {at} "
                 "records: entries were removed")
CHANGED = ("audit chain {chain} entry #{count} does not match the checkpoint of {at}: an entry at or before "
           "it was changed or the chain was rewritten")


class CheckpointError(Exception):
    """A key or a checkpoint that cannot be used; the message says why."""


@dataclass(frozen=True)
class ChainMark:
    entries: int
    head: str


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def key_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    value = explicit or getattr(settings, KEY_SETTING, "") or os.environ.get(KEY_SETTING, "")
    if not value:
        raise CheckpointError(NO_KEY)
    return Path(value)


def write_private_file(path: Path, data: bytes) -> None:
    """Creates ``path`` readable by its owner only (0600 from the first byte, whatever the umask); refuses
    to overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, 0o600)


def create_key(path: Path) -> str:
    """Writes a new private key (PEM, mode 0600) to ``path`` and its public key to ``path.pub``; returns the
    key id."""
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo)
    write_private_file(path, pem)
    pub = path.with_name(path.name + ".pub")
    pub.write_bytes(public_pem)
    return key_id(private.public_key())


def key_id(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def _load(path: Path) -> Ed25519PrivateKey | Ed25519PublicKey:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read the checkpoint key {path}: {exc.strerror}") from exc
    try:
        if b"PRIVATE KEY" in data:
            key: Any = serialization.load_pem_private_key(data, password=None)
        else:
            key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise CheckpointError(f"{path} is not an Ed25519 key in PEM") from exc
    if not isinstance(key, Ed25519PrivateKey | Ed25519PublicKey):
        raise CheckpointError(f"{path} is not an Ed25519 key")
    return key


def sign(body: Mapping[str, Any], path: Path) -> dict[str, Any]:
    key = _load(path)
    if not isinstance(key, Ed25519PrivateKey):
        raise CheckpointError(f"{path} is a public key; signing needs the private key")
    signature = key.sign(_canonical(body))
    return {"checkpoint": dict(body), "algorithm": ALGORITHM, "key_id": key_id(key.public_key()),
            "signature": base64.b64encode(signature).decode()}


def verify_signature(body: Mapping[str, Any], signature: str, key_file: Path) -> None:
    """Raises :class:`CheckpointError` unless ``signature`` (base64) signs ``body`` with the key's pair."""
    key = _load(key_file)
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    try:
        public.verify(base64.b64decode(signature, validate=True), _canonical(body))
    except (InvalidSignature, ValueError) as exc:
        raise CheckpointError("the signature does not match") from exc


def build(*, at: str, marks: Mapping[int, ChainMark]) -> dict[str, Any]:
    return {"format": FORMAT, "at": at,
            "chains": {str(c): {"entries": m.entries, "head": m.head} for c, m in sorted(marks.items())}}


def read_verified(path: Path, key_file: Path) -> tuple[str, dict[int, ChainMark]]:
    """The checkpoint's time and marks, after checking its signature with the key (private or public)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        body = document["checkpoint"]
        signature = base64.b64decode(document["signature"], validate=True)
        if body.get("format") != FORMAT or document.get("algorithm") != ALGORITHM:
            raise ValueError
        marks = {int(c): ChainMark(int(m["entries"]), str(m["head"])) for c, m in body["chains"].items()}
        at = str(body["at"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise CheckpointError(NOT_A_CHECKPOINT.format(path=path)) from exc
    key = _load(key_file)
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    try:
        public.verify(signature, _canonical(body))
    except InvalidSignature as exc:
        raise CheckpointError(BAD_SIGNATURE.format(path=path)) from exc
    return at, marks


def compare(*, at: str, marks: Mapping[int, ChainMark], counts: Mapping[int, int],
            hashes_at_marks: Mapping[int, str]) -> str | None:
    """The first difference between a checkpoint and an intact trail (``counts``: entries per chain now;
    ``hashes_at_marks``: each chain's hash of the entry at the checkpointed position), or None."""
    for chain, mark in sorted(marks.items()):
        if mark.entries == 0:
            continue
        now = counts.get(chain, 0)
        if now == 0:
            return CHAIN_MISSING.format(chain=chain, at=at, count=mark.entries)
        if now < mark.entries:
            return FEWER_ENTRIES.format(chain=chain, now=now, count=mark.entries, at=at)
        if hashes_at_marks.get(chain) != mark.head:
            return CHANGED.format(chain=chain, count=mark.entries, at=at)
    return None
