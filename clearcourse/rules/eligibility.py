"""Who should get isotretinoin (AAD 2024 indication) and what stands in the way (contraindications).

Pure Python: no Django, no I/O. Every code here keeps its meaning; labels and messages are plain
English and the Django layer translates by code.

Sources (register ``../shared/clinical-sources.md`` sections 1, 2 and 7): the AAD 2024 guideline (D14,
abstract) for the indication; the US label (D1 §1) and the EU/UK SmPC (D8 §4.1-4.2) for their narrower
indications (information only); D1 §4 and §8.2 and D8 §4.3 for the contraindications; D1 §5 and D8 §4.4
for the cautions. What the register has no primary source for is a labelled clinic default.

Inputs and the codes accepted
-----------------------------
- ``failed_therapies``: standard acne therapies that failed after an adequate trial. Enumerated:
  see :data:`THERAPIES` (codes) and :data:`THERAPY_ALIASES` (brand and plain names). Unknown
  entries raise :class:`UnknownCodeError`, because an unrecognised entry must not silently count
  as (or hide) a treatment failure.
- ``conditions`` (medical history): enumerated, see :data:`CONDITIONS` and
  :data:`CONDITION_ALIASES`; unknown entries raise :class:`UnknownCodeError`.
- ``medications`` and ``allergies``: free text (a patient's list holds many unrelated items).
  Each entry is matched by whole words against generic and brand names, so
  ``"Doxycycline hyclate 100 mg"`` and ``"Solodyn"`` both count as tetracycline use.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType

from clearcourse.rules.severity import GagsResult, iga_grade, is_severe
from clearcourse.rules.sources import (
    AAD_2024,
    ACCUTANE_2010,
    DEFAULT_ADEQUATE_TRIAL,
    DEFAULT_CAUTIONS,
    DEFAULT_DIABETES_GLUCOSE,
    DEFAULT_INTERACTIONS,
    DEFAULT_SEVERITY_SCALES,
    DEFAULT_VITAMIN_A_SUPPLEMENTS,
    EMA_2018,
    MHRA_2023,
    SMPC_CONTRAINDICATIONS,
    SMPC_INDICATION,
    SMPC_WARNINGS,
    US_PI_BONE,
    US_PI_HYPERSENSITIVITY,
    US_PI_IBD,
    US_PI_INDICATION,
    US_PI_INTRACRANIAL,
    US_PI_LACTATION,
    US_PI_LIVER,
    US_PI_PREGNANCY,
    US_PI_PSYCHIATRIC,
    Source,
)
from clearcourse.rules.text import Join, Text

ABSOLUTE = "absolute"
RELATIVE = "relative"


class UnknownCodeError(ValueError):
    """An entry of an enumerated list that is not a known code; ``index`` is its position."""

    def __init__(self, kind: str, value: str, index: int) -> None:
        super().__init__(f"{kind}[{index}]: {value!r} is not a known {kind} code")
        self.kind = kind
        self.value = value
        self.index = index


def normalise_code(text: str) -> str:
    """Lower-case, with every run of other characters turned into one underscore."""
    return re.sub(r"[^a-z0-9]+", "_", text.strip().lower()).strip("_")


def _words(text: str) -> tuple[str, ...]:
    return tuple(word for word in normalise_code(text).split("_") if word)


def _contains_phrase(words: tuple[str, ...], phrase: tuple[str, ...]) -> bool:
    size = len(phrase)
    return any(words[i:i + size] == phrase for i in range(len(words) - size + 1))


# --- indication --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Therapy:
    code: str
    label: str
    kind: str  # "oral_antibiotic", "topical", "hormonal" or "unspecified"


@dataclass(frozen=True, slots=True)
class Indication:
    code: str
    text: Text  # the reason as data (rules.text), worded when drawn
    sources: tuple[Source, ...]

    @property
    def reason(self) -> str:
        """The reason in English (the scenario CLI's ``indication_details``)."""
        return str(self.text)


@dataclass(frozen=True, slots=True)
class LabelNote:
    code: str
    text: str
    source: Source


@dataclass(frozen=True, slots=True)
class Eligibility:
    eligible: bool
    indications: tuple[Indication, ...]
    label_notes: tuple[LabelNote, ...]

    @property
    def indication_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.indications)


