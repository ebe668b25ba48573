"""The backup archive: the database dump, the media files (home-test photos) and a manifest, in one tar file,
optionally encrypted; every file created readable by its owner only (docs/security.md, "Backups").

Layout of the tar (plain, not compressed: the dump formats compress themselves, photos do not compress):

- ``manifest.json`` first: format version, time, database vendor and dump format, the dump's name, size and
  SHA-256, the row count of every table, every media file's path, size and SHA-256, the audit chains' state;
- ``database.<sqlite3|pgdump|xml>``;
- ``media/<path under MEDIA_ROOT>`` for every file.

Encryption (``--key-file``): AES-256-GCM over the tar in 1 MiB chunks (the STREAM construction: a random
nonce prefix per file, the chunk's number and a last-chunk flag in each nonce, so that chunks cannot be
reordered, dropped or the stream cut short without the authentication failing). The key is 32 random bytes
(base64 in the key file, which ``backup_key`` creates with mode 0600). Without the key the file is
indistinguishable from random bytes after its 16-byte header.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import struct
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import IO, Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ARCHIVE_FORMAT = "clearcourse-backup/2"
MANIFEST = "manifest.json"
ENCRYPTED_MAGIC = b"CCBACKUP-AESGCM1"  # 16 bytes
TAR_MAGIC_OFFSET = 257
CHUNK = 1024 * 1024
_NONCE_PREFIX = 7  # bytes; + 4 for the chunk number + 1 for the last-chunk flag = the 12-byte GCM nonce

KEY_UNREADABLE = "cannot read the backup key {path}: {reason}"
KEY_MALFORMED = "{path} is not a ClearCourse backup key (32 bytes, base64)"
WRONG_KEY = "the backup cannot be decrypted with this key (wrong key, or the file was changed or cut short)"
NEEDS_KEY = "this backup is encrypted: give --key-file FILE (or set CLEARCOURSE_BACKUP_KEY_FILE)"


class BackupError(Exception):
    """A backup that cannot be made, read or trusted; the message says why."""


@contextmanager
def private_umask() -> Iterator[None]:
    """Files and directories created inside (also by pg_dump and sqlite3) are readable by the owner only."""
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def open_private(path: Path, *, exclusive: bool = True) -> BinaryIO:
    """Opens ``path`` for writing, created with mode 0600 whatever the umask (and made 0600 if it existed)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | (os.O_EXCL if exclusive else 0)
    fd = os.open(path, flags, 0o600)
    os.fchmod(fd, 0o600)
    return os.fdopen(fd, "wb")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


# --- keys -----------------------------------------------------------------------------------------------------


def create_key(path: Path) -> None:
    with open_private(path) as handle:
        handle.write(base64.b64encode(AESGCM.generate_key(bit_length=256)) + b"\n")


def load_key(path: Path) -> bytes:
    try:
        text = path.read_bytes().strip()
    except OSError as exc:
        raise BackupError(KEY_UNREADABLE.format(path=path, reason=exc.strerror)) from exc
    try:
        key = base64.b64decode(text, validate=True)
    except ValueError as exc:
        raise BackupError(KEY_MALFORMED.format(path=path)) from exc
    if len(key) != 32:
        raise BackupError(KEY_MALFORMED.format(path=path))
    return key


# --- encryption (chunked AES-GCM) -----------------------------------------------------------------------------


class EncryptingWriter(io.RawIOBase):
    """A write-only stream that encrypts what is written to ``sink`` chunk by chunk; ``close()`` writes the last
    chunk (flagged, so that a file cut after any earlier chunk does not decrypt)."""

    def __init__(self, sink: BinaryIO, key: bytes) -> None:
        self._sink = sink
        self._aead = AESGCM(key)
        self._prefix = os.urandom(_NONCE_PREFIX)
        self._buffer = bytearray()
        self._counter = 0
        sink.write(ENCRYPTED_MAGIC)
        sink.write(self._prefix)

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        self._buffer += data
        while len(self._buffer) > CHUNK:
            self._emit(bytes(self._buffer[:CHUNK]), last=False)
            del self._buffer[:CHUNK]
        return len(data)

    def _emit(self, chunk: bytes, *, last: bool) -> None:
        nonce = self._prefix + struct.pack(">IB", self._counter, 1 if last else 0)
        self._counter += 1
        sealed = self._aead.encrypt(nonce, chunk, ENCRYPTED_MAGIC)
        self._sink.write(struct.pack(">I", len(sealed)))
        self._sink.write(sealed)

    def close(self) -> None:
        if not self.closed:
            self._emit(bytes(self._buffer), last=True)
            self._buffer.clear()
            self._sink.flush()
        super().close()


def decrypt_to(source: Path, target: Path, key: bytes) -> None:
    """Decrypts ``source`` into ``target`` (created 0600); raises :class:`BackupError` on a wrong key or any
    change, reordering or truncation."""
    aead = AESGCM(key)
    with source.open("rb") as handle, open_private(target) as out:
        if handle.read(len(ENCRYPTED_MAGIC)) != ENCRYPTED_MAGIC:
            raise BackupError("not an encrypted ClearCourse backup")
        prefix = handle.read(_NONCE_PREFIX)
        counter = 0
        while True:
            size_bytes = handle.read(4)
            if len(size_bytes) != 4:
                raise BackupError(WRONG_KEY)  # ended before the last chunk
            (size,) = struct.unpack(">I", size_bytes)
            sealed = handle.read(size)
            if size > CHUNK + 16 or len(sealed) != size:
                raise BackupError(WRONG_KEY)
            plain = None
            for last in (0, 1):
                try:
                    plain = aead.decrypt(prefix + struct.pack(">IB", counter, last), sealed, ENCRYPTED_MAGIC)
                except InvalidTag:
                    continue
                break
            if plain is None:
                raise BackupError(WRONG_KEY)
            out.write(plain)
            counter += 1
            if last:
                if handle.read(1):
                    raise BackupError(WRONG_KEY)  # bytes after the last chunk
                return


def is_encrypted(path: Path) -> bool:
    with path.open("rb") as handle:
        return handle.read(len(ENCRYPTED_MAGIC)) == ENCRYPTED_MAGIC


def is_archive(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(TAR_MAGIC_OFFSET)
        return handle.read(5) == b"ustar"


# --- the archive --------------------------------------------------------------------------------------------


def media_files(root: Path) -> list[tuple[str, Path]]:
    """Every regular file under ``root`` as (POSIX path relative to root, path); symlinks are left out."""
    if not root.is_dir():
        return []
    found = []
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            found.append((path.relative_to(root).as_posix(), path))
    return found


def write_archive(out: IO[bytes], *, manifest: dict[str, Any], database: Path, database_name: str,
                  media: list[tuple[str, Path]]) -> None:
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tar:
        body = json.dumps(manifest, indent=2, sort_keys=True).encode()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(body), 0o600
        tar.addfile(info, io.BytesIO(body))
        _add(tar, database, database_name)
        for name, path in media:
            _add(tar, path, f"media/{name}")


def _add(tar: tarfile.TarFile, path: Path, name: str) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode = path.stat().st_size, 0o600
    with path.open("rb") as handle:
        tar.addfile(info, handle)


def safe_media_path(root: Path, name: str) -> Path:
    """Where a media file of the manifest goes; refuses names that would leave ``root``."""
    pure = PurePosixPath(name)
    if pure.is_absolute() or any(part in ("", ".", "..") for part in pure.parts):
        raise BackupError(f"the backup names a media file outside the media folder: {name!r}")
    return root.joinpath(*pure.parts)
