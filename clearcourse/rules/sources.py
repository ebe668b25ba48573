"""What every clinical rule rests on: a section of a primary document, or a labelled clinic default.

The documents are the register in ``../shared/clinical-sources.md`` (D1..D16), and nothing else: US
labels by DailyMed set id, the FDA REMS pages, the EMA 2018 referral and the harmonised EU/UK SmPC,
the MHRA Drug Safety Updates, the AAD 2024 guideline by DOI and the BNF. Each :class:`Document` keeps
the register's key, issuer, title, version and official address; copies and summary sites are never
stored here, so they can never be shown.

A rule cites a :class:`Source`: one document plus the section it comes from (``D1 §8.3``), or, where
the register has no primary source, a *clinic default* that says so ("Clinic default: no published
threshold") and carries no web address. Two more kinds are not clinical claims at all and are labelled
as what they are: a *physiological limit* (a plausibility bound on input, for the plausibility table)
and the *ClearCourse record* (a refusal because of what the clinic itself recorded, such as a voided
prescription).

Every source has a stable ``key`` (``"D1-8.3"``, ``"default-tg-levels"``); reasons, alerts and stored
answers refer to a source by that key, and :func:`by_key` / :func:`resolve` turn it back into the source.
Keys never change meaning; a corrected citation gets a new key. :func:`resolve` also reads the keys and
citation strings written before this register existed (``LEGACY``), so an old record shows a register
document or a clinic default, never the page it once named.

Texts here are English; the Django layer translates a document's issuer, title and version, a source's
topic and a default's label by msgid (``portal.i18n_scan`` lists them for the catalogue).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any


class Kind(StrEnum):
    """What kind of authority a source is; pages show it next to the source."""

    REGULATOR = "regulator"  # an FDA/EMA/MHRA/HSA text: a label, a REMS page, a referral, a Drug Safety Update
    GUIDELINE = "guideline"  # a professional society's guideline (AAD 2024)
    REFERENCE = "reference"  # a compiled reference, not a regulator (the BNF)
    CLINIC_DEFAULT = "clinic_default"  # no primary source: a value the clinic may change
    PHYSIOLOGICAL_LIMIT = "physiological_limit"  # a plausibility bound on input, not a clinical claim
    RECORD = "record"  # what the clinic itself recorded in ClearCourse (a voided prescription)


#: The kinds that name a register document.
DOCUMENT_KINDS = frozenset({Kind.REGULATOR, Kind.GUIDELINE, Kind.REFERENCE})


@dataclass(frozen=True, slots=True)
class Document:
    """One primary document of the register (``../shared/clinical-sources.md``, "Document key")."""

    key: str  # "D1" .. "D16", the register's own key
    issuer: str
    title: str
    version: str
    url: str  # the official address; "" when the register gives none
    kind: Kind

    def cite(self) -> str:
        version = f" ({self.version})" if self.version else ""
        return f"{self.issuer}: {self.title}{version}"


@dataclass(frozen=True, slots=True)
class Source:
    """What one rule rests on: ``document`` at ``section`` (and ``topic``), or a labelled non-document.

    ``section`` is the document's own numbering ("§8.3", "§4.1–4.2"), the same in every language;
    ``topic`` names the part in words where the register gives no number ("psychiatric disorders").
    A clinic default has no document and no address; its ``label`` says so, and ``about`` says (for
    reviewers and ``docs/rules.md``) what the default covers.
    """

    key: str
    document: Document | None = None
    section: str = ""
    topic: str = ""
    label: str = ""
    about: str = ""
    kind_: Kind | None = None  # set for the non-document kinds

    @property
    def kind(self) -> Kind:
        if self.document is not None:
            return self.document.kind
        return self.kind_ or Kind.CLINIC_DEFAULT

    @property
    def is_document(self) -> bool:
        return self.document is not None

    @property
    def is_clinic_default(self) -> bool:
        return self.kind is Kind.CLINIC_DEFAULT

    @property
    def url(self) -> str:
        """The official address of the document; "" for a clinic default (it shows no web page)."""
        return self.document.url if self.document is not None else ""

    @property
    def title(self) -> str:
        """The document (issuer, title, version), or the label of a non-document source."""
        return self.document.cite() if self.document is not None else self.label

    @property
    def where(self) -> str:
        """The part of the document: section and topic ("§8.3", "§5 (psychiatric disorders)")."""
        if self.section and self.topic:
            return f"{self.section} ({self.topic})"
        return self.section or self.topic

    def cite(self) -> str:
        """One line for a reader: "issuer: title (version), §8.3" or the default's label."""
        if self.document is None:
            return self.label
        where = self.where
        return f"{self.document.cite()}, {where}" if where else self.document.cite()