INDICATION_CODES: tuple[str, ...] = ("severe", "scarring", "psychosocial_burden", "treatment_failure")

THERAPIES: Mapping[str, Therapy] = {t.code: t for t in (
    # Oral antibiotics used for acne.
    Therapy("oral_antibiotic", "oral antibiotic", "oral_antibiotic"),
    Therapy("doxycycline", "doxycycline", "oral_antibiotic"),
    Therapy("minocycline", "minocycline", "oral_antibiotic"),
    Therapy("tetracycline", "tetracycline", "oral_antibiotic"),
    Therapy("lymecycline", "lymecycline", "oral_antibiotic"),
    Therapy("oxytetracycline", "oxytetracycline", "oral_antibiotic"),
    Therapy("sarecycline", "sarecycline", "oral_antibiotic"),
    Therapy("erythromycin", "erythromycin", "oral_antibiotic"),
    Therapy("azithromycin", "azithromycin", "oral_antibiotic"),
    Therapy("trimethoprim", "trimethoprim", "oral_antibiotic"),
    Therapy("trimethoprim_sulfamethoxazole", "trimethoprim-sulfamethoxazole", "oral_antibiotic"),
    Therapy("amoxicillin", "amoxicillin", "oral_antibiotic"),
    Therapy("cefalexin", "cefalexin", "oral_antibiotic"),
    Therapy("antibiotic", "antibiotic (route not given)", "unspecified"),
    # Topical therapy.
    Therapy("topical_therapy", "topical therapy", "topical"),
    Therapy("topical_retinoid", "topical retinoid", "topical"),
    Therapy("tretinoin", "topical tretinoin", "topical"),
    Therapy("adapalene", "adapalene", "topical"),
    Therapy("tazarotene", "tazarotene", "topical"),
    Therapy("trifarotene", "trifarotene", "topical"),
    Therapy("benzoyl_peroxide", "benzoyl peroxide", "topical"),
    Therapy("topical_antibiotic", "topical antibiotic", "topical"),
    Therapy("clindamycin", "topical clindamycin", "topical"),
    Therapy("azelaic_acid", "azelaic acid", "topical"),
    Therapy("dapsone", "topical dapsone", "topical"),
    Therapy("clascoterone", "clascoterone", "topical"),
    Therapy("salicylic_acid", "salicylic acid", "topical"),
    Therapy("adapalene_benzoyl_peroxide", "adapalene with benzoyl peroxide", "topical"),
    Therapy("clindamycin_benzoyl_peroxide", "clindamycin with benzoyl peroxide", "topical"),
    # Hormonal therapy.
    Therapy("hormonal_therapy", "hormonal therapy", "hormonal"),
    Therapy("combined_oral_contraceptive", "combined oral contraceptive", "hormonal"),
    Therapy("spironolactone", "spironolactone", "hormonal"),
    Therapy("cyproterone_ethinylestradiol", "cyproterone acetate with ethinylestradiol", "hormonal"),
)}

THERAPY_ALIASES: Mapping[str, str] = {
    "oral_antibiotics": "oral_antibiotic", "systemic_antibiotic": "oral_antibiotic",
    "systemic_antibiotics": "oral_antibiotic", "antibiotics": "antibiotic",
    "vibramycin": "doxycycline", "doryx": "doxycycline", "acticlate": "doxycycline",
    "oracea": "doxycycline", "targadox": "doxycycline", "monodox": "doxycycline",
    "minocin": "minocycline", "solodyn": "minocycline", "minolira": "minocycline", "ximino": "minocycline",
    "tetralysal": "lymecycline", "seysara": "sarecycline",
    "co_trimoxazole": "trimethoprim_sulfamethoxazole", "cotrimoxazole": "trimethoprim_sulfamethoxazole",
    "bactrim": "trimethoprim_sulfamethoxazole", "tmp_smx": "trimethoprim_sulfamethoxazole",
    "cephalexin": "cefalexin",
    "topical": "topical_therapy", "topicals": "topical_therapy", "topical_therapies": "topical_therapy",
    "topical_retinoids": "topical_retinoid", "retinoid_cream": "topical_retinoid",
    "retin_a": "tretinoin", "differin": "adapalene", "tazorac": "tazarotene", "aklief": "trifarotene",
    "bpo": "benzoyl_peroxide", "topical_antibiotics": "topical_antibiotic",
    "finacea": "azelaic_acid", "aczone": "dapsone", "winlevi": "clascoterone",
    "epiduo": "adapalene_benzoyl_peroxide", "duac": "clindamycin_benzoyl_peroxide",
    "acanya": "clindamycin_benzoyl_peroxide",
    "hormonal": "hormonal_therapy", "combined_pill": "combined_oral_contraceptive",
    "oral_contraceptive": "combined_oral_contraceptive", "coc": "combined_oral_contraceptive",
    "co_cyprindiol": "cyproterone_ethinylestradiol", "dianette": "cyproterone_ethinylestradiol",
}


