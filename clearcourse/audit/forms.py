from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from clearcourse.core import numbers


class DateInput(forms.DateInput):
    input_type = "date"


#: Whole families of actions (the search matches the beginning of the action), then each action in words.
FAMILIES = [
    ("", _("Everything")),
    ("ppp.", _("Pregnancy prevention records (all)")),
    ("pharmacy.", _("Pharmacy requests (all)")),
    ("portal.", _("Patient portal (all)")),
]


class ActionField(forms.ChoiceField):
    """A list of actions in words; a link or bookmark may also name any family by its beginning
    ("patient.")."""

    def valid_value(self, value: str) -> bool:
        return super().valid_value(value) or bool(_ACTION.fullmatch(value))


_ACTION = re.compile(r"[a-z_]+(\.[a-z_]*)*")


class AuditSearchForm(forms.Form):
    """The administrator's search: a patient by what people know of them (record number, name, or a
    prescription's reference such as RX-95), never the database's internal id."""

    patient = forms.CharField(label=_("Patient (record number, name or prescription reference)"), required=False,
                              max_length=150)
    actor = forms.CharField(label=_("Who (name or username)"), required=False, max_length=150)
    action = ActionField(label=_("What"), required=False, choices=FAMILIES)
    date_from = numbers.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = numbers.DateField(label=_("To"), required=False, widget=DateInput)

    def __init__(self, *args: Any, actions: Iterable[tuple[str, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["action"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [*FAMILIES, *actions]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
