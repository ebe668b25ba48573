"""``python -m clearcourse import_labs FILE --as USERNAME [--partial] [--format csv|fhir]``.

Imports a CSV or FHIR JSON file of lab results as the named clinic user (a prescriber or delegate:
the import sees only that user's patients and is audited under their name). Prints the report as
JSON. Exit status 0 when the file was imported (with ``--partial``: when at least the good rows were),
1 when nothing was written because of a bad row or a bad file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.accounts.models import User
from clearcourse.core import clock
from clearcourse.core.errors import DomainError
from clearcourse.interop import services
from clearcourse.interop.rows import MAX_BYTES


class Command(BaseCommand):
    help = "Import lab results from a CSV or FHIR JSON file (all rows or none, unless --partial)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV or FHIR JSON file, or - for standard input")
        parser.add_argument("--as", dest="username", required=True, help="the prescriber or delegate importing")
        parser.add_argument("--partial", action="store_true", help="import the good rows even if some are bad")
        parser.add_argument("--format", choices=("auto", *services.FORMATS), default="auto")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active user {options['username']!r}")
        source = options["file"]
        try:
            if source == "-":
                import sys

                data = sys.stdin.buffer.read(MAX_BYTES + 1)
            else:
                with Path(source).open("rb") as handle:
                    data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc.strerror}") from None
        fmt = options["format"]
        if fmt == "auto":
            fmt = services.detect_format(source, data)
        try:
            report = services.lab_import(actor=actor, data=data, fmt=fmt, today=clock.today(),
                                         partial=options["partial"], filename=Path(source).name)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        if not report.ok and not report.written:
            raise CommandError("nothing was imported; see the report above")
