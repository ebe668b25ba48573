"""The rules core's words drawn in the reader's language: reasons, next steps, warnings.

The core gives its sentences as data (``clearcourse.rules.text.Text``: an English template with named
placeholders and the values for them). Drawing one translates the template (the German catalogue holds
it; ``core/i18n_extra.py`` lists the core's templates for ``makemessages``), draws each value (dates as
"7 Dec 2026" / "7. Dez. 2026", core/dates.py, nested words translated the same way) and fills them in. Nothing is ever
translated back from a filled-in sentence.

What a pharmacist is shown of a refusal is drawn here too (:func:`pharmacy_reason`): which condition is
unmet (``rules.programs.messages.PHARMACY_WORDS``), never the clinical details behind it.
"""

from __future__ import annotations

import datetime as dt
import string
from collections.abc import Mapping
from typing import Any

from django.utils import formats
from django.utils.translation import gettext

from clearcourse.core.dates import show_date
from clearcourse.rules.programs.messages import PHARMACY_WORDS
from clearcourse.rules.text import Join, Text, joiner, text_from_data

_FORMATTER = string.Formatter()


def draw(value: Any) -> str:
    """A Text (or a value that goes into one) in the active language; a plain string is translated as a
    whole when the catalogue has it, else shown as it is."""
    if value is None:
        return ""
    if isinstance(value, Text):
        return _fill(gettext(value.template), value.template, {name: draw_value(v) for name, v in value.pairs})
    if isinstance(value, Mapping) and "msgid" in value:
        return draw(text_from_data(value))
    return draw_value(value) if not isinstance(value, str) else gettext(value) if value else value


def draw_value(value: Any) -> str:
    if isinstance(value, Text):
        return draw(value)
    if isinstance(value, Join):
        return joiner(gettext(value.word) if value.word != "," else ",").join(draw_value(v) for v in value.items)
    if isinstance(value, dt.date):
        return show_date(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return formats.localize(value)
    return str(value)


def _fill(template: str, english: str, values: dict[str, str]) -> str:
    """``template`` filled with ``values``; a translation whose placeholders do not fit the values (a
    translator's slip) falls back to the English template rather than breaking the page."""
    try:
        return template.format_map(values)
    except (KeyError, IndexError, ValueError):
        return english.format_map(values)


def placeholders(template: str) -> set[str]:
    """The names a template's placeholders use (tests hold every translation to its English template)."""
    return {name for _literal, name, _spec, _conv in _FORMATTER.parse(template) if name}


def pharmacy_reason(reason: Mapping[str, Any] | Any) -> str:
    """What a pharmacist is told of one unmet condition (a core ``Reason`` or a stored ``{"code", ...}``):
    which condition, in the active language, without the clinical details (dates, results, methods)."""
    code = reason["code"] if isinstance(reason, Mapping) else reason.code
    words = PHARMACY_WORDS.get(code)
    if words is not None:
        return gettext(words)
    text = reason.get("text") if isinstance(reason, Mapping) else reason.text
    if text is not None:
        return draw(text)
    return gettext(str(reason.get("message", "")) if isinstance(reason, Mapping) else "")


def pharmacy_reason_json(reason: Any) -> dict[str, Any]:
    """A core ``Reason`` as a pharmacy door stores and answers it: code, the pharmacist's words (English,
    the stored form) and the source; the clinical details stay with the clinic."""
    words = PHARMACY_WORDS.get(reason.code)
    if words is not None:
        return {"code": reason.code, "message": words, "source": reason.source.cite()}
    return {"code": reason.code, "message": reason.message, "source": reason.source.cite(),
            "text": reason.text.as_data()}
