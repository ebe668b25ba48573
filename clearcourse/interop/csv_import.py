"""Read a CSV file of lab results (the header is documented in ``docs/formats.md``).

::

    record_number,birth_date,loinc,value,unit,uln,collected_on
    A-1001,2004-03-01,1742-6,32,U/L,40,2026-10-02
    A-1001,2004-03-01,2571-8,1.9,mmol/L,,2026-10-02
    A-1001,2004-03-01,2106-3,negative,,,2026-10-02

- ``record_number`` and ``birth_date`` must both match one patient of the importing clinic;
- ``loinc``: a LOINC code ClearCourse knows (lipids, ALT, AST, quantitative hCG; a qualitative
  hCG code records a pregnancy test, with ``value`` ``negative`` or ``positive`` and no unit);
- ``value``: a number (decimal point ``.``); ``unit``: the lab's unit (``mg/dL``, ``mmol/L``, ``U/L``,
  ``IU/L`` and their UCUM spellings); ``uln``: the lab's upper limit of normal, required for ALT and
  AST, empty otherwise; dates are ``YYYY-MM-DD``.

The header line is line 1; a problem is reported with the line number a spreadsheet shows. Columns
may come in any order; a missing or unknown column rejects the file (it is probably the wrong file).
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from clearcourse.core import numbers
from clearcourse.interop import codes
from clearcourse.interop.rows import MAX_BYTES, MAX_ROWS, LabRow, ParsedFile, RowProblem

REQUIRED_COLUMNS = ("record_number", "birth_date", "loinc", "value", "unit", "collected_on")
OPTIONAL_COLUMNS = ("uln",)
HEADER = "record_number,birth_date,loinc,value,unit,uln,collected_on"

FILE_NOT_TEXT = "The file is not UTF-8 text."
FILE_EMPTY = "The file is empty; the first line must be the header: " + HEADER
FILE_TOO_LARGE = f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; split it."
FILE_TOO_MANY_ROWS = f"The file has more than {MAX_ROWS} rows; split it."
FILE_BAD_CSV = "The file is not valid CSV ({error})."
HEADER_MISSING = "The header lacks the column(s) {columns}; the header is: " + HEADER
HEADER_UNKNOWN = "The header has unknown column(s) {columns}; the header is: " + HEADER
HEADER_REPEATED = "The header repeats the column(s) {columns}."
ROW_WRONG_LENGTH = "has {found} values; the header has {expected} columns"
FIELD_REQUIRED = "is required"
FIELD_BAD_DATE = "must be a real date as YYYY-MM-DD"
FIELD_NOT_NUMBER = "must be a number such as 12.5"
FIELD_ASCII_DIGITS = "must be written with the digits 0-9"
FIELD_TOO_MANY_DIGITS = "has too many digits"
FIELD_UNKNOWN_LOINC = "is not a LOINC code ClearCourse imports"
FIELD_QUALITATIVE_VALUE = "must be negative or positive for a pregnancy test"
FIELD_QUALITATIVE_UNIT = "must be empty for a pregnancy test"

QUALITATIVE_LOINC = frozenset(c.code for c in codes.HCG_QUALITATIVE)
NUMERIC_LOINC = frozenset(codes.LAB_CODES)


def parse_date(text: str) -> dt.date | None:
    text = text.strip()
    if len(text) != 10:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def number_problem(text: str) -> str | None:
    """Why ``text`` is not a plain finite decimal in the digits 0-9 (no 1e5, no NaN, no commas, no other
    script's digits, not too many digits), or None when it is one. Read by ``core.numbers``, the one reader
    the forms, the API and the services use."""
    try:
        numbers.parse_decimal(text)
    except numbers.NumberInputError as exc:
        return {"non_ascii_digits": FIELD_ASCII_DIGITS, "too_many_digits": FIELD_TOO_MANY_DIGITS}.get(
            exc.code, FIELD_NOT_NUMBER)
    return None


def parse_number(text: str) -> str | None:
    """The number as written when it is a plain finite decimal (see :func:`number_problem`), else None."""
    return None if number_problem(text) else text.strip()


def decode(data: bytes) -> str | None:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None


def read_csv(data: bytes) -> ParsedFile:
    """Every row read, or every problem found; the file's own problem in ``file_error``."""
    parsed = ParsedFile()
    if len(data) > MAX_BYTES:
        parsed.file_error = FILE_TOO_LARGE
        return parsed
    text = decode(data)
    if text is None or "\x00" in text:
        parsed.file_error = FILE_NOT_TEXT
        return parsed
    if not text.strip():
        parsed.file_error = FILE_EMPTY
        return parsed
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower() for h in next(reader)]
        missing = [c for c in REQUIRED_COLUMNS if c not in header]
        unknown = [h for h in header if h not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
        repeated = sorted({h for h in header if header.count(h) > 1})
        if missing or unknown or repeated:
            parsed.file_error = (HEADER_MISSING.format(columns=", ".join(missing)) if missing else
                                 HEADER_UNKNOWN.format(columns=", ".join(unknown)) if unknown else
                                 HEADER_REPEATED.format(columns=", ".join(repeated)))
            return parsed
        count = 0
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue  # blank lines (a trailing newline, a spacer) are not rows
            count += 1
            if count > MAX_ROWS:
                parsed.file_error = FILE_TOO_MANY_ROWS
                parsed.rows.clear()
                parsed.problems.clear()
                return parsed
            _read_row(parsed, header, values, line)
    except csv.Error as exc:
        parsed.file_error = FILE_BAD_CSV.format(error=exc)
        parsed.rows.clear()
        parsed.problems.clear()
    return parsed


def _read_row(parsed: ParsedFile, header: list[str], values: list[str], line: int) -> None:
    where = f"line {line}"
    if len(values) != len(header):
        parsed.problems.append(RowProblem(where, line, "", ROW_WRONG_LENGTH.format(
            found=len(values), expected=len(header))))
        return
    cell = {h: v.strip() for h, v in zip(header, values, strict=True)}
    problems: list[RowProblem] = []

    def bad(field: str, message: str) -> None:
        problems.append(RowProblem(where, line, field, message))

    for column in REQUIRED_COLUMNS:
        if not cell.get(column) and column != "unit":
            bad(column, FIELD_REQUIRED)
    birth = parse_date(cell["birth_date"]) if cell["birth_date"] else None
    if cell["birth_date"] and birth is None:
        bad("birth_date", FIELD_BAD_DATE)
    collected = parse_date(cell["collected_on"]) if cell["collected_on"] else None
    if cell["collected_on"] and collected is None:
        bad("collected_on", FIELD_BAD_DATE)
    loinc = cell["loinc"]
    value: str | None = None
    result: str | None = None
    if loinc in QUALITATIVE_LOINC:
        if cell["value"] and cell["value"].lower() not in ("negative", "positive"):
            bad("value", FIELD_QUALITATIVE_VALUE)
        result = cell["value"].lower() or None
        if cell["unit"]:
            bad("unit", FIELD_QUALITATIVE_UNIT)
    elif loinc:
        if loinc not in NUMERIC_LOINC:
            bad("loinc", FIELD_UNKNOWN_LOINC)
        problem = number_problem(cell["value"]) if cell["value"] else None
        if problem:
            bad("value", problem)
        value = cell["value"] or None
        if not cell["unit"]:
            bad("unit", FIELD_REQUIRED)
    uln = cell.get("uln") or None
    uln_problem = number_problem(uln) if uln is not None else None
    if uln_problem:
        bad("uln", uln_problem)
    if problems:
        parsed.problems.extend(problems)
        return
    assert birth is not None and collected is not None  # noqa: S101 - checked above
    parsed.rows.append(LabRow(where=where, line=line, record_number=cell["record_number"], birth_date=birth,
                              loinc=loinc, collected_on=collected, value=value,
                              unit=codes.UNITS_FROM_UCUM.get(cell["unit"], cell["unit"]), uln=uln, result=result))
