"""US iPLEDGE REMS modification approved 9 Feb 2026, in force 180 days later (8 Aug 2026).

Only the changed rules are restated; everything else is the 2021 version's rule and source.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

from clearcourse.rules.programs import us_ipledge_2021
from clearcourse.rules.programs.base import Cadence, Rule
from clearcourse.rules.sources import FDA_IPLEDGE_2026, US_PI_REPRODUCTIVE

MEDICAL = frozenset({"lab", "clinic"})
ANY = frozenset({"lab", "clinic", "home"})

# OPEN QUESTION: the FDA text (D5) makes the modification effective 180 days after its approval on 9 Feb
# 2026, which is 8 Aug 2026 by our count; a later change of that date is unverified. Pin a version to
# judge "what if".
VERSION = dataclasses.replace(
    us_ipledge_2021.VERSION,
    id="us-ipledge-2026",
    title="US iPLEDGE REMS (modification approved 9 Feb 2026)",
    effective_from=dt.date(2026, 8, 8),
    effective_source=FDA_IPLEDGE_2026,
    pre_treatment_settings=Rule(MEDICAL, FDA_IPLEDGE_2026,
                                "Pre-treatment tests are done in a medical setting (office, clinic or lab); "
                                "the CLIA requirement is removed."),
    treatment_settings=Rule(ANY, FDA_IPLEDGE_2026,
                            "During and after treatment, tests may be done at home if the prescriber permits."),
    home_test_needs_verification=Rule(True, FDA_IPLEDGE_2026,
                                      "A home test counts only when the prescriber has verified it (processes "
                                      "that reduce misreading and falsification)."),
    # OPEN QUESTION: the 2023/2026 changes remove only the wait after a missed first window; the label
    # (D1 §8.3) still says 19 days between screening and confirmation. Kept (safer reading).
    screening_gap_days=Rule(19, US_PI_REPRODUCTIVE,
                            "Two negative tests before the first fill, at least 19 days apart.",
                            "OPEN QUESTION: kept under the 2026 rules (safer reading)."),
    missed_window_wait_days=Rule(None, FDA_IPLEDGE_2026,
                                 "No waiting period after a missed first window: a repeat test in a medical "
                                 "setting may be done at once."),
    counseling_cannot=Rule(Cadence.ONCE, FDA_IPLEDGE_2026,
                           "Patients who cannot get pregnant: counselling is documented at enrolment only."),
    # OPEN QUESTION: pharmacies no longer apply the 30-day window for patients who
    # cannot get pregnant, and what replaces it is unknown. Issue 3 states the 2026 rules have "no
    # 30-day window for them", so no window is enforced and valid_through is null; the state's
    # prescription validity (outside this system) still applies. Staff see the open question.
    prescription_window_days_cannot=Rule(None, FDA_IPLEDGE_2026,
                                         "Patients who cannot get pregnant: the REMS 30-day window is withdrawn; "
                                         "no pick-up window applies.",
                                         "OPEN QUESTION: what replaces the window (state prescription validity, "
                                         "the prescriber's date, or something else) is unknown."),
    # "Annual" read as 365 days counting the day of the attestation (a leap year makes it one day shorter
    # than a calendar year: the safer reading).
    pharmacy_training_days=Rule(365, FDA_IPLEDGE_2026,
                                "Pharmacies train their staff every year and keep records: a pharmacy dispenses "
                                "only while its yearly staff-training attestation is current.",
                                "Read as 365 days from the attestation (the day itself counts)."),
)
