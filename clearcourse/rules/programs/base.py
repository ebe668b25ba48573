"""What a program version is: dated parameters, each rule carrying the source it comes from.

The engine (``engine.py``) is shared by every version; a version module only states its values.
That keeps each rule change (2021 -> 2026 iPLEDGE, 2023 -> 2026 MHRA) a visible diff of values,
and lets ``docs/rules.md`` and the tests list every rule with its source.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from enum import StrEnum
from typing import Generic, TypeVar

from clearcourse.rules.sources import DEFAULT_GUARDIAN_CONSENT, Source

T = TypeVar("T")

#: "1 month" in the programs means 30 days unless a program says otherwise (scenario contract).
MONTH_DAYS = 30


class Cadence(StrEnum):
    """How often something must be done before a fill."""

    NONE = "none"  # not required for this category
    ONCE = "once"  # at least once in the current course (e.g. at enrolment); the latest one counts
    #: before each fill: after the previous dispense and within the last MONTH_DAYS days
    MONTHLY = "monthly"


class ContraceptionStandard(StrEnum):
    #: US iPLEDGE: two methods used together, at least one primary; or committed abstinence.
    TWO_METHODS_ONE_PRIMARY = "two_methods_one_primary"
    #: EU/UK PPP since 2018 (SmPC §4.4): at least one highly effective method that does not depend on the
    #: user, or two complementary user-dependent methods; abstinence is not accepted (the PPP applies to
    #: women who are not sexually active).
    USER_INDEPENDENT_OR_TWO_DEPENDENT = "user_independent_or_two_dependent"


class LeadInUntil(StrEnum):
    """The day the contraception lead-in is counted to."""

    CONFIRMATION_TEST = "confirmation_test"  # and so also to the first dose, which comes later
    FIRST_DOSE = "first_dose"


GUARDIAN_CONSENT_SUMMARY = "A patient under 18 signs the consent together with a parent or guardian."
GUARDIAN_CONSENT_NOTE = ("Clinic default: the iPLEDGE patient consent forms (with their parent/guardian line) are "
                         "not in the register, and the register has no EU/UK rule on the age of consent.")


@dataclass(frozen=True, slots=True)
class Rule(Generic[T]):
    """One rule value with its source; ``note`` records a safer reading or an open question."""

    value: T
    source: Source
    summary: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class ProgramVersion:
    """One version of a pregnancy-prevention program, in force from ``effective_from``.

    ``*_can`` rules apply to patients who can get pregnant, ``*_cannot`` to everyone else. A
    ``None`` value means the version sets no such rule.
    """

    id: str
    family: str
    title: str
    effective_from: dt.date
    effective_source: Source

    enrolment: Rule[bool]
    one_fill_per_prescription: Rule[bool]
    supply_limit_days_can: Rule[int | None]
    supply_limit_days_cannot: Rule[int | None]
    #: Latest test must be negative; never dispense after a positive latest test (every patient).
    positive_test_stops: Rule[bool]
    #: A negative test is needed before every fill (patients who can get pregnant).
    test_before_each_fill: Rule[bool]
    #: Window counted from the specimen collection date (US: 7 days, collection + 6).
    test_window_days: Rule[int | None]
    #: Test must be collected within this many days before the prescription (EU/UK: 3).
    test_before_prescription_days: Rule[int | None]
    pre_treatment_settings: Rule[frozenset[str]]
    treatment_settings: Rule[frozenset[str]]
    home_test_needs_verification: Rule[bool]
    #: From this date (the collection date), a medically supervised remote test (setting ``remote``) counts
    #: during treatment, i.e. not for the first fill. None: remote tests never count. A date-effective rule
    #: inside a version: the UK versions accept it from the MHRA's autumn 2025 update.
    remote_supervised_from: Rule[dt.date | None]
    #: Two pre-treatment tests: a screening test at least this many days before the confirmation test.
    screening_gap_days: Rule[int | None]
    screening_settings: Rule[frozenset[str]]
    #: After a missed first window, the next qualifying test must be this many days after the test
    #: that opened the missed window (the 2021 "19-day lockout").
    missed_window_wait_days: Rule[int | None]
    contraception: Rule[ContraceptionStandard]
    contraception_cadence: Rule[Cadence]
    contraception_lead_in_days: Rule[int]
    contraception_lead_in_until: Rule[LeadInUntil]
    counseling_can: Rule[Cadence]
    counseling_cannot: Rule[Cadence]
    comprehension_can: Rule[Cadence]
    #: Dispense within this many days of the prescription date (day of the prescription is day 1).
    prescription_window_days_can: Rule[int | None]
    prescription_window_days_cannot: Rule[int | None]
    #: UK 2023: two independent prescribers agree to start treatment in patients under 18.
    second_prescriber_under_18: Rule[bool]
    #: Only prescribers and pharmacies enrolled and active in the program take part (checked when the
    #: caller knows their enrolment periods).
    certified_participants: Rule[bool]
    #: A pharmacy's staff training for the program, attested yearly: one attestation covers this many days
    #: (the day it was made is day 1). None: the version asks for no such attestation.
    pharmacy_training_days: Rule[int | None]
    #: A patient younger than this on the day of signing consents together with a parent or guardian.
    #: The same for every version until a register document says otherwise (a labelled clinic default).
    guardian_consent_under_age: Rule[int] = field(default_factory=lambda: Rule(
        18, DEFAULT_GUARDIAN_CONSENT, GUARDIAN_CONSENT_SUMMARY, GUARDIAN_CONSENT_NOTE))

    def rules(self) -> list[tuple[str, Rule[object]]]:
        """Every rule of this version, by field name, in declaration order."""
        return [(f.name, getattr(self, f.name)) for f in fields(self) if isinstance(getattr(self, f.name), Rule)]