def normalise_therapy(name: str, index: int = 0) -> Therapy:
    """The standard therapy an entry names (code, alias or brand, any case); else UnknownCodeError."""
    code = normalise_code(name)
    code = THERAPY_ALIASES.get(code, code)
    if code not in THERAPIES:
        raise UnknownCodeError("therapy", name, index)
    return THERAPIES[code]


US_LABEL_NOTE = LabelNote(
    "us_label",
    "US label: severe recalcitrant nodular acne (many nodules of 5 mm or more) in patients 12 years and "
    "older who did not respond to conventional therapy including systemic antibiotics.",
    US_PI_INDICATION,
)
EU_SMPC_NOTE = LabelNote(
    "eu_smpc",
    "EU SmPC: severe acne (nodular, conglobate, or at risk of permanent scarring) resistant to adequate "
    "courses of systemic antibacterials plus topical therapy; prescribed only by physicians experienced "
    "with systemic retinoids.",
    SMPC_INDICATION,
)
LABEL_NOTES: tuple[LabelNote, ...] = (US_LABEL_NOTE, EU_SMPC_NOTE)

SCARRING_REASON = "Acne is causing scarring."
PSYCHOSOCIAL_REASON = "Acne is causing psychosocial burden."
TREATMENT_FAILURE_REASON = "Standard therapy failed after an adequate trial: {therapies}."


# Whole sentences with placeholders, so the pages can show them in the reader's language.
SEVERE_REASON_BOTH = "Severe acne: IGA 4 (severe) and GAGS {score} ({band})."
SEVERE_REASON_IGA = "Severe acne: IGA 4 (severe)."
SEVERE_REASON_GAGS = "Severe acne: GAGS {score} ({band})."


def _severe_reason(iga: int | None, gags: GagsResult | None) -> Text:
    iga_severe = iga is not None and iga_grade(iga).value == 4
    gags_severe = gags is not None and gags.band.code in ("severe", "very_severe")
    if iga_severe and gags_severe:
        assert gags is not None  # noqa: S101 - narrowed above, for the type checker
        return Text.of(SEVERE_REASON_BOTH, score=gags.score, band=Text.of(gags.band.label))
    if gags_severe:
        assert gags is not None  # noqa: S101
        return Text.of(SEVERE_REASON_GAGS, score=gags.score, band=Text.of(gags.band.label))
    return Text.of(SEVERE_REASON_IGA)


