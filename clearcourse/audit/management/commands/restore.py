"""``python -m clearcourse restore PATH``: replace the whole database with a backup, then check the
audit chain (exit 1 if the restored chain is broken).

The format is recognised from the file (see ``backup``). A restore replaces everything; it asks for
confirmation unless ``--yes`` is given.
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from clearcourse.audit.management.commands.backup import (
    chain_summary,
    detect_format,
    pg_env_and_args,
    run_tool,
    sqlite_connection,
)


class Command(BaseCommand):
    help = "Replace the database with the backup at PATH (made by `backup`)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"{path} does not exist")
        fmt = detect_format(path)
        if not options["yes"]:
            answer = input(f"This replaces ALL data in the {connection.vendor} database with {path}. "
                           "Type 'yes' to continue: ")
            if answer.strip().lower() != "yes":
                raise CommandError("restore cancelled")
        if fmt == "sqlite":
            if connection.vendor != "sqlite":
                raise CommandError("a SQLite backup restores into SQLite only; use a portable backup")
            self._restore_sqlite(path)
        elif fmt == "pgdump":
            if connection.vendor != "postgresql":
                raise CommandError("a pg_dump archive restores into PostgreSQL only; use a portable backup")
            if not shutil.which("pg_restore"):
                raise CommandError("pg_restore is not on PATH")
            connection.close()
            env, conn_args = pg_env_and_args()
            run_tool(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                      "--single-transaction", "--exit-on-error", *conn_args, str(path)], env)
        else:
            self._restore_portable(path)
        self.stdout.write(f"restored {path} ({fmt}); {chain_summary()}")

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
