"""``python -m clearcourse export_fhir COURSE_ID --as USERNAME``: print a course as a FHIR R4 Bundle.

The export runs with the named user's access (a course outside their scope is "not found") and is
audited as ``course.export_fhir``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clearcourse.accounts.models import User
from clearcourse.core import clock
from clearcourse.core.errors import NotFoundError
from clearcourse.interop.selectors import course_bundle_for_user


class Command(BaseCommand):
    help = "Print a course as a FHIR R4 collection Bundle (JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("course_id", type=int)
        parser.add_argument("--as", dest="username", required=True, help="the clinic user exporting")

    def handle(self, *args: Any, **options: Any) -> None:
        actor = User.objects.filter(username=options["username"], is_active=True).first()
        if actor is None:
            raise CommandError(f"no active user {options['username']!r}")
        try:
            bundle = course_bundle_for_user(user=actor, course_id=options["course_id"], now=clock.now())
        except NotFoundError:
            raise CommandError(f"course {options['course_id']} not found for {actor.username}") from None
        self.stdout.write(json.dumps(bundle, indent=2, ensure_ascii=False))