def assess_eligibility(*, iga: int | None, gags: GagsResult | None, scarring: bool = False,
                       psychosocial_burden: bool = False,
                       failed_therapies: Sequence[str] = ()) -> Eligibility:
    """The AAD 2024 indication: any one of severe, scarring, psychosocial burden, treatment failure.

    "Severe" is IGA 4 or a GAGS band of severe or very severe. Treatment failure is at least one
    standard (oral or topical) therapy that failed after an adequate trial; the caller asserts the
    trial was adequate (about 8-12 weeks with adherence, a clinic default). The narrower US label and
    EU SmPC indications are returned as information only. Sources: AAD 2024 (D14); US label (D1 §1);
    SmPC (D8 §4.1-4.2).
    """
    therapies = [normalise_therapy(name, i) for i, name in enumerate(failed_therapies)]
    found: list[Indication] = []
    if is_severe(iga=iga, gags_band_code=gags.band.code if gags else None):
        found.append(Indication("severe", _severe_reason(iga, gags), (AAD_2024, DEFAULT_SEVERITY_SCALES)))
    if scarring:
        found.append(Indication("scarring", Text.of(SCARRING_REASON), (AAD_2024,)))
    if psychosocial_burden:
        found.append(Indication("psychosocial_burden", Text.of(PSYCHOSOCIAL_REASON), (AAD_2024,)))
    if therapies:
        labels = Join(tuple(Text.of(label) for label in dict.fromkeys(t.label for t in therapies)))
        found.append(Indication("treatment_failure", Text.of(TREATMENT_FAILURE_REASON, therapies=labels),
                                (AAD_2024, DEFAULT_ADEQUATE_TRIAL)))
    return Eligibility(eligible=bool(found), indications=tuple(found), label_notes=LABEL_NOTES)


# --- contraindications and cautions ------------------------------------------------------------


#: Regions whose documents list contraindications differently (register section 2: "store per region").
US = "us"  # the US label (D1): pregnancy and hypersensitivity only; tetracyclines "avoid" (a warning)
EU_UK = "eu_uk"  # the harmonised EU/UK SmPC (D8 §4.3)
REGIONS: tuple[str, ...] = (US, EU_UK)
REGION_OF_FAMILY: Mapping[str, str] = {"us-ipledge": US, "eu-ppp": EU_UK, "uk-mhra": EU_UK}
REGION_LABELS: Mapping[str, str] = {
    US: "US prescribing information",
    EU_UK: "EU/UK Summary of Product Characteristics",
}


def region_of(program: str | None) -> str | None:
    """The region of a program family or pinned version (``uk-mhra-2026`` -> ``eu_uk``); None if unknown."""
    if not program:
        return None
    for family, region in REGION_OF_FAMILY.items():
        if program == family or program.startswith(family + "-"):
            return region
    return None


@dataclass(frozen=True, slots=True)
class Reading:
    """How one region's document lists a contraindication: its severity, message and sources."""

    severity: str
    message: str
    sources: tuple[Source, ...]


@dataclass(frozen=True, slots=True)
class ContraindicationRule:
    """One contraindication or caution. ``severity``/``message``/``sources`` are the reading used when the
    region is not known: the strictest of the regions' readings. ``regional`` holds a region's own reading
    where its document differs."""

    code: str
    severity: str
    message: str
    sources: tuple[Source, ...]
    regional: Mapping[str, Reading] = field(default_factory=dict)

    def reading(self, region: str | None) -> Reading:
        found = self.regional.get(region) if region else None
        return found or Reading(self.severity, self.message, self.sources)


@dataclass(frozen=True, slots=True)
class Contraindication:
    code: str
    severity: str
    message: str
    sources: tuple[Source, ...]
    matched: tuple[str, ...]  # the input entries that triggered it (empty for a yes/no input)


# OPEN QUESTION: no register document was read on vitamin A supplements (the SmPC contraindicates
# hypervitaminosis A). The safer reading, a clinic default: concurrent vitamin A supplements are absolute
# (stop the supplement, then start), pending sign-off.
_EU_ONLY = ("Not a contraindication in the US label, which lists only pregnancy and hypersensitivity; the "
            "EU/UK SmPC contraindicates it. Use with caution.")
