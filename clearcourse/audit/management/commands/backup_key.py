"""``python -m clearcourse backup_key FILE``: a new key for encrypted backups (32 random bytes, mode 0600)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.audit import backup_archive as archive


class Command(BaseCommand):
    help = "Create a key for encrypted backups (`backup PATH --key-file FILE`); never overwrites a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        if path.exists():
            raise CommandError(f"{path} exists; a key is never overwritten")
        archive.create_key(path)
        self.stdout.write(f"backup key written to {path} (mode 0600). Keep a copy away from the backups: "
                          "without it an encrypted backup cannot be restored.")
