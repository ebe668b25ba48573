"""``python -m clearcourse backup PATH``: a consistent copy of the whole database and the media files.

The backup is one archive (``audit/backup_archive.py``): a manifest (row counts of every table, each media
file's SHA-256, the dump's SHA-256), the database dump, and every file under ``MEDIA_ROOT`` (the home-test
photos). Every file is created with mode 0600 (a private umask for the dump tools and temporary files too);
``--key-file`` encrypts the archive (AES-256-GCM). The database dump is:

- SQLite: the sqlite3 online backup API (a page-by-page copy that is consistent even while the server
  writes), giving an ordinary SQLite file.
- PostgreSQL: ``pg_dump --format=custom`` when pg_dump is on PATH.
- ``--format portable`` (and PostgreSQL without pg_dump): Django's serializer in XML with natural
  foreign keys. XML keeps datetimes to the microsecond, which the audit chain's hashes include (the
  JSON serializer cuts them to milliseconds and would break the chain).

``python -m clearcourse restore PATH`` checks the archive against its manifest before it replaces anything.
Both commands check the audit chain afterwards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from clearcourse.audit import backup_archive as archive
from clearcourse.audit.archive_records import ArchiveRecordError
from clearcourse.audit.selectors import snapshot, verify_trail
from clearcourse.core import clock

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
XML_MAGIC = b"<?xml"
# Left out of portable backups: rebuilt by migrate (content types, permissions) or ephemeral (sessions).
PORTABLE_EXCLUDE = ("contenttypes", "auth.permission", "sessions")


def detect_format(path: Path) -> str:
    """The format of a bare database dump (a backup archive holds one; older backups are one)."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "pgdump"
    if head.lstrip().startswith(XML_MAGIC):
        return "portable"
    raise CommandError(f"{path} is not a ClearCourse backup (unknown format)")


def pg_env_and_args() -> tuple[dict[str, str], list[str]]:
    """Connection settings for pg_dump/pg_restore from Django's settings; the password goes through
    the environment, never the command line."""
    db = connection.settings_dict
    env = dict(os.environ)
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = str(db["PASSWORD"])
    args = []
    if db.get("HOST"):
        args += ["--host", str(db["HOST"])]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", str(db["USER"])]
    args += ["--dbname", str(db["NAME"])]
    return env, args


