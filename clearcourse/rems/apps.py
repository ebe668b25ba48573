from __future__ import annotations

from django.apps import AppConfig


class RemsConfig(AppConfig):
    """The REMS doors (issue 15): NCPDP SCRIPT, FHIR ``$rems-etasu`` and CDS Hooks. The top layer: it
    calls the pharmacy, ppp and interop apps and nothing calls it."""

    name = "clearcourse.rems"
    label = "rems"
    default_auto_field = "django.db.models.BigAutoField"
