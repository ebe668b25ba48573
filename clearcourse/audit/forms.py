from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class DateInput(forms.DateInput):
    input_type = "date"


class AuditSearchForm(forms.Form):
    patient_id = forms.IntegerField(label=_("Patient id"), required=False, min_value=1)
    actor = forms.CharField(label=_("Who (username)"), required=False, max_length=150)
    action = forms.CharField(label=_("Action (or its beginning, e.g. patient.)"), required=False, max_length=60)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
