"""Medicines that matter with isotretinoin: warnings at prescription time, with reasons and sources.

Sources (register ``../shared/clinical-sources.md`` sections 2 and 7):
- Tetracyclines raise the risk of pseudotumor cerebri: contraindicated together in the EU/UK SmPC
  (D8 §4.3); the US label says to avoid them (D1, intracranial hypertension).
- Progestin-only "minipills" are not acceptable contraception on isotretinoin (the scenario contract's
  method list; the iPLEDGE Prescriber Guide's list was not retrieved: a clinic default).
- Systemic corticosteroids and anticonvulsants: isotretinoin's own bone effects are in D1 §5.12; the
  combination is a clinic default.
- Vitamin A supplements, St John's wort, carbamazepine/phenytoin levels and drying topicals have no
  register row: clinic defaults, labelled so.

Names are matched case-insensitively, as whole words, against generic and common brand names, so
"Doxycycline hyclate 100 mg" and "SOLODYN ER" are both found. A name this module does not know
raises no warning: the list is a safety net, not a formulary.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from clearcourse.rules import sources as src
from clearcourse.rules.monitoring import Alert, Severity, by_severity
from clearcourse.rules.sources import Source
from clearcourse.rules.text import Text


class DrugClass(StrEnum):
    TETRACYCLINE = "tetracycline"
    VITAMIN_A = "vitamin_a"
    MULTIVITAMIN = "multivitamin"
    ST_JOHNS_WORT = "st_johns_wort"
    HORMONAL_CONTRACEPTIVE = "hormonal_contraceptive"
    PROGESTIN_ONLY_PILL = "progestin_only_pill"
    SYSTEMIC_CORTICOSTEROID = "systemic_corticosteroid"
    ANTICONVULSANT = "anticonvulsant"
    LEVEL_LOWERED = "level_lowered"  # carbamazepine, phenytoin
    DRYING_TOPICAL = "drying_topical"


@dataclass(frozen=True, slots=True)
class Ingredient:
    name: str  # the generic name, lower case
    classes: frozenset[DrugClass]
    aliases: tuple[str, ...] = ()  # brand names and other spellings


def _ing(name: str, *classes: DrugClass, aliases: tuple[str, ...] = ()) -> Ingredient:
    return Ingredient(name, frozenset(classes), aliases)


_T, _VA, _SJW = DrugClass.TETRACYCLINE, DrugClass.VITAMIN_A, DrugClass.ST_JOHNS_WORT
_HC, _POP = DrugClass.HORMONAL_CONTRACEPTIVE, DrugClass.PROGESTIN_ONLY_PILL
_CS, _AC, _LVL, _DRY = (DrugClass.SYSTEMIC_CORTICOSTEROID, DrugClass.ANTICONVULSANT, DrugClass.LEVEL_LOWERED,
                        DrugClass.DRYING_TOPICAL)

INGREDIENTS: tuple[Ingredient, ...] = (
    # Tetracyclines (the class is what the SmPC names).
    _ing("doxycycline", _T, aliases=("vibramycin", "vibra tabs", "doryx", "acticlate", "oracea", "periostat",
                                     "targadox", "efracea", "monodox", "adoxa")),
    _ing("minocycline", _T, aliases=("minocin", "solodyn", "minolira", "ximino", "dynacin", "amzeeq", "zilxi")),
    _ing("tetracycline", _T, aliases=("sumycin",)),
    _ing("oxytetracycline", _T),
    _ing("lymecycline", _T, aliases=("tetralysal",)),
    _ing("demeclocycline", _T, aliases=("declomycin",)),
    _ing("sarecycline", _T, aliases=("seysara",)),
    _ing("omadacycline", _T, aliases=("nuzyra",)),
    _ing("tigecycline", _T, aliases=("tygacil",)),
    _ing("eravacycline", _T, aliases=("xerava",)),
    # Vitamin A taken as a supplement (preformed vitamin A).
    _ing("vitamin a", _VA, aliases=("retinol", "retinyl palmitate", "retinyl acetate", "cod liver oil")),
    _ing("multivitamin", DrugClass.MULTIVITAMIN, aliases=("multivitamins", "multi vitamin", "multi vitamins")),
    _ing("st johns wort", _SJW, aliases=("saint johns wort", "st john s wort", "hypericum", "hypericum perforatum",
                                         "johanniskraut")),
    # Hormonal contraceptives: only needed to spot St John's wort taken alongside them.
    _ing("ethinylestradiol", _HC, aliases=("ethinyl estradiol", "ethinyloestradiol", "ethinyl oestradiol")),
    _ing("estetrol", _HC),
    _ing("levonorgestrel", _HC, aliases=("mirena", "kyleena", "jaydess", "skyla", "liletta", "microgynon",
                                         "rigevidon", "levest")),
    _ing("etonogestrel", _HC, aliases=("nexplanon", "implanon", "nuvaring")),
    _ing("medroxyprogesterone", _HC, aliases=("depo provera", "sayana press")),
    _ing("norelgestromin", _HC, aliases=("evra", "xulane")),
    _ing("drospirenone", _HC, aliases=("yasmin", "yaz")),
    _ing("norgestimate", _HC),
    _ing("gestodene", _HC),
    _ing("dienogest", _HC),
    _ing("norethisterone", _HC, aliases=("norethindrone",)),
    _ing("desogestrel", _HC),
    # Progestin-only pills, named as products so a combined pill is never mistaken for one.
    _ing("progestin-only pill", _HC, _POP,
         aliases=("progestin only pill", "progestogen only pill", "progesterone only pill", "minipill", "mini pill",
                  "cerazette", "cerelle", "hana", "lovima", "feanolla", "zelleta", "noriday", "norgeston",
                  "micronor", "camila", "errin", "heather", "jencycla", "nora be", "slynd", "opill")),
    # Systemic corticosteroids. Hydrocortisone and betamethasone are left out: the name alone does not
    # say whether the form is systemic, and most uses are topical.
    _ing("prednisone", _CS, aliases=("deltasone", "rayos")),
    _ing("prednisolone", _CS),
    _ing("methylprednisolone", _CS, aliases=("medrol", "solu medrol", "depo medrol")),
    _ing("dexamethasone", _CS),
    _ing("deflazacort", _CS, aliases=("emflaza",)),
    # Anticonvulsants.
    _ing("carbamazepine", _AC, _LVL, aliases=("tegretol", "carbatrol", "equetro")),
    _ing("phenytoin", _AC, _LVL, aliases=("dilantin", "epanutin")),
    _ing("fosphenytoin", _AC, _LVL, aliases=("cerebyx",)),
    _ing("oxcarbazepine", _AC, aliases=("trileptal",)),
    _ing("valproate", _AC, aliases=("valproic acid", "sodium valproate", "divalproex", "depakote", "epilim")),
    _ing("lamotrigine", _AC, aliases=("lamictal",)),
    _ing("levetiracetam", _AC, aliases=("keppra",)),
    _ing("topiramate", _AC, aliases=("topamax",)),
    _ing("phenobarbital", _AC, aliases=("phenobarbitone",)),
    _ing("primidone", _AC, aliases=("mysoline",)),
    _ing("lacosamide", _AC, aliases=("vimpat",)),
    _ing("zonisamide", _AC, aliases=("zonegran",)),
    _ing("ethosuximide", _AC, aliases=("zarontin",)),
    # Drying topicals (topical retinoids, exfoliants).
    _ing("tretinoin", _DRY, aliases=("retin a", "retin-a", "altreno")),
    _ing("adapalene", _DRY, aliases=("differin", "epiduo")),
    _ing("tazarotene", _DRY, aliases=("tazorac", "zorac", "arazlo")),
    _ing("trifarotene", _DRY, aliases=("aklief",)),
    _ing("benzoyl peroxide", _DRY, aliases=("duac", "acnecide", "panoxyl")),
    _ing("salicylic acid", _DRY),
    _ing("glycolic acid", _DRY),
)


def normalise_name(text: str) -> str:
    """Lower case, accents and apostrophes dropped, every other non-alphanumeric made a space."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii").lower()
    folded = re.sub(r"['`\u2019]", "", folded)
    return " ".join(re.sub(r"[^a-z0-9]+", " ", folded).split())


