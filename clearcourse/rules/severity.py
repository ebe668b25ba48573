"""Acne severity scales: IGA (5 points) and GAGS (Global Acne Grading System).

Pure Python: no Django, no I/O. Labels are plain English strings next to stable codes; the Django
layer translates by code, so codes never change meaning.

Sources: none of the register's documents defines a severity scale, so the scales are a clinic
default (:data:`~clearcourse.rules.sources.DEFAULT_SEVERITY_SCALES`). The IGA grades 0-4 and its
success definition (IGA 0 or 1 and at least 2 grades better) follow the FDA's 2018 acne guidance; the
GAGS regions, factors (2/2/2/1/1/3) and bands (1-18 mild, 19-30 moderate, 31-38 severe, >=39 very
severe) follow Doshi et al. 1997 as commonly summarised. The bands are fixed by the scenario contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from clearcourse.rules.sources import DEFAULT_SEVERITY_SCALES, Source


class SeverityInputError(ValueError):
    """A grade or region outside the scale; ``part`` names the offending region or scale."""

    def __init__(self, part: str, message: str) -> None:
        super().__init__(f"{part}: {message}")
        self.part = part
        self.message = message


# --- IGA ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IgaGrade:
    value: int
    code: str
    label: str


IGA_GRADES: tuple[IgaGrade, ...] = (
    IgaGrade(0, "clear", "clear"),
    IgaGrade(1, "almost_clear", "almost clear"),
    IgaGrade(2, "mild", "mild"),
    IgaGrade(3, "moderate", "moderate"),
    IgaGrade(4, "severe", "severe"),
)
IGA_SOURCE: Source = DEFAULT_SEVERITY_SCALES
IGA_MAX = 4
# The FDA success definition needs a drop of at least this many grades from baseline.
IGA_SUCCESS_MIN_IMPROVEMENT = 2


def iga_grade(value: int) -> IgaGrade:
    """The IGA grade for 0-4 (0 clear ... 4 severe). Source: a clinic default (FDA acne guidance, 2018)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= IGA_MAX:
        raise SeverityInputError("iga", "must be a whole number from 0 to 4")
    return IGA_GRADES[value]


def iga_success(baseline: int, current: int) -> bool:
    """FDA treatment success: IGA 0 or 1 now AND at least 2 grades better than baseline.

    Source: a clinic default, as the FDA guidance "Acne Vulgaris: Establishing Effectiveness of Drugs"
    (May 2018) defines it.
    """
    before = iga_grade(baseline).value
    now = iga_grade(current).value
    return now <= 1 and before - now >= IGA_SUCCESS_MIN_IMPROVEMENT


# --- GAGS --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GagsRegion:
    code: str
    label: str
    factor: int


@dataclass(frozen=True, slots=True)
class GagsLesion:
    grade: int
    code: str
    label: str


@dataclass(frozen=True, slots=True)
class GagsBand:
    code: str
    label: str
    lowest: int
    highest: int


@dataclass(frozen=True, slots=True)
class GagsLocalScore:
    region: GagsRegion
    grade: int
    score: int


@dataclass(frozen=True, slots=True)
class GagsResult:
    score: int
    band: GagsBand
    local_scores: tuple[GagsLocalScore, ...]
    sources: tuple[Source, ...]


GAGS_REGIONS: tuple[GagsRegion, ...] = (
    GagsRegion("forehead", "forehead", 2),
    GagsRegion("right_cheek", "right cheek", 2),
    GagsRegion("left_cheek", "left cheek", 2),
    GagsRegion("nose", "nose", 1),
    GagsRegion("chin", "chin", 1),
    GagsRegion("chest_upper_back", "chest and upper back", 3),
)
GAGS_REGION_CODES: tuple[str, ...] = tuple(region.code for region in GAGS_REGIONS)

# Each region is graded by its single most severe lesion.
GAGS_LESIONS: tuple[GagsLesion, ...] = (
    GagsLesion(0, "none", "no lesions"),
    GagsLesion(1, "comedone", "comedone"),
    GagsLesion(2, "papule", "papule"),
    GagsLesion(3, "pustule", "pustule"),
    GagsLesion(4, "nodule", "nodule"),
)
GAGS_GRADE_MAX = 4
GAGS_SCORE_MAX = GAGS_GRADE_MAX * sum(region.factor for region in GAGS_REGIONS)  # 44

GAGS_BAND_TABLE: tuple[GagsBand, ...] = (
    GagsBand("none", "no lesions", 0, 0),
    GagsBand("mild", "mild", 1, 18),
    GagsBand("moderate", "moderate", 19, 30),
    GagsBand("severe", "severe", 31, 38),
    GagsBand("very_severe", "very severe", 39, GAGS_SCORE_MAX),
)
GAGS_BAND_CODES: tuple[str, ...] = tuple(band.code for band in GAGS_BAND_TABLE)
GAGS_SOURCES: tuple[Source, ...] = (DEFAULT_SEVERITY_SCALES,)


def gags_band(score: int) -> GagsBand:
    """The band for a GAGS score: 0 none, 1-18 mild, 19-30 moderate, 31-38 severe, 39+ very severe.

    Source: a clinic default (the GAGS band table as commonly summarised; the scenario contract).
    """
    if isinstance(score, bool) or not isinstance(score, int) or not 0 <= score <= GAGS_SCORE_MAX:
        raise SeverityInputError("gags", f"score must be a whole number from 0 to {GAGS_SCORE_MAX}")
    for band in GAGS_BAND_TABLE:
        if band.lowest <= score <= band.highest:
            return band
    raise AssertionError("the band table covers 0..44")  # pragma: no cover


def gags_score(grades: Mapping[str, int]) -> GagsResult:
    """GAGS: sum over the six regions of factor x grade (worst lesion, 0-4); 0-44.

    Every region must be graded: a region left out could be one nobody examined, and scoring it as
    0 would understate severity. Source: a clinic default (Doshi et al. 1997, factors 2/2/2/1/1/3).
    """
    unknown = sorted(set(grades) - set(GAGS_REGION_CODES))
    if unknown:
        raise SeverityInputError(unknown[0], "is not a GAGS region")
    local: list[GagsLocalScore] = []
    for region in GAGS_REGIONS:
        if region.code not in grades:
            raise SeverityInputError(region.code, "is required (grade every region, 0 for none)")
        grade = grades[region.code]
        if isinstance(grade, bool) or not isinstance(grade, int) or not 0 <= grade <= GAGS_GRADE_MAX:
            raise SeverityInputError(region.code, "must be a whole number from 0 to 4")
        local.append(GagsLocalScore(region=region, grade=grade, score=region.factor * grade))
    total = sum(item.score for item in local)
    return GagsResult(score=total, band=gags_band(total), local_scores=tuple(local), sources=GAGS_SOURCES)


def is_severe(*, iga: int | None, gags_band_code: str | None) -> bool:
    """"Severe" for the AAD 2024 indication: IGA 4, or a GAGS band of severe or very severe."""
    return (iga is not None and iga_grade(iga).value == IGA_MAX) or gags_band_code in ("severe", "very_severe")