RULES: tuple[ContraindicationRule, ...] = (
    ContraindicationRule("pregnancy", ABSOLUTE,
                         "Isotretinoin is contraindicated in pregnancy (boxed warning: severe birth defects).",
                         (US_PI_PREGNANCY, SMPC_CONTRAINDICATIONS)),
    # US label §8.2: not recommended during treatment and for at least 8 days after the last dose; the
    # EU/UK SmPC §4.3 contraindicates it.
    ContraindicationRule("breastfeeding", ABSOLUTE,
                         "Isotretinoin is contraindicated while breastfeeding in the EU/UK SmPC; the US label "
                         "says breastfeeding is not recommended during treatment and for at least 8 days after "
                         "the last dose.", (SMPC_CONTRAINDICATIONS, US_PI_LACTATION),
                         MappingProxyType({
                             US: Reading(RELATIVE, "Breastfeeding is not recommended during treatment and for at "
                                         "least 8 days after the last dose.", (US_PI_LACTATION,)),
                             EU_UK: Reading(ABSOLUTE, "Isotretinoin is contraindicated while breastfeeding.",
                                            (SMPC_CONTRAINDICATIONS,)),
                         })),
    ContraindicationRule("isotretinoin_hypersensitivity", ABSOLUTE,
                         "Hypersensitivity to isotretinoin or any ingredient is a contraindication.",
                         (US_PI_HYPERSENSITIVITY, SMPC_CONTRAINDICATIONS)),
    # The US label names vitamin A in its hypersensitivity contraindication; the SmPC's wording (isotretinoin
    # or an excipient) does not, so outside the US it is a caution for the prescriber to judge.
    ContraindicationRule("vitamin_a_hypersensitivity", ABSOLUTE,
                         "Hypersensitivity to vitamin A is a contraindication in the US label.",
                         (US_PI_HYPERSENSITIVITY,),
                         MappingProxyType({
                             US: Reading(ABSOLUTE, "Hypersensitivity to vitamin A is a contraindication in the US "
                                         "label.", (US_PI_HYPERSENSITIVITY,)),
                             EU_UK: Reading(RELATIVE, "Hypersensitivity to vitamin A: the EU/UK SmPC names "
                                            "hypersensitivity to isotretinoin or an excipient, and the US label "
                                            "names vitamin A too. Use with caution.",
                                            (SMPC_CONTRAINDICATIONS, US_PI_HYPERSENSITIVITY)),
                         })),
    ContraindicationRule("tetracycline_use", ABSOLUTE,
                         "Tetracyclines raise the risk of pseudotumor cerebri (benign intracranial "
                         "hypertension) with isotretinoin: contraindicated together in the EU/UK SmPC; "
                         "the US label says to avoid the combination.", (SMPC_CONTRAINDICATIONS, US_PI_INTRACRANIAL),
                         MappingProxyType({
                             US: Reading(RELATIVE, "Avoid tetracyclines with isotretinoin: together they raise the "
                                         "risk of pseudotumor cerebri (benign intracranial hypertension). A "
                                         "warning in the US label, not a contraindication.", (US_PI_INTRACRANIAL,)),
                             EU_UK: Reading(ABSOLUTE, "Tetracyclines are contraindicated with isotretinoin (risk of "
                                            "benign intracranial hypertension).", (SMPC_CONTRAINDICATIONS,)),
                         })),
    ContraindicationRule("vitamin_a_supplement", ABSOLUTE,
                         "Vitamin A supplements add to isotretinoin's toxicity (hypervitaminosis A); "
                         "stop them before starting.", (DEFAULT_VITAMIN_A_SUPPLEMENTS,)),
    # Soya and peanut: the SmPC contraindicates them for products containing soya-bean oil; the US label's
    # contraindication is hypersensitivity to any component, so it depends on the chosen product.
    ContraindicationRule("soy_allergy", ABSOLUTE,
                         "EU/UK SmPCs of products containing soya-bean oil contraindicate isotretinoin in soya "
                         "allergy; check the chosen product's ingredients.", (SMPC_CONTRAINDICATIONS,),
                         MappingProxyType({
                             US: Reading(RELATIVE, "Soya allergy: a contraindication if the chosen product contains "
                                         "soybean oil (hypersensitivity to any component); check the product's "
                                         "ingredients.", (US_PI_HYPERSENSITIVITY,)),
                         })),
    ContraindicationRule("peanut_allergy", ABSOLUTE,
                         "EU/UK SmPCs of products containing soya-bean oil contraindicate isotretinoin in peanut "
                         "allergy; check the chosen product's ingredients.", (SMPC_CONTRAINDICATIONS,),
                         MappingProxyType({
                             US: Reading(RELATIVE, "Peanut allergy: the EU/UK SmPC contraindicates it for products "
                                         "containing soya-bean oil; the US label's contraindication is "
                                         "hypersensitivity to any component. Check the chosen product's "
                                         "ingredients.", (US_PI_HYPERSENSITIVITY, SMPC_CONTRAINDICATIONS)),
                         })),
    ContraindicationRule("hepatic_insufficiency", ABSOLUTE,
                         "Hepatic insufficiency is a contraindication in the EU/UK SmPC.", (SMPC_CONTRAINDICATIONS,),
                         MappingProxyType({US: Reading(RELATIVE, "Hepatic insufficiency: " + _EU_ONLY,
                                                       (SMPC_CONTRAINDICATIONS, US_PI_LIVER))})),
    ContraindicationRule("uncontrolled_hyperlipidaemia", ABSOLUTE,
                         "Excessively high blood lipids are a contraindication in the EU/UK SmPC.",
                         (SMPC_CONTRAINDICATIONS,),
                         MappingProxyType({US: Reading(RELATIVE, "Excessively high blood lipids: " + _EU_ONLY,
                                                       (SMPC_CONTRAINDICATIONS, ACCUTANE_2010))})),
    ContraindicationRule("hypervitaminosis_a", ABSOLUTE,
                         "Hypervitaminosis A is a contraindication in the EU/UK SmPC.", (SMPC_CONTRAINDICATIONS,),
                         MappingProxyType({US: Reading(RELATIVE, "Hypervitaminosis A: " + _EU_ONLY,
                                                       (SMPC_CONTRAINDICATIONS,))})),
    ContraindicationRule("paraben_allergy", RELATIVE,
                         "Some isotretinoin capsules have contained parabens as a preservative; check the "
                         "chosen product's excipients.", (US_PI_HYPERSENSITIVITY, SMPC_CONTRAINDICATIONS)),
    ContraindicationRule("st_johns_wort", RELATIVE,
                         "St John's wort lowers the effect of hormonal contraceptives, implants included; "
                         "patients relying on hormonal contraception should not take it.", (DEFAULT_INTERACTIONS,)),
    ContraindicationRule("systemic_corticosteroid", RELATIVE,
                         "Systemic corticosteroids may add to isotretinoin's effects on bone.",
                         (US_PI_BONE, DEFAULT_INTERACTIONS)),
    ContraindicationRule("anticonvulsant", RELATIVE,
                         "Isotretinoin may lower carbamazepine or phenytoin levels, and anticonvulsants may "
                         "add to effects on bone.", (US_PI_BONE, DEFAULT_INTERACTIONS)),
    ContraindicationRule("depression", RELATIVE,
                         "History of depression: neuropsychiatric warning; assess mood before and during "
                         "treatment.", (US_PI_PSYCHIATRIC, EMA_2018, MHRA_2023)),
    ContraindicationRule("psychiatric_history", RELATIVE,
                         "History of psychiatric illness: neuropsychiatric warning; assess mood before and "
                         "during treatment.", (US_PI_PSYCHIATRIC, EMA_2018, MHRA_2023)),
    ContraindicationRule("inflammatory_bowel_disease", RELATIVE,
                         "Inflammatory bowel disease is listed among the label's adverse events; stop for "
                         "severe abdominal pain, rectal bleeding or severe diarrhoea.",
                         (US_PI_IBD,)),
    ContraindicationRule("diabetes", RELATIVE,
                         "Diabetes: check lipids more often and consider blood-glucose checks.",
                         (SMPC_WARNINGS, DEFAULT_DIABETES_GLUCOSE)),
    ContraindicationRule("obesity", RELATIVE, "Obesity: check lipids more often.",
                         (SMPC_WARNINGS,)),
    ContraindicationRule("alcohol_misuse", RELATIVE, "Alcohol misuse: check lipids and liver tests more often.",
                         (SMPC_WARNINGS,)),
    ContraindicationRule("lipid_disorder", RELATIVE, "Lipid disorder: check lipids more often.",
                         (SMPC_WARNINGS,)),
    ContraindicationRule("osteoporosis", RELATIVE,
                         "Osteoporosis: isotretinoin has been linked to hyperostosis and bone changes; use "
                         "with caution.", (US_PI_BONE,)),
    ContraindicationRule("bone_disease", RELATIVE,
                         "Bone disease: isotretinoin has been linked to hyperostosis and premature epiphyseal "
                         "closure; use with caution.", (US_PI_BONE,)),
    ContraindicationRule("eating_disorder", RELATIVE, "Eating disorder: use with caution.",
                         (DEFAULT_CAUTIONS,)),
)
RULES_BY_CODE: Mapping[str, ContraindicationRule] = {rule.code: rule for rule in RULES}
CONTRAINDICATION_CODES: tuple[str, ...] = tuple(rule.code for rule in RULES)

