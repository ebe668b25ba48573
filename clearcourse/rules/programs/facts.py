"""The facts a pregnancy-prevention program judges, as plain frozen dataclasses.

These are the shared vocabulary of the rules core: the scenario CLI, the FHIR exporter and the
Django layer all build the same objects (``parse.py`` builds them from a ``decide`` case; the Django
layer builds them from database rows). Nothing here reads the clock or imports Django.

Dates are calendar dates. A pregnancy test's ``date`` is the specimen collection date, because
the 7-day window is counted from collection (a clinic default: the register gives the window, not its start).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any, ClassVar

from clearcourse.rules.sources import Source
from clearcourse.rules.text import Text, Value

# --- codes -------------------------------------------------------------------------------------


class MethodClass(StrEnum):
    """How a contraception method counts under iPLEDGE (primary/secondary; a clinic default, see below)."""

    PRIMARY = "primary"  # highly effective
    SECONDARY = "secondary"  # barrier methods: count only together with a primary method
    UNACCEPTABLE = "unacceptable"  # counts as neither (progestin-only "minipill")


#: Every method code a case may use, with its class. The codes and classes are the scenario contract's
#: (``shared/scenarios/README.md``); no register document lists them (the iPLEDGE Prescriber Guide's list was
#: not retrieved), so the classes are a clinic default (``sources.DEFAULT_US_METHODS``).
CONTRACEPTION_METHODS: Mapping[str, MethodClass] = MappingProxyType({
    "tubal_sterilization": MethodClass.PRIMARY,
    "partner_vasectomy": MethodClass.PRIMARY,
    "iud_copper": MethodClass.PRIMARY,
    "iud_hormonal": MethodClass.PRIMARY,
    "implant": MethodClass.PRIMARY,
    "injection": MethodClass.PRIMARY,
    "combined_pill": MethodClass.PRIMARY,
    "patch": MethodClass.PRIMARY,
    "vaginal_ring": MethodClass.PRIMARY,
    "male_condom": MethodClass.SECONDARY,
    "diaphragm": MethodClass.SECONDARY,
    "cervical_cap": MethodClass.SECONDARY,
    "vaginal_sponge": MethodClass.SECONDARY,
    "progestin_only_pill": MethodClass.UNACCEPTABLE,
})
#: What each method code is called in a sentence (English; the pages translate it).
METHOD_NAMES: Mapping[str, str] = MappingProxyType({
    "tubal_sterilization": "Tubal sterilization",
    "partner_vasectomy": "Partner's vasectomy",
    "iud_copper": "Copper IUD",
    "iud_hormonal": "Hormonal IUD",
    "implant": "Implant",
    "injection": "Injection",
    "combined_pill": "Combined (estrogen-containing) pill",
    "patch": "Patch",
    "vaginal_ring": "Vaginal ring",
    "male_condom": "Male latex condom",
    "diaphragm": "Diaphragm",
    "cervical_cap": "Cervical cap",
    "vaginal_sponge": "Vaginal sponge",
    "progestin_only_pill": "Progestin-only pill",
})
ABSTINENCE_NAME = "Abstinence"


def method_names(methods: Iterable[str], *, abstinence: bool = False) -> str:
    """The methods in words, in the order given ("Copper IUD, Male latex condom"); a code the catalogue does
    not know is shown as it is rather than dropped."""
    names = [METHOD_NAMES.get(code, code) for code in methods]
    if abstinence:
        names.append(ABSTINENCE_NAME)
    return ", ".join(names)


PRIMARY_METHODS = frozenset(c for c, k in CONTRACEPTION_METHODS.items() if k is MethodClass.PRIMARY)
SECONDARY_METHODS = frozenset(c for c, k in CONTRACEPTION_METHODS.items() if k is MethodClass.SECONDARY)

#: EU/UK PPP (SmPC §4.4, D8): a highly effective method is one that does not depend on the user. The register
#: gives the rule but no list of methods, so which codes are user-independent is a clinic default
#: (``sources.DEFAULT_EU_METHODS``): the long-acting methods and tubal sterilisation. Every other acceptable
#: method counts as user-dependent, partner vasectomy and the injection included (the safer reading: they
#: need a complementary method).
USER_INDEPENDENT_METHODS = frozenset({"iud_copper", "iud_hormonal", "implant", "tubal_sterilization"})
#: EU/UK PPP: the user-dependent methods that are not barrier methods; two methods are complementary when one
#: of these is used with a barrier method (``SECONDARY_METHODS``). Two barrier methods, or two hormonal
#: methods, are not complementary (the safer reading; a clinic default, ``sources.DEFAULT_EU_METHODS``).
USER_DEPENDENT_NON_BARRIER = PRIMARY_METHODS - USER_INDEPENDENT_METHODS


class TestSetting(StrEnum):
    LAB = "lab"
    CLINIC = "clinic"
    HOME = "home"
    #: UK (MHRA, autumn 2025): a test done remotely with medical supervision (the patient tests at home while
    #: a clinician oversees it). Not a medical setting and not an unsupervised home test.
    REMOTE = "remote"


class TestResult(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"


#: Settings that count as "a medical setting" (prescriber's office, clinic or lab).
MEDICAL_SETTINGS = frozenset({TestSetting.LAB, TestSetting.CLINIC})


#: The patient's risk category while the prescriber has not assigned one: able to get pregnant, so that every
#: condition applies (the safer reading).
DEFAULT_CAN_GET_PREGNANT = True


# --- the patient and the events ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Patient:
    birth_date: dt.date
    #: The program's risk category, assigned by the prescriber (iPLEDGE since 13 Dec 2021).
    can_get_pregnant: bool

    def age_on(self, day: dt.date) -> int:
        """Completed years on ``day`` (a 29 Feb birthday turns over on 1 Mar in common years)."""
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


@dataclass(frozen=True, slots=True)
class Enrolled:
    date: dt.date
    type: ClassVar[str] = "enrolled"


@dataclass(frozen=True, slots=True)
class Counseling:
    """The prescriber's counselling / monthly confirmation of the patient."""

    date: dt.date
    type: ClassVar[str] = "counseling"


