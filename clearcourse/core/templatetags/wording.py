"""``{{ reason.text|words }}``: the rules core's words in the page's language (``core.wording``);
``{{ reason|pharmacy_reason }}``: what a pharmacist is told of an unmet condition."""

from __future__ import annotations

from typing import Any

from django import template

from clearcourse.core import wording

register = template.Library()


@register.filter(name="words")
def words(value: Any) -> str:
    return wording.draw(value)


@register.filter(name="pharmacy_reason")
def pharmacy_reason(value: Any) -> str:
    return wording.pharmacy_reason(value)
