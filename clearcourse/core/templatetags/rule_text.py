"""``{{ reason.message|rule_text }}``: a rules-core sentence in the page's language (see core.rule_text)."""

from __future__ import annotations

from django import template

from clearcourse.core.rule_text import localize

register = template.Library()


@register.filter(name="rule_text")
def rule_text(value: object) -> str:
    return localize(str(value)) if value is not None else ""
