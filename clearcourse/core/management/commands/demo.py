"""``python -m clearcourse demo``: a demo clinic with synthetic patients at every stage.

Each app contributes through ``clearcourse.<app>.demo.build(ctx)`` (run in the order below, in one
transaction); ``ctx`` is a dict the builders share (clinic, users, patients, ...). All data is
synthetic.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from clearcourse.accounts.models import User

DEMO_APPS = ("accounts", "courses", "ppp", "pharmacy", "monitoring", "portal", "interop")


class Command(BaseCommand):
    help = "Load the demo clinic (about 30 synthetic patients, one pharmacy, one account per role)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--if-empty", action="store_true", help="do nothing if any account exists")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("The database already has accounts; demo data not loaded.")
            self._print_sign_ins()
            return
        ctx: dict[str, Any] = {"stdout": self.stdout}
        with transaction.atomic():
            for app in DEMO_APPS:
                module_name = f"clearcourse.{app}.demo"
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as exc:
                    if exc.name != module_name:
                        raise
                    continue
                module.build(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_sign_ins()

    def _print_sign_ins(self) -> None:
        from clearcourse.accounts.demo import print_sign_ins

        print_sign_ins(self.stdout)
