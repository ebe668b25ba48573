"""When a pharmacy reverses an authorization that was not picked up (iPLEDGE modification of 9 Feb 2026).

The FDA text (register D5, summary) asks pharmacies to reverse promptly the authorizations that are not
picked up; it gives no number of days. How long a pharmacy waits is therefore the pharmacy's own setting
(``sources.PHARMACY_REVERSAL_WINDOW``, labelled "Pharmacy setting: no published window"), and this module
only counts it.

Counting follows the scenario contract: "within N days of D" is D .. D+N-1. An authorization decided on D
and not picked up by D+N-1 is reversed automatically on D+N or any later day.
"""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.sources import FDA_IPLEDGE_2026, PHARMACY_REVERSAL_WINDOW, Source

#: The shortest and longest windows a pharmacy may set (days, the day of the authorization counted).
MIN_WINDOW_DAYS = 1
MAX_WINDOW_DAYS = 30

#: What the rule rests on: the obligation (D5) and the pharmacy's chosen number of days.
SOURCES: tuple[Source, ...] = (FDA_IPLEDGE_2026, PHARMACY_REVERSAL_WINDOW)

REASON = "Not picked up within {days} days of the authorization: reversed automatically (pharmacy setting)."


def last_pickup_day(decided_on: dt.date, window_days: int) -> dt.date:
    """The last day of the pharmacy's window: the authorization day is day 1."""
    if not MIN_WINDOW_DAYS <= window_days <= MAX_WINDOW_DAYS:
        raise ValueError(f"the window must be {MIN_WINDOW_DAYS} to {MAX_WINDOW_DAYS} days, not {window_days}")
    return decided_on + dt.timedelta(days=window_days - 1)


def reversal_due(decided_on: dt.date, window_days: int | None, today: dt.date) -> bool:
    """True when an unpicked authorization decided on ``decided_on`` is to be reversed on ``today``
    (never when the pharmacy set no window)."""
    return window_days is not None and today > last_pickup_day(decided_on, window_days)


def latest_decision_due(window_days: int, today: dt.date) -> dt.date:
    """The latest authorization day whose window has closed by ``today`` (for a database filter)."""
    return today - dt.timedelta(days=window_days)