_ALIASES: tuple[tuple[str, Ingredient], ...] = tuple(
    sorted(((normalise_name(alias), ing) for ing in INGREDIENTS for alias in (ing.name, *ing.aliases)),
           key=lambda pair: -len(pair[0]))
)


def ingredients_in(medication: str) -> tuple[Ingredient, ...]:
    """The known ingredients a medication name contains (generic or brand, whole words, any case)."""
    text = f" {normalise_name(medication)} "
    found: list[Ingredient] = []
    for alias, ingredient in _ALIASES:
        if f" {alias} " in text and ingredient not in found:
            found.append(ingredient)
    return tuple(found)


def classes_of(medication: str) -> frozenset[DrugClass]:
    return frozenset(c for ing in ingredients_in(medication) for c in ing.classes)


MSG_TETRACYCLINE = ("{medication} is a tetracycline: together with isotretinoin it raises the risk of pseudotumor "
                    "cerebri. Contraindicated in the EU/UK SmPC and avoided in the US; stop it before starting.")
MSG_VITAMIN_A = ("{medication} contains vitamin A: added to isotretinoin it can cause vitamin A toxicity "
                 "(hypervitaminosis A). Avoid vitamin A supplements.")
MSG_MULTIVITAMIN = ("{medication}: check the label for vitamin A; vitamin A supplements should be avoided with "
                    "isotretinoin.")
