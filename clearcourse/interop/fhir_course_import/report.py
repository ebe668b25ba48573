"""The import's report: what was imported, skipped and created, and every problem with its entry and element."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    index: int  # position in Bundle.entry, from 0
    resource_type: str
    field: str  # the element at fault ("" for the resource as a whole)
    message: str

    def as_json(self) -> dict[str, Any]:
        return {"index": self.index, "entry": f"Bundle.entry[{self.index}]", "resource_type": self.resource_type,
                "field": self.field, "message": self.message}


@dataclass(slots=True)
class CourseImportReport:
    entries: int = 0
    written: bool = False
    file_error: str = ""
    patient_id: int | None = None
    course_id: int | None = None
    imported: Counter[str] = field(default_factory=Counter)  # by record kind
    skipped: Counter[str] = field(default_factory=Counter)  # by resource type (AuditEvent)
    created: dict[str, list[str]] = field(default_factory=lambda: {"practitioners": [], "pharmacies": []})
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.problems

    def as_json(self) -> dict[str, Any]:
        return {
            "entries": self.entries, "written": self.written, "file_error": self.file_error or None,
            "patient_id": self.patient_id, "course_id": self.course_id,
            "imported": dict(sorted(self.imported.items())), "skipped": dict(sorted(self.skipped.items())),
            "created": self.created, "notes": self.notes, "problems": [p.as_json() for p in self.problems],
        }


class _Bad(Exception):
    """One entry refused: ``field`` names the FHIR element."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