@dataclass(frozen=True, slots=True)
class Contraception:
    """Methods confirmed as in use from ``date`` (or a commitment to abstinence)."""

    date: dt.date
    methods: tuple[str, ...] = ()
    abstinence: bool = False
    type: ClassVar[str] = "contraception"

    @property
    def primary_count(self) -> int:
        return len(PRIMARY_METHODS.intersection(self.methods))

    @property
    def secondary_count(self) -> int:
        return len(SECONDARY_METHODS.intersection(self.methods))

    @property
    def user_independent_count(self) -> int:
        """EU/UK PPP: methods that do not depend on the user (a clinic default list)."""
        return len(USER_INDEPENDENT_METHODS.intersection(self.methods))

    @property
    def complementary_user_dependent(self) -> bool:
        """EU/UK PPP: two complementary user-dependent methods (a non-barrier method with a barrier method)."""
        return bool(USER_DEPENDENT_NON_BARRIER.intersection(self.methods)) and self.secondary_count >= 1


@dataclass(frozen=True, slots=True)
class PregnancyTest:
    date: dt.date  # specimen collection date
    setting: str  # a TestSetting value
    result: str  # a TestResult value
    #: For home tests: the prescriber has checked the result (2026 REMS asks for processes that
    #: reduce misreading and falsification). Meaningless for lab and clinic tests.
    verified_by_prescriber: bool = True
    type: ClassVar[str] = "pregnancy_test"

    @property
    def negative(self) -> bool:
        return self.result == TestResult.NEGATIVE


@dataclass(frozen=True, slots=True)
class Comprehension:
    date: dt.date
    passed: bool
    type: ClassVar[str] = "comprehension"


@dataclass(frozen=True, slots=True)
class Prescription:
    id: str
    date: dt.date
    days_supply: int
    daily_dose_mg: float
    #: UK 31 Oct 2023 measures: a second independent prescriber agreed to start treatment in a
    #: patient under 18. Optional; not part of the public scenario contract.
    second_prescriber_agreed: bool = False
    #: How people refer to it (the clinic's "RX-95"); messages quote the id when there is none.
    reference: str = dataclasses.field(default="", compare=False)
    type: ClassVar[str] = "prescription"

    @property
    def label(self) -> str:
        return self.reference or repr(self.id)


@dataclass(frozen=True, slots=True)
class Dispense:
    prescription: str  # a Prescription.id
    date: dt.date
    days_supply: int
    type: ClassVar[str] = "dispense"


@dataclass(frozen=True, slots=True)
class TreatmentEnd:
    date: dt.date
    type: ClassVar[str] = "treatment_end"


