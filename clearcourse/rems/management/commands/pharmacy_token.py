"""``python -m clearcourse pharmacy_token NCPDP_ID NAME``: issue an API token for a pharmacy system.

For setting up a pharmacy system (its NCPDP SCRIPT, FHIR and ``/api/v1`` calls) from the server's shell.
The plain token is printed on the last line and never stored (only its hash): copy it now.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.accounts.models import Pharmacy
from clearcourse.accounts.services import api_token_create
from clearcourse.core.errors import DomainError


class Command(BaseCommand):
    help = "Issue a pharmacy API token for the pharmacy with this NCPDP ID; prints it on the last line."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ncpdp_id", help="the pharmacy's 7-digit NCPDP Provider ID")
        parser.add_argument("name", help="what the token is for, e.g. the pharmacy system's name")

    def handle(self, *args: Any, **options: Any) -> None:
        pharmacy = Pharmacy.objects.filter(ncpdp_id=options["ncpdp_id"].strip()).first()
        if pharmacy is None or not options["ncpdp_id"].strip():
            raise CommandError(f"No pharmacy has the NCPDP ID {options['ncpdp_id']!r}; an administrator records "
                               "it on the pharmacy first.")
        try:
            token, plain = api_token_create(actor=None, pharmacy=pharmacy, name=options["name"], by_operator=True)
        except DomainError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Token {token.prefix} for {pharmacy.name} (NCPDP {pharmacy.ncpdp_id}), named "
                          f"{token.name!r}. It is shown only now:")
        self.stdout.write(plain)
