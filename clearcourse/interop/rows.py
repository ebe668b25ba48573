"""One lab result to import, read from a CSV line or a FHIR Observation, before any database check.

Readers (``csv_import``, ``fhir_import``) only check the form of the input (the header, dates,
numbers, codes they must recognise); whether a value is acceptable for its test is decided by the
services that record it (``monitoring.services.lab_result_record`` for numeric results,
``ppp.services.pregnancy_test_record`` for pregnancy tests), the single source of truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

#: The most rows one file may hold (a lab's daily batch is far smaller; the limit keeps a page
#: request short).
MAX_ROWS = 5000
#: The largest file accepted, in bytes.
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class LabRow:
    where: str  # "line 3" (CSV) or "entry 2" (FHIR), as reported to people
    line: int  # the CSV line number or the FHIR entry number (1-based)
    record_number: str
    birth_date: dt.date
    loinc: str
    collected_on: dt.date
    value: str | None = None  # a numeric result, as written
    unit: str = ""
    uln: str | None = None
    result: str | None = None  # "negative" / "positive" for a qualitative pregnancy test
    setting: str = "lab"  # where a pregnancy test was done: "lab", or "clinic" when a FHIR method says so


@dataclass(frozen=True, slots=True)
class RowProblem:
    where: str
    line: int
    field: str
    message: str

    def as_json(self) -> dict[str, object]:
        return {"line": self.line, "where": self.where, "field": self.field, "message": self.message}


@dataclass(slots=True)
class ParsedFile:
    rows: list[LabRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    #: A problem with the file as a whole (not JSON, wrong header, too large); nothing is read then.
    file_error: str = ""