# --- the register's documents --------------------------------------------------------------------------

D1 = Document("D1", "US FDA", "Isotretinoin Capsules USP, prescribing information (PLR format)",
              "DailyMed set id 5b524a51-a16b-496e-b764-11c98c479c36, version 3, 30 Jan 2026",
              "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=5b524a51-a16b-496e-b764-11c98c479c36",
              Kind.REGULATOR)
D2 = Document("D2", "US FDA", "Absorica and Absorica LD (Sun Pharma), prescribing information",
              "DailyMed set id 3ef0cff8-19c1-4441-b780-fca6c7ee1615",
              "https://dailymed.nlm.nih.gov/dailymed/drugInfo.cfm?setid=3ef0cff8-19c1-4441-b780-fca6c7ee1615",
              Kind.REGULATOR)
D3 = Document("D3", "US FDA", "Accutane (Roche) prescribing information and Safety Labeling Changes",
              "February 2010", "https://www.fda.gov/Safety/MedWatch/SafetyInformation/ucm202916.htm",
              Kind.REGULATOR)
D4 = Document("D4", "US FDA", "REMS@FDA: Isotretinoin iPLEDGE Shared System REMS (REMS=24)",
              "page versions 3 Oct 2023 and 9 Feb 2026",
              "https://www.accessdata.fda.gov/scripts/cder/rems/index.cfm?event=RemsDetails.page&REMS=24",
              Kind.REGULATOR)
D5 = Document("D5", "US FDA", "iPLEDGE Risk Evaluation and Mitigation Strategy (REMS) web page",
              "notification of 30 Nov 2023; approval of the modification, 9 Feb 2026",
              "https://www.fda.gov/drugs/postmarket-drug-safety-information-patients-and-providers/"
              "ipledge-risk-evaluation-and-mitigation-strategy-rems", Kind.REGULATOR)
D6 = Document("D6", "US FDA", "Memorandum: deferral of blood donors who receive Accutane", "28 Feb 1984",
              "https://www.fda.gov/media/70944/download", Kind.REGULATOR)
D7 = Document("D7", "European Medicines Agency", "Retinoid-containing medicinal products, Article 31 referral",
              "concluded 22 Mar 2018 (Commission decision)",
              "https://www.ema.europa.eu/en/medicines/human/referrals/retinoid-containing-medicinal-products",
              Kind.REGULATOR)
D8 = Document("D8", "EU/UK marketing authorisation", "Isotretinoin Summary of Product Characteristics (harmonised, "
              "with the 2018 Pregnancy Prevention Programme)", "e.g. Roaccutane, Roche UK, revision 2020",
              "https://www.medicines.org.uk/emc", Kind.REGULATOR)
D9 = Document("D9", "UK MHRA", "Drug Safety Update: oral retinoids, revised pregnancy prevention materials",
              "June 2019", "https://www.gov.uk/drug-safety-update", Kind.REGULATOR)
D10 = Document("D10", "UK MHRA", "Drug Safety Update: isotretinoin, new safety measures including additional "
               "oversight of the initiation of treatment for patients under 18", "31 Oct 2023",
               "https://www.gov.uk/drug-safety-update/isotretinoin-roaccutanev-introduction-of-new-safety-measures-"
               "including-additional-oversight-of-the-initiation-of-treatment-for-patients-under-18-years-of-age",
               Kind.REGULATOR)
D11 = Document("D11", "UK MHRA", "Drug Safety Update: isotretinoin, updates to prescribing guidance and survey "
               "of services", "autumn 2025",
               "https://www.gov.uk/drug-safety-update/isotretinoin-updates-to-prescribing-guidance-and-survey-of-services",
               Kind.REGULATOR)