def run_tool(argv: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0:
        raise CommandError(f"{argv[0]} failed: {result.stderr.strip()[:2000]}")


def sqlite_connection() -> sqlite3.Connection:
    connection.ensure_connection()
    raw = connection.connection
    assert isinstance(raw, sqlite3.Connection)  # noqa: S101 - only called for the sqlite vendor
    return raw


def chain_summary() -> str:
    try:
        problem, count, last_hash = verify_trail()
    except ArchiveRecordError as exc:
        raise CommandError(str(exc), returncode=1) from exc
    if problem is not None:
        raise CommandError(f"audit chain broken at entry #{problem.seq}: {problem.reason}", returncode=1)
    return f"audit chain intact: {count} entries, last hash {last_hash}"


def table_counts() -> dict[str, int]:
    """Rows per table of every model a backup holds (not the ones migrate rebuilds, nor sessions)."""
    return {label: apps.get_model(label)._default_manager.using(connection.alias).count()
            for label in table_counts_labels()}


def key_file_option(value: str | None) -> Path | None:
    chosen = value or getattr(settings, "CLEARCOURSE_BACKUP_KEY_FILE", "")
    return Path(chosen) if chosen else None


class Command(BaseCommand):
    help = ("Write a consistent backup of the database and the media files (home-test photos) to PATH, "
            "readable by its owner only; encrypted with --key-file.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=["auto", "native", "portable"], default="auto",
                            help="native: SQLite file or pg_dump archive; portable: XML (any database)")
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")
        parser.add_argument("--key-file", help="encrypt with this key (made by `backup_key FILE`); default: "
                                               "the CLEARCOURSE_BACKUP_KEY_FILE setting, else not encrypted")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} exists; use --force to overwrite it")
        key_path = key_file_option(options["key_file"])
        try:
            key = archive.load_key(key_path) if key_path is not None else None
        except archive.BackupError as exc:
            raise CommandError(str(exc)) from exc
        with archive.private_umask():
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(prefix="clearcourse-backup-") as work:
                fmt, dump, counts = self._dump(Path(work), options["format"])
                media_root = Path(settings.MEDIA_ROOT)
                media = archive.media_files(media_root)
                manifest = {
                    "format": archive.ARCHIVE_FORMAT, "created": clock.now().isoformat(),
                    "vendor": connection.vendor, "dump": fmt, "database": {
                        "name": dump.name, "size": dump.stat().st_size, "sha256": archive.sha256_file(dump)},
                    "tables": counts,
                    "media": [{"path": name, "size": file.stat().st_size, "sha256": archive.sha256_file(file)}
                              for name, file in media],
                    "audit": chain_summary(),
                    "encrypted": key is not None,
                }
                tmp = path.with_name(path.name + ".partial")
                tmp.unlink(missing_ok=True)
                with archive.open_private(tmp) as out:
                    if key is None:
                        archive.write_archive(out, manifest=manifest, database=dump, database_name=dump.name,
                                              media=media)
                    else:
                        writer = archive.EncryptingWriter(out, key)
                        archive.write_archive(writer, manifest=manifest,  # type: ignore[arg-type]
                                              database=dump, database_name=dump.name, media=media)
                        writer.close()
                # Written under a temporary name and renamed, so a failed backup never looks like a good one.
                tmp.replace(path)
        os.chmod(path, 0o600)
        self.stdout.write(f"backup written to {path} ({fmt}, {len(media)} media files, "
                          f"{'encrypted' if key is not None else 'not encrypted'}, {path.stat().st_size} bytes, "
                          f"mode 0600); {manifest['audit']}")

    def _dump(self, work: Path, fmt: str) -> tuple[str, Path, dict[str, int]]:
        """The database dumped into ``work``, and the row counts of the same snapshot."""
        vendor = connection.vendor
        if fmt == "auto":
            fmt = "native" if vendor == "sqlite" or shutil.which("pg_dump") else "portable"
        if fmt == "native" and vendor == "sqlite":
            dump = work / "database.sqlite3"
            target = sqlite3.connect(dump)
            try:
                sqlite_connection().backup(target)
            finally:
                target.close()
            return fmt, dump, sqlite_counts(dump)
        if fmt == "native" and vendor == "postgresql":
            if not shutil.which("pg_dump"):
                raise CommandError("pg_dump is not on PATH; use --format portable")
            dump = work / "database.pgdump"
            env, conn_args = pg_env_and_args()
            # pg_dump reads the snapshot this transaction exported, so the counts describe the dump exactly.
            with snapshot(), connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot_id = cursor.fetchone()[0]
                counts = table_counts()
                run_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--snapshot", snapshot_id,
                          "--file", str(dump), *conn_args], env)
            return fmt, dump, counts
        if fmt == "portable":
            dump = work / "database.xml"
            with snapshot():
                counts = table_counts()
                call_command("dumpdata", format="xml", natural_foreign=True, exclude=list(PORTABLE_EXCLUDE),
                             output=str(dump), verbosity=0)
            return fmt, dump, counts
        raise CommandError(f"no native backup for the {vendor} database; use --format portable")


def sqlite_counts(path: Path) -> dict[str, int]:
    """Row counts read from a SQLite backup file itself (the copy, not the live database)."""
    tables = {model._meta.label_lower: model._meta.db_table for model in apps.get_models()
              if model._meta.managed and not model._meta.proxy}
    wanted = table_counts_labels()
    source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {label: int(source.execute(f'SELECT count(*) FROM "{tables[label]}"').fetchone()[0])  # noqa: S608
                for label in wanted}
    finally:
        source.close()


def table_counts_labels() -> list[str]:
    skip = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
    return [model._meta.label_lower for model in apps.get_models()
            if model._meta.managed and not model._meta.proxy and model._meta.label_lower not in skip]
