"""US iPLEDGE REMS as modified on 13 Dec 2021 (two risk categories), in force until the 2026 modification.

Each rule names its source (fact sheet section 1). Values that the fact sheet leaves open carry
the safer reading and an ``OPEN QUESTION`` note.
"""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.programs.base import Cadence, ContraceptionStandard, LeadInUntil, ProgramVersion, Rule
from clearcourse.rules.sources import (
    ABSTINENCE_OPTION,
    FDA_IPLEDGE,
    FDA_REMS_PAGE,
    IPLEDGE_2021_NOTICE,
    IPLEDGE_MONTHLY_STEPS,
    MAYO_MICROMEDEX,
    MEDICATION_GUIDE,
    MEDLINE_MONOGRAPH,
    OPENFDA_LABEL,
    PSSNY_ROLES,
    STUDYRES_2007,
    US_LABEL,
)

LAB_ONLY = frozenset({"lab"})
MEDICAL = frozenset({"lab", "clinic"})

VERSION = ProgramVersion(
    id="us-ipledge-2021",
    family="us-ipledge",
    title="US iPLEDGE REMS (modification of 13 Dec 2021)",
    effective_from=dt.date(2021, 12, 13),
    effective_source=IPLEDGE_2021_NOTICE,
    enrolment=Rule(True, MEDLINE_MONOGRAPH,
                   "Every patient, including patients who cannot get pregnant, is enrolled in iPLEDGE."),
    one_fill_per_prescription=Rule(True, MEDLINE_MONOGRAPH,
                                   "No refills: each prescription is dispensed once; each month needs a new one."),
    supply_limit_days_can=Rule(30, MEDLINE_MONOGRAPH, "At most a 30-day supply per dispense."),
    supply_limit_days_cannot=Rule(30, MEDLINE_MONOGRAPH, "At most a 30-day supply per dispense."),
    positive_test_stops=Rule(True, OPENFDA_LABEL,
                             "Never dispense when the latest pregnancy test is positive (stop the drug at once)."),
    test_before_each_fill=Rule(True, MAYO_MICROMEDEX,
                               "A negative pregnancy test before every prescription; one test authorizes one fill."),
    test_window_days=Rule(7, STUDYRES_2007,
                          "Dispense within 7 days of the specimen collection date (collection date + 6)."),
    test_before_prescription_days=Rule(None, STUDYRES_2007, "No separate test-to-prescription limit."),
    # OPEN QUESTION (fact sheet #4): the label and REMS text say the confirmation test is done in a
    # CLIA-certified lab; the interim practice under FDA's enforcement discretion is unclear. Safer
    # reading: until 2026-08-08 only laboratory tests authorize a fill, before and during treatment.
    pre_treatment_settings=Rule(LAB_ONLY, US_LABEL,
                                "Before the first fill the confirmation test is done in a CLIA-certified lab.",
                                "OPEN QUESTION #4: clinic tests are refused until the 2026 rules (safer reading)."),
    treatment_settings=Rule(LAB_ONLY, US_LABEL, "Monthly tests during treatment are done in a CLIA-certified lab.",
                            "OPEN QUESTION #4: home tests are never accepted under the 2021 rules."),
    home_test_needs_verification=Rule(True, FDA_IPLEDGE, "Home tests are not accepted at all."),
    screening_gap_days=Rule(19, MAYO_MICROMEDEX,
                            "Two negative tests before the first fill; the confirmation test at least 19 days "
                            "after the screening test."),
    screening_settings=Rule(MEDICAL, MAYO_MICROMEDEX,
                            "The screening test is taken by the prescriber (office, clinic or lab)."),
    missed_window_wait_days=Rule(19, STUDYRES_2007,
                                 "After a missed first window, the next qualifying test is collected at least "
                                 "19 days after the test that opened the missed window.",
                                 "Safer reading: a test opened a window if a prescription was written inside it "
                                 "or if it was itself a valid confirmation test."),
    contraception=Rule(ContraceptionStandard.TWO_METHODS_ONE_PRIMARY, MAYO_MICROMEDEX,
                       "Two methods used together, at least one primary; progestin-only pills do not count "
                       "(Medication Guide); committed abstinence instead of two methods.",
                       f"Also {MEDICATION_GUIDE.cite()}; abstinence: {ABSTINENCE_OPTION.cite()}."),
    contraception_cadence=Rule(Cadence.MONTHLY, MAYO_MICROMEDEX,
                               "Two methods for the whole course, so the patient confirms them every month "
                               "before each fill.",
                               f"The monthly confirmation step itself comes from weak patient guides "
                               f"({IPLEDGE_MONTHLY_STEPS.key})."),
    contraception_lead_in_days=Rule(30, MAYO_MICROMEDEX,
                                    "Contraception from at least 1 month (30 days) before the first dose; the "
                                    "confirmation test comes after that month."),
    contraception_lead_in_until=Rule(LeadInUntil.CONFIRMATION_TEST, MAYO_MICROMEDEX,
                                     "The 30 days are counted to the confirmation test (and so to the first dose)."),
    counseling_can=Rule(Cadence.MONTHLY, FDA_IPLEDGE,
                        "The prescriber counsels and confirms the patient every month."),
    counseling_cannot=Rule(Cadence.MONTHLY, FDA_IPLEDGE,
                           "The prescriber counsels and confirms every patient every month (until 2026)."),
    # OPEN QUESTION (fact sheet #13): monthly comprehension questions are confirmed only by weak,
    # patient-facing sources; the requirement itself has a secondary source. Shipped as the default.
    comprehension_can=Rule(Cadence.MONTHLY, PSSNY_ROLES,
                           "Patients who can get pregnant pass the comprehension questions before each fill.",
                           "OPEN QUESTION #13: monthly cadence from weak sources; needs clinical sign-off."),
    prescription_window_days_can=Rule(None, STUDYRES_2007,
                                      "No separate window: the 7-day test window governs."),
    prescription_window_days_cannot=Rule(30, STUDYRES_2007,
                                         "Patients who cannot get pregnant: dispense within 30 days of the office "
                                         "visit (the prescription date)."),
    second_prescriber_under_18=Rule(False, FDA_IPLEDGE, "No second-prescriber rule in the US."),
    certified_participants=Rule(True, FDA_REMS_PAGE,
                                "Only prescribers and pharmacies registered and activated in iPLEDGE prescribe "
                                "and dispense; the authorization checks both on the day it is asked."),
)