D12 = Document("D12", "UK MHRA", "Drug Safety Update: isotretinoin, changes to prescribing guidance and "
               "additional risk minimisation measures", "22 Jan 2026",
               "https://www.gov.uk/drug-safety-update/isotretinoin-changes-to-prescribing-guidance-and-additional-"
               "risk-minimisation-measures", Kind.REGULATOR)
D13 = Document("D13", "UK MHRA", "Drug Safety Update: isotretinoin, reminder of possible risk of psychiatric "
               "disorders", "2014, superseded Oct 2023",
               "https://www.gov.uk/drug-safety-update/isotretinoin-roaccutane-reminder-of-possible-risk-of-"
               "psychiatric-disorders", Kind.REGULATOR)
D14 = Document("D14", "American Academy of Dermatology", "Guidelines of care for the management of acne vulgaris "
               "(Reynolds RV et al., J Am Acad Dermatol 2024;90(5):1006.e1-30)", "2024, PMID 38300170",
               "https://doi.org/10.1016/j.jaad.2023.12.017", Kind.GUIDELINE)
D15 = Document("D15", "BNF (NICE)", "Isotretinoin monograph", "current edition",
               "https://bnf.nice.org.uk/drugs/isotretinoin/", Kind.REFERENCE)
D16 = Document("D16", "Singapore HSA", "Roaccutane (Roche) prescribing information", "HSA-approved", "",
               Kind.REGULATOR)

#: The register, by key.
REGISTER: Mapping[str, Document] = MappingProxyType({d.key: d for d in (
    D1, D2, D3, D4, D5, D6, D7, D8, D9, D10, D11, D12, D13, D14, D15, D16)})

# --- labels of the non-document kinds ------------------------------------------------------------------

NO_PUBLISHED_THRESHOLD = "Clinic default: no published threshold"
NO_PRIMARY_SOURCE = "Clinic default: no primary source"
PHARMACY_SETTING_LABEL = "Pharmacy setting: no published window"
PHYSIOLOGICAL_LIMIT_LABEL = "Physiological limit"
RECORD_LABEL = "ClearCourse record: an entry made by the clinic"

_ALL: dict[str, Source] = {}


def _add(source: Source) -> Source:
    if source.key in _ALL:
        raise ValueError(f"source key {source.key!r} is used twice")
    _ALL[source.key] = source
    return source


def cite(key: str, document: Document, section: str = "", topic: str = "") -> Source:
    """A register document at a section; ``key`` is its stable id (by convention ``D1-8.3``)."""
    return _add(Source(key=key, document=document, section=section, topic=topic))


def clinic_default(key: str, about: str, *, threshold: bool = False, label: str = "") -> Source:
    """A rule with no primary source in the register: a clinic-configurable default, labelled as such."""
    text = label or (NO_PUBLISHED_THRESHOLD if threshold else NO_PRIMARY_SOURCE)
    return _add(Source(key=key, label=text, about=about, kind_=Kind.CLINIC_DEFAULT))


# --- citations: a document and the section a rule comes from --------------------------------------------
# The section numbers are the register's ("D1 §8.3"); where it names a part without a number, ``topic``
# names it in words.

