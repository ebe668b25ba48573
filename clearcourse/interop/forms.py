"""The lab import form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

FORMAT_CHOICES = [("auto", _("Detect from the file")), ("csv", _("CSV")), ("fhir", _("FHIR JSON (Observation or Bundle)"))]


class LabImportForm(forms.Form):
    file = forms.FileField(label=_("File"), help_text=_(
        "A CSV file with the columns listed above, or FHIR R4 JSON."))
    format = forms.ChoiceField(label=_("Format"), choices=FORMAT_CHOICES, initial="auto")
    partial = forms.BooleanField(label=_("Import the good rows even if some rows are bad"), required=False,
                                 help_text=_("Without this, nothing is imported unless every row is good."))
    confirm_unusual = forms.BooleanField(
        label=_("I have checked the unusual values in this file"), required=False,
        help_text=_("Values outside the usual range are refused as row errors unless you tick this after checking "
                    "them; values that cannot be right are always refused."))
