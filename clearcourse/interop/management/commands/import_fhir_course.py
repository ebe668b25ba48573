"""``python -m clearcourse import_fhir_course FILE --as USERNAME``: import a whole course from a FHIR Bundle.

The file is a course Bundle as ClearCourse exports it (``export_fhir``, the course download). The named
user must be an active, registered prescriber: the patient and the course land in their clinic, and
the import is audited under their name (``interop.course_import``). Practitioners the clinic does not
know become inactive prescriber accounts with an unusable password (see
``clearcourse.interop.fhir_course_import``). Prints the report as JSON. Exit status 0 when the course
was imported, 1 when nothing was written (every bad entry is in the report, with its index in
``Bundle.entry``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.accounts.models import User
from clearcourse.core import clock
from clearcourse.core.errors import DomainError
from clearcourse.interop.fhir_course_import import course_import
from clearcourse.interop.rows import MAX_BYTES


class Command(BaseCommand):
    help = "Import a whole course from a FHIR R4 course Bundle (everything or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the FHIR JSON Bundle, or - for standard input")
        parser.add_argument("--confirm-unusual", action="store_true",
                            help="accept values outside the usual range (weights, labs, doses) after checking them")
        parser.add_argument("--as", dest="username", required=True,
                            help="the prescriber importing (the course lands in their clinic)")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active user {options['username']!r}")
        source = options["file"]
        try:
            if source == "-":
                data = sys.stdin.buffer.read(MAX_BYTES + 1)
            else:
                with Path(source).open("rb") as handle:
                    data = handle.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CommandError(f"cannot read {source}: {exc.strerror}") from None
        try:
            report = course_import(actor=actor, data=data, today=clock.today(), filename=Path(source).name,
                                   confirm_unusual=options["confirm_unusual"])
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(json.dumps(report.as_json(), indent=2, ensure_ascii=False))
        if not report.written:
            raise CommandError("nothing was imported; see the report above")