# D1: US prescribing information (generic capsules, PLR format).
US_PI_INDICATION = cite("D1-1", D1, "§1", "indication and limitations of use")
US_PI_DOSING = cite("D1-2.1", D1, "§2.1")
US_PI_PREGNANCY = cite("D1-4.1", D1, "§4.1", "contraindication; boxed warning")
US_PI_HYPERSENSITIVITY = cite("D1-4.2", D1, "§4.2")
US_PI_EMBRYO_FETAL = cite("D1-5.1", D1, "§5.1")
US_PI_HEARING = cite("D1-5.9", D1, "§5.9")
US_PI_LIVER = cite("D1-5.10", D1, "§5.10")
US_PI_IBD = cite("D1-5.11", D1, "§5.11")
US_PI_BONE = cite("D1-5.12", D1, "§5.12")
US_PI_LACTATION = cite("D1-8.2", D1, "§8.2")
US_PI_REPRODUCTIVE = cite("D1-8.3", D1, "§8.3")
US_PI_PSYCHIATRIC = cite("D1-psychiatric", D1, "", "warnings: psychiatric disorders")
US_PI_INTRACRANIAL = cite("D1-intracranial", D1, "", "warnings: intracranial hypertension")
US_PI_PANCREATITIS = cite("D1-pancreatitis", D1, "", "warnings: pancreatitis")
# D2: Absorica / Absorica LD.
ABSORICA_LABEL = cite("D2-2-3", D2, "§2–3", "dosage, strengths; not substitutable")
ABSORICA_BASELINE_TESTS = cite("D2-2.3", D2, "§2.3")
ABSORICA_LAB_TESTS = cite("D2-5.15", D2, "§5.15")
# D3: the Roche label and the FDA Safety Labeling Changes of Feb 2010 (lineage of the current label).
ACCUTANE_2010 = cite("D3", D3, "", "lipids, pancreatitis, pseudotumor cerebri, serious skin reactions")
# D4, D5: the iPLEDGE REMS.
IPLEDGE_REMS = cite("D4", D4)
FDA_IPLEDGE_2023 = cite("D5-2023", D5, "", "30 Nov 2023 notification")
FDA_IPLEDGE_2026 = cite("D5-2026", D5, "", "9 Feb 2026 approval of the modification")
# D6: blood donation.
FDA_BLOOD_DONATION = cite("D6", D6)
# D7, D8: the EU referral and the harmonised SmPC (also the UK's).
EMA_2018 = cite("D7", D7)
SMPC_INDICATION = cite("D8-4.1", D8, "§4.1–4.2")
SMPC_POSOLOGY = cite("D8-4.2", D8, "§4.2")
SMPC_CONTRAINDICATIONS = cite("D8-4.3", D8, "§4.3")
SMPC_WARNINGS = cite("D8-4.4", D8, "§4.4")
SMPC_ADVERSE = cite("D8-4.8", D8, "§4.4, §4.8")
# D9..D13: MHRA Drug Safety Updates.
MHRA_2019 = cite("D9", D9)
MHRA_2023 = cite("D10", D10)
MHRA_2025 = cite("D11", D11)
MHRA_2026 = cite("D12", D12)
MHRA_2014 = cite("D13", D13)
# D14: AAD 2024 (only the abstract was read).
AAD_2024 = cite("D14", D14, "", "abstract")
# D15: BNF; D16: Singapore PI.
BNF = cite("D15", D15)
HSA_PI = cite("D16", D16)

# --- clinic defaults: no primary source in the register ---------------------------------------------------

DEFAULT_TG_LEVELS = clinic_default(
    "default-tg-levels", "Triglyceride action levels of 5 mmol/L, 500 mg/dL and 10 mmol/L", threshold=True)
DEFAULT_LIVER_LEVELS = clinic_default(
    "default-liver-levels", "ALT/AST action levels (above the upper limit of normal, 3 x ULN)", threshold=True)
DEFAULT_MOOD_TOOL = clinic_default(
    "default-mood-tool", "PHQ-2/PHQ-9 (PHQ-A) as the screening tool, its bands and the alert levels built on them "
    "(no regulator names a tool)", threshold=True)
DEFAULT_SEVERITY_SCALES = clinic_default(
    "default-severity-scales", "IGA and GAGS scales and GAGS bands used to grade severity")
DEFAULT_ADEQUATE_TRIAL = clinic_default(
    "default-adequate-trial", "What counts as an adequate trial of standard therapy (about 8-12 weeks)")
DEFAULT_DOSE_LIMITS = clinic_default(
    "default-dose-limits", "0.1 mg/kg/day as the lowest daily dose accepted without a stated reason; low-dose "
    "regimens", threshold=True)
DEFAULT_CUMULATIVE_220 = clinic_default(
    "default-cumulative-220", "A cumulative target of 220 mg/kg, offered for discussion only", threshold=True)
DEFAULT_MONITORING_INTERVALS = clinic_default(
    "default-monitoring-intervals", "Intervals the documents leave open: high-risk checks, the recheck after the "
    "peak dose, how old a baseline may be, the end-of-treatment window", threshold=True)
