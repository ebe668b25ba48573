"""``{{ rule.sources|citations }}`` and ``{{ reason.source|citation }}``: sources from the register, in the
page's language (see :mod:`clearcourse.core.citations`). ``core/_sources.html`` renders a list."""

from __future__ import annotations

from typing import Any

from django import template

from clearcourse.core.citations import CitationView, present, present_all

register = template.Library()


@register.filter(name="citations")
def citations(values: Any) -> list[CitationView]:
    """The sources named by a list, or by a comma-separated string of keys written in a template."""
    if isinstance(values, str):
        values = [part.strip() for part in values.split(",")]
    return present_all(values)


@register.filter(name="citation")
def citation(value: Any) -> CitationView | None:
    return present(value)
