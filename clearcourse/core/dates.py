"""Dates and times as people read them: one style per language (issue 13).

"7 Dec 2026" in English and "7. Dez. 2026" in German (the formats modules in ``clearcourse/formats/``, which
``{{ day|date:"DATE_FORMAT" }}`` in templates reads too); times in the reader's clinic or pharmacy zone, which
:class:`clearcourse.core.clock.TimeZoneMiddleware` activates for a request. Numeric day/month orders are
never shown (a US and a European reader take 12/07 for different days); ISO dates only in data exports.

Sentences made outside a request's templates (the rules core's reasons, stored alert messages) carry ISO
dates; :func:`readable_dates` turns those into the page's style when they are shown.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils import formats, timezone

_ISO_DATE = re.compile(r"(?<![\d-])(\d{4})-(\d{2})-(\d{2})(?![\d-])")


def show_date(day: dt.date | None, *, empty: str = "-") -> str:
    """``day`` in the active language's date style ("7 Dec 2026" / "7. Dez. 2026")."""
    if day is None:
        return empty
    if isinstance(day, dt.datetime):
        day = timezone.localtime(day) if timezone.is_aware(day) else day
        day = day.date()
    return formats.date_format(day, "DATE_FORMAT")


def show_month_day(day: dt.date) -> str:
    """``day`` without its year ("7 Dec" / "7. Dez.")."""
    return formats.date_format(day, "MONTH_DAY_FORMAT")


def show_datetime(moment: dt.datetime | None, *, empty: str = "-") -> str:
    """An instant in the active time zone (the reader's clinic or pharmacy), "7 Dec 2026, 14:05"."""
    if moment is None:
        return empty
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return formats.date_format(moment, "DATETIME_FORMAT")


def _replace(match: re.Match[str]) -> str:
    try:
        day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return match.group(0)
    return show_date(day)


def readable_dates(text: str) -> str:
    """``text`` with every ISO date (2026-12-07) written in the active language's date style."""
    if not text or "-" not in text:
        return text
    return _ISO_DATE.sub(_replace, text)