DEFAULT_CBC = clinic_default(
    "default-cbc", "Routine blood counts (none of the documents asks for them)")
DEFAULT_DIABETES_GLUCOSE = clinic_default(
    "default-diabetes-glucose", "Blood-glucose checks in patients with diabetes")
DEFAULT_COMMON_EFFECTS = clinic_default(
    "default-common-effects", "The catalogue of common side effects and what to tell the patient about them")
DEFAULT_SERIOUS_EFFECT_ACTIONS = clinic_default(
    "default-serious-effect-actions", "A same-day review for serious effects the documents list without an action")
DEFAULT_INTERACTIONS = clinic_default(
    "default-interactions", "Medicine warnings the register does not cover: St John's wort, carbamazepine and "
    "phenytoin levels, corticosteroids and anticonvulsants with bone, drying topicals")
DEFAULT_VITAMIN_A_SUPPLEMENTS = clinic_default(
    "default-vitamin-a-supplements", "Vitamin A supplements taken with isotretinoin")
DEFAULT_CAUTIONS = clinic_default(
    "default-cautions", "Cautions without a register row (eating disorders)")
DEFAULT_US_METHODS = clinic_default(
    "default-us-methods", "Which contraception methods are primary and which secondary under iPLEDGE (the "
    "Prescriber Guide's list was not retrieved)")
DEFAULT_EU_METHODS = clinic_default(
    "default-eu-methods", "Which contraception methods are user-independent under the EU/UK PPP")
DEFAULT_WINDOW_START = clinic_default(
    "default-window-start", "The 7-day window is counted from the specimen collection date", threshold=True)
DEFAULT_US_SUPPLY = clinic_default(
    "default-us-supply", "At most a 30-day supply, no refills, a new authorization for each fill (the REMS "
    "document was not retrieved)", threshold=True)
DEFAULT_MONTHLY_QUESTIONS = clinic_default(
    "default-monthly-questions", "Comprehension questions before each fill")
DEFAULT_MONTHLY_CONFIRMATION = clinic_default(
    "default-monthly-confirmation", "iPLEDGE: contraception and counselling confirmed before each fill")
DEFAULT_POST_TREATMENT_TEST = clinic_default(
    "default-post-treatment-test", "The EU/UK test after treatment at 1 month or at 5 weeks (the SmPC versions "
    "differ)", threshold=True)
DEFAULT_PARTICIPATION = clinic_default(
    "default-participation", "EU/UK: no central register; ClearCourse records which patients, prescribers and "
    "pharmacies take part")
DEFAULT_ONE_FILL = clinic_default(
    "default-one-fill", "EU/UK: each prescription is dispensed once")
DEFAULT_US_2021_DATE = clinic_default(
    "default-us-2021-date", "The effective date of the iPLEDGE modification of 13 Dec 2021 (no register "
    "document gives it)")
DEFAULT_SKIN_CARE = clinic_default(
    "default-skin-care", "Sun protection; no waxing, dermabrasion or laser treatment during treatment and for 6 months "
    "after")
DEFAULT_COUNSELING = clinic_default(
    "default-counseling", "Counselling at least once per course for patients the program does not name")
DEFAULT_USUAL_RANGES = clinic_default(
    "default-usual-ranges", "Usual ranges for the input check: a weight, height, age, lab value or dose outside "
    "them is saved only after a confirmation (a check for typing errors, not a clinical threshold)", threshold=True)
DEFAULT_INPUT_BOUNDS = clinic_default(
    "default-input-bounds", "Bounds ClearCourse puts on input: no patient younger than 1 year, at most 4 mg/kg/day "
    "(twice the label's highest dose), at most 3 capsules a day, at most 90 days of supply on one prescription")
DEFAULT_GUARDIAN_CONSENT = clinic_default(
    "default-guardian-consent", "A patient under 18 consents together with a parent or guardian, who is recorded "
    "with the consent (the iPLEDGE consent forms were not retrieved; the register has no EU/UK consent-age rule)")
PHARMACY_REVERSAL_WINDOW = clinic_default(
    "pharmacy-reversal-window", "How many days after an authorization an unpicked prescription is reversed",
    label=PHARMACY_SETTING_LABEL)

