"""Side effects: the catalogue patients report from, grades, and the red flags that raise alerts.

Sources (register ``../shared/clinical-sources.md`` section 7):
- Pseudotumor cerebri: headache, nausea, visual change; stop and refer; avoid tetracyclines (D3; D1).
- Vision: dry eye, keratitis, decreased night vision; refer visual problems (SmPC D8 §4.4/4.8; BNF D15).
- Pancreatitis (D3; D1) and inflammatory bowel disease: stop at once for abdominal pain, rectal
  bleeding or severe diarrhoea (D1 §5.11). Hearing: stop and refer (D1 §5.9). Liver: stop if hepatitis
  is suspected (D1 §5.10). Serious skin reactions: monitor, consider stopping (D3).
- Musculoskeletal pain and bone effects (D1 §5.12).
- Mood: the US psychiatric warning (D1) and the EU neuropsychiatric warning (D7). UK: sexual function
  assessed before and during treatment (MHRA D10, D11).
- The common, dose-related effects (dry lips, skin, eyes, nose; hair thinning; sun sensitivity; the
  early flare; nail-fold and skin lumps) have no register row: what the patient is told about them is
  a clinic default, and so is a same-day review where a document names an event without an action.

Grades are the patient's or clinician's mild / moderate / severe. The advice in each message is what
the cited source says; where a source gives no action, the message asks for the prescriber's review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from clearcourse.rules import sources as src
from clearcourse.rules.monitoring import Alert, Severity, by_severity, most_severe
from clearcourse.rules.sources import Source
from clearcourse.rules.text import Text


class SideEffectInputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Grade(StrEnum):
    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


class Kind(StrEnum):
    COMMON = "common"
    MOOD = "mood"
    SERIOUS = "serious"


MSG_SEVERE_MUCOCUTANEOUS = ("Severe {name}: tell the prescriber. Skin and mucosal effects are dose-related, so the "
                            "dose may need review.")
MSG_SEVERE_COMMON = "Severe {name}: tell the prescriber."
MSG_SEVERE_MUSCULOSKELETAL = ("Severe {name}: tell the prescriber. Muscle, joint and bone pain are known effects of "
                              "isotretinoin.")
MSG_SEVERE_FLARE = ("Severe acne flare: tell the prescriber. An early flare is expected; acne fulminans is rare but "
                    "serious.")
MSG_HEADACHE_MODERATE = "Headache reported: watch for vision changes or vomiting."
MSG_HEADACHE_SEVERE = ("Severe headache: tell the prescriber today. Headache can be a sign of pseudotumor cerebri; "
                       "vision changes or vomiting make it urgent.")
MSG_PSEUDOTUMOR = ("Severe headache with vision changes or vomiting: possible pseudotumor cerebri (raised pressure "
                   "in the skull), a rare serious effect made more likely by tetracyclines. Visual problems must be "
                   "referred and may mean stopping isotretinoin.")
MSG_VISION = ("New visual problem (for example blurred vision or worse night vision): refer the patient; it may "
              "mean stopping isotretinoin. Night vision can fall suddenly, so take care driving at night.")
MSG_ABDOMINAL_MODERATE = ("Abdominal pain reported: tell the prescriber. Severe abdominal pain can be pancreatitis "
                          "or inflammatory bowel disease.")
MSG_ABDOMINAL_SEVERE = ("Severe abdominal pain: possible pancreatitis or inflammatory bowel disease. The label says "
                        "stop isotretinoin for severe abdominal pain and if pancreatitis symptoms appear.")
MSG_RECTAL_BLEEDING = ("Rectal bleeding: possible inflammatory bowel disease. The label says stop isotretinoin at "
                       "once.")
MSG_DIARRHOEA_MODERATE = ("Diarrhoea reported: tell the prescriber. Severe or bloody diarrhoea means stopping "
                          "isotretinoin.")
MSG_DIARRHOEA_SEVERE = ("Severe diarrhoea: possible inflammatory bowel disease. The label says stop isotretinoin at "
                        "once.")
MSG_LOW_MOOD = ("Low mood reported: complete a PHQ-9 and tell the prescriber. Depression is a listed risk of "
                "isotretinoin.")
MSG_MOOD_CHANGE = "{name} reported: tell the prescriber; mood changes and anxiety are listed risks of isotretinoin."
MSG_MOOD_SEVERE = "Severe {name}: a clinician must review this patient urgently (psychiatric risk of isotretinoin)."
MSG_SUICIDAL = ("Thoughts of suicide or self-harm: a clinician must review this patient urgently. Depression and "
                "suicidal thoughts are listed risks of isotretinoin.")
MSG_SEXUAL_FUNCTION = ("Sexual side effects reported: tell the prescriber. The MHRA requires sexual function to be "
                       "monitored during treatment.")
MSG_SERIOUS = ("{name}: a serious adverse event listed for isotretinoin. The prescriber must review the patient "
               "today.")

_Level = tuple[Severity, str | Text] | None


@dataclass(frozen=True, slots=True)
class SideEffect:
    code: str
    name: str  # English; the Django layer translates
    kind: Kind
    sources: tuple[Source, ...]
    mild: _Level = None
    moderate: _Level = None
    severe: _Level = None
    note: str = ""
    # True where the sources name the event but no action, so the advice is this system's choice.
    needs_clinical_signoff: bool = False

    def level(self, grade: Grade) -> _Level:
        return {Grade.MILD: self.mild, Grade.MODERATE: self.moderate, Grade.SEVERE: self.severe}[grade]


_COMMON = (src.DEFAULT_COMMON_EFFECTS,)
_EYE = (src.SMPC_ADVERSE, src.BNF)
_MSK = (src.US_PI_BONE,)
_GUT = (src.US_PI_IBD, src.US_PI_PANCREATITIS, src.ACCUTANE_2010)
_MOOD = (src.US_PI_PSYCHIATRIC, src.EMA_2018)
_PTC = (src.US_PI_INTRACRANIAL, src.ACCUTANE_2010)


LOW_MOOD = "low mood"

def _severe_only(template: str, name: str) -> _Level:
    return (Severity.WARNING, Text.of(template, name=Text.of(name.lower())))


def _always(code: str, name: str, kind: Kind, sources: tuple[Source, ...], severity: Severity, message: str | Text,
            *, needs_clinical_signoff: bool = False) -> SideEffect:
    """An effect that raises the same alert at every grade (a red flag is a red flag when mild)."""
    level = (severity, message)
    return SideEffect(code, name, kind, sources, mild=level, moderate=level, severe=level,
                      needs_clinical_signoff=needs_clinical_signoff)


def _entries() -> tuple[SideEffect, ...]:
    entries: list[SideEffect] = []

    def common(code: str, name: str, sources: tuple[Source, ...], template: str, note: str = "") -> None:
        entries.append(SideEffect(code, name, Kind.COMMON, sources, severe=_severe_only(template, name), note=note))

    # Red flags first: on a tie in severity the earlier alert is reported, and these are the specific ones.
    entries.append(_always("suicidal_thoughts", "Thoughts of suicide or self-harm", Kind.MOOD, _MOOD,
                           Severity.URGENT, MSG_SUICIDAL))
    entries.append(_always("vision_change", "New visual problem (blurred or changed vision)", Kind.SERIOUS, _EYE,
                           Severity.URGENT, MSG_VISION))
    entries.append(_always("decreased_night_vision", "Worse night vision", Kind.SERIOUS, _EYE,
                           Severity.URGENT, MSG_VISION))
    entries.append(_always("rectal_bleeding", "Rectal bleeding", Kind.SERIOUS, _GUT,
                           Severity.URGENT, MSG_RECTAL_BLEEDING))
    entries.append(SideEffect("abdominal_pain", "Abdominal pain", Kind.SERIOUS, _GUT,
                              moderate=(Severity.WARNING, MSG_ABDOMINAL_MODERATE),
                              severe=(Severity.URGENT, MSG_ABDOMINAL_SEVERE)))
    entries.append(SideEffect("diarrhoea", "Diarrhoea", Kind.SERIOUS, _GUT,
                              moderate=(Severity.WARNING, MSG_DIARRHOEA_MODERATE),
                              severe=(Severity.URGENT, MSG_DIARRHOEA_SEVERE)))
    # The documents name these serious events (hepatitis D1 §5.10, hearing D1 §5.9, skin reactions D3); the
    # same-day review asked for here is the safer reading, a clinic default.
    for code, name, source in (("jaundice", "Yellow skin or eyes (possible hepatitis)", src.US_PI_LIVER),
                               ("hearing_impairment", "Hearing loss", src.US_PI_HEARING),
                               ("severe_skin_reaction", "Severe skin reaction (blistering, peeling or widespread rash)",
                                src.ACCUTANE_2010)):
        entries.append(_always(code, name, Kind.SERIOUS, (source, src.DEFAULT_SERIOUS_EFFECT_ACTIONS), Severity.URGENT,
                               Text.of(MSG_SERIOUS, name=Text.of(name)), needs_clinical_signoff=True))
    entries.append(SideEffect("low_mood", "Low mood", Kind.MOOD, _MOOD,
                              mild=(Severity.WARNING, MSG_LOW_MOOD), moderate=(Severity.WARNING, MSG_LOW_MOOD),
                              severe=(Severity.URGENT, Text.of(MSG_MOOD_SEVERE, name=Text.of(LOW_MOOD)))))
    for code, name in (("anxiety", "Anxiety"), ("mood_changes", "Mood changes or irritability")):
        entries.append(SideEffect(code, name, Kind.MOOD, _MOOD,
                                  mild=(Severity.INFO, Text.of(MSG_MOOD_CHANGE, name=Text.of(name))),
                                  moderate=(Severity.WARNING, Text.of(MSG_MOOD_CHANGE, name=Text.of(name))),
                                  severe=(Severity.URGENT, Text.of(MSG_MOOD_SEVERE, name=Text.of(name.lower())))))
    entries.append(_always("sexual_dysfunction", "Sexual side effects", Kind.MOOD, (src.MHRA_2023, src.MHRA_2025),
                           Severity.WARNING, MSG_SEXUAL_FUNCTION))
    entries.append(SideEffect("headache", "Headache", Kind.COMMON, _PTC,
                              moderate=(Severity.INFO, MSG_HEADACHE_MODERATE),
                              severe=(Severity.WARNING, MSG_HEADACHE_SEVERE)))
    common("nausea_vomiting", "Nausea or vomiting", _COMMON, MSG_SEVERE_COMMON)

    common("cheilitis", "Dry, cracked lips (cheilitis)", _COMMON, MSG_SEVERE_MUCOCUTANEOUS,
           note="So common that its absence suggests underdosing or missed doses.")
    common("xerosis", "Dry skin", _COMMON, MSG_SEVERE_MUCOCUTANEOUS)
    common("dry_mucosa", "Dry nose or mouth", _COMMON, MSG_SEVERE_MUCOCUTANEOUS)
    common("epistaxis", "Nosebleeds", _COMMON, MSG_SEVERE_MUCOCUTANEOUS)
    common("dry_eyes", "Dry eyes", _EYE + _COMMON, MSG_SEVERE_MUCOCUTANEOUS)
    common("contact_lens_intolerance", "Contact lenses uncomfortable", _EYE, MSG_SEVERE_COMMON)
    common("conjunctivitis", "Red, sore eyes (conjunctivitis)", _EYE, MSG_SEVERE_COMMON)
    common("hair_thinning", "Hair thinning", _COMMON, MSG_SEVERE_COMMON)
    common("photosensitivity", "Sunburns easily (photosensitivity)", _COMMON, MSG_SEVERE_COMMON)
    common("myalgia", "Muscle pain", _MSK, MSG_SEVERE_MUSCULOSKELETAL)
    common("arthralgia", "Joint pain", _MSK, MSG_SEVERE_MUSCULOSKELETAL)
    common("back_pain", "Back pain", _MSK, MSG_SEVERE_MUSCULOSKELETAL)
    entries.append(SideEffect("initial_flare", "Acne flare at the start", Kind.COMMON, _COMMON,
                              severe=(Severity.WARNING, MSG_SEVERE_FLARE)))
    common("pyogenic_granuloma", "Bleeding skin lump (pyogenic granuloma)", _COMMON,
           MSG_SEVERE_COMMON)
    common("paronychia", "Nail-fold infection (paronychia)", _COMMON, MSG_SEVERE_COMMON)
    return tuple(entries)


#: Every effect a report may name, keyed by code, red flags first.
CATALOGUE: dict[str, SideEffect] = {e.code: e for e in _entries()}

_VISUAL = frozenset({"vision_change", "decreased_night_vision"})
_PTC_COMPANIONS = _VISUAL | {"nausea_vomiting"}


@dataclass(frozen=True, slots=True)
class ReportedSymptom:
    code: str
    grade: Grade


@dataclass(frozen=True, slots=True)
class SideEffectReport:
    """What one person reported at one time: each symptom once, with its grade."""

    symptoms: tuple[ReportedSymptom, ...]
    date: dt.date | None = None

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for symptom in self.symptoms:
            if symptom.code not in CATALOGUE:
                raise SideEffectInputError(f"symptoms.{symptom.code}", "is not a side effect this system knows")
            if not isinstance(symptom.grade, Grade):
                raise SideEffectInputError(f"symptoms.{symptom.code}", "grade must be mild, moderate or severe")
            if symptom.code in seen:
                raise SideEffectInputError(f"symptoms.{symptom.code}", "is reported twice")
            seen.add(symptom.code)

    @classmethod
    def of(cls, symptoms: Mapping[str, Grade | str], date: dt.date | None = None) -> SideEffectReport:
        """Build a report from ``{code: grade}``, grades as :class:`Grade` or their names."""
        parsed: list[ReportedSymptom] = []
        for code, grade in symptoms.items():
            try:
                parsed.append(ReportedSymptom(code, Grade(grade)))
            except ValueError:
                raise SideEffectInputError(f"symptoms.{code}", "grade must be mild, moderate or severe") from None
        return cls(tuple(parsed), date)

    def grade_of(self, code: str) -> Grade | None:
        return next((s.grade for s in self.symptoms if s.code == code), None)


def evaluate_all(report: SideEffectReport) -> tuple[Alert, ...]:
    """Every alert the report raises, most severe first (the more specific first among equals)."""
    alerts: list[Alert] = []
    codes = {s.code for s in report.symptoms}
    # Pseudotumor cerebri: headache with visual disturbance or nausea/vomiting (D3; D1). The
    # combination is named on its own because it changes the advice (tetracyclines, referral).
    if report.grade_of("headache") == Grade.SEVERE and codes & _PTC_COMPANIONS:
        alerts.append(Alert("possible_pseudotumor_cerebri", Severity.URGENT, MSG_PSEUDOTUMOR,
                            (*_PTC, src.SMPC_ADVERSE), subject="headache"))
    order = list(CATALOGUE)
    for symptom in sorted(report.symptoms, key=lambda s: order.index(s.code)):
        effect = CATALOGUE[symptom.code]
        level = effect.level(symptom.grade)
        if level is None:
            continue
        severity, message = level
        alerts.append(Alert(f"side_effect_{effect.code}", severity, str(message), effect.sources,
                            needs_clinical_signoff=effect.needs_clinical_signoff, subject=effect.code,
                            text=message if isinstance(message, Text) else None))
    return by_severity(alerts)


def evaluate(report: SideEffectReport) -> Alert | None:
    """The single most important alert for a report, or None when nothing needs action."""
    return most_severe(evaluate_all(report))
