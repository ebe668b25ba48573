"""``{{ status.program|program_name }}``: a program version ("us-ipledge-2026") or family ("us-ipledge") by
its name in the page's language ("US iPLEDGE REMS (modification approved 9 Feb 2026)"), never its code."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext

from clearcourse.accounts.models import ProgramFamily
from clearcourse.rules.programs.registry import BY_ID

register = template.Library()


def program_name(value: object) -> str:
    code = str(value or "")
    version = BY_ID.get(code)
    if version is not None:
        return gettext(version.title)
    if code in ProgramFamily.values:
        return str(ProgramFamily(code).label)
    return code


register.filter("program_name", program_name)
