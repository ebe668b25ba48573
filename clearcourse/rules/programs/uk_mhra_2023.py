"""UK: the PPP (SmPC and the MHRA PPP update) plus the MHRA measures of 31 Oct 2023."""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.programs.base import Rule
from clearcourse.rules.programs.eu_ppp_2018 import ppp_version
from clearcourse.rules.programs.uk_remote import REMOTE_SUPERVISED
from clearcourse.rules.sources import MHRA_2023

VERSION = ppp_version(
    version_id="uk-mhra-2023",
    family="uk-mhra",
    title="UK MHRA isotretinoin measures (31 Oct 2023)",
    effective_from=dt.date(2023, 10, 31),
    effective_source=MHRA_2023,
    second_prescriber_under_18=Rule(True, MHRA_2023,
                                    "Patients under 18 (on the date of the first prescription): two independent "
                                    "prescribers agree to start treatment."),
    remote_supervised_from=REMOTE_SUPERVISED,
)
