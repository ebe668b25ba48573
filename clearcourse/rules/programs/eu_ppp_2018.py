"""EU Pregnancy Prevention Programme for oral retinoids (EMA referral concluded 22 Mar 2018).

The PPP binds women who can get pregnant; for other patients only enrolment in the course, one fill
per prescription, counselling once and "never after a positive test" apply. Sources (register,
``../shared/clinical-sources.md`` section 11): the EMA referral (D7), the harmonised SmPC §4.3-4.4 (D8)
and the MHRA Drug Safety Update of June 2019 on the PPP materials (D9). The UK versions reuse these
rules (``ppp_version``) and add the MHRA measures.
"""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.programs.base import Cadence, ContraceptionStandard, LeadInUntil, ProgramVersion, Rule
from clearcourse.rules.sources import (
    DEFAULT_COUNSELING,
    DEFAULT_EU_METHODS,
    DEFAULT_ONE_FILL,
    DEFAULT_PARTICIPATION,
    EMA_2018,
    MHRA_2019,
    SMPC_CONTRAINDICATIONS,
    SMPC_WARNINGS,
    Source,
)

MEDICAL = frozenset({"lab", "clinic"})


def ppp_version(*, version_id: str, family: str, title: str, effective_from: dt.date,
                effective_source: Source,
                second_prescriber_under_18: Rule[bool] | None = None,
                remote_supervised_from: Rule[dt.date | None] | None = None) -> ProgramVersion:
    """The PPP rules shared by the EU and the UK (the UK's come from the same SmPC and the MHRA's PPP update)."""
    return ProgramVersion(
        id=version_id,
        family=family,
        title=title,
        effective_from=effective_from,
        effective_source=effective_source,
        enrolment=Rule(True, DEFAULT_PARTICIPATION,
                       "The patient is enrolled in the course (ClearCourse is the PPP check; no central system)."),
        one_fill_per_prescription=Rule(True, DEFAULT_ONE_FILL,
                                       "Each prescription is dispensed once; continuing needs a new one."),
        supply_limit_days_can=Rule(30, SMPC_WARNINGS,
                                   "Women who can get pregnant: each prescription covers at most 30 days."),
        supply_limit_days_cannot=Rule(None, SMPC_WARNINGS, "No PPP supply limit for patients who cannot get pregnant."),
        positive_test_stops=Rule(True, SMPC_CONTRAINDICATIONS, "Isotretinoin is contraindicated in pregnancy: never "
                                 "dispense after a positive latest test."),
        test_before_each_fill=Rule(True, MHRA_2019, "A negative, medically supervised pregnancy test before starting "
                                   "and every month."),
        test_window_days=Rule(None, MHRA_2019, "No window counted from the test itself."),
        # D9: the test is documented within 3 days before the prescription; read with the contract's
        # counting (the prescription day is day 1) and applied to every prescription.
        test_before_prescription_days=Rule(3, MHRA_2019,
                                           "The test is collected within 3 days before the prescription "
                                           "(prescription date - 2 or later)."),
        pre_treatment_settings=Rule(MEDICAL, MHRA_2019, "Medically supervised tests (lab or clinic)."),
        treatment_settings=Rule(MEDICAL, MHRA_2019, "Monthly medically supervised tests (lab or clinic)."),
        home_test_needs_verification=Rule(True, MHRA_2019, "Home tests are not accepted (not medically supervised)."),
        remote_supervised_from=remote_supervised_from or Rule(None, MHRA_2019,
                                                              "Remote tests are not accepted (medically supervised "
                                                              "tests in a lab or clinic)."),
        screening_gap_days=Rule(None, MHRA_2019, "One pre-treatment test; no screening/confirmation pair."),
        screening_settings=Rule(MEDICAL, MHRA_2019, "Not used."),
        missed_window_wait_days=Rule(None, MHRA_2019, "No waiting period."),
        contraception=Rule(ContraceptionStandard.USER_INDEPENDENT_OR_TWO_DEPENDENT, SMPC_WARNINGS,
                           "At least one highly effective method that does not depend on the user, or two "
                           "complementary user-dependent methods; barrier methods alone and progestogen-only pills "
                           "do not count; the PPP applies to women who are not sexually active, so abstinence "
                           "does not count.",
                           f"OPEN QUESTION: the register gives the rule but no list of methods; which methods are "
                           f"user-independent (IUDs, implant, tubal sterilisation) and which pairs are complementary "
                           f"(a non-barrier method with a barrier method) is a clinic default ({DEFAULT_EU_METHODS.key})."),
        contraception_cadence=Rule(Cadence.MONTHLY, MHRA_2019,
                                   "Contraception without interruption, checked at the monthly follow-up."),
        contraception_lead_in_days=Rule(30, SMPC_WARNINGS, "Effective contraception from 1 month before treatment."),
        contraception_lead_in_until=Rule(LeadInUntil.FIRST_DOSE, SMPC_WARNINGS,
                                         "The month is counted to the first dose (the first dispense)."),
        counseling_can=Rule(Cadence.MONTHLY, MHRA_2019,
                            "The patient is counselled and followed up every month (pregnancy assessment every "
                            "4 weeks)."),
        counseling_cannot=Rule(Cadence.ONCE, DEFAULT_COUNSELING, "Counselling on the risks before starting.",
                               "Safer reading: every patient is counselled at least once per course."),
        comprehension_can=Rule(Cadence.ONCE, EMA_2018,
                               "The patient understands the teratogenic risk (acknowledgement before starting)."),
        prescription_window_days_can=Rule(7, SMPC_WARNINGS,
                                          "Women who can get pregnant: dispense within 7 days of the prescription."),
        prescription_window_days_cannot=Rule(None, SMPC_WARNINGS, "No PPP window for patients who cannot get "
                                             "pregnant."),
        second_prescriber_under_18=second_prescriber_under_18 or Rule(False, EMA_2018,
                                                                      "No second-prescriber rule."),
        # The PPP has no central register; each prescriber and pharmacy taking part is recorded as active
        # in ClearCourse (the clinic's and pharmacy's own PPP enrolment), and the check is the same as in
        # the US (scenario contract, "Certification").
        certified_participants=Rule(True, DEFAULT_PARTICIPATION,
                                    "Only prescribers and pharmacies recorded as taking part in the Pregnancy "
                                    "Prevention Programme prescribe and dispense."),
        pharmacy_training_days=Rule(None, EMA_2018, "No yearly pharmacy staff-training attestation is checked."),
    )


VERSION = ppp_version(
    version_id="eu-ppp-2018",
    family="eu-ppp",
    title="EU Pregnancy Prevention Programme (EMA, 22 Mar 2018)",
    effective_from=dt.date(2018, 3, 22),
    effective_source=EMA_2018,
)