MSG_SJW_WITH_HORMONAL = ("St John's wort ({medication}) lowers the effect of hormonal contraception, implants "
                         "included; unplanned pregnancies have been reported. A patient relying on hormonal "
                         "contraception must not take it.")
MSG_SJW = ("St John's wort ({medication}) lowers the effect of hormonal contraception. Do not rely on hormonal "
           "contraception while taking it.")
THE_POP = "The progestin-only pill"
MSG_POP = ("{medication} is a progestin-only pill: it is not acceptable contraception on isotretinoin (pills "
           "without estrogen may not work).")
MSG_CORTICOSTEROID = ("{medication} is a systemic corticosteroid: possible added effects on bone with "
                      "isotretinoin.")
MSG_ANTICONVULSANT = "{medication} is an anticonvulsant: possible added effects on bone with isotretinoin."
MSG_LEVELS = ("{medication}: isotretinoin may lower carbamazepine or phenytoin levels; consider checking them. "
              "Anticonvulsants may also add to bone effects.")
MSG_DRYING_TOPICAL = ("{medication} is a drying topical; such products are usually stopped during isotretinoin "
                      "(clinic default).")

#: Contraception method codes (scenario contract) that are hormonal.
HORMONAL_METHODS = frozenset({"iud_hormonal", "implant", "injection", "combined_pill", "patch", "vaginal_ring",
                              "progestin_only_pill"})

_TETRA_SOURCES = (src.SMPC_CONTRAINDICATIONS, src.US_PI_INTRACRANIAL)
_VITA_SOURCES = (src.DEFAULT_VITAMIN_A_SUPPLEMENTS,)
_SJW_SOURCES = (src.DEFAULT_INTERACTIONS,)
_POP_SOURCES = (src.DEFAULT_US_METHODS, src.DEFAULT_EU_METHODS)
_BONE_SOURCES = (src.US_PI_BONE, src.DEFAULT_INTERACTIONS)