# Medical history codes accepted in ``conditions``: every rule code except those that come only from
# medication or allergy lists, plus plain aliases.
_MEDICATION_OR_ALLERGY_ONLY = frozenset({"tetracycline_use", "vitamin_a_supplement", "soy_allergy",
                                         "vitamin_a_hypersensitivity",
                                         "peanut_allergy", "paraben_allergy", "st_johns_wort",
                                         "systemic_corticosteroid", "anticonvulsant"})
CONDITIONS: tuple[str, ...] = tuple(code for code in CONTRAINDICATION_CODES
                                    if code not in _MEDICATION_OR_ALLERGY_ONLY)
CONDITION_ALIASES: Mapping[str, str] = {
    "pregnant": "pregnancy", "lactation": "breastfeeding", "breast_feeding": "breastfeeding",
    "isotretinoin_allergy": "isotretinoin_hypersensitivity",
    "hepatic_impairment": "hepatic_insufficiency", "liver_insufficiency": "hepatic_insufficiency",
    "liver_failure": "hepatic_insufficiency", "hepatic_failure": "hepatic_insufficiency",
    "uncontrolled_hyperlipidemia": "uncontrolled_hyperlipidaemia",
    "excessively_high_lipids": "uncontrolled_hyperlipidaemia",
    "hyperlipidaemia": "lipid_disorder", "hyperlipidemia": "lipid_disorder", "dyslipidaemia": "lipid_disorder",
    "dyslipidemia": "lipid_disorder", "hypertriglyceridaemia": "lipid_disorder",
    "hypertriglyceridemia": "lipid_disorder",
    "psychiatric_illness": "psychiatric_history", "mental_illness": "psychiatric_history",
    "ibd": "inflammatory_bowel_disease", "crohns_disease": "inflammatory_bowel_disease",
    "crohn_s_disease": "inflammatory_bowel_disease", "ulcerative_colitis": "inflammatory_bowel_disease",
    "diabetes_mellitus": "diabetes", "type_1_diabetes": "diabetes", "type_2_diabetes": "diabetes",
    "alcohol_use_disorder": "alcohol_misuse", "alcoholism": "alcohol_misuse",
    "osteopenia": "bone_disease", "anorexia_nervosa": "eating_disorder", "bulimia_nervosa": "eating_disorder",
}

