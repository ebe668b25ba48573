"""``python -m clearcourse rems_client``: act as a pharmacy system against a ClearCourse server over NCPDP
SCRIPT: REMSInitiationRequest -> REMSRequest -> RxFill -> the same RxFill again. Prints each step as JSON
and exits with status 1 when the patient's REMS case is closed or the request is denied."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.rems import client


class Command(BaseCommand):
    help = "Run the NCPDP SCRIPT REMS sequence of a pharmacy system against a ClearCourse server."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the ClearCourse server")
        parser.add_argument("--token", required=True, help="the pharmacy's API token (pharmacy_token)")
        parser.add_argument("--ncpdp", required=True, help="the pharmacy's NCPDP ID")
        parser.add_argument("--given", default="")
        parser.add_argument("--family", default="")
        parser.add_argument("--birth-date", required=True, help="YYYY-MM-DD")
        parser.add_argument("--npi", default="", help="the prescriber's NPI")
        parser.add_argument("--ndc", default="", help="the product's NDC")
        parser.add_argument("--rxnorm", default="", help="an RxNorm code (6064 or a capsule strength)")
        parser.add_argument("--order-number", default="", help="the PrescriberOrderNumber (e.g. RX-12)")
        parser.add_argument("--script-version", choices=sorted(client.VERSION_ATTRIBUTES), default="2024011")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            born = dt.date.fromisoformat(options["birth_date"])
        except ValueError:
            raise CommandError("--birth-date must be YYYY-MM-DD") from None
        if not (options["ndc"] or options["rxnorm"]):
            raise CommandError("give --ndc or --rxnorm")
        party = client.Party(given=options["given"], family=options["family"], birth_date=born,
                             pharmacy_ncpdp=options["ncpdp"], prescriber_npi=options["npi"], ndc=options["ndc"],
                             rxnorm=options["rxnorm"], order_number=options["order_number"],
                             version=options["script_version"])
        steps = client.run_sequence(options["url"], options["token"], party,
                                    with_names=bool(options["given"] or options["family"]))
        self.stdout.write(client.as_json(steps))
        if not steps or steps[-1]["kind"] == "Error" or steps[-1]["status"] in ("CLOSED", "DENIED"):
            raise SystemExit(1)