Event = (Enrolled | Counseling | Contraception | PregnancyTest | Comprehension | Prescription | Dispense
         | TreatmentEnd)


def _test_order(test: PregnancyTest) -> tuple[dt.date, bool]:
    # On one day a positive result sorts last, so "the latest test" is the positive one: the safer reading.
    return (test.date, test.result == TestResult.POSITIVE)


class History:
    """A patient's events, indexed once so that a decision never sorts or scans quadratically.

    ``events`` keeps every event in date order (ties keep their input order). The per-type tuples
    are sorted by date and paired with date tuples for ``bisect``; the engine looks only at events
    dated on or before the day it judges. Treat a History as read-only; ``adding`` makes a new one.
    """

    __slots__ = (
        "comprehension_dates", "comprehensions", "contraception_dates", "contraceptions", "counselings",
        "dispense_dates", "dispensed_on", "dispenses", "enrolments", "event_dates", "events",
        "positive_test_dates", "prescription_dates", "prescriptions", "test_dates", "tests", "treatment_ends",
    )

    events: tuple[Event, ...]
    event_dates: tuple[dt.date, ...]
    enrolments: tuple[dt.date, ...]
    counselings: tuple[dt.date, ...]
    contraceptions: tuple[Contraception, ...]
    contraception_dates: tuple[dt.date, ...]
    tests: tuple[PregnancyTest, ...]
    test_dates: tuple[dt.date, ...]
    positive_test_dates: tuple[dt.date, ...]
    comprehensions: tuple[Comprehension, ...]
    comprehension_dates: tuple[dt.date, ...]
    prescriptions: Mapping[str, Prescription]
    prescription_dates: tuple[dt.date, ...]
    dispenses: tuple[Dispense, ...]
    dispense_dates: tuple[dt.date, ...]
    #: prescription id -> the dates it was dispensed on, in order
    dispensed_on: Mapping[str, tuple[dt.date, ...]]
    treatment_ends: tuple[dt.date, ...]

    def __init__(self, events: Iterable[Event] = ()) -> None:
        ordered = tuple(sorted(events, key=lambda e: e.date))
        enrolments: list[dt.date] = []
        counselings: list[dt.date] = []
        contraceptions: list[Contraception] = []
        tests: list[PregnancyTest] = []
        comprehensions: list[Comprehension] = []
        prescriptions: dict[str, Prescription] = {}
        dispenses: list[Dispense] = []
        dispensed_on: dict[str, list[dt.date]] = {}
        ends: list[dt.date] = []
        for event in ordered:
            if isinstance(event, PregnancyTest):
                tests.append(event)
            elif isinstance(event, Contraception):
                contraceptions.append(event)
            elif isinstance(event, Counseling):
                counselings.append(event.date)
            elif isinstance(event, Comprehension):
                comprehensions.append(event)
            elif isinstance(event, Prescription):
                if event.id in prescriptions:
                    raise ValueError(f"duplicate prescription id {event.id!r}")
                prescriptions[event.id] = event
            elif isinstance(event, Dispense):
                dispenses.append(event)
                dispensed_on.setdefault(event.prescription, []).append(event.date)
            elif isinstance(event, Enrolled):
                enrolments.append(event.date)
            elif isinstance(event, TreatmentEnd):
                ends.append(event.date)
            else:  # pragma: no cover - the Event union is closed
                raise TypeError(f"not an event: {event!r}")
        tests.sort(key=_test_order)
        self.events = ordered
        self.event_dates = tuple(e.date for e in ordered)
        self.enrolments = tuple(enrolments)
        self.counselings = tuple(counselings)
        self.contraceptions = tuple(contraceptions)
        self.contraception_dates = tuple(c.date for c in contraceptions)
        self.tests = tuple(tests)
        self.test_dates = tuple(t.date for t in tests)
        self.positive_test_dates = tuple(t.date for t in tests if not t.negative)
        self.comprehensions = tuple(comprehensions)
        self.comprehension_dates = tuple(c.date for c in comprehensions)
        self.prescriptions = MappingProxyType(prescriptions)
        self.prescription_dates = tuple(sorted(p.date for p in prescriptions.values()))
        self.dispenses = tuple(dispenses)
        self.dispense_dates = tuple(d.date for d in dispenses)
        self.dispensed_on = MappingProxyType({k: tuple(v) for k, v in dispensed_on.items()})
        self.treatment_ends = tuple(ends)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, History) and self.events == other.events

    def __hash__(self) -> int:
        return hash(self.events)

    def __len__(self) -> int:
        return len(self.events)

    def __repr__(self) -> str:
        return f"History({list(self.events)!r})"

    def until(self, day: dt.date) -> tuple[Event, ...]:
        """Events dated on or before ``day``."""
        return self.events[: bisect.bisect_right(self.event_dates, day)]

    def adding(self, *events: Event) -> History:
        """A new history with ``events`` added (the original is unchanged)."""
        return History((*self.events, *events))


