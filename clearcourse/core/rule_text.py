"""Translating the rules core's English sentences after their placeholders were filled in.

The rules core (pure Python, no Django) returns English text such as "No negative pregnancy test has been
recorded since 2026-10-27." built from a template with named placeholders (``{since}``). The German
catalogue holds the templates (``clearcourse/core/i18n_extra.py`` lists them for ``makemessages``),
but ``gettext`` cannot find a sentence whose placeholders are already filled, so such sentences stayed
English on German pages (pharmacy refusals, program reasons, worklist details, lab advice).

:func:`localize` finds the template a sentence was made from, translates the template and fills the
same values back in. A sentence that matches no template, or whose template has no translation, is
returned unchanged, so the worst case is the English text that was shown before.
"""

from __future__ import annotations

import re
from functools import lru_cache

from django.utils.translation import gettext

from clearcourse.core.dates import readable_dates

_PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?\}")
# Values of these lengths are names, dates and numbers; longer values may themselves be sentences.
_MAX_DEPTH = 2


@lru_cache(maxsize=1)
def _templates() -> tuple[tuple[re.Pattern[str], str], ...]:
    """Every catalogued template with ``str.format`` placeholders, most specific (longest literal text)
    first, as (pattern matching a filled-in sentence, template)."""
    from clearcourse.core.i18n_extra import STRINGS

    compiled: list[tuple[int, re.Pattern[str], str]] = []
    for template in STRINGS:
        if not _PLACEHOLDER.search(template) or "%(" in template:
            continue
        parts: list[str] = []
        seen: set[str] = set()
        position = 0
        for match in _PLACEHOLDER.finditer(template):
            parts.append(re.escape(template[position:match.start()]))
            name = match.group(1)
            parts.append(f"(?P={name})" if name in seen else f"(?P<{name}>.+?)")
            seen.add(name)
            position = match.end()
        parts.append(re.escape(template[position:]))
        literal = len(_PLACEHOLDER.sub("", template))
        compiled.append((literal, re.compile("".join(parts), re.DOTALL), template))
    compiled.sort(key=lambda item: -item[0])
    return tuple((pattern, template) for _literal, pattern, template in compiled)


def localize(text: str, _depth: int = 0) -> str:
    """``text`` in the active language when it is a catalogued rules-core sentence, else unchanged; its ISO
    dates in the language's date style either way (core/dates.py)."""
    if not text:
        return text
    if _depth == 0:
        return readable_dates(_localize(text, 0))
    return _localize(text, _depth)


def _localize(text: str, _depth: int) -> str:
    translated = gettext(text)
    if translated != text or _depth > _MAX_DEPTH:
        return translated
    for pattern, template in _templates():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        target = gettext(template)
        if target == template:
            return text  # no translation for this template in the active language
        values = {name: _localize(value, _depth + 1) for name, value in match.groupdict().items()}
        try:
            # The values were already converted when the English sentence was made ({id!r} gave 'rx-1').
            return _PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", target).format_map(values)
        except (KeyError, IndexError, ValueError):
            return text
    if ", " in text:
        # A list of catalogued words ("Copper IUD, Male latex condom"): each item translated on its own.
        items = text.split(", ")
        translated_items = [gettext(item) for item in items]
        if translated_items != items:
            return ", ".join(translated_items)
    return text