def check_interactions(
    medications: Iterable[str],
    *,
    contraception_methods: Iterable[str] = (),
    can_get_pregnant: bool | None = None,
) -> tuple[Alert, ...]:
    """Warnings for a medication list at prescription time, most severe first.

    - A tetracycline: urgent (contraindicated EU/UK, avoided US).
    - Vitamin A: warning; a multivitamin: info (check its label for vitamin A).
    - St John's wort: urgent when hormonal contraception is in use (a hormonal method code, or a
      hormonal contraceptive on the list); otherwise a warning unless the patient cannot get pregnant.
    - A progestin-only pill, on the list or as a method code: warning (not acceptable contraception).
    - Systemic corticosteroid or anticonvulsant: info (bone); carbamazepine/phenytoin: info (levels).
    - Drying topicals: info (a clinic default).
    ``subject`` of each alert is the medication as written (or the method code).
    """
    meds = [m for m in medications if isinstance(m, str) and m.strip()]
    methods = {m.strip().lower() for m in contraception_methods}
    per_med = [(med, classes_of(med)) for med in meds]
    hormonal_in_use = bool(methods & HORMONAL_METHODS) or any(_HC in classes for _, classes in per_med)

    alerts: list[Alert] = []
    for med, classes in per_med:
        label = med.strip()
        if _T in classes:
            alerts.append(Alert.of("tetracycline", Severity.URGENT, Text.of(MSG_TETRACYCLINE, medication=label),
                                _TETRA_SOURCES, subject=label))
        if _VA in classes:
            alerts.append(Alert.of("vitamin_a_supplement", Severity.WARNING, Text.of(MSG_VITAMIN_A, medication=label),
                                _VITA_SOURCES, subject=label))
        elif DrugClass.MULTIVITAMIN in classes:
            # Multivitamins often carry vitamin A; the sources name supplements, so this only prompts a check.
            alerts.append(Alert.of("multivitamin_check_vitamin_a", Severity.INFO,
                                   Text.of(MSG_MULTIVITAMIN, medication=label), _VITA_SOURCES, subject=label))
        if _SJW in classes:
            if hormonal_in_use:
                alerts.append(Alert.of("st_johns_wort_hormonal_contraception", Severity.URGENT,
                                       Text.of(MSG_SJW_WITH_HORMONAL, medication=label), _SJW_SOURCES,
                                       subject=label))
            elif can_get_pregnant is not False:
                alerts.append(Alert.of("st_johns_wort", Severity.WARNING, Text.of(MSG_SJW, medication=label),
                                    _SJW_SOURCES, subject=label))
        if _POP in classes:
            alerts.append(Alert.of("progestin_only_pill", Severity.WARNING, Text.of(MSG_POP, medication=label),
                                _POP_SOURCES, subject=label))
        if _CS in classes:
            alerts.append(Alert.of("corticosteroid_bone", Severity.INFO, Text.of(MSG_CORTICOSTEROID, medication=label),
                                _BONE_SOURCES, subject=label))
        if _LVL in classes:
            alerts.append(Alert.of("anticonvulsant_levels", Severity.INFO, Text.of(MSG_LEVELS, medication=label),
                                _BONE_SOURCES, subject=label))
        elif _AC in classes:
            alerts.append(Alert.of("anticonvulsant_bone", Severity.INFO, Text.of(MSG_ANTICONVULSANT, medication=label),
                                _BONE_SOURCES, subject=label))
        if _DRY in classes:
            alerts.append(Alert.of("drying_topical", Severity.INFO, Text.of(MSG_DRYING_TOPICAL, medication=label),
                                (src.DEFAULT_INTERACTIONS,), needs_clinical_signoff=True, subject=label))
    if "progestin_only_pill" in methods and not any(a.code == "progestin_only_pill" for a in alerts):
        alerts.append(Alert.of("progestin_only_pill", Severity.WARNING, Text.of(MSG_POP, medication=Text.of(THE_POP)),
                               _POP_SOURCES, subject="progestin_only_pill"))
    # OPEN QUESTION: enzyme-inducing anticonvulsants (carbamazepine, phenytoin, ...)
    # also weaken hormonal contraception, but the register does not say so; no warning is coded.
    return by_severity(alerts)


@dataclass(frozen=True, slots=True)
class InteractionRule:
    """A row of the table the pages show: which class, how severe, why, and on whose word."""

    drug_class: DrugClass
    severity: Severity
    reason: str
    sources: tuple[Source, ...]


RULES: tuple[InteractionRule, ...] = (
    InteractionRule(_T, Severity.URGENT, "Pseudotumor cerebri; contraindicated EU/UK, avoided US", _TETRA_SOURCES),
    InteractionRule(_VA, Severity.WARNING, "Additive vitamin A toxicity", _VITA_SOURCES),
    InteractionRule(_SJW, Severity.URGENT, "Lowers hormonal contraception, implants included", _SJW_SOURCES),
    InteractionRule(_POP, Severity.WARNING, "Not acceptable contraception on isotretinoin", _POP_SOURCES),
    InteractionRule(_CS, Severity.INFO, "Possible added bone effects", _BONE_SOURCES),
    InteractionRule(_AC, Severity.INFO, "Possible added bone effects; carbamazepine/phenytoin levels may fall",
                    _BONE_SOURCES),
    InteractionRule(_DRY, Severity.INFO, "Usually stopped (clinic default)", (src.DEFAULT_INTERACTIONS,)),
)
