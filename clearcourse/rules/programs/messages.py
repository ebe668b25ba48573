"""English templates of every reason (the msgids of the German catalogue); tests assert them.

Placeholders are named (``{collected}``). The core gives a reason as its template and values
(``rules.text.Text``); the English sentence fills dates in ISO form, a page draws the values in its language.
"""

from __future__ import annotations

NOT_ENROLLED = "The patient is not enrolled in the program."
PRESCRIBER_NOT_CERTIFIED = ("The prescriber is not enrolled and active in the program on {on} (active {period}).")
PHARMACY_NOT_CERTIFIED = ("The pharmacy is not enrolled and active in the program on {on} (active {period}).")
PRESCRIBER_NEVER_CERTIFIED = "The prescriber is not enrolled in the program."
PHARMACY_NEVER_CERTIFIED = "The pharmacy is not enrolled in the program."
PHARMACY_TRAINING_MISSING = "No yearly staff training of the pharmacy for the program is recorded."
PHARMACY_TRAINING_EXPIRED = ("The pharmacy's staff training for the program, attested on {trained}, covered "
                             "dispensing through {last_day}; a new yearly attestation is needed.")
UNKNOWN_PRESCRIPTION = "There is no prescription {id} for this patient."
PRESCRIPTION_NOT_YET_WRITTEN = "Prescription {id} is dated {written}, after the dispensing date."
TREATMENT_ENDED = "Prescription {id} belongs to a course that ended on {ended}; a new course needs a new prescription."
ALREADY_DISPENSED = "Prescription {id} was already dispensed on {dispensed}; each prescription fills once."
DAYS_SUPPLY_EXCEEDS_LIMIT = "A dispense may cover at most {limit} days; {days} were asked for."
DAYS_SUPPLY_EXCEEDS_PRESCRIPTION = "Prescription {id} covers {prescribed} days; {days} were asked for."
PREGNANCY_TEST_POSITIVE = ("The latest pregnancy test, collected on {collected}, is positive: do not dispense; "
                           "stop treatment and refer the patient.")
PREGNANCY_TEST_MISSING = "No negative pregnancy test has been recorded since {since}."
PREGNANCY_TEST_MISSING_EVER = "No negative pregnancy test has been recorded."
SCREENING_TEST_MISSING = ("Two negative tests are needed before the first fill: a screening test and, at least "
                          "{gap} days later, the confirmation test (collected on {collected}).")
PREGNANCY_TEST_WINDOW_EXPIRED = ("The pregnancy test collected on {collected} allowed dispensing through "
                                 "{last_day}; a new test is needed.")
PREGNANCY_TEST_TOO_EARLY = ("The pregnancy test collected on {collected} is more than {days} days before the "
                            "prescription dated {written}; a new test is needed.")
PREGNANCY_TEST_SETTING_NOT_ACCEPTED = ("The pregnancy test collected on {collected} was done at {setting}; "
                                       "{phase} only tests done {accepted} count.")
HOME_TEST_NOT_VERIFIED = ("The home pregnancy test collected on {collected} has not been verified by the "
                          "prescriber.")
WAITING_PERIOD_SCREENING = ("The confirmation test collected on {collected} is less than {gap} days after the "
                            "screening test of {screening}; a confirmation test is possible from {not_before}.")
WAITING_PERIOD_MISSED_WINDOW = ("The first prescription window opened by the test of {missed} was missed; the next "
                                "qualifying test must be collected on or after {not_before} (19-day wait).")
CONTRACEPTION_NONE = "No contraception has been confirmed."
#: The {methods} of the sentences below when a confirmation named none.
NO_METHODS = "no methods"
CONTRACEPTION_INADEQUATE_US = ("The confirmed contraception ({methods}) is not two methods used together with "
                               "at least one primary method, nor a commitment to abstinence.")
CONTRACEPTION_INADEQUATE_EU = ("The confirmed contraception ({methods}) is neither a highly effective method that "
                               "does not depend on the user nor two complementary user-dependent methods (such as "
                               "the combined pill with a condom); barrier methods alone, progestogen-only pills and "
                               "abstinence do not count.")
CONTRACEPTION_STALE = ("Contraception was last confirmed on {confirmed}; it must be confirmed within {days} days "
                       "before each fill and after the previous dispense.")
CONTRACEPTION_LEAD_IN_TOO_SHORT = ("Contraception has been in use since {since}, {have} days before {until_what} "
                                   "on {until}; at least {days} days are needed (possible from {not_before}).")
COUNSELING_MISSING = "No counselling has been recorded."
COUNSELING_STALE = ("Counselling was last recorded on {counseled}; it must be recorded within {days} days before "
                    "each fill and after the previous dispense.")
COMPREHENSION_MISSING = "The patient has not passed the comprehension questions."
COMPREHENSION_FAILED = "The comprehension questions answered on {answered} were not passed."
COMPREHENSION_STALE = ("The comprehension questions were last passed on {answered}; they must be passed within "
                       "{days} days before each fill and after the previous dispense.")
PRESCRIPTION_WINDOW_EXPIRED = ("Prescription {id}, dated {written}, could be dispensed through {last_day} "
                               "({days}-day window).")
SECOND_PRESCRIBER_MISSING = ("The patient was under 18 when prescription {id} was written; a second "
                             "independent prescriber must agree to start treatment.")

# Words that go into the templates above.
PERIOD_FROM_TO = "{start} to {end}"
PERIOD_FROM = "from {start}"
IN_PLACE = "in {place}"
AT_HOME = "at home"
NOWHERE = "nowhere"
BEFORE_FIRST_FILL = "before the first fill"
DURING_TREATMENT = "during treatment"
THE_CONFIRMATION_TEST = "the confirmation pregnancy test"
THE_FIRST_DOSE = "the first dose"
SETTING_WORDS = {"lab": "a laboratory", "clinic": "a clinic", "home": "home",
                 "remote": "a remote test with medical supervision"}

# What a pharmacist is told for each reason code: WHICH condition is unmet, not the clinical details behind
# it (no test dates or results, no contraception methods or dates, no comprehension answers). A code that
# is not listed keeps its full sentence: its values are not the patient's (the days asked and the limit, the
# prescriber's and the pharmacy's own enrolment and training).
PHARMACY_WORDS = {
    "not_enrolled": NOT_ENROLLED,
    "treatment_ended": "The prescription belongs to a course that has ended; a new course needs a new prescription.",
    "already_dispensed": "The prescription was already dispensed; each prescription fills once.",
    "pregnancy_test_positive": "Do not dispense: the pregnancy test condition is not met. Refer the patient to the prescriber.",
    "pregnancy_test_missing": "The pregnancy test condition is not met.",
    "pregnancy_test_window_expired": "The pregnancy test condition is not met.",
    "pregnancy_test_setting_not_accepted": "The pregnancy test condition is not met.",
    "home_test_not_verified": "The pregnancy test condition is not met.",
    "waiting_period": "The pregnancy test condition is not met.",
    "contraception_not_confirmed": "The contraception condition is not met.",
    "contraception_lead_in_too_short": "The contraception condition is not met.",
    "counseling_missing": "The counselling condition is not met.",
    "comprehension_missing": "The comprehension condition is not met.",
    "prescription_window_expired": "The prescription's dispensing window has passed; a new prescription is needed.",
    "second_prescriber_missing": "A second independent prescriber's agreement is needed before the first fill.",
}