# Whole-word phrases matched in free-text medication entries (generic and brand names).
MEDICATION_PHRASES: Mapping[str, tuple[str, ...]] = {
    "tetracycline_use": (
        "doxycycline", "vibramycin", "doryx", "acticlate", "oracea", "targadox", "monodox", "periostat",
        "efracea", "minocycline", "minocin", "solodyn", "minolira", "ximino", "dynacin", "tetracycline",
        "sumycin", "achromycin", "lymecycline", "tetralysal", "oxytetracycline", "terramycin",
        "demeclocycline", "declomycin", "sarecycline", "seysara", "omadacycline", "chlortetracycline",
        "tigecycline", "eravacycline",
    ),
    "vitamin_a_supplement": ("vitamin a", "retinyl palmitate", "retinyl acetate", "cod liver oil"),
    "st_johns_wort": ("st john s wort", "st johns wort", "saint john s wort", "saint johns wort", "hypericum"),
    "systemic_corticosteroid": ("prednisone", "prednisolone", "methylprednisolone", "dexamethasone",
                                "deflazacort"),
    "anticonvulsant": ("carbamazepine", "phenytoin"),
}
ALLERGY_PHRASES: Mapping[str, tuple[str, ...]] = {
    "isotretinoin_hypersensitivity": ("isotretinoin", "accutane", "roaccutane", "absorica", "amnesteem",
                                      "claravis", "myorisan", "zenatane", "sotret", "oratane"),
    "vitamin_a_hypersensitivity": ("vitamin a", "retinol", "retinyl palmitate", "retinyl acetate"),
    "soy_allergy": ("soy", "soya", "soybean", "soybeans", "soya bean", "soy bean", "soy lecithin"),
    "peanut_allergy": ("peanut", "peanuts", "groundnut", "groundnuts", "arachis"),
    "paraben_allergy": ("paraben", "parabens", "methylparaben", "propylparaben", "ethylparaben",
                        "butylparaben"),
}