@dataclass(frozen=True, slots=True)
class Certification:
    """The period in which a prescriber or a pharmacy is enrolled and active in the program: from
    ``activated`` through ``expires`` (both days count; ``expires`` None: no end date).

    ``activated`` None: the participant is known and has never been enrolled (no period at all).
    ``trainings``: the days a pharmacy attested its staff training for the program, in any order; None
    when the caller does not know them, so the training check is not made (the scenario contract has no
    training key); an empty tuple when none is recorded.
    """

    activated: dt.date | None
    expires: dt.date | None = None
    trainings: tuple[dt.date, ...] | None = None

    def active_on(self, day: dt.date) -> bool:
        return self.activated is not None and self.activated <= day and (self.expires is None or day <= self.expires)

    def last_training(self, day: dt.date) -> dt.date | None:
        """The latest training attested on or before ``day`` (None: none, or not known)."""
        return max((t for t in self.trainings or () if t <= day), default=None)


#: A participant the caller knows and who has no enrolment period at all.
NEVER_CERTIFIED = Certification(activated=None)


def certification_on(periods: Iterable[tuple[dt.date, dt.date | None]], day: dt.date,
                     trainings: Iterable[dt.date] | None = None) -> Certification:
    """The one period that judges ``day``, from every current enrolment period of one participant.

    A period that covers ``day`` wins (the one that runs longest, so a renewal recorded before the old
    period ends is seen). Otherwise the latest period that had started by ``day`` (it lapsed), else the
    earliest one still to come, else :data:`NEVER_CERTIFIED`. Trainings ride along unchanged.
    """
    found = sorted(periods, key=lambda p: p[0])
    training = tuple(trainings) if trainings is not None else None
    if not found:
        return dataclasses.replace(NEVER_CERTIFIED, trainings=training)

    def end(period: tuple[dt.date, dt.date | None]) -> dt.date:
        return period[1] or dt.date.max

    covering = [p for p in found if p[0] <= day <= end(p)]
    started = [p for p in found if p[0] <= day]
    if covering:
        chosen = max(covering, key=end)
    elif started:
        chosen = max(started, key=end)
    else:
        chosen = found[0]
    return Certification(activated=chosen[0], expires=chosen[1], trainings=training)


@dataclass(frozen=True, slots=True)
class Participants:
    """Who takes part in a fill: the certification of the prescriber who wrote the prescription and of
    the pharmacy asking. None: not known to the caller, so that check is not made (scenario contract)."""

    prescriber: Certification | None = None
    pharmacy: Certification | None = None


NO_PARTICIPANTS = Participants()


# --- the question and the answer ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Request:
    """A pharmacy asks: may ``prescription`` be dispensed on ``date`` for ``days_supply`` days?"""

    date: dt.date
    prescription: str
    days_supply: int


@dataclass(frozen=True, slots=True)
class Reason:
    """One unmet condition as data: a stable ``code``, the ``text`` (English template and its values, worded
    in the reader's language when drawn) and the rule's ``source``."""

    code: str
    text: Text
    source: Source

    @property
    def message(self) -> str:
        """The English sentence (what the scenario CLI prints; dates in ISO form)."""
        return str(self.text)

    @property
    def params(self) -> dict[str, Value]:
        return self.text.params

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "source": self.source.cite()}


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    program: str  # the version id actually applied, e.g. "us-ipledge-2026"
    reasons: tuple[Reason, ...] = ()
    #: Last day the authorization may be used; None when not allowed or when no window applies.
    valid_through: dt.date | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def as_json(self) -> dict[str, Any]:
        return {
            "allowed": self.allowed,
            "program": self.program,
            "reasons": [r.as_json() for r in self.reasons],
            "valid_through": self.valid_through.isoformat() if self.valid_through else None,
        }
