"""UK: the medically supervised remote pregnancy test, a date-effective rule inside both UK versions.

The MHRA's autumn 2025 Drug Safety Update (register D11) says medically supervised pregnancy tests may be done
remotely with appropriate oversight, follow-up may be remote, and the first appointment stays in person. It
is not a new program version: the rule applies inside ``uk-mhra-2023`` and ``uk-mhra-2026`` from the day it
took effect.
"""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.programs.base import Rule
from clearcourse.rules.sources import MHRA_2025

# OPEN QUESTION: the register dates D11 only "autumn 2025" (its survey was due by 16 Nov 2025, so the update was
# published before then). The exact publication day was not found; the safer reading takes the latest day the
# update certainly existed, 16 Nov 2025, so no remote test collected earlier is accepted.
REMOTE_FROM: dt.date | None = dt.date(2025, 11, 16)

REMOTE_SUPERVISED: Rule[dt.date | None] = Rule(
    REMOTE_FROM, MHRA_2025,
    "From the MHRA's autumn 2025 update, a medically supervised remote pregnancy test counts during treatment; "
    "the test before the first fill stays in person (the first appointment is in person).",
    "OPEN QUESTION: the update's exact date is not in the register; 16 Nov 2025 (its survey deadline) is the "
    "latest day it certainly applied (safer reading).",
)
