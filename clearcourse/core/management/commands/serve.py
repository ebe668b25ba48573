"""``python -m clearcourse serve``: migrate, then serve.

Development (CLEARCOURSE_DEBUG=true): Django's server with static files. Production: gunicorn with
the given number of workers; static files are served by WhiteNoise after ``collectstatic``.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Apply migrations and serve ClearCourse."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addr", default="127.0.0.1:8000", help="host:port to listen on")
        parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (production)")
        parser.add_argument("--no-migrate", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        if settings.DEBUG:
            call_command("runserver", options["addr"], use_reloader=False)
            return
        call_command("collectstatic", interactive=False, verbosity=0)
        argv = ["gunicorn", "clearcourse.wsgi:application", "--bind", options["addr"],
                "--workers", str(options["workers"]), "--access-logfile", "-"]
        os.execvp(sys.executable, [sys.executable, "-m", *argv])  # noqa: S606 - fixed argv, no shell
