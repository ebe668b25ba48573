"""``python -m clearcourse register_ehr ISSUER JWKS [--clinic ID] [--name NAME]``: allow an EHR to call the
CDS services. ``ISSUER`` is the ``iss`` of its JWTs; ``JWKS`` is a JWK Set file (stored) or an https/http
URL (fetched when a token arrives, cached for five minutes). Registering an issuer again replaces its keys.
The EHR asks about the patients of one clinic (``--clinic``, needed when there is more than one)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jwt
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from clearcourse.accounts.models import Clinic
from clearcourse.audit.services import audit_record
from clearcourse.rems.models import EhrClient


class Command(BaseCommand):
    help = "Register an EHR client for the CDS Hooks services (its JWT issuer and its JWK Set file or URL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("issuer")
        parser.add_argument("jwks", help="a JWK Set file, or its URL")
        parser.add_argument("--clinic", type=int, help="the clinic's id (needed when there is more than one)")
        parser.add_argument("--name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        issuer, source = options["issuer"].strip(), options["jwks"].strip()
        if not issuer:
            raise CommandError("Give the EHR's JWT issuer (iss).")
        clinics = Clinic.objects.all()
        clinic = (clinics.filter(pk=options["clinic"]).first() if options["clinic"]
                  else (clinics.first() if clinics.count() == 1 else None))
        if clinic is None:
            raise CommandError("Name the clinic with --clinic ID (there is not exactly one clinic).")
        jwks: dict[str, Any] | None = None
        url = ""
        if source.startswith(("https://", "http://")):
            url = source
        else:
            try:
                jwks = json.loads(Path(source).read_text(encoding="utf-8"))
                if not jwt.PyJWKSet.from_dict(jwks).keys:
                    raise ValueError("no keys")
            except (OSError, ValueError, jwt.PyJWTError) as exc:
                raise CommandError(f"{source} is not a readable JWK Set with a usable key ({exc}).") from None
        with transaction.atomic():
            client, created = EhrClient.objects.update_or_create(
                issuer=issuer, defaults={"clinic": clinic, "jwks": jwks, "jwks_url": url,
                                         "name": options["name"] or issuer, "revoked_at": None})
            audit_record(actor=None, action="rems.ehr_client.register", obj=client,
                         detail={"issuer": issuer, "clinic": clinic.pk, "jwks_url": url,
                                 "keys": len((jwks or {}).get("keys", [])), "via": "command line"})
        self.stdout.write(f"{'Registered' if created else 'Updated'} EHR client {issuer} for {clinic.name}; "
                          f"its CDS services are at /cds-services.")
