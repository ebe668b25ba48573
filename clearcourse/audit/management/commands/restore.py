"""``python -m clearcourse restore PATH``: replace the whole database and the media files with a backup, then
check the audit chain (exit 1 if the restored chain is broken).

A backup archive (``backup``) is checked against its manifest **before** anything is replaced: the dump's and
every media file's SHA-256 must match (a changed or cut-short archive is refused), and an encrypted archive
needs its key (``--key-file``). After the restore, every table's row count must equal the manifest's. Older
backups (a bare SQLite file, pg_dump archive or XML) still restore, without these checks. A restore replaces
everything; it asks for confirmation unless ``--yes`` is given.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from clearcourse.audit import backup_archive as archive
from clearcourse.audit.management.commands.backup import (
    chain_summary,
    detect_format,
    key_file_option,
    pg_env_and_args,
    sqlite_connection,
    table_counts,
)

CORRUPT = "{path} does not match its manifest ({what}): the backup is damaged or was changed; nothing was restored"
COUNTS_DIFFER = ("the restored database does not match the backup's manifest: {tables}. Restore again from a "
                 "good backup")


class Command(BaseCommand):
    help = "Replace the database and the media files with the backup at PATH (made by `backup`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
        parser.add_argument("--key-file", help="the key of an encrypted backup; default: the "
                                               "CLEARCOURSE_BACKUP_KEY_FILE setting")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path} does not exist")
        with archive.private_umask(), tempfile.TemporaryDirectory(prefix="clearcourse-restore-") as tmp:
            work = Path(tmp)
            source = path
            if archive.is_encrypted(path):
                key_path = key_file_option(options["key_file"])
                if key_path is None:
                    raise CommandError(archive.NEEDS_KEY)
                try:
                    archive.decrypt_to(path, work / "backup.tar", archive.load_key(key_path))
                except archive.BackupError as exc:
                    raise CommandError(f"{path}: {exc}") from exc
                source = work / "backup.tar"
            manifest: dict[str, Any] | None = None
            media_dir = work / "media"
            if archive.is_archive(source):
                manifest, dump = self._unpack(path, source, work, media_dir)
            else:
                dump = source
            fmt = detect_format(dump)
            self._confirm(path, options["yes"])
            self._restore_database(dump, fmt)
            if connection.vendor == "postgresql":
                # A dump carries no planner statistics: without them the restored database plans its queries
                # blind until autovacuum gets round to every table (pages of 150 ms instead of 30 at 10M audit
                # entries, docs/performance.md (h)). ANALYZE samples every table: seconds, not minutes.
                with connection.cursor() as cursor:
                    cursor.execute("ANALYZE")
            if manifest is not None:
                self._restore_media(manifest, media_dir)
                self._check_counts(manifest)
        note = "" if manifest is not None else " (an older backup without a manifest: not checked)"
        media_note = f", {len(manifest['media'])} media files" if manifest is not None else ""
        self.stdout.write(f"restored {path} ({fmt}{media_note}){note}; {chain_summary()}")

    def _confirm(self, path: Path, yes: bool) -> None:
        if yes:
            return
        answer = input(f"This replaces ALL data in the {connection.vendor} database and the media files with "
                       f"{path}. Type 'yes' to continue: ")
        if answer.strip().lower() != "yes":
            raise CommandError("restore cancelled")

    def _unpack(self, path: Path, source: Path, work: Path, media_dir: Path) -> tuple[dict[str, Any], Path]:
        """Extracts the dump and the media files into ``work`` and checks each against the manifest."""
        try:
            with tarfile.open(source, mode="r:") as tar:
                member = tar.extractfile(archive.MANIFEST)
                if member is None:
                    raise CommandError(CORRUPT.format(path=path, what="no manifest"))
                manifest = json.loads(member.read())
                if manifest.get("format") != archive.ARCHIVE_FORMAT:
                    raise CommandError(f"{path}: unknown backup format {manifest.get('format')!r}")
                db = manifest["database"]
                dump = work / str(Path(db["name"]).name)
                self._extract(tar, db["name"], dump, db["sha256"], path)
                for item in manifest["media"]:
                    target = archive.safe_media_path(media_dir, item["path"])
                    target.parent.mkdir(parents=True, exist_ok=True)
                    self._extract(tar, f"media/{item['path']}", target, item["sha256"], path)
        except (tarfile.TarError, KeyError, ValueError, EOFError) as exc:
            raise CommandError(CORRUPT.format(path=path, what=f"{exc.__class__.__name__}: {exc}"[:200])) from exc
        except archive.BackupError as exc:
            raise CommandError(str(exc)) from exc
        return manifest, dump

    def _extract(self, tar: tarfile.TarFile, name: str, target: Path, sha256: str, path: Path) -> None:
        member = tar.extractfile(name)
        if member is None:
            raise CommandError(CORRUPT.format(path=path, what=f"{name} missing"))
        with archive.open_private(target) as out:
            shutil.copyfileobj(member, out)
        if archive.sha256_file(target) != sha256:
            raise CommandError(CORRUPT.format(path=path, what=f"{name} changed"))

    def _restore_database(self, dump: Path, fmt: str) -> None:
        if fmt == "sqlite":
            if connection.vendor != "sqlite":
                raise CommandError("a SQLite backup restores into SQLite only; use a portable backup")
            self._restore_sqlite(dump)
        elif fmt == "pgdump":
            if connection.vendor != "postgresql":
                raise CommandError("a pg_dump archive restores into PostgreSQL only; use a portable backup")
            for tool in ("pg_restore", "psql"):
                if not shutil.which(tool):
                    raise CommandError(f"{tool} is not on PATH")
            connection.close()
            self._restore_pgdump(dump)
        else:
            self._restore_portable(dump)

    def _restore_pgdump(self, dump: Path) -> None:
        """The dump replaces the schema in one transaction that commits only after ``pg_restore`` finished
        without error: psql receives ``BEGIN``, ``DROP SCHEMA public CASCADE``, the dump's SQL (streamed from
        ``pg_restore --file -``) and then ``COMMIT`` if, and only if, pg_restore exited 0; otherwise its input
        ends inside the transaction and the server rolls everything back. Not ``pg_restore --clean``: it
        drops a partitioned table's objects one by one, and a partition's inherited primary key cannot be
        dropped on its own (the audit trail is partitioned by month, migration 0005)."""
        env, conn_args = pg_env_and_args()
        psql = ["psql", "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1", *conn_args, "--file", "-"]
        with tempfile.TemporaryFile() as restore_errors, tempfile.TemporaryFile() as psql_out:
            loader = subprocess.Popen(psql, env=env, stdin=subprocess.PIPE, stdout=psql_out,  # noqa: S603
                                      stderr=subprocess.STDOUT)
            assert loader.stdin is not None  # noqa: S101 - stdin=PIPE
            script = subprocess.Popen(["pg_restore", "--no-owner", "--no-privileges", "--file", "-", str(dump)],  # noqa: S603, S607
                                      env=env, stdout=subprocess.PIPE, stderr=restore_errors)
            assert script.stdout is not None  # noqa: S101 - stdout=PIPE
            complete = False
            try:
                loader.stdin.write(b"BEGIN;\nDROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
                shutil.copyfileobj(script.stdout, loader.stdin, 1 << 20)
                complete = script.wait() == 0
                if complete:
                    loader.stdin.write(b"\nCOMMIT;\n")
            except BrokenPipeError:
                pass  # psql stopped at an error (ON_ERROR_STOP): nothing was committed
            finally:
                script.stdout.close()
                script.wait()
                with contextlib.suppress(BrokenPipeError):
                    loader.stdin.close()
                loader.wait()
            if script.returncode != 0:
                restore_errors.seek(0)
                raise CommandError("pg_restore failed (nothing was replaced): "
                                   f"{restore_errors.read().decode(errors='replace').strip()[:2000]}")
            if loader.returncode != 0 or not complete:
                psql_out.seek(0)
                raise CommandError("psql failed (nothing was replaced): "
                                   f"{psql_out.read().decode(errors='replace').strip()[:2000]}")

    def _restore_media(self, manifest: dict[str, Any], media_dir: Path) -> None:
        """Puts every media file of the backup in place (each written 0600 under a temporary name, then renamed);
        files the backup does not know are left alone."""
        root = Path(settings.MEDIA_ROOT)
        for item in manifest["media"]:
            source = archive.safe_media_path(media_dir, item["path"])
            target = archive.safe_media_path(root, item["path"])
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".restoring")
            with source.open("rb") as handle, archive.open_private(partial, exclusive=False) as out:
                shutil.copyfileobj(handle, out)
            partial.replace(target)

    def _check_counts(self, manifest: dict[str, Any]) -> None:
        expected: dict[str, int] = manifest["tables"]
        found = table_counts()
        differ = [f"{label}: {found.get(label, 0)} rows, the backup has {count}"
                  for label, count in sorted(expected.items()) if found.get(label, 0) != count]
        if differ:
            raise CommandError(COUNTS_DIFFER.format(tables="; ".join(differ[:5])), returncode=1)

    def _restore_sqlite(self, path: Path) -> None:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if source.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise CommandError(f"{path} is damaged (integrity check failed)")
            # The backup API copies the file over the live database page by page, under its lock.
            source.backup(sqlite_connection())
        finally:
            source.close()

    def _restore_portable(self, path: Path) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        # loaddata chooses the parser by the file's extension, whatever the backup is called.
        with tempfile.TemporaryDirectory() as tmp, transaction.atomic():
            fixture = Path(tmp) / "backup.xml"
            fixture.symlink_to(path.resolve())
            call_command("flush", interactive=False, verbosity=0)
            call_command("loaddata", str(fixture), verbosity=0)
