"""Pregnancy-prevention programs (iPLEDGE, EU PPP, UK MHRA): facts in, decision with reasons out.

Public API (pure: no Django, no clock)::

    decide(program, patient, history, request) -> Decision
    evaluate_on(program, patient, history, on, prescription_id, days_supply) -> Evaluation
    resolve(program, on) -> ProgramVersion
    supply_limit_days(program, on, can_get_pregnant) -> int

``program`` is a family (``us-ipledge``, ``eu-ppp``, ``uk-mhra``), resolved to the version in force on
the request date, or a pinned version id (``us-ipledge-2026`` ...) applied as given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from clearcourse.rules.programs.base import ProgramVersion
from clearcourse.rules.programs.engine import Evaluation, evaluate
from clearcourse.rules.programs.engine import contraception_shortfall as engine_shortfall
from clearcourse.rules.programs.facts import (
    NO_PARTICIPANTS,
    Contraception,
    Decision,
    History,
    Participants,
    Patient,
    Reason,
    Request,
)
from clearcourse.rules.programs.registry import ProgramNotFound, resolve

__all__ = ["DEFAULT_SUPPLY_LIMIT_DAYS", "NO_PARTICIPANTS", "Decision", "Evaluation", "Participants",
           "ProgramNotFound", "ProgramVersion", "contraception_shortfall", "decide", "evaluate_on",
           "guardian_consent_under_age", "needs_guardian", "resolve", "supply_limit_days"]

#: The supply limit when the program version sets none for this patient (or the program is unknown): the 30
#: days of iPLEDGE (fact sheet 1.3) and of the EU/UK PPP (6.1), the safer reading.
DEFAULT_SUPPLY_LIMIT_DAYS = 30


def decide(program: str, patient: Patient, history: History, request: Request,
           participants: Participants = NO_PARTICIPANTS) -> Decision:
    """May ``request.prescription`` be dispensed on ``request.date``? Every unmet condition is a reason.

    ``participants`` carries the prescriber's and the pharmacy's program certification when known.
    Raises ProgramNotFound for an unknown program or a family with no version in force that day.
    """
    version = resolve(program, request.date)
    return evaluate(version, patient, history, request.date, request.prescription, request.days_supply,
                    participants).decision()


def contraception_shortfall(program: str, on: dt.date, methods: Iterable[str], *,
                            abstinence: bool = False) -> Reason | None:
    """Why a contraception confirmation made on ``on`` does not count for the program in force that day
    (the same test and the same sentence the pharmacy's answer uses), or None when it counts. The source is the
    version's contraception rule."""
    confirmation = Contraception(date=on, methods=tuple(methods), abstinence=abstinence)
    return engine_shortfall(confirmation, resolve(program, on).contraception)


def evaluate_on(program: str, patient: Patient, history: History, on: dt.date,
                prescription_id: str | None = None, days_supply: int | None = None,
                participants: Participants = NO_PARTICIPANTS) -> Evaluation:
    """Every condition, met or not, for dispensing on ``on`` (``prescription_id=None``: a prescription
    still to be written)."""
    return evaluate(resolve(program, on), patient, history, on, prescription_id, days_supply, participants)


def supply_limit_days(program: str, on: dt.date, *, can_get_pregnant: bool) -> int:
    """The most days one prescription may cover for this patient on ``on``: the version's limit, never more
    than :data:`DEFAULT_SUPPLY_LIMIT_DAYS` (fact sheet 1.3 and 6.1)."""
    try:
        version = resolve(program, on)
    except ProgramNotFound:
        return DEFAULT_SUPPLY_LIMIT_DAYS
    rule = version.supply_limit_days_can if can_get_pregnant else version.supply_limit_days_cannot
    return min(rule.value, DEFAULT_SUPPLY_LIMIT_DAYS) if rule.value is not None else DEFAULT_SUPPLY_LIMIT_DAYS


def guardian_consent_under_age(program: str, on: dt.date) -> int:
    """The age under which a patient's consent also needs a parent or guardian, for the version in force on
    ``on`` (a labelled clinic default of 18 in every version; see ``ProgramVersion.guardian_consent_under_age``)."""
    return resolve(program, on).guardian_consent_under_age.value


def needs_guardian(program: str, birth_date: dt.date, on: dt.date) -> bool:
    """True when a patient born on ``birth_date`` is under the version's age for consenting alone on ``on``."""
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return age < guardian_consent_under_age(program, on)
