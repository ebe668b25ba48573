"""``python -m clearcourse synth --patients N --clinics C --pharmacies P [--seed S]``: a synthetic
population for benchmarks (see ``clearcourse.synth.writer``). Bulk inserts (COPY on PostgreSQL); prints
one JSON summary line."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.synth import writer as synth


class Command(BaseCommand):
    help = "Create a synthetic population (patients with months of valid course history) for benchmarks."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, required=True)
        parser.add_argument("--clinics", type=int, default=20)
        parser.add_argument("--pharmacies", type=int, default=50)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--big-clinic", type=int, default=None,
                            help="patients in the first clinic (e.g. 5000 for the worklist benchmark)")
        parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                            help="the day the histories lead up to (default: today's local date)")
        parser.add_argument("--chunk", type=int, default=5000, help="patients per committed chunk")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["patients"] < 1 or options["clinics"] < 1 or options["pharmacies"] < 1:
            raise CommandError("--patients, --clinics and --pharmacies must be at least 1")
        result = synth.generate(
            patients=options["patients"], clinics=options["clinics"], pharmacies=options["pharmacies"],
            seed=options["seed"], today=options["today"], big_clinic=options["big_clinic"],
            chunk=options["chunk"], progress=lambda line: self.stderr.write(line),
        )
        self.stdout.write(json.dumps(result.summary()))
