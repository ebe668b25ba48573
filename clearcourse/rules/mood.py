"""Mood questionnaires: PHQ-9, PHQ-9 modified for teens (PHQ-A) and PHQ-2.

No regulator names a screening tool (register ``../shared/clinical-sources.md`` section 6): the US label
warns of depression, psychosis and rarely suicidal thoughts (D1), the EU of neuropsychiatric effects
(D7), and the MHRA asks for mental health to be assessed before and during treatment (D10). The PHQ,
its bands and the alert levels built on them are therefore a clinic default
(:data:`~clearcourse.rules.sources.DEFAULT_MOOD_TOOL`), cited with those warnings.

The item texts are English data here; the Django layer translates them. Scoring follows the scenario
contract: PHQ-9 bands minimal 0-4, mild 5-9, moderate 10-14, moderately severe 15-19, severe 20-27;
PHQ-2 negative below 3, positive from 3; urgent when item 9 is above 0 or the band is severe.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from clearcourse.rules import sources as src
from clearcourse.rules.monitoring import Alert, Severity
from clearcourse.rules.sources import Source


class MoodInputError(ValueError):
    """Answers that do not fit the instrument; ``field`` is e.g. ``answers[3]``."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Instrument(StrEnum):
    PHQ9 = "phq9"
    PHQ9_TEEN = "phq9_teen"  # PHQ-9 modified for adolescents (PHQ-A): scored as the PHQ-9
    PHQ2 = "phq2"


class Band(StrEnum):
    MINIMAL = "minimal"
    MILD = "mild"
    MODERATE = "moderate"
    MODERATELY_SEVERE = "moderately_severe"
    SEVERE = "severe"
    NEGATIVE = "negative"
    POSITIVE = "positive"


#: Answer labels, value 0-3 (the same for all three instruments).
ANSWER_OPTIONS: tuple[str, ...] = ("Not at all", "Several days", "More than half the days", "Nearly every day")
MAX_ANSWER = len(ANSWER_OPTIONS) - 1

PHQ9_STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
PHQ9_ITEMS: tuple[str, ...] = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself, or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed, or the opposite: being so fidgety "
    "or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
PHQ_A_STEM = "How often have you been bothered by each of the following symptoms during the past two weeks?"
# The teen form puts "down, irritable" first and "little interest" second; item 9 is still self-harm.
PHQ_A_ITEMS: tuple[str, ...] = (
    "Feeling down, depressed, irritable, or hopeless",
    "Little interest or pleasure in doing things",
    "Trouble falling asleep, staying asleep, or sleeping too much",
    "Poor appetite, weight loss, or overeating",
    "Feeling tired, or having little energy",
    "Feeling bad about yourself, or feeling that you are a failure, or that you have let yourself or your "
    "family down",
    "Trouble concentrating on things like school work, reading, or watching TV",
    "Moving or speaking so slowly that other people could have noticed, or the opposite: being so fidgety "
    "or restless that you were moving around a lot more than usual",
    "Thoughts that you would be better off dead, or of hurting yourself in some way",
)


@dataclass(frozen=True, slots=True)
class InstrumentSpec:
    instrument: Instrument
    title: str
    stem: str
    items: tuple[str, ...]
    loinc_total: str  # LOINC code of the total score
    loinc_panel: str | None
    self_harm_item: int | None  # 1-based item number, None when the instrument has none
    sources: tuple[Source, ...]

    @property
    def item_count(self) -> int:
        return len(self.items)

    @property
    def max_score(self) -> int:
        return self.item_count * MAX_ANSWER


_SOURCES: tuple[Source, ...] = (src.DEFAULT_MOOD_TOOL, src.US_PI_PSYCHIATRIC, src.EMA_2018)

INSTRUMENTS: dict[Instrument, InstrumentSpec] = {
    Instrument.PHQ9: InstrumentSpec(Instrument.PHQ9, "PHQ-9", PHQ9_STEM, PHQ9_ITEMS, "44261-6", "44249-1", 9,
                                    _SOURCES),
    Instrument.PHQ9_TEEN: InstrumentSpec(Instrument.PHQ9_TEEN, "PHQ-9 modified for teens (PHQ-A)", PHQ_A_STEM,
                                         PHQ_A_ITEMS, "89204-2", None, 9,
                                         _SOURCES),
    # The PHQ-2 is the PHQ-9's first two items.
    Instrument.PHQ2: InstrumentSpec(Instrument.PHQ2, "PHQ-2", PHQ9_STEM, PHQ9_ITEMS[:2], "55758-7", "55757-9", None,
                                    _SOURCES),
}

MSG_SELF_HARM = ("Thoughts of self-harm reported (PHQ-9 item 9 above 0). A clinician must review this patient "
                 "urgently; depression and suicidal thoughts are listed risks of isotretinoin.")
MSG_SEVERE = "PHQ-9 score in the severe range (20-27). A clinician must review this patient urgently."
MSG_MODERATELY_SEVERE = "PHQ-9 score in the moderately severe range (15-19): the prescriber should review mood."
MSG_MODERATE = "PHQ-9 score in the moderate range (10-14): the prescriber should review mood."
MSG_MILD = "PHQ-9 score in the mild range (5-9): note it and watch for change at the next screen."
MSG_PHQ2_POSITIVE = "PHQ-2 positive (score 3 or more): complete a PHQ-9."


