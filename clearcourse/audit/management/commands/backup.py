"""``python -m clearcourse backup PATH``: a consistent copy of the whole database.

- SQLite: the sqlite3 online backup API (a page-by-page copy that is consistent even while the server
  writes), giving an ordinary SQLite file.
- PostgreSQL: ``pg_dump --format=custom`` when pg_dump is on PATH.
- ``--format portable`` (and PostgreSQL without pg_dump): Django's serializer in XML with natural
  foreign keys. XML keeps datetimes to the microsecond, which the audit chain's hashes include (the
  JSON serializer cuts them to milliseconds and would break the chain).

``python -m clearcourse restore PATH`` recognises the format by its first bytes. Both commands check the
audit chain afterwards.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from clearcourse.audit.selectors import verify_trail

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
XML_MAGIC = b"<?xml"
# Left out of portable backups: rebuilt by migrate (content types, permissions) or ephemeral (sessions).
PORTABLE_EXCLUDE = ("contenttypes", "auth.permission", "sessions")


def detect_format(path: Path) -> str:
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
    problem, count, last_hash = verify_trail()
    if problem is not None:
        raise CommandError(f"audit chain broken at entry #{problem.seq}: {problem.reason}", returncode=1)
    return f"audit chain intact: {count} entries, last hash {last_hash}"


class Command(BaseCommand):
    help = "Write a consistent backup of the database to PATH."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=["auto", "native", "portable"], default="auto",
                            help="native: SQLite file or pg_dump archive; portable: XML (any database)")
        parser.add_argument("--force", action="store_true", help="overwrite an existing file")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if path.exists() and not options["force"]:
            raise CommandError(f"{path} exists; use --force to overwrite it")
        path.parent.mkdir(parents=True, exist_ok=True)
        fmt = options["format"]
        vendor = connection.vendor
        if fmt == "auto":
            fmt = "native" if vendor == "sqlite" or shutil.which("pg_dump") else "portable"
        tmp = path.with_name(path.name + ".partial")
        tmp.unlink(missing_ok=True)
        if fmt == "native" and vendor == "sqlite":
            target = sqlite3.connect(tmp)
            try:
                sqlite_connection().backup(target)
            finally:
                target.close()
        elif fmt == "native" and vendor == "postgresql":
            if not shutil.which("pg_dump"):
                raise CommandError("pg_dump is not on PATH; use --format portable")
            env, conn_args = pg_env_and_args()
            run_tool(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(tmp),
                      *conn_args], env)
        elif fmt == "portable":
            call_command("dumpdata", format="xml", natural_foreign=True, exclude=list(PORTABLE_EXCLUDE),
                         output=str(tmp), verbosity=0)
        else:
            raise CommandError(f"no native backup for the {vendor} database; use --format portable")
        # Written under a temporary name and renamed, so a failed backup never looks like a good one.
        tmp.replace(path)
        self.stdout.write(f"backup written to {path} ({fmt}, {path.stat().st_size} bytes); {chain_summary()}")
