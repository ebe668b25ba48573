"""``python -m clearcourse synth_audit --entries N [--days D] [--jobs J] [--seed S]``: a synthetic audit trail
of N valid hash-chained entries on top of a synthetic population (see ``clearcourse.synth.audit_trail``).
Prints one JSON summary line."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.synth import audit_trail


def _aware(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


class Command(BaseCommand):
    help = "Append N synthetic, validly hash-chained audit entries (benchmarks; run synth first)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--entries", type=int, required=True)
        parser.add_argument("--days", type=float, default=30.0,
                            help="spread the entries over this many days before --end (default 30)")
        parser.add_argument("--end", type=_aware, default=None, help="the last entry's time (default: now)")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--jobs", type=int, default=2, help="processes writing chains in parallel (PostgreSQL)")
        parser.add_argument("--rebuild-indexes", choices=["auto", "yes", "no"], default="auto",
                            help="drop the secondary indexes for the load and build them again (auto: from "
                                 "500,000 entries, PostgreSQL only)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["entries"] < 1 or options["days"] <= 0 or options["jobs"] < 1:
            raise CommandError("--entries and --jobs must be at least 1 and --days positive")
        rebuild = {"auto": None, "yes": True, "no": False}[options["rebuild_indexes"]]
        try:
            result = audit_trail.generate(entries=options["entries"], days=options["days"], seed=options["seed"],
                                          jobs=options["jobs"], end=options["end"], rebuild_indexes=rebuild,
                                          progress=lambda line: self.stderr.write(line))
        except RuntimeError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(json.dumps(result.summary()))