@dataclass(frozen=True, slots=True)
class MoodResult:
    instrument: Instrument
    score: int
    band: Band
    urgent: bool
    item9_positive: bool | None  # None for the PHQ-2, which has no item 9
    recommend_phq9: bool
    alert: Alert | None
    loinc_total: str
    sources: tuple[Source, ...]


def phq9_band(total: int) -> Band:
    """PHQ-9 (and PHQ-A) severity band for a total of 0-27 (cut points 5, 10, 15, 20; scenario contract)."""
    if total < 0 or total > 27:
        raise MoodInputError("score", "must be between 0 and 27")
    if total >= 20:
        return Band.SEVERE
    if total >= 15:
        return Band.MODERATELY_SEVERE
    if total >= 10:
        return Band.MODERATE
    if total >= 5:
        return Band.MILD
    return Band.MINIMAL


def phq2_band(total: int) -> Band:
    """PHQ-2 screen result for a total of 0-6 (positive from 3; scenario contract)."""
    if total < 0 or total > 6:
        raise MoodInputError("score", "must be between 0 and 6")
    return Band.POSITIVE if total >= 3 else Band.NEGATIVE


def _parse_instrument(instrument: Instrument | str) -> Instrument:
    try:
        return Instrument(instrument)
    except ValueError:
        known = ", ".join(i.value for i in Instrument)
        raise MoodInputError("instrument", f"must be one of {known}") from None


def _answer(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoodInputError(field, "must be a whole number")
    if value < 0 or value > MAX_ANSWER:
        raise MoodInputError(field, f"must be between 0 and {MAX_ANSWER}")
    return value


def score(instrument: Instrument | str, answers: Sequence[int]) -> MoodResult:
    """Score a completed questionnaire: each answer 0-3, in item order; the score is their sum."""
    kind = _parse_instrument(instrument)
    spec = INSTRUMENTS[kind]
    if isinstance(answers, str | bytes) or len(answers) != spec.item_count:
        raise MoodInputError("answers", f"must hold {spec.item_count} answers for {spec.title}")
    values = [_answer(a, f"answers[{i}]") for i, a in enumerate(answers)]
    item9 = values[spec.self_harm_item - 1] if spec.self_harm_item else None
    return _result(spec, sum(values), item9)


def score_total(instrument: Instrument | str, total: int, *, item9: int) -> MoodResult:
    """Interpret a PHQ-9 or PHQ-A recorded only as its total and the item 9 answer.

    Some clinics (and the teen form's LOINC 89204-2) keep just the total; item 9 is still needed,
    because any answer above 0 makes the screen urgent whatever the total.
    """
    kind = _parse_instrument(instrument)
    spec = INSTRUMENTS[kind]
    if spec.self_harm_item is None:
        raise MoodInputError("instrument", f"{spec.title} has no item 9; score it from its answers")
    if isinstance(total, bool) or not isinstance(total, int) or not 0 <= total <= spec.max_score:
        raise MoodInputError("score", f"must be a whole number between 0 and {spec.max_score}")
    item9_value = _answer(item9, "item9")
    if item9_value > total:
        raise MoodInputError("item9", "cannot be more than the total score")
    return _result(spec, total, item9_value)


def _result(spec: InstrumentSpec, total: int, item9: int | None) -> MoodResult:
    if spec.instrument == Instrument.PHQ2:
        band = phq2_band(total)
        positive = band == Band.POSITIVE
        alert = Alert("phq2_positive", Severity.WARNING, MSG_PHQ2_POSITIVE, spec.sources) if positive else None
        return MoodResult(spec.instrument, total, band, urgent=False, item9_positive=None, recommend_phq9=positive,
                          alert=alert, loinc_total=spec.loinc_total, sources=spec.sources)
    band = phq9_band(total)
    item9_positive = item9 is not None and item9 > 0
    urgent = item9_positive or band == Band.SEVERE
    return MoodResult(spec.instrument, total, band, urgent=urgent, item9_positive=item9_positive,
                      recommend_phq9=False, alert=_phq9_alert(band, item9_positive, spec.sources),
                      loinc_total=spec.loinc_total, sources=spec.sources)


def _phq9_alert(band: Band, item9_positive: bool, sources: tuple[Source, ...]) -> Alert | None:
    # Item 9 comes first: a self-harm answer is urgent at any total and needs its own wording.
    if item9_positive:
        return Alert("mood_self_harm", Severity.URGENT, MSG_SELF_HARM, sources)
    if band == Band.SEVERE:
        return Alert("mood_severe", Severity.URGENT, MSG_SEVERE, sources)
    if band == Band.MODERATELY_SEVERE:
        return Alert("mood_moderately_severe", Severity.WARNING, MSG_MODERATELY_SEVERE, sources)
    if band == Band.MODERATE:
        return Alert("mood_moderate", Severity.WARNING, MSG_MODERATE, sources)
    if band == Band.MILD:
        return Alert("mood_mild", Severity.INFO, MSG_MILD, sources)
    return None
