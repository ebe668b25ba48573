"""``python -m clearcourse send_reminders``: the database-backed reminder worker.

Run one or more of these next to the web server (no broker): each pass claims due reminders with a
conditional UPDATE, so two workers never send the same one. ``--schedule`` first turns what is due
(labs, mood screens, pregnancy tests, monthly questions) into reminders; scheduling is idempotent. It
also recomputes the stored worklist rows not yet computed today (see ``refresh_worklist``) and, on
PostgreSQL, creates the audit trail's partitions of this month and the next two (``audit partitions``).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import DatabaseError

from clearcourse.audit import partitions
from clearcourse.core import clock
from clearcourse.monitoring import reminders, worklist_store

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Send due patient reminders (email, SMS) exactly once; loop until stopped unless --once."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="run one pass and exit")
        parser.add_argument("--interval", type=float, default=60.0, help="seconds between passes (default 60)")
        parser.add_argument("--limit", type=int, default=200, help="reminders per pass (default 200)")
        parser.add_argument("--schedule", action="store_true",
                            help="schedule reminders for every followed course before each pass")
        parser.add_argument("--worker", default="", help="a name for this worker (default host:pid:random)")

    def handle(self, *args: Any, **options: Any) -> None:
        worker = options["worker"] or reminders.worker_name()
        interval = max(float(options["interval"]), 0.1)
        while True:
            if options["schedule"]:
                # The audit trail's monthly partitions (PostgreSQL): this month's and the next two exist before
                # anything is written in them (two catalog reads when they do; nothing on SQLite).
                try:
                    for month in partitions.ensure_ahead(clock.now(), 2):
                        if month.created:
                            self.stdout.write(f"audit: partition {month.name} created for {month.month:%B %Y}")
                except DatabaseError as exc:  # never at the cost of the reminders: tried again next pass
                    logger.warning("audit partitions not created this pass: %s", exc)
                # Date-driven worklist changes: rows not yet computed today (a no-op after the first pass).
                refreshed = worklist_store.worklist_refresh_all(today=clock.today(), stale_only=True)
                if refreshed:
                    self.stdout.write(f"worklist: {refreshed} row(s) recomputed")
                created = reminders.reminders_schedule_all()
                if created:
                    self.stdout.write(f"scheduled {created} reminder(s)")
            report = reminders.send_due_reminders(worker=worker, limit=options["limit"])
            if report.sent or report.retried or report.failed or report.cancelled or options["once"]:
                self.stdout.write(
                    f"{worker}: sent {report.sent}, retried {report.retried}, failed {report.failed}, "
                    f"cancelled {report.cancelled}, taken by another worker {report.lost_races}")
            if options["once"]:
                return
            try:
                time.sleep(interval)
            except KeyboardInterrupt:
                return
