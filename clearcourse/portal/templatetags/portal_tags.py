"""Small template helpers for the portal pages and PDFs."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.translation import gettext as _

from clearcourse.rules import labs

register = template.Library()


@register.filter
def analyte_name(code: str) -> str:
    """A lab analyte code (rules.labs.Analyte value) as its translated name."""
    try:
        return _(labs.ANALYTE_NAMES[labs.Analyte(code)])
    except (ValueError, KeyError):
        return code


@register.filter
def field_type(bound_field: Any) -> str:
    """"choices" for radio and checkbox groups (rendered as a fieldset), "checkbox", else "input"."""
    widget = bound_field.field.widget
    name = type(widget).__name__
    if name in ("RadioSelect", "CheckboxSelectMultiple"):
        return "choices"
    if name == "CheckboxInput":
        return "checkbox"
    if name == "HiddenInput":
        return "hidden"
    return "input"
