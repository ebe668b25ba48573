"""Every code ClearCourse writes into or reads from FHIR, in one place, each with where it comes from.

Nothing else in ``clearcourse.interop`` spells a code or a code-system URI; exporters and importers
import them from here, and ``tests/interop/test_codes.py`` checks that this table agrees with the
rules core (``rules.labs.LOINC``, ``rules.mood``), so a code cannot drift between the two.

Where a code comes from (the research notes are ``../shared/research/peers-and-interop.md`` C2):

- RxNorm ingredient 6064 (isotretinoin): MITRE REMS admin seed data [seen]; the clinical-drug (SCD)
  codes per capsule strength: VSAC value set "Isotretinoin" OID 2.16.840.1.113883.3.464.1003.196.12.1143
  (CMS153v10, as shipped in canvas-medical/canvas-plugins) [seen]. Branded codes (Absorica, Absorica
  LD, Claravis, ...) were not collected, so branded products are exported with the ingredient code,
  the SCD code of the strength and the product's name as text, never with a guessed branded code.
- ATC D10BA01 (systemic isotretinoin; D10AD04 is the topical form) [bg].
- SNOMED CT 88616000 acne vulgaris (disorder), next to ICD-10 L70.0 in a code mapping [seen];
  387208003 isotretinoin (substance), ahdis/chmed [seen]; 260385009 negative and 10828004 positive
  as result values [bg].
- ICD-10 / ICD-10-CM L70.0 acne vulgaris [seen].
- LOINC hCG, lipids, ALT/AST, PHQ-2/PHQ-9 and body weight: the C2 table (VSAC "Pregnancy Test" value
  set OID 2.16.840.1.113883.3.464.1003.111.12.1011; body weight 29463-7 [bg]).
- FHIR's own code systems (observation-category, condition-clinical, consentscope, the AuditEvent
  DICOM codes, UCUM): the FHIR R4 4.0.1 specification, hl7.org/fhir/R4.

ClearCourse's own concepts that no public terminology covers (the program's risk category, the
contraception method codes of the scenario contract, the pregnancy-test setting, the program id, IGA
and GAGS, the side-effect catalogue, the course status) use
code systems under :data:`LOCAL`, a URN namespace: they identify, they do not resolve.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from clearcourse.core.identifiers import ndc10_digits, ndc11
from clearcourse.rules.programs.facts import METHOD_NAMES

#: The FHIR release every export claims and every import expects.
FHIR_VERSION = "4.0.1"


@dataclass(frozen=True, slots=True)
class Code:
    """One coded concept: ``system`` and ``code`` as FHIR writes them, a display, and its source note."""

    system: str
    code: str
    display: str
    note: str = ""

    def coding(self) -> dict[str, str]:
        return {"system": self.system, "code": self.code, "display": self.display}

    def concept(self, text: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"coding": [self.coding()]}
        if text:
            out["text"] = text
        return out


# --- code systems ------------------------------------------------------------------------------

LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
NDC = "http://hl7.org/fhir/sid/ndc"
#: Identifier systems of the US ecosystem (FHIR R4 / US Core naming systems).
ID_NPI = "http://hl7.org/fhir/sid/us-npi"
ID_NCPDP = "http://terminology.hl7.org/NamingSystem/NCPDPProviderIdentificationNumber"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICD10_CM = "http://hl7.org/fhir/sid/icd-10-cm"
ATC = "http://www.whocc.no/atc"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
AUDIT_EVENT_TYPE = "http://terminology.hl7.org/CodeSystem/audit-event-type"
PARTICIPATION_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
REFERENCE_RANGE_MEANING = "http://terminology.hl7.org/CodeSystem/referencerange-meaning"

#: ClearCourse's own namespace (see the module docstring).
LOCAL = "urn:clearcourse:fhir"
LOCAL_PROGRAM = f"{LOCAL}:program"  # us-ipledge, eu-ppp-2018, ...
LOCAL_RISK_CATEGORY = f"{LOCAL}:risk-category"
LOCAL_CONTRACEPTION = f"{LOCAL}:contraception-method"
LOCAL_TEST_SETTING = f"{LOCAL}:pregnancy-test-setting"
LOCAL_EVENT = f"{LOCAL}:event"  # counselling, contraception confirmation, treatment end
LOCAL_PRODUCT = f"{LOCAL}:product"  # conventional, absorica, absorica_ld
LOCAL_AUDIT_ACTION = f"{LOCAL}:audit-action"
# Severity and course concepts no public terminology covers (no LOINC/SNOMED code for IGA or GAGS is in the
# research notes or the fact sheet, so they are local): the assessment, its IGA and GAGS parts, the
# side-effect catalogue codes and the course's own status.
LOCAL_SEVERITY = f"{LOCAL}:severity"
LOCAL_SIDE_EFFECT = f"{LOCAL}:side-effect"
LOCAL_COURSE_STATUS = f"{LOCAL}:course-status"
#: FHIR R4's own AdverseEvent severity code system (mild | moderate | severe), for a side effect's grade.
ADVERSE_EVENT_SEVERITY = "http://terminology.hl7.org/CodeSystem/adverse-event-severity"
# Identifier systems: a record number is unique within a clinic, so the clinic is part of the system.
ID_RECORD_NUMBER = f"{LOCAL}:record-number"
ID_PRESCRIPTION = f"{LOCAL}:prescription"
ID_REGISTRATION = f"{LOCAL}:registration-number"  # prescriber licence / iPLEDGE ID, pharmacy NCPDP
ID_IPLEDGE_CONFIRMATION = f"{LOCAL}:ipledge-confirmation"
ID_CASE = f"{LOCAL}:case"
#: MedicationRequest extension: a second independent prescriber agreed (UK 2023, patients under 18).
EXT_SECOND_PRESCRIBER = f"{LOCAL}:extension:second-prescriber-agreed"
#: Observation extension (valueDate): the day the prescriber confirmed a home pregnancy test, so that an
#: import knows from when the test counts (``ppp.selectors`` reads verifications "as of" a date).
EXT_HOME_TEST_VERIFIED_ON = f"{LOCAL}:extension:home-test-verified-on"
# Canonical URLs of ClearCourse's questionnaires (QuestionnaireResponse.questionnaire).
#: CarePlan extension (valueCode): the course's exact status (CarePlan.status cannot tell closed from completed).
EXT_COURSE_STATUS = f"{LOCAL}:extension:course-status"
#: CarePlan and CarePlan.activity.detail extension (valueQuantity mg/kg): the cumulative target.
EXT_TARGET_MG_PER_KG = f"{LOCAL}:extension:cumulative-target-mg-per-kg"
#: CarePlan extensions of the course's state on the export day: the cumulative dose to date (valueQuantity
#: mg/kg) and where it stands against the target (valueCode: below, reached, passed, unknown).
EXT_CUMULATIVE_MG_PER_KG = f"{LOCAL}:extension:cumulative-dose-mg-per-kg"
EXT_TARGET_STATUS = f"{LOCAL}:extension:cumulative-target-status"
#: CarePlan.activity.detail extensions of a dose plan: the weight it was computed from (valueQuantity kg),
#: the prescribed mg/kg/day (valueDecimal) and the reason for a dose outside 0.1-2.0 mg/kg (valueString).
EXT_PLAN_WEIGHT = f"{LOCAL}:extension:dose-plan-weight"
EXT_PLAN_MG_PER_KG = f"{LOCAL}:extension:dose-plan-mg-per-kg-day"
EXT_PLAN_REASON = f"{LOCAL}:extension:dose-plan-out-of-range-reason"
#: Observation extension (valueDate): the day a reported side effect started.
EXT_SIDE_EFFECT_ONSET = f"{LOCAL}:extension:side-effect-onset"
Q_COMPREHENSION = f"{LOCAL}:Questionnaire:comprehension"
Q_PHQ = f"{LOCAL}:Questionnaire:"  # + instrument (phq9, phq9_teen, phq2)


# --- medication --------------------------------------------------------------------------------

RX_ISOTRETINOIN = Code(RXNORM, "6064", "isotretinoin", "ingredient; MITRE REMS admin seed data")
#: Capsule strength (mg) -> RxNorm SCD (VSAC "Isotretinoin" value set, CMS153v10).
RX_CAPSULE: MappingProxyType[int, Code] = MappingProxyType({
    10: Code(RXNORM, "197843", "isotretinoin 10 MG Oral Capsule", "VSAC 2.16.840.1.113883.3.464.1003.196.12.1143"),
    20: Code(RXNORM, "197844", "isotretinoin 20 MG Oral Capsule", "VSAC 2.16.840.1.113883.3.464.1003.196.12.1143"),
    25: Code(RXNORM, "1547561", "isotretinoin 25 MG Oral Capsule", "VSAC 2.16.840.1.113883.3.464.1003.196.12.1143"),
    30: Code(RXNORM, "403930", "isotretinoin 30 MG Oral Capsule", "VSAC 2.16.840.1.113883.3.464.1003.196.12.1143"),
    35: Code(RXNORM, "1547565", "isotretinoin 35 MG Oral Capsule", "VSAC 2.16.840.1.113883.3.464.1003.196.12.1143"),
    40: Code(RXNORM, "197845", "isotretinoin 40 MG Oral Capsule", "VSAC 2.16.840.1.113883.3.464.1003.196.12.1143"),
})


@dataclass(frozen=True, slots=True)
class NdcPackage:
    """One isotretinoin package ClearCourse recognises by its NDC (10-digit, hyphenated as printed).

    ``strength_mg`` is None where the source confirmed the NDC as the product's but not which strength it
    is: such a package identifies the product in an incoming message but is never written into an export.
    """

    ndc: str
    product: str  # conventional, absorica, absorica_ld
    strength_mg: int | None
    label: str
    source: str

    def coding(self) -> dict[str, str]:

        return {"system": NDC, "code": ndc11(self.ndc) or self.ndc, "display": self.label}


_ABSORICA_LABEL = "Absorica/Absorica LD prescribing information, 16 How Supplied (Sun Pharma, June 2023)"
_LD_LISTING = "DailyMed and RxReasoner listings of the Absorica/Absorica LD label (Sun Pharma, labeler 10631)"
_CLARAVIS_LABEL = "Claravis prescribing information, How Supplied (Teva, NLM copy)"
_CLARAVIS_LISTING = "Claravis SPL product list (Teva, products 0555-1054 to 0555-1057)"

#: The products ClearCourse supports, by NDC. Conventional isotretinoin is generic and substitutable, so a
#: conventional prescription names no NDC (the pharmacy picks the package); Claravis stands for the
#: conventional products a pharmacy system may send. Not verified by strength: see docs/interop.md.
NDC_PACKAGES: tuple[NdcPackage, ...] = (
    NdcPackage("10631-115-31", "absorica", 10, "Absorica 10 mg, 30 capsules", _ABSORICA_LABEL),
    NdcPackage("10631-116-31", "absorica", 20, "Absorica 20 mg, 30 capsules", _ABSORICA_LABEL),
    NdcPackage("10631-133-31", "absorica", 25, "Absorica 25 mg, 30 capsules", _ABSORICA_LABEL),
    NdcPackage("10631-117-31", "absorica", 30, "Absorica 30 mg, 30 capsules", _ABSORICA_LABEL),
    NdcPackage("10631-134-31", "absorica", 35, "Absorica 35 mg, 30 capsules", _ABSORICA_LABEL),
    NdcPackage("10631-118-31", "absorica", 40, "Absorica 40 mg, 30 capsules", _ABSORICA_LABEL),
    NdcPackage("10631-002-31", "absorica_ld", 8, "Absorica LD 8 mg, 30 capsules", _ABSORICA_LABEL),
    NdcPackage("10631-003-31", "absorica_ld", None, "Absorica LD, 30 capsules", _LD_LISTING),
    NdcPackage("10631-004-31", "absorica_ld", None, "Absorica LD, 30 capsules", _LD_LISTING),
    NdcPackage("10631-005-31", "absorica_ld", None, "Absorica LD, 30 capsules", _LD_LISTING),
    NdcPackage("10631-007-31", "absorica_ld", None, "Absorica LD, 30 capsules", _LD_LISTING),
    NdcPackage("0555-1054-86", "conventional", 10, "Claravis 10 mg, 30 capsules", _CLARAVIS_LABEL),
    NdcPackage("0555-1054-56", "conventional", 10, "Claravis 10 mg, 100 capsules", _CLARAVIS_LABEL),
    NdcPackage("0555-1055-86", "conventional", None, "Claravis, 30 capsules", _CLARAVIS_LISTING),
    NdcPackage("0555-1056-86", "conventional", None, "Claravis, 30 capsules", _CLARAVIS_LISTING),
    NdcPackage("0555-1057-86", "conventional", None, "Claravis, 30 capsules", _CLARAVIS_LISTING),
)


def ndc_package(value: str) -> NdcPackage | None:
    """The catalogue package for an NDC in any common layout (10-digit hyphenated, 11-digit, or the
    printed digits without hyphens)."""

    wanted = ndc11(value)
    digits = ndc10_digits((value or "").strip())
    for package in NDC_PACKAGES:
        if wanted is not None and ndc11(package.ndc) == wanted:
            return package
        if digits and ndc10_digits(package.ndc) == digits:
            return package
    return None


def export_ndc(product: str, strength_mg: int) -> NdcPackage | None:
    """The one package a prescription of ``product`` at ``strength_mg`` names in an export: only where the
    product is a single-source brand and the catalogue confirms the strength (never for conventional)."""
    if product == "conventional":
        return None
    found = [p for p in NDC_PACKAGES if p.product == product and p.strength_mg == strength_mg]
    return found[0] if len(found) == 1 else None


ATC_ISOTRETINOIN_SYSTEMIC = Code(ATC, "D10BA01", "isotretinoin (systemic)", "D10AD04 is the topical form")
SCT_ISOTRETINOIN = Code(SNOMED, "387208003", "Isotretinoin (substance)", "ahdis/chmed roaccutan instance")
PRODUCT_NAMES: MappingProxyType[str, str] = MappingProxyType({
    "conventional": "Isotretinoin oral capsule (conventional, taken with food)",
    "absorica": "Absorica (isotretinoin, lidose formulation)",
    "absorica_ld": "Absorica LD (isotretinoin, micronized)",
})

# --- diagnosis ---------------------------------------------------------------------------------

SCT_ACNE_VULGARIS = Code(SNOMED, "88616000", "Acne vulgaris (disorder)", "code mapping next to ICD-10 L70.0")
ICD10_ACNE_VULGARIS = Code(ICD10, "L70.0", "Acne vulgaris", "WHO ICD-10")
ICD10CM_ACNE_VULGARIS = Code(ICD10_CM, "L70.0", "Acne vulgaris", "ICD-10-CM")
CONDITION_ACTIVE = Code(CONDITION_CLINICAL, "active", "Active")
CONDITION_CONFIRMED = Code(CONDITION_VERIFICATION, "confirmed", "Confirmed")
CONDITION_ENCOUNTER_DIAGNOSIS = Code(CONDITION_CATEGORY, "encounter-diagnosis", "Encounter Diagnosis")

# --- results -----------------------------------------------------------------------------------

SCT_NEGATIVE = Code(SNOMED, "260385009", "Negative", "qualifier value; research C2 [bg]")
SCT_POSITIVE = Code(SNOMED, "10828004", "Positive", "qualifier value; research C2 [bg]")
RESULT_CODES: MappingProxyType[str, Code] = MappingProxyType({"negative": SCT_NEGATIVE, "positive": SCT_POSITIVE})

CATEGORY_LABORATORY = Code(OBSERVATION_CATEGORY, "laboratory", "Laboratory")
CATEGORY_SURVEY = Code(OBSERVATION_CATEGORY, "survey", "Survey")
CATEGORY_VITAL_SIGNS = Code(OBSERVATION_CATEGORY, "vital-signs", "Vital Signs")
CATEGORY_SOCIAL_HISTORY = Code(OBSERVATION_CATEGORY, "social-history", "Social History")
REFERENCE_RANGE_NORMAL = Code(REFERENCE_RANGE_MEANING, "normal", "Normal Range")

# --- LOINC -------------------------------------------------------------------------------------

HCG_URINE = Code(LOINC, "2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
HCG_URINE_BETA = Code(LOINC, "2112-1", "Choriogonadotropin.beta subunit (pregnancy test) [Presence] in Urine")
HCG_URINE_RAPID = Code(LOINC, "80384-1",
                       "Choriogonadotropin (pregnancy test) [Presence] in Urine by Rapid immunoassay")
HCG_SERUM = Code(LOINC, "2118-8", "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma")
HCG_SERUM_BETA = Code(LOINC, "2110-5",
                      "Choriogonadotropin.beta subunit (pregnancy test) [Presence] in Serum or Plasma")
HCG_SERUM_RAPID = Code(LOINC, "80385-8",
                       "Choriogonadotropin (pregnancy test) [Presence] in Serum by Rapid immunoassay")
#: Every qualitative hCG code ClearCourse reads as a pregnancy test.
HCG_QUALITATIVE = (HCG_URINE, HCG_URINE_BETA, HCG_URINE_RAPID, HCG_SERUM, HCG_SERUM_BETA, HCG_SERUM_RAPID)

#: The LOINC code a pregnancy test is exported with, by setting. A home test is a urine rapid
#: immunoassay (research C1: "LOINC 80384-1 with a home method and a patient performer"); an office
#: test is a urine test (C2: "Urine hCG (office/home test) 2106-3"). The records do not say which
#: specimen a laboratory used; a laboratory test is exported as serum (2118-8), the specimen C2
#: lists for laboratory hCG. The setting itself is exported too, so nothing is lost.
HCG_BY_SETTING: MappingProxyType[str, Code] = MappingProxyType({
    "home": HCG_URINE_RAPID, "clinic": HCG_URINE, "lab": HCG_SERUM,
    # A remote supervised test is the patient's own rapid urine test, watched by a clinician.
    "remote": HCG_URINE_RAPID,
})

#: Numeric lab tests by LOINC code; the set matches the numeric codes of ``rules.labs.LOINC``
#: (checked by a test).
LAB_CODES: MappingProxyType[str, Code] = MappingProxyType({c.code: c for c in (
    Code(LOINC, "2571-8", "Triglyceride [Mass/volume] in Serum or Plasma"),
    Code(LOINC, "2093-3", "Cholesterol [Mass/volume] in Serum or Plasma"),
    Code(LOINC, "2085-9", "Cholesterol in HDL [Mass/volume] in Serum or Plasma"),
    Code(LOINC, "2089-1", "Cholesterol in LDL [Mass/volume] in Serum or Plasma"),
    Code(LOINC, "13457-7", "Cholesterol in LDL [Mass/volume] in Serum or Plasma (calculated)"),
    Code(LOINC, "18262-6", "Cholesterol in LDL [Mass/volume] in Serum or Plasma (direct)"),
    Code(LOINC, "1742-6", "Alanine aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
    Code(LOINC, "1920-8", "Aspartate aminotransferase [Enzymatic activity/volume] in Serum or Plasma"),
    # C2 lists these three together as "quantitative serum hCG / beta-hCG (units/volume)".
    Code(LOINC, "19080-1", "Quantitative serum hCG (units/volume)"),
    Code(LOINC, "21198-7", "Quantitative serum beta-hCG (units/volume)"),
    Code(LOINC, "83086-9", "Quantitative serum hCG / beta-hCG (units/volume)"),
)})

#: ClearCourse unit spelling -> UCUM code (FHIR Quantity.code). The display keeps the lab's spelling.
UCUM_UNITS: MappingProxyType[str, str] = MappingProxyType({
    "mg/dL": "mg/dL", "mmol/L": "mmol/L", "U/L": "U/L", "IU/L": "[IU]/L", "kg": "kg", "mg": "mg", "d": "d", "mg/kg": "mg/kg",
    "{score}": "{score}",
})
#: UCUM code -> ClearCourse spelling, for imports (``rules.labs`` also accepts these spellings).
UNITS_FROM_UCUM: MappingProxyType[str, str] = MappingProxyType({v: k for k, v in UCUM_UNITS.items()})

PHQ9_TOTAL = Code(LOINC, "44261-6", "Patient Health Questionnaire 9 item (PHQ-9) total score [Reported]")
PHQ9_PANEL = Code(LOINC, "44249-1", "PHQ-9 quick depression assessment panel [Reported.PHQ]")
PHQ9_TEEN_TOTAL = Code(LOINC, "89204-2", "Patient Health Questionnaire-9: Modified for Teens total score "
                                          "[Reported.PHQ.Teen]")
PHQ2_TOTAL = Code(LOINC, "55758-7", "Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]")
PHQ2_PANEL = Code(LOINC, "55757-9", "Patient Health Questionnaire 2 item (PHQ-2) [Reported]")
#: Instrument id (``rules.mood.Instrument``) -> LOINC code of its total score.
PHQ_TOTALS: MappingProxyType[str, Code] = MappingProxyType({
    "phq9": PHQ9_TOTAL, "phq9_teen": PHQ9_TEEN_TOTAL, "phq2": PHQ2_TOTAL,
})
BODY_WEIGHT = Code(LOINC, "29463-7", "Body weight", "research C2 [bg]")

# --- consent and audit -------------------------------------------------------------------------

#: Consent.scope (required binding in R4) and a category from R4's consent-category value set.
CONSENT_SCOPE_TREATMENT = Code(CONSENT_SCOPE, "treatment", "Treatment")
CONSENT_CATEGORY_PATIENT = Code(LOINC, "59284-0", "Patient Consent",
                                "example binding of Consent.category in FHIR R4")
#: AuditEvent.type for an access to a patient's record (DICOM 110110 "Patient Record", FHIR R4).
AUDIT_PATIENT_RECORD = Code(DICOM, "110110", "Patient Record")
#: AuditEvent.entity.role 1 "Patient" (FHIR R4 object-role code system).
AUDIT_ENTITY_ROLE_PATIENT = Code("http://terminology.hl7.org/CodeSystem/object-role", "1", "Patient")
AUDIT_ENTITY_TYPE_PERSON = Code("http://terminology.hl7.org/CodeSystem/audit-entity-type", "1", "Person")

# --- ClearCourse's own concepts ----------------------------------------------------------------

RISK_CAN_GET_PREGNANT = Code(LOCAL_RISK_CATEGORY, "can-get-pregnant", "Patient who can get pregnant",
                             "iPLEDGE risk category since 13 Dec 2021, assigned by the prescriber")
RISK_CANNOT_GET_PREGNANT = Code(LOCAL_RISK_CATEGORY, "cannot-get-pregnant", "Patient who cannot get pregnant")
RISK_CATEGORY_OBSERVATION = Code(LOCAL_RISK_CATEGORY, "risk-category", "Pregnancy-prevention program risk category")

EVENT_COUNSELING = Code(LOCAL_EVENT, "counseling",
                        "Pregnancy-prevention counselling / monthly confirmation by the prescriber")
EVENT_CONTRACEPTION = Code(LOCAL_EVENT, "contraception", "Contraception confirmed as in use")
EVENT_CONTRACEPTION_METHOD = Code(LOCAL_EVENT, "contraception-method", "Contraception method")
EVENT_TREATMENT_END = Code(LOCAL_EVENT, "treatment-end", "Last dose of the course")
EVENT_ENROLMENT = Code(LOCAL_EVENT, "enrolment", "Enrolment in the pregnancy-prevention program")
EVENT_MISSED_DOSE = Code(LOCAL_EVENT, "missed-dose", "Days without a dose")
EVENT_COURSE = Code(LOCAL_EVENT, "course", "Isotretinoin course")
EVENT_SIDE_EFFECTS = Code(LOCAL_EVENT, "side-effect-report", "Side effects reported together")
SEVERITY_ASSESSMENT = Code(LOCAL_SEVERITY, "assessment", "Acne severity assessment")
SEVERITY_IGA = Code(LOCAL_SEVERITY, "iga", "Investigator's Global Assessment (IGA)")
SEVERITY_GAGS_SCORE = Code(LOCAL_SEVERITY, "gags-score", "Global Acne Grading System (GAGS) score")
SEVERITY_SCARRING = Code(LOCAL_SEVERITY, "scarring", "Scarring")
SEVERITY_PSYCHOSOCIAL = Code(LOCAL_SEVERITY, "psychosocial-burden", "Psychosocial burden")


def gags_region(region: str) -> Code:
    """A GAGS region's grade (region codes of ``rules.severity.GAGS_REGION_CODES``)."""
    return Code(LOCAL_SEVERITY, f"gags-{region}", f"GAGS grade, {region.replace('_', ' ')}")


