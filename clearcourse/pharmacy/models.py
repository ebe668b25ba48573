"""Dispensing: authorizations, their reversals, and dispenses.

State changes are recorded as new rows, never as updates (DESIGN.md "records are append-only"):

- an :class:`Authorization` is written once, with the decision as the rules core gave it, and is
  never changed afterwards;
- its reversal is a separate :class:`AuthorizationReversal` row (one per authorization, by a unique
  constraint);
- its use is the :class:`Dispense` that points at it (one per authorization and one per
  prescription, both by unique constraints);
- its expiry is not stored at all: it follows from ``valid_through`` and the calendar.

So an authorization's status is computed (:meth:`Authorization.status_on`), and every transition
(authorize, dispense, reverse) is an INSERT that a database constraint can refuse. No row is ever
updated, which makes the history complete and the races visible to the database.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.utils.translation import gettext_lazy as _

from clearcourse.accounts.models import Pharmacy
from clearcourse.core.models import AppendOnlyError, AppendOnlyQuerySet, ClinicalRecord
from clearcourse.courses.models import Patient, Prescription, prescription_reference


class InsertOnlyModel(models.Model):
    """A row that is inserted once and never updated or deleted (the same guard as ClinicalRecord,
    without its correction fields: an authorization is not corrected, it is reversed)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise AppendOnlyError(f"{type(self).__name__} rows are insert-only")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError(f"{type(self).__name__} rows are insert-only")


class AuthorizationStatus(models.TextChoices):
    REFUSED = "refused", _("Refused")
    OPEN = "open", _("Authorized, not yet dispensed")
    DISPENSED = "dispensed", _("Dispensed")
    REVERSED = "reversed", _("Reversed (not picked up)")
    EXPIRED = "expired", _("Expired unused")


class Authorization(InsertOnlyModel):
    """A pharmacy's request to dispense a prescription, and the rules core's answer on that day.

    ``allowed`` with ``valid_through`` is the authorization; a refusal is stored too, with every
    reason (code, message, source), so the pharmacy's record shows what was asked and answered.
    ``valid_through`` is the last day the authorization may be used; it is null for a refusal.
    """

    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="authorizations")
    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="authorizations")
    # Denormalised from the prescription's course so that the audit trail and the patient's access
    # report need no join.
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="authorizations")
    decided_on = models.DateField(_("decided on"))
    allowed = models.BooleanField(_("allowed"))
    # [{"code", "message", "source", "text"?}]: what the pharmacist is told of each unmet condition (which
    # condition, not the clinical details: core.wording.pharmacy_reason_json); ``text`` is the sentence as
    # data where it has values, to draw it in the reader's language. Empty when allowed.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    valid_through = models.DateField(_("valid through"), null=True, blank=True)
    # The program version actually applied (e.g. "us-ipledge-2026"), not the family.
    program = models.CharField(_("program version"), max_length=30)
    days_supply = models.PositiveSmallIntegerField(_("days of supply requested"))
    # The iPLEDGE Risk Management Authorization number, when the pharmacist has one: in the US the
    # legal authority is iPLEDGE; ClearCourse is the pharmacy's system of record.
    ipledge_rma = models.CharField(_("iPLEDGE RMA number"), max_length=40, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["pharmacy", "-created_at"], name="authz_pharmacy_recent")]
        constraints = [
            # A refusal has no validity; an authorization always has one (see services: when the
            # program sets no window, the authorization is valid on the day it was given).
            models.CheckConstraint(
                name="authz_valid_through_iff_allowed",
                condition=(models.Q(allowed=True, valid_through__isnull=False)
                           | models.Q(allowed=False, valid_through__isnull=True)),
            ),
            models.CheckConstraint(name="authz_valid_through_not_before_decision",
                                   condition=models.Q(valid_through__gte=models.F("decided_on"))
                                   | models.Q(valid_through__isnull=True)),
            models.CheckConstraint(name="authz_days_supply_positive", condition=models.Q(days_supply__gt=0)),
        ]

    def __str__(self) -> str:
        return f"Authorization {self.pk} ({'allowed' if self.allowed else 'refused'})"

    @property
    def reference(self) -> str:
        return f"AU-{self.pk}"

    @property
    def prescription_reference(self) -> str:
        """The prescription's reference ("RX-95-K7Q3"), from the prescription the list already loaded."""
        return prescription_reference(self.prescription)

    def _related_or_none(self, name: str) -> Any:
        try:
            return getattr(self, name)
        except ObjectDoesNotExist:
            return None

    @property
    def reversal(self) -> AuthorizationReversal | None:
        return self._related_or_none("reversal_row")  # type: ignore[no-any-return]

    @property
    def dispense(self) -> Dispense | None:
        return self._related_or_none("dispense_row")  # type: ignore[no-any-return]

    def status_on(self, day: dt.date) -> str:
        """What the authorization is on ``day``: computed from the rows, never stored."""
        if not self.allowed:
            return AuthorizationStatus.REFUSED
        if self.dispense is not None:
            return AuthorizationStatus.DISPENSED
        if self.reversal is not None:
            return AuthorizationStatus.REVERSED
        if self.valid_through is not None and day > self.valid_through:
            return AuthorizationStatus.EXPIRED
        return AuthorizationStatus.OPEN


class AuthorizationReversal(InsertOnlyModel):
    """An unused authorization given back (the 2026 iPLEDGE modification asks pharmacies to reverse
    the authorization promptly when a prescription is not picked up; fact sheet 1.2)."""

    authorization = models.OneToOneField(Authorization, on_delete=models.PROTECT, related_name="reversal_row")
    reversed_on = models.DateField(_("reversed on"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Reversal of authorization {self.authorization_id}"


class Dispense(ClinicalRecord):
    """A prescription handed over. The unique constraint on the prescription is the database's guarantee
    that a prescription is dispensed at most once, whatever the concurrency.

    ``authorization`` is the allowed, unexpired, unreversed authorization of the same pharmacy it was
    dispensed under (checked by ``services.dispense_record``; null only for dispenses recorded before
    authorizations existed or imported from elsewhere). ``idempotency_key`` is the client's key: a
    replay with the same key and the same content returns this dispense instead of writing another.
    """

    prescription = models.ForeignKey(Prescription, on_delete=models.PROTECT, related_name="dispenses")
    pharmacy = models.ForeignKey(Pharmacy, on_delete=models.PROTECT, related_name="dispenses")
    dispensed_on = models.DateField(_("dispensed on"))
    days_supply = models.PositiveSmallIntegerField(_("days of supply"))
    daily_dose_mg = models.PositiveIntegerField(_("daily dose (mg)"))
    authorization = models.OneToOneField(Authorization, null=True, blank=True, on_delete=models.PROTECT,
                                         related_name="dispense_row")
    idempotency_key = models.CharField(_("idempotency key"), max_length=100, blank=True)
    ipledge_rma = models.CharField(_("iPLEDGE RMA number"), max_length=40, blank=True)

    class Meta:
        ordering = ["dispensed_on", "id"]
        constraints = [
            # Corrections carry ``supersedes``; among original dispenses a prescription appears once.
            models.UniqueConstraint(fields=["prescription"], condition=models.Q(supersedes__isnull=True),
                                    name="dispense_once_per_prescription"),
            models.UniqueConstraint(fields=["pharmacy", "idempotency_key"],
                                    condition=~models.Q(idempotency_key=""),
                                    name="dispense_idempotency_key_per_pharmacy"),
        ]
