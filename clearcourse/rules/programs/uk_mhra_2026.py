"""UK: the PPP plus the MHRA update of 22 Jan 2026 (the under-18 two-prescriber rule is removed)."""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.programs.base import Rule
from clearcourse.rules.programs.eu_ppp_2018 import ppp_version
from clearcourse.rules.programs.uk_remote import REMOTE_SUPERVISED
from clearcourse.rules.sources import MHRA_2026

VERSION = ppp_version(
    version_id="uk-mhra-2026",
    family="uk-mhra",
    title="UK MHRA isotretinoin update (22 Jan 2026)",
    effective_from=dt.date(2026, 1, 22),
    effective_source=MHRA_2026,
    second_prescriber_under_18=Rule(False, MHRA_2026,
                                    "The two-prescriber requirement for under-18s is removed; all other 2023 "
                                    "measures stay."),
    remote_supervised_from=REMOTE_SUPERVISED,
)
