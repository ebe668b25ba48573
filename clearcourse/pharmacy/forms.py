"""Pharmacist forms. They validate shapes only; every rule is checked by the services."""

from __future__ import annotations

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from clearcourse.core import numbers
from clearcourse.pharmacy.services import (
    MAX_DAYS_SUPPLY,
    REVERSAL_REASON_MIN_LENGTH,
    REVERSAL_REASON_REQUIRED,
)


class LookupForm(forms.Form):
    reference = forms.CharField(label=_("Prescription reference"), max_length=40,
                                help_text=_("As printed on the prescription, for example RX-1234-K7Q3."))
    birth_date = numbers.DateField(label=_("Patient's date of birth"), widget=forms.DateInput(attrs={"type": "date"}),
                                 help_text=_("Ask the patient; it must match the prescription."))


class AuthorizeForm(forms.Form):
    reference = forms.CharField(widget=forms.HiddenInput, max_length=40)
    birth_date = numbers.DateField(widget=forms.HiddenInput)
    days_supply = numbers.IntegerField(label=_("Days of supply to dispense"), min_value=1, max_value=MAX_DAYS_SUPPLY)
    ipledge_rma = forms.CharField(label=_("iPLEDGE RMA number"), max_length=40, required=False,
                                  help_text=_("US only: the Risk Management Authorization from iPLEDGE, if you "
                                              "already have it."))


class ReversalWindowForm(forms.Form):
    reversal_window_days = forms.IntegerField(
        label=_("Reverse automatically when not picked up within (days)"), required=False,
        min_value=1, max_value=30,
        help_text=_("Your pharmacy's own setting: no published number of days. Leave empty to reverse by hand only."))


class DispenseForm(forms.Form):
    days_supply = numbers.IntegerField(label=_("Days of supply handed over"), min_value=1, max_value=MAX_DAYS_SUPPLY)
    ipledge_rma = forms.CharField(label=_("iPLEDGE RMA number"), max_length=40, required=False)
    confirm = forms.BooleanField(label=_("I am handing this prescription to the patient now."), required=True)
    # A fresh key per rendered form: submitting the same form twice records one dispense.
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=100)

    @classmethod
    def fresh(cls, *, days_supply: int, ipledge_rma: str = "") -> DispenseForm:
        return cls(initial={"days_supply": days_supply, "ipledge_rma": ipledge_rma,
                            "idempotency_key": uuid.uuid4().hex})


class ReverseForm(forms.Form):
    """A reversal needs a reason and an explicit confirmation (the checkbox): it cannot be undone."""

    reason = forms.CharField(
        label=_("Reason for the reversal"), min_length=REVERSAL_REASON_MIN_LENGTH, max_length=500,
        widget=forms.TextInput(attrs={"placeholder": _("Not picked up"), "class": "long-text"}),
        error_messages={"required": _(REVERSAL_REASON_REQUIRED), "min_length": _(REVERSAL_REASON_REQUIRED)})
    # Not "confirm": the dispense form on the same page has a field of that name (ids must be unique).
    confirm_reversal = forms.BooleanField(
        label=_("I confirm: reverse this authorization. It cannot be used for a dispense afterwards."),
        error_messages={"required": _("Tick the box to confirm the reversal.")})
