"""The pharmacy's reversal window (iPLEDGE 2026: reverse authorizations not picked up; the days are the
pharmacy's own setting)."""

from __future__ import annotations

import datetime as dt

import pytest

from clearcourse.rules import reversal
from clearcourse.rules.sources import Kind

D = dt.date(2026, 11, 20)


@pytest.mark.parametrize(("window", "today", "due"), [
    (3, dt.date(2026, 11, 22), False),  # day 3 of 3: still open
    (3, dt.date(2026, 11, 23), True),   # the day after the window
    (1, D, False), (1, D + dt.timedelta(days=1), True),
    (None, dt.date(2027, 1, 1), False),  # no window set: never automatic
])
def test_an_unpicked_authorization_is_due_the_day_after_the_pharmacys_window(
        window: int | None, today: dt.date, due: bool) -> None:
    assert reversal.reversal_due(D, window, today) is due


def test_the_database_filter_day_agrees_with_the_rule() -> None:
    for window in (1, 3, 7, 30):
        today = dt.date(2026, 11, 26)
        latest = reversal.latest_decision_due(window, today)
        assert reversal.reversal_due(latest, window, today)
        assert not reversal.reversal_due(latest + dt.timedelta(days=1), window, today)


@pytest.mark.parametrize("window", [0, 31, -1])
def test_a_window_outside_1_to_30_days_is_refused(window: int) -> None:
    with pytest.raises(ValueError, match="1 to 30"):
        reversal.last_pickup_day(D, window)


def test_the_window_is_labelled_a_pharmacy_setting_and_the_obligation_cites_the_fda_page() -> None:
    kinds = {s.kind for s in reversal.SOURCES}
    assert kinds == {Kind.REGULATOR, Kind.CLINIC_DEFAULT}
    assert reversal.SOURCES[0].document is not None and reversal.SOURCES[0].document.key == "D5"
    assert reversal.SOURCES[1].url == "" and "no published window" in reversal.SOURCES[1].cite()
