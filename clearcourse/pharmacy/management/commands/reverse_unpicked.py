"""``python -m clearcourse reverse_unpicked``: reverse the authorizations not picked up in time.

Run daily (after midnight). Each pharmacy that set a reversal window (its own setting: the 2026 iPLEDGE
modification asks for prompt reversal but names no number of days) gets its open authorizations reversed
once they are older than the window, counted in the pharmacy's own calendar day. Each reversal is written
once, with an audit entry by "system"; a second run the same day reverses nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.pharmacy import services


class Command(BaseCommand):
    help = "Reverse authorizations not picked up within each pharmacy's reversal window."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--today", help="judge as of this date (YYYY-MM-DD; default: each pharmacy's today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from None
        reversed_ = services.authorizations_reverse_unpicked(today=today)
        self.stdout.write(f"reversed: {len(reversed_)} authorization(s) not picked up")
