"""The one error of the rules core's strict input readers (``rules.parsing``, ``rules.programs.parse``): the
scenario CLI prints it as ``{"error": {"field", "message"}}``."""

from __future__ import annotations


class InputError(Exception):
    """A case that does not fit the contract; ``field`` is a dotted path such as ``events[3].date``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def as_json(self) -> dict[str, dict[str, str]]:
        return {"error": {"field": self.field, "message": self.message}}