# --- non-document kinds that are not clinical claims ------------------------------------------------------

PHYSIOLOGICAL_LIMIT = _add(Source(key="limit-physiological", label=PHYSIOLOGICAL_LIMIT_LABEL,
                                  about="A value outside what a human body can show: a typing error, not a finding",
                                  kind_=Kind.PHYSIOLOGICAL_LIMIT))
CLEARCOURSE_RECORD = _add(Source(key="record-clearcourse", label=RECORD_LABEL,
                                 about="The clinic's own entry, such as a voided or corrected prescription",
                                 kind_=Kind.RECORD))

#: Every source a rule may cite, by key.
SOURCES: Mapping[str, Source] = MappingProxyType(dict(_ALL))


def by_key(key: str) -> Source:
    """The source with this key; KeyError when there is none."""
    return SOURCES[key]


def is_registered(source: object) -> bool:
    """True for a source of this module (the register's documents and the labelled non-documents)."""
    return isinstance(source, Source) and SOURCES.get(source.key) is source


# --- reading what was stored before the register ------------------------------------------------------------
# Old key -> the source that replaces it. Old records (alerts, assessments, pharmacy answers) stored these
# keys, or "title [P]" strings made from the old titles; they are shown as the replacement, never as the
# page they once named.

LEGACY: Mapping[str, Source] = MappingProxyType({
    "fda-ipledge": FDA_IPLEDGE_2023, "fda-rems-2026": FDA_IPLEDGE_2026, "epocrates-2026": FDA_IPLEDGE_2026,
    "aars-2023": FDA_IPLEDGE_2023, "ipledge-2021": DEFAULT_US_2021_DATE, "ipledge-2007": FDA_IPLEDGE_2026,
    "medline-monograph": DEFAULT_US_SUPPLY, "mayo": US_PI_REPRODUCTIVE, "medguide": US_PI_REPRODUCTIVE,
    "us-label": US_PI_INDICATION, "openfda-label": US_PI_PREGNANCY, "ema-2018": EMA_2018, "eu-smpc": SMPC_WARNINGS,
    "smpc-rxreasoner": SMPC_CONTRAINDICATIONS, "bnf": BNF, "aifa-7day": MHRA_2019, "fda-rems-page": IPLEDGE_REMS,
    "mhra-2023": MHRA_2023, "mhra-2026": MHRA_2026, "aad-2024": AAD_2024, "gags": DEFAULT_SEVERITY_SCALES,
    "gags-bands": DEFAULT_SEVERITY_SCALES, "fda-acne-2018": DEFAULT_SEVERITY_SCALES, "msd": SMPC_POSOLOGY,
    "absorica-ld": ABSORICA_LABEL, "absorica": ABSORICA_LABEL, "phq-isotretinoin": DEFAULT_MOOD_TOOL,
    "phq9": DEFAULT_MOOD_TOOL, "phq2": DEFAULT_MOOD_TOOL, "smpc-monitoring": SMPC_WARNINGS,
    "medscape-label": ACCUTANE_2010, "droracle": DEFAULT_TG_LEVELS, "mhra-sjw": DEFAULT_INTERACTIONS,
    "smpc-vision": SMPC_ADVERSE, "phq-a": DEFAULT_MOOD_TOOL, "loinc": DEFAULT_MOOD_TOOL,
    "droracle-lab-actions": DEFAULT_TG_LEVELS, "droracle-high-risk": DEFAULT_MONITORING_INTERVALS,
    "droracle-adolescent-msk": US_PI_BONE, "side-effects-review": DEFAULT_COMMON_EFFECTS,
    "peds-monitoring": DEFAULT_COMMON_EFFECTS, "medypharma": US_PI_IBD, "skin-therapy-letter": DEFAULT_COMMON_EFFECTS,
    "pmc7772596": DEFAULT_INTERACTIONS, "apha-sjw": DEFAULT_INTERACTIONS, "topicals-blog": DEFAULT_INTERACTIONS,
    "bone-digiovanna": US_PI_BONE, "blasiak-2013": DEFAULT_CUMULATIVE_220, "tan-2015": SMPC_POSOLOGY,
    "lai-2025": DEFAULT_CUMULATIVE_220, "oddb-fachinfo": SMPC_CONTRAINDICATIONS, "sharecare-cautions": DEFAULT_CAUTIONS,
    "adequate-trial": DEFAULT_ADEQUATE_TRIAL, "abstinence": US_PI_REPRODUCTIVE, "pssny-roles": DEFAULT_MONTHLY_QUESTIONS,
    "ipledge-monthly": DEFAULT_MONTHLY_QUESTIONS, "hus-retinoids": SMPC_WARNINGS, "label-course-length": US_PI_DOSING,
    "clearcourse-record": CLEARCOURSE_RECORD,
})

