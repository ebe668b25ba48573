"""Dispensing. Authorization models are added with the pregnancy-prevention issue."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from clearcourse.accounts.models import Pharmacy
from clearcourse.core.models import ClinicalRecord
from clearcourse.courses.models import Prescription


class Dispense(ClinicalRecord):
    """A prescription handed over. The unique constraint on the prescription is the database's guarantee
    that a prescription is dispensed at most once, whatever the concurrency."""

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="dispenses")
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="dispenses")
    dispensed_on = models.DateField(_("dispensed on"))
    days_supply = models.PositiveSmallIntegerField(_("days of supply"))
    daily_dose_mg = models.PositiveIntegerField(_("daily dose (mg)"))

    class Meta:
        ordering = ["dispensed_on", "id"]
        constraints = [
            # Corrections carry ``supersedes``; among original dispenses a prescription appears once.
            models.UniqueConstraint(fields=["prescription"], condition=models.Q(supersedes__isnull=True),
                                    name="dispense_once_per_prescription"),
        ]