def normalise_condition(name: str, index: int = 0) -> str:
    """The condition code an entry names (code or alias, any case); else UnknownCodeError."""
    code = normalise_code(name)
    code = CONDITION_ALIASES.get(code, code)
    if code not in CONDITIONS:
        raise UnknownCodeError("condition", name, index)
    return code


def match_free_text(entries: Iterable[str], phrases: Mapping[str, tuple[str, ...]]) -> dict[str, list[str]]:
    """Codes whose phrases occur as whole words in an entry -> the entries that matched."""
    found: dict[str, list[str]] = {}
    for entry in entries:
        words = _words(entry)
        for code, options in phrases.items():
            if any(_contains_phrase(words, _words(option)) for option in options):
                found.setdefault(code, []).append(entry)
    return found


def find_contraindications(*, pregnant: bool = False, breastfeeding: bool = False,
                           medications: Sequence[str] = (), allergies: Sequence[str] = (),
                           conditions: Sequence[str] = (), region: str | None = None) -> tuple[Contraindication, ...]:
    """Contraindications (absolute) and cautions (relative), in the fixed order of :data:`RULES`, as the
    documents of ``region`` (:data:`US` or :data:`EU_UK`, from the clinic's program family) list them;
    with no region, the strictest reading of the two.

    Sources: US label D1 §4.1-4.2 (pregnancy; hypersensitivity, vitamin A and any component included),
    §8.2 (breastfeeding: not recommended during treatment and for at least 8 days after) and its
    intracranial-hypertension warning ("avoid" tetracyclines); EU/UK SmPC D8 §4.3 (pregnancy,
    breastfeeding, hypersensitivity, soya/peanut for products with soya-bean oil, hepatic insufficiency,
    excessively high lipids, hypervitaminosis A, tetracyclines) and §4.4 (risk groups); D1 §5 for the
    cautions. Vitamin A supplements, St John's wort and eating disorders have no register row: clinic
    defaults.
    """
    if region is not None and region not in REGIONS:
        raise ValueError(f"{region!r} is not a region ({', '.join(REGIONS)})")
    triggered: dict[str, list[str]] = {}
    if pregnant:
        triggered.setdefault("pregnancy", [])
    if breastfeeding:
        triggered.setdefault("breastfeeding", [])
    for code, entries in match_free_text(medications, MEDICATION_PHRASES).items():
        triggered.setdefault(code, []).extend(entries)
    for code, entries in match_free_text(allergies, ALLERGY_PHRASES).items():
        triggered.setdefault(code, []).extend(entries)
    for index, entry in enumerate(conditions):
        triggered.setdefault(normalise_condition(entry, index), []).append(entry)
    found = []
    for rule in RULES:
        if rule.code not in triggered:
            continue
        reading = rule.reading(region)
        found.append(Contraindication(code=rule.code, severity=reading.severity, message=reading.message,
                                      sources=reading.sources, matched=tuple(dict.fromkeys(triggered[rule.code]))))
    return tuple(found)


def region_list(region: str) -> tuple[tuple[str, Reading], ...]:
    """Every contraindication and caution as ``region``'s documents list them (code, reading), absolute
    first: what the assessment page shows for the clinic's program family."""
    readings = [(rule.code, rule.reading(region)) for rule in RULES]
    return tuple(sorted(readings, key=lambda item: item[1].severity != ABSOLUTE))


def has_absolute(contraindications: Iterable[Contraindication]) -> bool:
    """True when any contraindication is absolute (treatment must not start as things stand)."""
    return any(item.severity == ABSOLUTE for item in contraindications)
