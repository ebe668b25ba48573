"""``python -m clearcourse demo``: a demo clinic with synthetic patients at every stage.

Each app contributes through ``clearcourse.<app>.demo.build(ctx)`` (run in the order below, lower apps
first, in one transaction); ``ctx`` is a dict the builders share (clinic, users, patients, ...). All data
is synthetic, like the benchmark population beside it (this app sits above every app it fills).
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from clearcourse.accounts import demo as accounts_demo
from clearcourse.accounts.models import User
from clearcourse.courses import demo as courses_demo
from clearcourse.monitoring import demo as monitoring_demo
from clearcourse.pharmacy import demo as pharmacy_demo
from clearcourse.portal import demo as portal_demo
from clearcourse.ppp import demo as ppp_demo

DEMO_BUILDERS: tuple[ModuleType, ...] = (accounts_demo, courses_demo, ppp_demo, pharmacy_demo, monitoring_demo,
                                         portal_demo)


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
            for builder in DEMO_BUILDERS:
                builder.build(ctx)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_sign_ins()

    def _print_sign_ins(self) -> None:
        accounts_demo.print_sign_ins(self.stdout)