def side_effect(code: str) -> Code:
    """A side effect of ClearCourse's catalogue (``rules.side_effects.CATALOGUE``)."""
    return Code(LOCAL_SIDE_EFFECT, code, code.replace("_", " "))


def side_effect_grade(grade: str) -> Code:
    return Code(ADVERSE_EVENT_SEVERITY, grade, grade.capitalize(), "FHIR R4 adverse-event-severity")


#: Course status -> CarePlan.status (the exact status travels in :data:`EXT_COURSE_STATUS`).
CAREPLAN_STATUS: MappingProxyType[str, str] = MappingProxyType({
    "planned": "draft", "active": "active", "paused": "on-hold", "completed": "completed",
    "closed": "completed", "stopped": "revoked",
})
ABSTINENCE = Code(LOCAL_CONTRACEPTION, "abstinence", "Committed abstinence")

#: The contraception codes of the scenario contract, with English displays: the rules core's names.
CONTRACEPTION_DISPLAYS: Mapping[str, str] = METHOD_NAMES

SETTING_DISPLAYS: MappingProxyType[str, str] = MappingProxyType({
    "lab": "Laboratory", "clinic": "Clinic / prescriber's office", "home": "Home test",
    "remote": "Remote test with medical supervision",
})


def contraception(code: str) -> Code:
    return Code(LOCAL_CONTRACEPTION, code, CONTRACEPTION_DISPLAYS.get(code, code))


def setting(code: str) -> Code:
    """The test's setting, exported as the Observation's ``method`` (research C1: a home test is an
    Observation with a method and a patient performer)."""
    return Code(LOCAL_TEST_SETTING, code, SETTING_DISPLAYS.get(code, code))


def program(code: str) -> Code:
    return Code(LOCAL_PROGRAM, code, code)

