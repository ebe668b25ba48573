"""US iPLEDGE REMS as modified on 13 Dec 2021 (two risk categories), in force until the 2026 modification.

Each rule names its source in the register (``../shared/clinical-sources.md``: D1 the US label, D4 the
REMS page, D5 the FDA iPLEDGE page); a rule the register has no primary source for cites a labelled
clinic default. Values the documents leave open carry the safer reading and an ``OPEN QUESTION`` note.
"""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.programs.base import Cadence, ContraceptionStandard, LeadInUntil, ProgramVersion, Rule
from clearcourse.rules.sources import (
    DEFAULT_MONTHLY_CONFIRMATION,
    DEFAULT_MONTHLY_QUESTIONS,
    DEFAULT_US_2021_DATE,
    DEFAULT_US_METHODS,
    DEFAULT_US_SUPPLY,
    DEFAULT_WINDOW_START,
    FDA_IPLEDGE_2026,
    IPLEDGE_REMS,
    US_PI_EMBRYO_FETAL,
    US_PI_REPRODUCTIVE,
)

LAB_ONLY = frozenset({"lab"})
MEDICAL = frozenset({"lab", "clinic"})

VERSION = ProgramVersion(
    id="us-ipledge-2021",
    family="us-ipledge",
    title="US iPLEDGE REMS (modification of 13 Dec 2021)",
    effective_from=dt.date(2021, 12, 13),
    effective_source=DEFAULT_US_2021_DATE,
    enrolment=Rule(True, IPLEDGE_REMS,
                   "Every patient, including patients who cannot get pregnant, is enrolled in iPLEDGE."),
    one_fill_per_prescription=Rule(True, DEFAULT_US_SUPPLY,
                                   "No refills: each prescription is dispensed once; each month needs a new one."),
    supply_limit_days_can=Rule(30, DEFAULT_US_SUPPLY, "At most a 30-day supply per dispense."),
    supply_limit_days_cannot=Rule(30, DEFAULT_US_SUPPLY, "At most a 30-day supply per dispense."),
    positive_test_stops=Rule(True, US_PI_EMBRYO_FETAL,
                             "Never dispense when the latest pregnancy test is positive (stop the drug at once)."),
    test_before_each_fill=Rule(True, US_PI_REPRODUCTIVE,
                               "A negative pregnancy test before every prescription; one test authorizes one fill."),
    test_window_days=Rule(7, FDA_IPLEDGE_2026,
                          "Dispense within 7 days of the specimen collection date (collection date + 6).",
                          f"OPEN QUESTION: the 7-day window is in the FDA text; that it starts at specimen "
                          f"collection is not ({DEFAULT_WINDOW_START.key})."),
    test_before_prescription_days=Rule(None, US_PI_REPRODUCTIVE, "No separate test-to-prescription limit."),
    # OPEN QUESTION: the label (D1 §8.3) and the 2023 REMS page (D4) say the confirmation test is done in
    # a CLIA-certified lab; the interim practice under FDA's enforcement discretion is unclear. Safer
    # reading: until 2026-08-08 only laboratory tests authorize a fill, before and during treatment.
    pre_treatment_settings=Rule(LAB_ONLY, US_PI_REPRODUCTIVE,
                                "Before the first fill the confirmation test is done in a CLIA-certified lab.",
                                "OPEN QUESTION: clinic tests are refused until the 2026 rules (safer reading)."),
    treatment_settings=Rule(LAB_ONLY, US_PI_REPRODUCTIVE, "Monthly tests during treatment are done in a CLIA-certified lab.",
                            "OPEN QUESTION: home tests are never accepted under the 2021 rules."),
    home_test_needs_verification=Rule(True, US_PI_REPRODUCTIVE, "Home tests are not accepted at all."),
    remote_supervised_from=Rule(None, US_PI_REPRODUCTIVE, "No remote supervised test setting in iPLEDGE (the 2026 "
                                "modification allows home tests instead, see treatment_settings)."),
    screening_gap_days=Rule(19, US_PI_REPRODUCTIVE,
                            "Two negative tests before the first fill; the confirmation test at least 19 days "
                            "after the screening test."),
    screening_settings=Rule(MEDICAL, US_PI_REPRODUCTIVE,
                            "The screening test is taken by the prescriber (office, clinic or lab)."),
    missed_window_wait_days=Rule(19, FDA_IPLEDGE_2026,
                                 "After a missed first window, the next qualifying test is collected at least "
                                 "19 days after the test that opened the missed window.",
                                 "The FDA text names the 19-day lockout it removes in 2026. Safer reading: a "
                                 "test opened a window if a prescription was written inside it or if it was "
                                 "itself a valid confirmation test."),
    contraception=Rule(ContraceptionStandard.TWO_METHODS_ONE_PRIMARY, US_PI_REPRODUCTIVE,
                       "Two methods used together, at least one primary; progestin-only pills do not count; "
                       "committed abstinence instead of two methods.",
                       f"OPEN QUESTION: which methods are primary and which secondary is a clinic default "
                       f"({DEFAULT_US_METHODS.key}); the Prescriber Guide's list was not retrieved."),
    contraception_cadence=Rule(Cadence.MONTHLY, DEFAULT_MONTHLY_CONFIRMATION,
                               "Two methods for the whole course, so the patient confirms them every month "
                               "before each fill.",
                               "The label asks for contraception throughout; the monthly confirmation step is a "
                               "clinic default."),
    contraception_lead_in_days=Rule(30, US_PI_REPRODUCTIVE,
                                    "Contraception from at least 1 month (30 days) before the first dose; the "
                                    "confirmation test comes after that month."),
    contraception_lead_in_until=Rule(LeadInUntil.CONFIRMATION_TEST, US_PI_REPRODUCTIVE,
                                     "The 30 days are counted to the confirmation test (and so to the first dose)."),
    counseling_can=Rule(Cadence.MONTHLY, DEFAULT_MONTHLY_CONFIRMATION,
                        "The prescriber counsels and confirms the patient every month."),
    counseling_cannot=Rule(Cadence.MONTHLY, FDA_IPLEDGE_2026,
                           "The prescriber counsels and confirms every patient every month (until 2026).",
                           "Read from the 2026 FDA text, which limits it to enrolment for these patients."),
    # OPEN QUESTION: no register document gives the monthly comprehension questions; a clinic default.
    comprehension_can=Rule(Cadence.MONTHLY, DEFAULT_MONTHLY_QUESTIONS,
                           "Patients who can get pregnant pass the comprehension questions before each fill.",
                           "OPEN QUESTION: no primary source for the monthly cadence; needs clinical sign-off."),
    prescription_window_days_can=Rule(None, FDA_IPLEDGE_2026,
                                      "No separate window: the 7-day test window governs."),
    prescription_window_days_cannot=Rule(30, FDA_IPLEDGE_2026,
                                         "Patients who cannot get pregnant: dispense within 30 days of the office "
                                         "visit (the prescription date).",
                                         "Read from the 2026 FDA text, which removes this 30-day window."),
    second_prescriber_under_18=Rule(False, IPLEDGE_REMS, "No second-prescriber rule in the US."),
    certified_participants=Rule(True, IPLEDGE_REMS,
                                "Only prescribers and pharmacies registered and activated in iPLEDGE prescribe "
                                "and dispense; the authorization checks both on the day it is asked."),
    pharmacy_training_days=Rule(None, IPLEDGE_REMS, "No yearly staff-training attestation is checked before 2026."),
)
