"""The comprehension question bank, one set per program family, in English and German.

Patients who can get pregnant answer comprehension questions before each fill (iPLEDGE; the monthly
cadence is a clinic default); under the EU/UK PPP the patient must understand the teratogenic risk and
the monthly follow-up. Each question states a fact of a register document (``../shared/clinical-sources.md``),
named in ``sources``.

OPEN QUESTION: the official iPLEDGE wording, the number of questions and what happens after a wrong
answer were not retrieved; neither were the EU/UK checklists' exact wording. These questions are
ClearCourse's own, written from the register's documents.

Pass rule (:data:`PASS_RULE`): EVERY question answered correctly (100 %). That is the safer reading: a
patient who gets one teratogenicity fact wrong is counselled again and may retake the questions at once
(an attempt is a record; the latest attempt counts). Do not relax it without the program's own rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from clearcourse.rules import sources as src
from clearcourse.rules.sources import Source

LANGUAGES = ("en", "de")

#: The pass rule shown to users and applied by :func:`score`.
PASS_RULE = {
    "en": "All questions must be answered correctly. A patient may retake the questions after counselling.",
    "de": "Alle Fragen müssen richtig beantwortet werden. Nach erneuter Beratung kann der Fragebogen "
          "wiederholt werden.",
}


@dataclass(frozen=True, slots=True)
class Option:
    id: str
    text: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    text: Mapping[str, str]
    options: tuple[Option, ...]
    correct: str  # the id of the correct option
    sources: tuple[Source, ...]  # the register documents the answer comes from

    def text_in(self, language: str) -> str:
        return self.text.get(language) or self.text["en"]


def _q(qid: str, en: str, de: str, options: list[tuple[str, str, str]], correct: str,
       sources: tuple[Source, ...]) -> Question:
    opts = tuple(Option(oid, MappingProxyType({"en": o_en, "de": o_de})) for oid, o_en, o_de in options)
    if correct not in {o.id for o in opts}:  # pragma: no cover - a data error caught at import
        raise ValueError(f"question {qid}: correct option {correct!r} is not an option")
    return Question(qid, MappingProxyType({"en": en, "de": de}), opts, correct, sources)


# --- questions shared by every program ----------------------------------------------------------

BIRTH_DEFECTS = _q(
    "birth_defects",
    "What can happen if you become pregnant while taking isotretinoin?",
    "Was kann passieren, wenn Sie während der Einnahme von Isotretinoin schwanger werden?",
    [("a", "Nothing, as long as the dose is low.", "Nichts, solange die Dosis niedrig ist."),
     ("b", "The baby can have severe birth defects.", "Das Kind kann schwere Fehlbildungen haben."),
     ("c", "Only the acne gets worse.", "Nur die Akne wird schlimmer.")],
    "b", (src.US_PI_PREGNANCY, src.EMA_2018),
)
SUSPECTED_PREGNANCY = _q(
    "suspected_pregnancy",
    "What must you do if you think you might be pregnant during treatment?",
    "Was müssen Sie tun, wenn Sie während der Behandlung vermuten, schwanger zu sein?",
    [("a", "Stop taking isotretinoin at once and contact your prescriber.",
      "Isotretinoin sofort absetzen und Ihre verschreibende Ärztin oder Ihren Arzt kontaktieren."),
     ("b", "Keep taking it and mention it at the next monthly visit.",
      "Weiter einnehmen und es beim nächsten Monatstermin erwähnen."),
     ("c", "Halve the dose until the next test.", "Die Dosis bis zum nächsten Test halbieren.")],
    "a", (src.US_PI_EMBRYO_FETAL,),
)
NEVER_SHARE = _q(
    "never_share",
    "May you give some of your isotretinoin capsules to a friend with acne?",
    "Dürfen Sie einer Freundin oder einem Freund mit Akne einige Ihrer Isotretinoin-Kapseln geben?",
    [("a", "Yes, if they are older than 18.", "Ja, wenn die Person über 18 ist."),
     ("b", "Yes, if they take the same dose.", "Ja, wenn die Person dieselbe Dosis nimmt."),
     ("c", "No, never share isotretinoin.", "Nein, Isotretinoin darf niemals weitergegeben werden.")],
    "c", (src.SMPC_WARNINGS,),
)
BLOOD_DONATION = _q(
    "blood_donation",
    "When may you donate blood?",
    "Wann dürfen Sie Blut spenden?",
    [("a", "At any time during treatment.", "Jederzeit während der Behandlung."),
     ("b", "Not during treatment and not for 1 month after the last dose.",
      "Nicht während der Behandlung und nicht bis 1 Monat nach der letzten Dosis."),
     ("c", "Only on days without a capsule.", "Nur an Tagen ohne Kapsel.")],
    "b", (src.US_PI_EMBRYO_FETAL, src.SMPC_WARNINGS, src.FDA_BLOOD_DONATION),
)
PROGESTIN_ONLY = _q(
    "progestin_only_pill",
    "Does a progestin-only pill (\"minipill\") count as contraception during isotretinoin treatment?",
    "Zählt eine reine Gestagenpille („Minipille“) während der Isotretinoin-Behandlung als Verhütung?",
    [("a", "Yes, it is a primary method.", "Ja, sie ist eine Hauptmethode."),
     ("b", "No, it is not considered effective enough.", "Nein, sie gilt als nicht ausreichend wirksam."),
     ("c", "Yes, if it is taken with a condom.", "Ja, wenn zusätzlich ein Kondom benutzt wird.")],
    "b", (src.DEFAULT_US_METHODS, src.DEFAULT_EU_METHODS),
)

# --- US iPLEDGE ------------------------------------------------------------------------------------

US_TWO_METHODS = _q(
    "us_two_methods",
    "How many forms of contraception must you use together, unless you commit to abstinence?",
    "Wie viele Verhütungsmethoden müssen Sie gleichzeitig anwenden, wenn Sie nicht auf Geschlechtsverkehr "
    "verzichten?",
    [("a", "One form is enough.", "Eine Methode genügt."),
     ("b", "Two forms together, at least one of them a primary (highly effective) method.",
      "Zwei Methoden gleichzeitig, davon mindestens eine Hauptmethode (hochwirksam)."),
     ("c", "Two condoms.", "Zwei Kondome.")],
    "b", (src.US_PI_REPRODUCTIVE, src.DEFAULT_US_METHODS),
)
US_CONTRACEPTION_PERIOD = _q(
    "us_contraception_period",
    "For how long must you use your two forms of contraception?",
    "Wie lange müssen Sie Ihre beiden Verhütungsmethoden anwenden?",
    [("a", "Only on the days you take a capsule.", "Nur an den Tagen, an denen Sie eine Kapsel nehmen."),
     ("b", "From 1 month before the first dose, during the whole course (even during a pause), and for 1 "
           "month after the last dose.",
      "Ab 1 Monat vor der ersten Dosis, während der ganzen Behandlung (auch in Pausen) und bis 1 Monat nach "
      "der letzten Dosis."),
     ("c", "From the first dose until the last dose.", "Von der ersten bis zur letzten Dosis.")],
    "b", (src.US_PI_REPRODUCTIVE,),
)
US_WINDOW = _q(
    "us_window",
    "Your pregnancy test specimen was collected on a Monday. When must you pick up the prescription?",
    "Die Probe für Ihren Schwangerschaftstest wurde an einem Montag abgenommen. Bis wann müssen Sie das "
    "Rezept einlösen?",
    [("a", "Within 7 days, counting the Monday as day 1 (by Sunday).",
      "Innerhalb von 7 Tagen, der Montag zählt als Tag 1 (also bis Sonntag)."),
     ("b", "Within 30 days of the office visit.", "Innerhalb von 30 Tagen nach dem Arzttermin."),
     ("c", "Whenever it suits you this month.", "Irgendwann in diesem Monat.")],
    "a", (src.FDA_IPLEDGE_2026, src.DEFAULT_WINDOW_START),
)
US_SUPPLY = _q(
    "us_supply",
    "How much isotretinoin can one prescription give you?",
    "Wie viel Isotretinoin kann ein Rezept höchstens umfassen?",
    [("a", "A 90-day supply with refills.", "Einen Vorrat für 90 Tage mit Wiederholungen."),
     ("b", "At most a 30-day supply, with no refills.", "Höchstens einen Vorrat für 30 Tage, ohne Wiederholung."),
     ("c", "As much as the pharmacy has.", "So viel, wie die Apotheke vorrätig hat.")],
    "b", (src.DEFAULT_US_SUPPLY,),
)
US_MONTHLY_TEST = _q(
    "us_monthly_test",
    "When do you need a negative pregnancy test?",
    "Wann brauchen Sie einen negativen Schwangerschaftstest?",
    [("a", "Only once, before the first prescription.", "Nur einmal, vor dem ersten Rezept."),
     ("b", "Before the first prescription, before every new prescription during treatment, and after "
           "treatment ends.",
      "Vor dem ersten Rezept, vor jedem neuen Rezept während der Behandlung und nach dem Ende der "
      "Behandlung."),
     ("c", "Only if you miss a period.", "Nur wenn die Regelblutung ausbleibt.")],
    "b", (src.US_PI_REPRODUCTIVE, src.ABSORICA_LAB_TESTS),
)

# --- EU and UK Pregnancy Prevention Programme ---------------------------------------------------

EU_CONTRACEPTION = _q(
    "eu_contraception",
    "Which contraception does the Pregnancy Prevention Programme ask for?",
    "Welche Verhütung verlangt das Schwangerschaftsverhütungsprogramm?",
    [("a", "At least one highly effective method, preferably two complementary methods including a barrier "
           "method.",
      "Mindestens eine hochwirksame Methode, besser zwei sich ergänzende Methoden einschließlich einer "
      "Barrieremethode."),
     ("b", "A barrier method alone is enough.", "Eine Barrieremethode allein genügt."),
     ("c", "None, if you have no period.", "Keine, wenn Sie keine Regelblutung haben.")],
    "a", (src.SMPC_WARNINGS, src.DEFAULT_EU_METHODS),
)
EU_CONTRACEPTION_PERIOD = _q(
    "eu_contraception_period",
    "For how long must contraception be used without interruption?",
    "Wie lange muss ohne Unterbrechung verhütet werden?",
    [("a", "From 1 month before treatment, throughout treatment, and for 1 month after it ends.",
      "Ab 1 Monat vor der Behandlung, während der gesamten Behandlung und bis 1 Monat nach ihrem Ende."),
     ("b", "Only during the first month of treatment.", "Nur im ersten Behandlungsmonat."),
     ("c", "Only while you are sexually active.", "Nur solange Sie sexuell aktiv sind.")],
    "a", (src.SMPC_WARNINGS,),
)
EU_NOT_ACTIVE = _q(
    "eu_not_active",
    "You have no periods at the moment, or you are not sexually active. Do the contraception rules apply?",
    "Sie haben zurzeit keine Regelblutung oder sind nicht sexuell aktiv. Gelten die Verhütungsregeln?",
    [("a", "No, they never apply then.", "Nein, dann gelten sie nie."),
     ("b", "Yes, unless your prescriber has compelling reasons to judge that there is no risk of pregnancy.",
      "Ja, außer Ihre Ärztin oder Ihr Arzt hat zwingende Gründe, ein Schwangerschaftsrisiko auszuschließen."),
     ("c", "Only in the first month.", "Nur im ersten Monat.")],
    "b", (src.SMPC_WARNINGS,),
)
EU_TESTS = _q(
    "eu_tests",
    "When are pregnancy tests done?",
    "Wann werden Schwangerschaftstests gemacht?",
    [("a", "Within 3 days before starting, every month during treatment, and 5 weeks after stopping.",
      "Innerhalb von 3 Tagen vor Beginn, jeden Monat während der Behandlung und 5 Wochen nach dem Ende."),
     ("b", "Only once, before starting.", "Nur einmal, vor Beginn."),
     ("c", "Only at the end of treatment.", "Nur am Ende der Behandlung.")],
    "a", (src.MHRA_2019, src.DEFAULT_POST_TREATMENT_TEST),
)
EU_SUPPLY = _q(
    "eu_supply",
    "How many days of treatment can one prescription cover?",
    "Für wie viele Behandlungstage kann ein Rezept höchstens ausgestellt werden?",
    [("a", "Up to 30 days.", "Bis zu 30 Tage."),
     ("b", "Up to 6 months.", "Bis zu 6 Monate."),
     ("c", "The whole course.", "Die ganze Behandlung.")],
    "a", (src.MHRA_2019, src.SMPC_WARNINGS),
)

# --- UK MHRA (adds the 2023 measures that remain in force in 2026) -------------------------------

UK_MOOD = _q(
    "uk_mood",
    "What should you do if you notice changes in your mood, or in your sexual function, during treatment?",
    "Was sollten Sie tun, wenn Sie während der Behandlung Veränderungen Ihrer Stimmung oder Ihrer sexuellen "
    "Funktion bemerken?",
    [("a", "Tell your prescriber; mental health and sexual function are checked before and during "
           "treatment.",
      "Es Ihrer Ärztin oder Ihrem Arzt sagen; psychische Gesundheit und sexuelle Funktion werden vor und "
      "während der Behandlung überprüft."),
     ("b", "Nothing; these changes are never related to isotretinoin.",
      "Nichts; solche Veränderungen hängen nie mit Isotretinoin zusammen."),
     ("c", "Double the dose to finish sooner.", "Die Dosis verdoppeln, um früher fertig zu sein.")],
    "a", (src.MHRA_2023, src.MHRA_2025),
)
UK_FORM = _q(
    "uk_form",
    "What do you and your prescriber sign before you start?",
    "Was unterschreiben Sie und Ihre Ärztin oder Ihr Arzt vor Beginn der Behandlung?",
    [("a", "Nothing is signed.", "Es wird nichts unterschrieben."),
     ("b", "The MHRA Acknowledgement of Risk Form.", "Das Formular der MHRA zur Bestätigung der Risiken "
      "(Acknowledgement of Risk Form)."),
     ("c", "Only a pharmacy receipt.", "Nur einen Apothekenbeleg.")],
    "b", (src.MHRA_2023, src.MHRA_2026),
)

BANK: Mapping[str, tuple[Question, ...]] = MappingProxyType({
    "us-ipledge": (BIRTH_DEFECTS, US_TWO_METHODS, US_CONTRACEPTION_PERIOD, PROGESTIN_ONLY, US_WINDOW,
                   US_SUPPLY, US_MONTHLY_TEST, SUSPECTED_PREGNANCY, NEVER_SHARE, BLOOD_DONATION),
    "eu-ppp": (BIRTH_DEFECTS, EU_CONTRACEPTION, EU_CONTRACEPTION_PERIOD, EU_NOT_ACTIVE, PROGESTIN_ONLY,
               EU_TESTS, EU_SUPPLY, SUSPECTED_PREGNANCY, NEVER_SHARE),
    "uk-mhra": (BIRTH_DEFECTS, EU_CONTRACEPTION, EU_CONTRACEPTION_PERIOD, EU_NOT_ACTIVE, EU_TESTS, EU_SUPPLY,
                SUSPECTED_PREGNANCY, NEVER_SHARE, UK_MOOD, UK_FORM),
})


def family_of(program: str) -> str:
    """``us-ipledge-2026`` -> ``us-ipledge``; a family stays itself."""
    for family in BANK:
        if program == family or program.startswith(family + "-"):
            return family
    raise KeyError(program)


def questions_for(program: str) -> tuple[Question, ...]:
    return BANK[family_of(program)]


@dataclass(frozen=True, slots=True)
class Score:
    correct: int
    total: int

    @property
    def passed(self) -> bool:
        """The pass rule: every question right (see the module docstring)."""
        return self.total > 0 and self.correct == self.total


def score(program: str, answers: Mapping[str, str]) -> Score:
    """Count correct answers; an unanswered question counts as wrong."""
    questions = questions_for(program)
    correct = sum(1 for q in questions if answers.get(q.id) == q.correct)
    return Score(correct=correct, total=len(questions))
