"""Words of the rules core as data: an English template, its named values, and nothing filled in yet.

The core gives every reason, next step and warning as a :class:`Text`: the template (an English sentence
with named ``str.format`` placeholders, the msgid of the German catalogue) and the values that go in it
(dates as dates, numbers as numbers, words as further ``Text``). ``str(text)`` is the English sentence the
scenario CLI prints (dates in ISO form); a page draws the same data in its reader's language
(``clearcourse.core.wording``), so no sentence is ever translated back from its filled-in form.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Union

#: A value that goes into a template.
Value = Union[str, int, float, dt.date, "Text", "Join"]


@dataclass(frozen=True, slots=True)
class Text:
    """An English ``template`` with named placeholders and the values that fill it (as pairs, so that a
    Text is hashable and compares by value)."""

    template: str
    pairs: tuple[tuple[str, Value], ...] = ()

    @classmethod
    def of(cls, template: str, **params: Value) -> Text:
        return cls(template, tuple(params.items()))

    @property
    def params(self) -> dict[str, Value]:
        return dict(self.pairs)

    def __str__(self) -> str:
        return self.template.format_map({name: english(value) for name, value in self.pairs})

    def as_data(self) -> dict[str, Any]:
        """JSON-ready: ``{"msgid": template, "params": {name: value}}`` (dates ISO, words nested)."""
        return {"msgid": self.template, "params": {name: value_as_data(value) for name, value in self.pairs}}


@dataclass(frozen=True, slots=True)
class Join:
    """Several values said as one (``a laboratory or a clinic``): ``word`` is the English joining word."""

    items: tuple[Value, ...]
    word: str = ","  # "," joins with ", "; a word such as "or" with " or "

    def __str__(self) -> str:
        return joiner(self.word).join(english(item) for item in self.items)


def joiner(word: str) -> str:
    return ", " if word == "," else f" {word} "


def english(value: Value) -> str:
    """A value as the English sentence (and the CLI) shows it: dates in ISO form."""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def value_as_data(value: Value) -> Any:
    if isinstance(value, Text):
        return value.as_data()
    if isinstance(value, Join):
        return {"join": [value_as_data(item) for item in value.items], "word": value.word}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    return value


def text_from_data(data: Mapping[str, Any]) -> Text:
    """The inverse of :meth:`Text.as_data` (stored worklist items, stored alerts)."""
    return Text(str(data["msgid"]), tuple((name, value_from_data(value))
                                          for name, value in (data.get("params") or {}).items()))


def value_from_data(value: Any) -> Value:
    if isinstance(value, dict):
        if "msgid" in value:
            return text_from_data(value)
        if "join" in value:
            return Join(tuple(value_from_data(item) for item in value["join"]), str(value.get("word", ",")))
        if "date" in value:
            return dt.date.fromisoformat(value["date"])
    if isinstance(value, (str, int, float)):
        return value
    return str(value)
