"""Small template helpers for the portal pages and PDFs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils.translation import gettext as _

from clearcourse.accounts.templatetags.program_names import program_name
from clearcourse.core.dates import show_date
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


@register.filter
def consent_version(version_id: object) -> str:
    """A consent text's version ("2026-12-07/us-ipledge/can/en") in words: the wording's date in the page's
    style, the program by name, who the text is for and its language (issue 13: no codes or ISO dates)."""
    try:
        version, family, category, language = str(version_id).split("/")
        day = dt.date.fromisoformat(version)
    except ValueError:
        return str(version_id)
    who = (_("for patients who can get pregnant") if category == "can"
           else _("for patients who cannot get pregnant"))
    languages = {"en": _("English"), "de": _("German")}
    return _("text of %(date)s, %(program)s, %(who)s, %(language)s") % {
        "date": show_date(day), "program": program_name(family), "who": who,
        "language": languages.get(language, language)}
