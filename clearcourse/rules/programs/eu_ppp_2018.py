"""EU Pregnancy Prevention Programme for oral retinoids (EMA referral concluded 22 Mar 2018).

The PPP binds women who can get pregnant; for other patients only enrolment in the course, one fill
per prescription, counselling once and "never after a positive test" apply.
"""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.programs.base import Cadence, ContraceptionStandard, LeadInUntil, ProgramVersion, Rule
from clearcourse.rules.sources import AIFA_7DAY, BNF, EMA_2018, EU_SMPC, Source

MEDICAL = frozenset({"lab", "clinic"})


def ppp_version(*, version_id: str, family: str, title: str, effective_from: dt.date,
                effective_source: Source, main_source: Source = EMA_2018,
                second_prescriber_under_18: Rule[bool] | None = None) -> ProgramVersion:
    """The PPP rules shared by the EU and the UK (the UK's come from the same SmPC and the BNF)."""
    return ProgramVersion(
        id=version_id,
        family=family,
        title=title,
        effective_from=effective_from,
        effective_source=effective_source,
        enrolment=Rule(True, main_source,
                       "The patient is enrolled in the course (ClearCourse is the PPP check; no central system)."),
        one_fill_per_prescription=Rule(True, BNF, "Each prescription is dispensed once; continuing needs a new one."),
        supply_limit_days_can=Rule(30, BNF, "Women who can get pregnant: each prescription covers at most 30 days."),
        supply_limit_days_cannot=Rule(None, BNF, "No PPP supply limit for patients who cannot get pregnant."),
        positive_test_stops=Rule(True, EU_SMPC, "Isotretinoin is contraindicated in pregnancy: never dispense after "
                                 "a positive latest test."),
        test_before_each_fill=Rule(True, BNF, "A negative pregnancy test before starting and every month."),
        test_window_days=Rule(None, BNF, "No window counted from the test itself."),
        # The BNF says "exclude pregnancy within 3 days before starting"; read with the contract's
        # counting (the prescription day is day 1) and applied to every prescription, as AIFA does.
        test_before_prescription_days=Rule(3, BNF,
                                           "The test is collected within 3 days before the prescription "
                                           "(prescription date - 2 or later).",
                                           "'Starting' read as the prescription date (AIFA, open question #12)."),
        # OPEN QUESTION (not in the fact sheet): the PPP's test setting is not given; safer reading:
        # medically supervised tests only, home tests never count.
        pre_treatment_settings=Rule(MEDICAL, EU_SMPC, "Tests in a medical setting (lab or clinic).",
                                    "OPEN QUESTION: setting not stated in the fact sheet; medical only (safer)."),
        treatment_settings=Rule(MEDICAL, EU_SMPC, "Monthly tests in a medical setting (lab or clinic).",
                                "OPEN QUESTION: setting not stated in the fact sheet; no home tests (safer)."),
        home_test_needs_verification=Rule(True, EU_SMPC, "Home tests are not accepted."),
        screening_gap_days=Rule(None, BNF, "One pre-treatment test; no screening/confirmation pair."),
        screening_settings=Rule(MEDICAL, BNF, "Not used."),
        missed_window_wait_days=Rule(None, BNF, "No waiting period."),
        contraception=Rule(ContraceptionStandard.ONE_HIGHLY_EFFECTIVE, main_source,
                           "At least one highly effective (primary) method, preferably two including a barrier; "
                           "barrier methods alone and progestogen-only pills do not count (BNF); the PPP applies "
                           "to women who are not sexually active, so abstinence does not count."),
        contraception_cadence=Rule(Cadence.MONTHLY, main_source,
                                   "Contraception without interruption, checked at the monthly follow-up."),
        contraception_lead_in_days=Rule(30, main_source, "Effective contraception from 1 month before treatment."),
        contraception_lead_in_until=Rule(LeadInUntil.FIRST_DOSE, main_source,
                                         "The month is counted to the first dose (the first dispense)."),
        counseling_can=Rule(Cadence.MONTHLY, main_source,
                            "The patient is counselled and followed up every month."),
        counseling_cannot=Rule(Cadence.ONCE, main_source, "Counselling on the risks before starting.",
                               "Safer reading: every patient is counselled at least once per course."),
        comprehension_can=Rule(Cadence.ONCE, main_source,
                               "The patient understands the teratogenic risk (acknowledgement before starting)."),
        prescription_window_days_can=Rule(7, AIFA_7DAY,
                                          "Women who can get pregnant: dispense within 7 days of the prescription.",
                                          "OPEN QUESTION #12: the EMA SmPC sentence was not retrieved."),
        prescription_window_days_cannot=Rule(None, AIFA_7DAY, "No PPP window for patients who cannot get pregnant."),
        second_prescriber_under_18=second_prescriber_under_18 or Rule(False, main_source,
                                                                      "No second-prescriber rule."),
        # The PPP has no central register; each prescriber and pharmacy taking part is recorded as active
        # in ClearCourse (the clinic's and pharmacy's own PPP enrolment), and the check is the same as in
        # the US (scenario contract, "Certification").
        certified_participants=Rule(True, EMA_2018,
                                    "Only prescribers and pharmacies recorded as taking part in the Pregnancy "
                                    "Prevention Programme prescribe and dispense."),
    )


VERSION = ppp_version(
    version_id="eu-ppp-2018",
    family="eu-ppp",
    title="EU Pregnancy Prevention Programme (EMA, 22 Mar 2018)",
    effective_from=dt.date(2018, 3, 22),
    effective_source=EMA_2018,
)