#: The old sources' citation strings ("title [P]"), as the decide output and stored pharmacy answers wrote them.
_LEGACY_TITLES: Mapping[str, str] = MappingProxyType({
    "FDA iPLEDGE REMS page (updates of 8 Oct 2021 and 30 Nov 2023)": "fda-ipledge",
    "FDA approval of the iPLEDGE REMS modification, 9 Feb 2026 (effective 8 Aug 2026)": "fda-rems-2026",
    "Epocrates: FDA eases some REMS requirements for isotretinoin (9 Feb 2026)": "epocrates-2026",
    "FDA iPLEDGE modification notice, 8 Oct 2021 (two risk categories; RMA by web or phone)": "ipledge-2021",
    "iPLEDGE Dec 2007 changes (7-day window from specimen collection; 30-day window; 19-day wait)": "ipledge-2007",
    "Isotretinoin patient monograph (MedlinePlus-derived): 30-day supply, no refills, 7-day pick-up":
        "medline-monograph",
    "Mayo Clinic / Micromedex isotretinoin precautions (contraception 1 month before; 19-day confirmation test)":
        "mayo",
    "US isotretinoin prescribing information (label copy)": "us-label",
    "openFDA isotretinoin label, boxed warning": "openfda-label",
    "EMA retinoid referral, Pregnancy Prevention Programme (22 Mar 2018)": "ema-2018",
    "EU isotretinoin SmPC (sections 4.2-4.5)": "eu-smpc",
    "Isotretinoin SmPC contraindications and precautions (MHRA-sourced)": "smpc-rxreasoner",
    "BNF isotretinoin monograph (copy)": "bnf",
    "AIFA implementation of the PPP: 30 days of therapy, dispensing within 7 days": "aifa-7day",
    "FDA REMS@FDA: Isotretinoin iPLEDGE Shared System REMS (REMS=24)": "fda-rems-page",
    "MHRA isotretinoin safety measures, 31 Oct 2023": "mhra-2023",
    "MHRA Drug Safety Update, 22 Jan 2026: changes to prescribing guidance": "mhra-2026",
    "ClearCourse record": "clearcourse-record",
})


_OLD_MARK = re.compile(r"\s*\[[PSW]\]$")


def resolve(value: Any) -> Source | None:
    """The source a stored value names: a :class:`Source`, a key (current or old), a stored dict with a
    ``key``, or an old citation string ("title [P]"). None when it names nothing known."""
    if isinstance(value, Source):
        return value if is_registered(value) else SOURCES.get(value.key) or LEGACY.get(value.key)
    if isinstance(value, Mapping):
        return resolve(value.get("key")) or resolve(value.get("title"))
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    found = SOURCES.get(text) or LEGACY.get(text)
    if found is not None:
        return found
    for source in SOURCES.values():
        if source.cite() == text:
            return source
    title = _OLD_MARK.sub("", text)
    old_key = _LEGACY_TITLES.get(title)
    return LEGACY.get(old_key) if old_key else None


def resolve_all(values: Iterable[Any]) -> tuple[Source, ...]:
    """Every source the stored values name, once each, in order (unknown values are left out)."""
    found: dict[str, Source] = {}
    for value in values:
        source = resolve(value)
        if source is not None:
            found.setdefault(source.key, source)
    return tuple(found.values())


def as_json(source: Source) -> dict[str, str]:
    """How a source is stored with a record: its key (what is read back) and the line shown then."""
    return {"key": source.key, "title": source.cite(), "url": source.url, "kind": source.kind.value}
