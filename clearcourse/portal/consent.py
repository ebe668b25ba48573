"""Versioned consent and acknowledgement-of-risk texts, in English and German.

The wording is data, not a gettext catalogue: what a patient signed must never change under them
when a translator edits a ``.po`` file. Each text is identified by a version id
(``CONSENT_VERSION/program/category/language``) and its SHA-256; a change of wording needs a new
``CONSENT_VERSION``, and signatures keep the old text they were given.

Every risk statement restates facts of the fact sheet (``shared/clinical-rules.md``) and names its
sources; nothing here is a clinical rule of its own. Facts used (fact sheet sections):
- birth defects, never share, no blood donation for 1 month after (1.6 boxed warning, 1.9);
- contraception from 1 month before to 1 month after; US: two methods together, one primary, or
  committed abstinence; EU/UK (SmPC §4.4, since 2018): at least one highly effective user-independent
  method, or two complementary user-dependent methods, without interruption (1.5, 6.1);
- pregnancy tests before, monthly, and after treatment (US: 1 month after; UK BNF: 5 weeks after)
  (1.6, 6.1; open question #10 keeps both by program); stop at once if pregnant (1.6);
- no breastfeeding during and for 1 month after (1.9, 5.3);
- neuropsychiatric warning: depression, anxiety, mood changes; consent names suicidal ideation (1.7,
  4.1); UK: sexual function assessed and monitored (4.1, 6.2);
- serious effects: pseudotumor cerebri, vision, pancreatitis/IBD, hepatitis, hearing, severe skin
  reactions (4.2); tetracyclines and vitamin A supplements are avoided (4.4);
- common effects, sun, no waxing/dermabrasion/laser for 6 months (1.9, 4.3);
- labs before and during treatment, 30-day supply without refills (1.3, 3.3, 6.1);
- UK, MHRA 22 Jan 2026 (D12): the Acknowledgement of Risk Form's items: the prescriber has confirmed the
  indication and that no other appropriate effective treatment is suitable, and the patient may ask for a
  second opinion.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from clearcourse.rules import sources as src
from clearcourse.rules.sources import Source

#: Bump when any wording below changes (a new version; old signatures keep their text).
CONSENT_VERSION = "2026-12-07"
LANGUAGES = ("en", "de")
FAMILIES = ("us-ipledge", "eu-ppp", "uk-mhra")


@dataclass(frozen=True, slots=True)
class ConsentRisk:
    code: str
    statement: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class ConsentDocument:
    version_id: str
    language: str
    program: str
    can_get_pregnant: bool
    title: str
    paragraphs: tuple[str, ...]
    risks: tuple[ConsentRisk, ...]
    closing: str

    @property
    def version_date(self) -> dt.date:
        """The day this wording was written (the first part of :attr:`version_id`)."""
        return dt.date.fromisoformat(self.version_id.split("/", 1)[0])

    @property
    def text(self) -> str:
        """The exact text signed: title, paragraphs, the numbered risks and the closing, one per block."""
        blocks = [self.title, *self.paragraphs]
        blocks += [f"{n}. {risk.statement}" for n, risk in enumerate(self.risks, start=1)]
        blocks.append(self.closing)
        return "\n\n".join(blocks)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def risk_codes(self) -> tuple[str, ...]:
        return tuple(r.code for r in self.risks)


def family_of(program: str) -> str:
    """The program family of a family code or a pinned version id (``us-ipledge-2026`` -> ``us-ipledge``)."""
    for family in FAMILIES:
        if program == family or program.startswith(family + "-"):
            return family
    raise ValueError(f"{program!r} is not a program")


# --- the wording ----------------------------------------------------------------------------------
# Keys: (code, language). Program- and category-specific sentences are chosen in consent_document.

_TITLE = {
    "en": "Consent to isotretinoin treatment and acknowledgement of risk",
    "de": "Einwilligung in die Behandlung mit Isotretinoin und Bestätigung der Risikoaufklärung",
}
_INTRO = {
    "en": ("I have talked with my dermatologist about treating my acne with isotretinoin, and I have been able "
           "to ask questions. I have read the page \"Is isotretinoin right for me?\". It supports this talk and "
           "does not replace it."),
    "de": ("Ich habe mit meiner Hautärztin oder meinem Hautarzt über die Behandlung meiner Akne mit Isotretinoin "
           "gesprochen und konnte Fragen stellen. Ich habe die Seite „Ist Isotretinoin das Richtige für mich?“ "
           "gelesen. Sie unterstützt dieses Gespräch und ersetzt es nicht."),
}
_INTRO_RISKS = {
    "en": "By ticking each statement and signing, I confirm that I understand it and will follow it:",
    "de": "Mit dem Ankreuzen jeder Aussage und meiner Unterschrift bestätige ich, dass ich sie verstanden habe "
          "und mich daran halte:",
}
_CLOSING = {
    "en": ("I agree to be treated with isotretinoin under these conditions. I can withdraw my consent at any "
           "time by telling my dermatologist."),
    "de": ("Ich willige ein, unter diesen Bedingungen mit Isotretinoin behandelt zu werden. Ich kann meine "
           "Einwilligung jederzeit widerrufen, indem ich es meiner Hautärztin oder meinem Hautarzt sage."),
}

_PERSONAL = {
    "en": ("Isotretinoin can cause severe birth defects. It is prescribed for me alone: I will never give it to "
           "anyone else, and I will not donate blood while I take it and for 1 month after my last dose."),
    "de": ("Isotretinoin kann schwere Fehlbildungen beim ungeborenen Kind verursachen. Es ist nur für mich "
           "verschrieben: Ich gebe es niemals an andere weiter und spende während der Einnahme und 1 Monat "
           "nach der letzten Dosis kein Blut."),
}
_PREGNANCY_US = {
    "en": ("I must not become pregnant while I take isotretinoin and for 1 month after my last dose, and I will "
           "not breastfeed in that time. I will use two forms of contraception together, at least one of them a "
           "primary (highly effective) method, from at least 1 month before my first dose until 1 month after my "
           "last dose, even during a break; or I commit to no heterosexual intercourse for that whole time. "
           "Progestin-only \"minipills\" do not count. I will confirm my contraception every month and have "
           "pregnancy tests before treatment, every month, and 1 month after my last dose. If I think I may be "
           "pregnant, I will stop isotretinoin at once and contact my dermatologist."),
    "de": ("Ich darf während der Einnahme und 1 Monat nach der letzten Dosis nicht schwanger werden und stille in "
           "dieser Zeit nicht. Ich verwende zwei Verhütungsmethoden gleichzeitig, davon mindestens eine "
           "hochwirksame (primäre) Methode, ab mindestens 1 Monat vor der ersten Dosis bis 1 Monat nach der "
           "letzten Dosis, auch während einer Pause; oder ich verpflichte mich, in dieser ganzen Zeit auf "
           "heterosexuellen Geschlechtsverkehr zu verzichten. Reine Gestagen-Pillen („Minipille“) zählen nicht. "
           "Ich bestätige meine Verhütung jeden Monat und mache Schwangerschaftstests vor der Behandlung, jeden "
           "Monat und 1 Monat nach der letzten Dosis. Wenn ich vermute, schwanger zu sein, setze ich "
           "Isotretinoin sofort ab und melde mich bei meiner Hautärztin oder meinem Hautarzt."),
}
_PREGNANCY_PPP = {
    "en": ("I must not become pregnant while I take isotretinoin and for 1 month after my last dose, and I will "
           "not breastfeed in that time. I will use effective contraception without interruption from 1 month "
           "before my first dose until 1 month after my last dose: at least one highly effective method that does "
           "not depend on me (such as an IUD or an implant), or two complementary methods that do depend on me "
           "(such as the combined pill with a condom). This applies even if I have no "
           "periods, and even if I am not sexually active unless my dermatologist has judged that there is no "
           "risk. Progestogen-only pills and barrier methods alone do not count. "
           "I will have a pregnancy test before I start, every month, and 5 weeks after I stop. If I think I may "
           "be pregnant, I will stop isotretinoin at once and contact my dermatologist."),
    "de": ("Ich darf während der Einnahme und 1 Monat nach der letzten Dosis nicht schwanger werden und stille in "
           "dieser Zeit nicht. Ich verhüte ohne Unterbrechung wirksam von 1 Monat vor der ersten Dosis bis "
           "1 Monat nach der letzten Dosis: mit mindestens einer hochwirksamen Methode, die nicht von meiner "
           "Anwendung abhängt (etwa einer Spirale oder einem Implantat), oder mit zwei sich ergänzenden Methoden, "
           "die von meiner Anwendung abhängen (etwa der kombinierten Pille zusammen mit einem Kondom). Das gilt "
           "auch, wenn ich keine "
           "Regelblutung habe, und auch, wenn ich nicht sexuell aktiv bin, es sei denn, meine Hautärztin oder "
           "mein Hautarzt hat beurteilt, dass kein Risiko besteht. Reine Gestagen-Pillen und Barrieremethoden allein "
           "zählen nicht. Ich mache einen Schwangerschaftstest vor Beginn, jeden Monat und 5 Wochen nach dem "
           "Absetzen. Wenn ich vermute, schwanger zu sein, setze ich Isotretinoin sofort ab und melde mich bei "
           "meiner Hautärztin oder meinem Hautarzt."),
}
_MOOD = {
    "en": ("Depression, anxiety, mood changes and thoughts of suicide have been reported with isotretinoin; a "
           "causal link has not been shown. I will answer the mood questions when asked and tell my "
           "dermatologist at once if I feel low, and I will seek urgent help if I have thoughts of harming "
           "myself."),
    "de": ("Unter Isotretinoin wurden Depressionen, Angst, Stimmungsschwankungen und Suizidgedanken berichtet; "
           "ein ursächlicher Zusammenhang ist nicht nachgewiesen. Ich beantworte die Fragen zur Stimmung, wenn ich "
           "darum gebeten werde, sage meiner Hautärztin oder meinem Hautarzt sofort Bescheid, wenn es mir "
           "schlecht geht, und hole mir sofort Hilfe, wenn ich Gedanken habe, mir etwas anzutun."),
}
_SEXUAL_UK = {
    "en": ("Isotretinoin may affect sexual function. My dermatologist assesses my mental health and sexual "
           "function before I start and monitors them during treatment, and I will report changes."),
    "de": ("Isotretinoin kann die sexuelle Funktion beeinträchtigen. Meine Hautärztin oder mein Hautarzt "
           "beurteilt meine psychische Gesundheit und meine sexuelle Funktion vor Beginn und überwacht sie "
           "während der Behandlung; ich melde Veränderungen."),
}
# UK, MHRA 22 Jan 2026 (D12): the new Acknowledgement of Risk Form. The prescriber confirms the indication and
# that no other appropriate effective treatment exists; the patient confirms they understand the indication and
# knows they may seek a second opinion.
_UK_INDICATION = {
    "en": ("I understand why isotretinoin is prescribed for me: my dermatologist has confirmed that my acne needs "
           "it and that no other appropriate effective treatment is suitable for me."),
    "de": ("Ich verstehe, warum mir Isotretinoin verschrieben wird: Meine Hautärztin oder mein Hautarzt hat "
           "bestätigt, dass meine Akne es erfordert und dass keine andere geeignete wirksame Behandlung für mich "
           "in Frage kommt."),
}
_UK_SECOND_OPINION = {
    "en": ("I have been told that I may ask for a second opinion from another prescriber before I start "
           "isotretinoin."),
    "de": ("Mir wurde gesagt, dass ich vor Beginn der Behandlung mit Isotretinoin eine zweite Meinung bei einer "
           "anderen verordnenden Ärztin oder einem anderen verordnenden Arzt einholen kann."),
}
_SERIOUS = {
    "en": ("Rare but serious side effects can occur: raised pressure in the skull (severe headache with vision "
           "changes or vomiting), vision problems including worse night vision, inflammation of the pancreas or "
           "the bowel (severe abdominal pain, rectal bleeding, severe diarrhoea), liver problems (yellow skin or "
           "eyes), hearing loss and severe skin reactions. I will report any of these to my dermatologist the "
           "same day. I will not take tetracycline antibiotics or vitamin A supplements during treatment."),
    "de": ("Seltene, aber schwere Nebenwirkungen sind möglich: erhöhter Druck im Schädel (starke Kopfschmerzen mit "
           "Sehstörungen oder Erbrechen), Sehstörungen einschließlich schlechteren Sehens in der Dämmerung, "
           "Entzündung der Bauchspeicheldrüse oder des Darms (starke Bauchschmerzen, Blut im Stuhl, starker "
           "Durchfall), Leberprobleme (gelbe Haut oder Augen), Hörverlust und schwere Hautreaktionen. Ich melde "
           "solche Beschwerden noch am selben Tag meiner Hautärztin oder meinem Hautarzt. Während der Behandlung "
           "nehme ich keine Tetracyclin-Antibiotika und keine Vitamin-A-Präparate ein."),
}
_COMMON = {
    "en": ("Dry lips, dry skin, dry eyes, nosebleeds and muscle or joint pain are common and depend on the dose, "
           "and the acne may flare at the start. My skin burns more easily in the sun. I will avoid waxing, "
           "dermabrasion and laser treatments during treatment and for 6 months after."),
    "de": ("Trockene Lippen, trockene Haut, trockene Augen, Nasenbluten sowie Muskel- oder Gelenkschmerzen sind "
           "häufig und hängen von der Dosis ab; zu Beginn kann sich die Akne vorübergehend verschlechtern. Meine "
           "Haut bekommt leichter Sonnenbrand. Während der Behandlung und 6 Monate danach verzichte ich auf "
           "Wachsenthaarung, Dermabrasion und Laserbehandlungen."),
}
_SUPERVISION = {
    "en": ("My treatment is supervised. I will have blood tests (liver tests and blood fats) before and during "
           "treatment and see my dermatologist as agreed."),
    "de": ("Meine Behandlung wird ärztlich überwacht. Ich lasse vor und während der Behandlung Blutuntersuchungen "
           "(Leberwerte und Blutfette) machen und nehme die vereinbarten Termine bei meiner Hautärztin oder "
           "meinem Hautarzt wahr."),
}
_SUPPLY = {
    "en": " Each prescription covers at most 30 days and has no refills.",
    "de": " Jedes Rezept reicht für höchstens 30 Tage und kann nicht wiederholt eingelöst werden.",
}


def consent_document(*, program: str, can_get_pregnant: bool, language: str) -> ConsentDocument:
    """The consent text for a program family, the patient's risk category and a language (en/de)."""
    if language not in LANGUAGES:
        raise ValueError(f"{language!r} is not a consent language")
    family = family_of(program)
    lang = language
    risks: list[ConsentRisk] = [
        ConsentRisk("personal_use", _PERSONAL[lang],
                    (src.US_PI_PREGNANCY, src.US_PI_EMBRYO_FETAL, src.SMPC_WARNINGS, src.FDA_BLOOD_DONATION)),
    ]
    if can_get_pregnant:
        if family == "us-ipledge":
            risks.append(ConsentRisk("pregnancy", _PREGNANCY_US[lang],
                                     (src.US_PI_REPRODUCTIVE, src.US_PI_LACTATION, src.US_PI_EMBRYO_FETAL,
                                      src.DEFAULT_US_METHODS)))
        else:
            risks.append(ConsentRisk("pregnancy", _PREGNANCY_PPP[lang],
                                     (src.EMA_2018, src.SMPC_WARNINGS, src.SMPC_CONTRAINDICATIONS, src.MHRA_2019,
                                      src.DEFAULT_EU_METHODS, src.DEFAULT_POST_TREATMENT_TEST)))
    risks.append(ConsentRisk("mood", _MOOD[lang], (src.US_PI_PSYCHIATRIC, src.EMA_2018, src.DEFAULT_MOOD_TOOL)))
    if family == "uk-mhra":
        risks.append(ConsentRisk("sexual_function", _SEXUAL_UK[lang], (src.MHRA_2023, src.MHRA_2025)))
        risks.append(ConsentRisk("uk_indication", _UK_INDICATION[lang], (src.MHRA_2026,)))
        risks.append(ConsentRisk("uk_second_opinion", _UK_SECOND_OPINION[lang], (src.MHRA_2026,)))
    risks.append(ConsentRisk("serious_effects", _SERIOUS[lang],
                             (src.US_PI_INTRACRANIAL, src.SMPC_ADVERSE, src.US_PI_IBD, src.US_PI_PANCREATITIS,
                              src.US_PI_LIVER, src.US_PI_HEARING, src.ACCUTANE_2010, src.SMPC_CONTRAINDICATIONS,
                              src.DEFAULT_VITAMIN_A_SUPPLEMENTS)))
    risks.append(ConsentRisk("common_effects", _COMMON[lang],
                             (src.DEFAULT_COMMON_EFFECTS, src.US_PI_BONE, src.DEFAULT_SKIN_CARE)))
    # iPLEDGE limits every patient's supply; the PPP limits it for patients who can get pregnant (1.3, 6.1).
    supply = family == "us-ipledge" or can_get_pregnant
    risks.append(ConsentRisk("supervision", _SUPERVISION[lang] + (_SUPPLY[lang] if supply else ""),
                             (src.SMPC_WARNINGS, src.ABSORICA_BASELINE_TESTS,
                              src.DEFAULT_US_SUPPLY if family == "us-ipledge" else src.SMPC_WARNINGS)))
    category = "can" if can_get_pregnant else "cannot"
    return ConsentDocument(
        version_id=f"{CONSENT_VERSION}/{family}/{category}/{lang}",
        language=lang, program=family, can_get_pregnant=can_get_pregnant, title=_TITLE[lang],
        paragraphs=(_INTRO[lang], _INTRO_RISKS[lang]), risks=tuple(risks), closing=_CLOSING[lang],
    )


def consent_document_by_version(version_id: str) -> ConsentDocument:
    """The document a version id names (only the current wording version exists so far)."""
    try:
        version, family, category, language = version_id.split("/")
    except ValueError:
        raise ValueError(f"{version_id!r} is not a consent version id") from None
    if version != CONSENT_VERSION or category not in ("can", "cannot"):
        raise ValueError(f"{version_id!r} is not a consent version id")
    return consent_document(program=family, can_get_pregnant=category == "can", language=language)
