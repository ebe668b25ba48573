from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from clearcourse.accounts.models import Pharmacy


class OTPTokenForm(forms.Form):
    token = forms.CharField(
        label=_("Code"), max_length=16, strip=True,
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric",
                                      "autofocus": True}),
    )


class OTPEnrolForm(forms.Form):
    token = forms.CharField(
        label=_("Code from your app"), max_length=6, min_length=6, strip=True,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class ApiTokenCreateForm(forms.Form):
    pharmacy = forms.ModelChoiceField(label=_("Pharmacy"), queryset=Pharmacy.objects.all())
    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("What uses this token, e.g. the pharmacy's dispensing system."))
