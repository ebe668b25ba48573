"""Pregnancy-prevention programs (iPLEDGE, EU PPP, UK MHRA): facts in, decision with reasons out.

Public API (pure: no Django, no clock)::

    decide(program, patient, history, request) -> Decision
    evaluate_on(program, patient, history, on, prescription_id, days_supply) -> Evaluation
    resolve(program, on) -> ProgramVersion

``program`` is a family (``us-ipledge``, ``eu-ppp``, ``uk-mhra``), resolved to the version in force on
the request date, or a pinned version id (``us-ipledge-2026`` ...) applied as given.
"""

from __future__ import annotations

import datetime as dt

from clearcourse.rules.programs.base import ProgramVersion
from clearcourse.rules.programs.engine import Evaluation, evaluate
from clearcourse.rules.programs.facts import (
    NO_PARTICIPANTS,
    Decision,
    History,
    Participants,
    Patient,
    Request,
)
from clearcourse.rules.programs.registry import ProgramNotFound, resolve

__all__ = ["NO_PARTICIPANTS", "Decision", "Evaluation", "Participants", "ProgramNotFound", "ProgramVersion",
           "decide", "evaluate_on", "resolve"]


def decide(program: str, patient: Patient, history: History, request: Request,
           participants: Participants = NO_PARTICIPANTS) -> Decision:
    """May ``request.prescription`` be dispensed on ``request.date``? Every unmet condition is a reason.

    ``participants`` carries the prescriber's and the pharmacy's program certification when known.
    Raises ProgramNotFound for an unknown program or a family with no version in force that day.
    """
    version = resolve(program, request.date)
    return evaluate(version, patient, history, request.date, request.prescription, request.days_supply,
                    participants).decision()


def evaluate_on(program: str, patient: Patient, history: History, on: dt.date,
                prescription_id: str | None = None, days_supply: int | None = None,
                participants: Participants = NO_PARTICIPANTS) -> Evaluation:
    """Every condition, met or not, for dispensing on ``on`` (``prescription_id=None``: a prescription
    still to be written)."""
    return evaluate(resolve(program, on), patient, history, on, prescription_id, days_supply, participants)
