"""``python -m clearcourse refresh_worklist``: recompute the stored clinic worklist rows.

Run nightly (after midnight, local time): due items and pick-up windows move with the calendar, not
only with writes, and the write services refresh only the course they touched. ``send_reminders
--schedule`` also runs the stale-only refresh once a day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.monitoring import worklist_store


class Command(BaseCommand):
    help = "Recompute the stored worklist rows (all courses, one clinic, or only those not computed today)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", type=int, help="only this clinic's courses (id)")
        parser.add_argument("--stale-only", action="store_true",
                            help="skip rows already computed today with the current version")
        parser.add_argument("--today", help="the date to compute for (YYYY-MM-DD; default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            today = dt.date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError as exc:
            raise CommandError(f"--today: {exc}") from None
        if options["clinic"]:
            written = worklist_store.worklist_refresh_clinic(options["clinic"], today=today)
        else:
            written = worklist_store.worklist_refresh_all(today=today, stale_only=options["stale_only"])
        self.stdout.write(f"worklist: {written} row(s) recomputed")
