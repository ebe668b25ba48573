"""Which program version applies: a family resolves by date, a pinned version id applies as given.

A course that spans a rule change (iPLEDGE on 2026-08-08) is judged on each day by the version in
force that day. Before a family's first version there is no program to apply; that is an error,
not a guess.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from types import MappingProxyType

from clearcourse.rules.programs import (
    eu_ppp_2018,
    uk_mhra_2023,
    uk_mhra_2026,
    us_ipledge_2021,
    us_ipledge_2026,
)
from clearcourse.rules.programs.base import ProgramVersion

ALL_VERSIONS: tuple[ProgramVersion, ...] = (
    us_ipledge_2021.VERSION,
    us_ipledge_2026.VERSION,
    eu_ppp_2018.VERSION,
    uk_mhra_2023.VERSION,
    uk_mhra_2026.VERSION,
)
FAMILIES = ("us-ipledge", "eu-ppp", "uk-mhra")
VERSIONS = tuple(v.id for v in ALL_VERSIONS)
BY_ID = MappingProxyType({v.id: v for v in ALL_VERSIONS})
#: family -> its versions, oldest first
BY_FAMILY = MappingProxyType({
    family: tuple(sorted((v for v in ALL_VERSIONS if v.family == family), key=lambda v: v.effective_from))
    for family in FAMILIES
})
_STARTS = {family: tuple(v.effective_from for v in versions) for family, versions in BY_FAMILY.items()}

MSG_UNKNOWN = "{name!r} is not a program; use a family ({families}) or a version ({versions})"
MSG_NOT_IN_FORCE = "no version of {family} is in force on {day}; the first took effect on {first}"


class ProgramNotFound(LookupError):
    """An unknown program name, or a family with no version in force on the day asked about."""


def resolve(program: str, on: dt.date) -> ProgramVersion:
    """The version that applies: the pinned version itself, or the family's version in force on ``on``."""
    pinned = BY_ID.get(program)
    if pinned is not None:
        return pinned
    starts = _STARTS.get(program)
    if starts is None:
        raise ProgramNotFound(MSG_UNKNOWN.format(name=program, families=", ".join(FAMILIES),
                                                 versions=", ".join(VERSIONS)))
    i = bisect_right(starts, on)
    if not i:
        raise ProgramNotFound(MSG_NOT_IN_FORCE.format(family=program, day=on.isoformat(),
                                                      first=starts[0].isoformat()))
    return BY_FAMILY[program][i - 1]


def effective_until(version: ProgramVersion) -> dt.date | None:
    """Last day a version is the one in force for its family (None: still in force)."""
    later = [v.effective_from for v in BY_FAMILY[version.family] if v.effective_from > version.effective_from]
    return min(later) - dt.timedelta(days=1) if later else None
