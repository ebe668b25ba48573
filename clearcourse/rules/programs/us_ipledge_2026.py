"""US iPLEDGE REMS modification approved 9 Feb 2026, in force 180 days later (8 Aug 2026).

Only the changed rules are restated; everything else is the 2021 version's rule and source.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from clearcourse.rules.programs import us_ipledge_2021
from clearcourse.rules.programs.base import Cadence, Rule
from clearcourse.rules.sources import EPOCRATES_2026, FDA_IPLEDGE, FDA_REMS_2026, MAYO_MICROMEDEX

MEDICAL = frozenset({"lab", "clinic"})
ANY = frozenset({"lab", "clinic", "home"})

# OPEN QUESTION (fact sheet #1): a later snippet calls 8 Aug 2026 the "previously scheduled" date;
# no newer date was found, so the approved date stands. Pin a version to judge "what if".
VERSION = dataclasses.replace(
    us_ipledge_2021.VERSION,
    id="us-ipledge-2026",
    title="US iPLEDGE REMS (modification approved 9 Feb 2026)",
    effective_from=dt.date(2026, 8, 8),
    effective_source=FDA_REMS_2026,
    pre_treatment_settings=Rule(MEDICAL, FDA_IPLEDGE,
                                "Pre-treatment tests are done in a medical setting (office, clinic or lab); "
                                "the CLIA requirement is removed."),
    treatment_settings=Rule(ANY, FDA_IPLEDGE,
                            "During and after treatment, tests may be done at home if the prescriber permits."),
    home_test_needs_verification=Rule(True, FDA_IPLEDGE,
                                      "A home test counts only when the prescriber has verified it (processes "
                                      "that reduce misreading and falsification)."),
    # OPEN QUESTION (fact sheet #3): the 2023/2026 changes remove only the wait after a missed first
    # window; the label still says 19 days between screening and confirmation. Kept (safer reading).
    screening_gap_days=Rule(19, MAYO_MICROMEDEX,
                            "Two negative tests before the first fill, at least 19 days apart.",
                            "OPEN QUESTION #3: kept under the 2026 rules (safer reading)."),
    missed_window_wait_days=Rule(None, FDA_IPLEDGE,
                                 "No waiting period after a missed first window: a repeat test in a medical "
                                 "setting may be done at once."),
    counseling_cannot=Rule(Cadence.ONCE, FDA_REMS_2026,
                           "Patients who cannot get pregnant: counselling is documented at enrolment only."),
    # OPEN QUESTION (fact sheet #2): pharmacies no longer apply the 30-day window for patients who
    # cannot get pregnant, and what replaces it is unknown. Issue 3 states the 2026 rules have "no
    # 30-day window for them", so no window is enforced and valid_through is null; the state's
    # prescription validity (outside this system) still applies. Staff see the open question.
    prescription_window_days_cannot=Rule(None, EPOCRATES_2026,
                                         "Patients who cannot get pregnant: the REMS 30-day window is withdrawn; "
                                         "no pick-up window applies.",
                                         "OPEN QUESTION #2: what replaces the window (state prescription validity, "
                                         "the prescriber's date, or something else) is unknown."),
)
