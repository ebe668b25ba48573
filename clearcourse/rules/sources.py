"""The documents every clinical rule cites, as constants.

The citation keys follow ``../shared/clinical-rules.md``; the quality mark is the fact sheet's
([P] primary, [S] secondary, [W] weak). A rule whose only source is weak says so in its docstring and
is shipped as a configurable default that needs clinical sign-off, never as a hard stop.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Source:
    key: str
    title: str
    url: str
    quality: str  # "P", "S" or "W"

    def cite(self) -> str:
        return f"{self.title} [{self.quality}]"


def _s(key: str, title: str, url: str, quality: str) -> Source:
    return Source(key=key, title=title, url=url, quality=quality)


FDA_IPLEDGE = _s("fda-ipledge", "FDA iPLEDGE REMS page (updates of 8 Oct 2021 and 30 Nov 2023)",
                 "https://www.fda.gov/drugs/postmarket-drug-safety-information-patients-and-providers/"
                 "ipledge-risk-evaluation-and-mitigation-strategy-rems", "P")
FDA_REMS_2026 = _s("fda-rems-2026", "FDA approval of the iPLEDGE REMS modification, 9 Feb 2026 (effective 8 Aug 2026)",
                   "https://saludequitativa.blogspot.com/2026/02/what-is-ipledge-rems-risk-evaluation.html", "S")
EPOCRATES_2026 = _s("epocrates-2026", "Epocrates: FDA eases some REMS requirements for isotretinoin (9 Feb 2026)",
                    "https://www.epocrates.com/online/article/fda-eases-some-rems-requirements-for-isotretinoin", "S")
AARS_2023 = _s("aars-2023", "AARS summary of the Nov 2023 FDA letter on iPLEDGE",
               "https://acneandrosacea.org/uncategorized/fda-orders-rems-modifications-for-ipledge/", "S")
IPLEDGE_2021_NOTICE = _s("ipledge-2021", "FDA iPLEDGE modification notice, 8 Oct 2021 (two risk categories; RMA by web or phone)",
                         "https://arcieve.blogspot.com/2021/10/fda-approves-ipledge-rems-modification.html", "S")
STUDYRES_2007 = _s("ipledge-2007", "iPLEDGE Dec 2007 changes (7-day window from specimen collection; 30-day window; 19-day wait)",
                   "https://studyres.com/doc/10604843/ipledge-is-a-go", "S")
MEDLINE_MONOGRAPH = _s("medline-monograph", "Isotretinoin patient monograph (MedlinePlus-derived): 30-day supply, no refills, 7-day pick-up",
                       "https://chnola.org/health-library/content/?C=a681043&CT=203", "S")
MAYO_MICROMEDEX = _s("mayo", "Mayo Clinic / Micromedex isotretinoin precautions (contraception 1 month before; 19-day confirmation test)",
                     "https://www.mayoclinic.org/drugs-supplements/isotretinoin-oral-route/precautions/drg-20068178", "S")
MEDICATION_GUIDE = _s("medguide", "Accutane Medication Guide (quoted): progestin-only pills may not work; no blood donation",
                      "http://hairlaserremoval.uk/acne-accutane-avoid.htm", "S")
US_LABEL = _s("us-label", "US isotretinoin prescribing information (label copy)",
              "https://themedidex.com/drugs/isotretinoin", "P")
OPENFDA_LABEL = _s("openfda-label", "openFDA isotretinoin label, boxed warning",
                   "https://api.fda.gov/drug/label.json?search=set_id%3A%2272867c88-070f-4608-bfef-cc5225ebce6d%22", "P")
EMA_2018 = _s("ema-2018", "EMA retinoid referral, Pregnancy Prevention Programme (22 Mar 2018)",
              "https://www.ema.europa.eu/en/medicines/human/referrals/retinoid-containing-medicinal-products", "P")
EU_SMPC = _s("eu-smpc", "EU isotretinoin SmPC (sections 4.2-4.5)",
             "https://docslib.org/doc/4895741/summary-of-product-characteristics-labelling-and-package-leaflet", "P")
RXREASONER_SMPC = _s("smpc-rxreasoner", "Isotretinoin SmPC contraindications and precautions (MHRA-sourced)",
                     "https://rxreasoner.com/monographs/isotretinoin/precautions", "P")
BNF = _s("bnf", "BNF isotretinoin monograph (copy)", "https://issuhub.com/view/index?id=3493&pageIndex=783", "S")
AIFA_7DAY = _s("aifa-7day", "AIFA implementation of the PPP: 30 days of therapy, dispensing within 7 days",
               "https://www.sidemast.org/blog/isotretinoina-per-lacne-da-aifa-aggiornamenti-su-prescrizione-e-dispensazione/", "S")
FDA_REMS_PAGE = _s("fda-rems-page", "FDA REMS@FDA: Isotretinoin iPLEDGE Shared System REMS (REMS=24)",
                   "https://www.accessdata.fda.gov/scripts/cder/rems/index.cfm?event=RemsDetails.page&REMS=24", "P")
MHRA_2023 = _s("mhra-2023", "MHRA isotretinoin safety measures, 31 Oct 2023",
               "https://www.medicinesforchildren.org.uk/new-safety-measures-for-prescribing-oral-isotretinoin-roaccutane-"
               "for-the-treatment-of-acne/", "P")
MHRA_2026 = _s("mhra-2026", "MHRA Drug Safety Update, 22 Jan 2026: changes to prescribing guidance",
               "https://www.gov.uk/drug-safety-update/isotretinoin-changes-to-prescribing-guidance-and-additional-risk-"
               "minimisation-measures", "P")
AAD_2024 = _s("aad-2024", "AAD guidelines of care for acne vulgaris, Reynolds et al., JAAD 2024;90(5):1006 (PMID 38300170)",
              "https://www.tomwademd.net/page/70", "S")
DOSHI_1997_GAGS = _s("gags", "Global Acne Grading System (Doshi et al. 1997)",
                     "https://kblimskinclinic.com/global-acne-grading-system-gags-2", "S")
GAGS_BANDS = _s("gags-bands", "GAGS severity bands (1-18 mild, 19-30 moderate, 31-38 severe, >=39 very severe)",
                "https://honestlyaine.com/skin-care/you-asked-how-is-global-acne-grading-system-calculated.html", "S")
FDA_ACNE_2018 = _s("fda-acne-2018", "FDA guidance: Acne Vulgaris, Establishing Effectiveness of Drugs (May 2018), IGA",
                   "https://jddonline.com/articles/dermatology/S1545961621P0648X", "S")
MSD_MANUAL = _s("msd", "MSD Manual Professional: Acne vulgaris (2024)",
                "https://www.msdmanuals.com/uk/professional/dermatologic-disorders/acne-and-related-disorders/acne-vulgaris", "S")
ABSORICA_LD = _s("absorica-ld", "Absorica LD strengths and non-substitutability",
                 "https://www.dermatologyadvisor.com/home/topics/acne/lower-dose-isotretinoin-formulation-available-for-"
                 "severe-recalcitrant-nodular-acne/", "S")
ABSORICA = _s("absorica", "Absorica strengths (10-40 mg incl. 25/35 mg); not interchangeable",
              "https://www.drugs.com/availability/generic-absorica.html", "S")
SCHROM_PHQ = _s("phq-isotretinoin", "Schrom, Nagy, Mostow: PHQ-2/PHQ-9 screening on isotretinoin, JAAD 2016;75(1):237",
                "https://neomed.omeka.net/items/show/3626", "S")
KROENKE_PHQ9 = _s("phq9", "PHQ-9 scoring (Kroenke, Spitzer, Williams 2001); bands 5/10/15/20",
                  "https://pubmed.ncbi.nlm.nih.gov/11556941/", "S")
KROENKE_PHQ2 = _s("phq2", "PHQ-2 (Kroenke, Spitzer, Williams 2003); cut-off 3",
                  "https://pubmed.ncbi.nlm.nih.gov/14583691/", "S")
SMPC_MONITORING = _s("smpc-monitoring", "SmPC special precautions: LFTs and fasting lipids before, at 1 month, then 3-monthly",
                     "https://uat.mimsdev.com/hongkong/drug/info/acnotin/special-precautions", "P")
MEDSCAPE_LABEL = _s("medscape-label", "Buck 2001 (Medscape), quoting the US label on lipids, pancreatitis, IBD",
                    "https://www.medscape.com/viewarticle/410917_5", "S")
DRORACLE_THRESHOLDS = _s("droracle", "droracle.ai summaries of lab thresholds (AI-generated, pending human review)",
                         "https://www.droracle.ai/articles/779488/what-are-the-updated-guidelines-for-baseline-and-follow-up", "W")
MHRA_SJW = _s("mhra-sjw", "MHRA Drug Safety Update Mar 2014: St John's wort and hormonal contraceptives",
              "http://www.mhra.gov.uk/Safetyinformation/DrugSafetyUpdate/CON392869", "P")
SMPC_VISION = _s("smpc-vision", "Isotretinoin SmPC: visual disturbances", "https://www.mims.com/singapore/drug/info/oratane?type=full", "P")

# Safety monitoring (mood, labs, side effects, interactions): added for issue 4.
PHQ_A = _s("phq-a", "PHQ-9 modified for adolescents (PHQ-A), Johnson et al. 2002 (NIMH ASQ toolkit copy)",
           "https://www.nimh.nih.gov/research/research-conducted-at-nimh/asq-toolkit-materials/asq-tool/"
           "phq-9-modified-for-adolescents-phq-a", "S")
LOINC_CODES = _s("loinc", "LOINC codes as collected in research/peers-and-interop.md C2 (VSAC value sets)",
                 "https://loinc.org", "S")
DRORACLE_LAB_ACTIONS = _s("droracle-lab-actions",
                          "droracle.ai articles 231518, 232019, 290967, 335491: TG and ALT action levels "
                          "(AI-generated, pending human review)", "https://www.droracle.ai/", "W")
DRORACLE_HIGH_RISK = _s("droracle-high-risk",
                        "droracle.ai 231518 quoting the US label: more frequent lipid checks in higher-risk "
                        "patients, glucose in diabetes (AI-generated)", "https://www.droracle.ai/", "W")
DRORACLE_ADOLESCENT_MSK = _s("droracle-adolescent-msk",
                             "droracle.ai 666938 quoting the US label: back pain, arthralgia, myalgia more "
                             "common in adolescents (AI-generated)", "https://www.droracle.ai/", "W")
SIDE_EFFECTS_REVIEW = _s("side-effects-review",
                         "Isotretinoin side effects review: mucocutaneous, musculoskeletal, "
                         "pseudotumor cerebri",
                         "http://uqu-sa.net/cosmetic-formulation-of-skin-care-products/side-effects", "S")
PEDIATRIC_MONITORING = _s("peds-monitoring",
                          "Hodgkiss-Harlow et al.: monitoring isotretinoin safety in a pediatric population",
                          "https://c.coek.info/pdf-effective-monitoring-of-isotretinoin-safety-in-a-pediatric-"
                          "dermatology-populatio.html", "S")
MEDYPHARMA_IBD = _s("medypharma",
                    "Isotretinoin side effects (clinic page): stop for abdominal pain, rectal bleeding, "
                    "severe diarrhoea", "https://www.medypharma.com/isotretinoin-side-effects", "W")
SKIN_THERAPY_LETTER = _s("skin-therapy-letter",
                         "Skin Therapy Letter: Accutane dosing (initial flare, starting low)",
                         "https://www.skintherapyletter.com/drug-profiles/accutane/dosing/", "S")
ISOTRETINOIN_REVIEW_TABLE = _s("pmc7772596",
                               "Isotretinoin review, interactions and contraception table (PMC7772596)",
                               "https://pmc.ncbi.nlm.nih.gov/articles/PMC7772596/table/tbl0010", "S")
APHA_SJW = _s("apha-sjw", "APhA drug interactions corner: contraceptive failure possible with St John's wort",
              "http://aphanet.org/drug-interactions-corner/"
              "contraceptive-failure-possible-st-john%E2%80%99s-wort", "S")
TOPICALS_BLOG = _s("topicals-blog", "Patient blog: other drying topicals are usually stopped on isotretinoin",
                   "http://aboutacnecare.blogspot.com/2009/01/can-i-take-antibiotics-or-use-other.html", "W")
BONE_DIGIOVANNA = _s("bone-digiovanna",
                     "DiGiovanna 2001 on isotretinoin and bone (hyperostosis, epiphyseal closure)",
                     "https://personalhealthzone.com/isotretinoin/", "S")

# Severity, eligibility, contraindications and dosing: added for issue 2 (parts 4 and 5).
BLASIAK_2013 = _s("blasiak-2013", "Blasiak et al., JAMA Dermatol 2013: cumulative dose above ~220 mg/kg "
                  "and retreatment (AAD Dermatology World summary)",
                  "https://www.aad.org/dw/monthly/2014/june/"
                  "what-role-should-high-dose-isotretinoin-have-in-acne-treatment", "S")
TAN_2015 = _s("tan-2015", "Tan et al., J Cutan Med Surg 2015: systematic review of the 120-150 mg/kg "
              "threshold (2 low-grade studies)",
              "https://d.docksci.com/kg_5a328d6ad64ab23ee3a644bd.html", "S")
LAI_2025 = _s("lai-2025", "Lai et al., JAMA Dermatol 2025: cumulative dose and relapse in 19,907 patients",
              "https://www.epocrates.com/online/article/"
              "more-isotretinoin-better-acne-outcomes-study-reveals-impact-of-cumulative", "S")
ODDB_FACHINFO = _s("oddb-fachinfo", "Swiss isotretinoin Fachinformation, contraindications "
                   "(soya and peanut allergy)",
                   "https://ch.oddb.org:443/en/gcc/fachinfo/reg/55972/chapter/contra_indications", "P")
SHARECARE_CAUTIONS = _s("sharecare-cautions", "Sharecare: what to know before taking isotretinoin",
                        "https://www.sharecare.com/health/antiacne/know-about-isotretinoin-before-taking",
                        "S")
ADEQUATE_TRIAL = _s("adequate-trial", "Clinical Commander acne encounter: an adequate trial is the right "
                    "agent for about 8-12 weeks with adherence",
                    "https://clinicalcommander.com/encounter/derm.acne-vulgaris.core.v1", "W")

# Pregnancy-prevention programs: added for issue 3 (program engine).
ABSTINENCE_OPTION = _s("abstinence", "Isotretinoin consumer monograph: only hysterectomy or committed complete "
                       "abstinence exempt a patient from two methods",
                       "http://www.pfusion.net/AlternativeMedicine/IMCAccess/ConsDrugs/Isotretinoincd.html", "S")
PSSNY_ROLES = _s("pssny-roles", "PSSNY on iPLEDGE roles: patients who can get pregnant answer comprehension "
                 "questions and confirm contraception",
                 "http://www.pssny.org/web/2005/09/you_must_preregister_to_dispense_accutaneisotretinoin.aspx", "S")
IPLEDGE_MONTHLY_STEPS = _s("ipledge-monthly", "Patient guides: log in every month before each fill to answer "
                           "comprehension questions and confirm two methods",
                           "https://www.thegatheringbaltimore.com/2019/12/18/how-do-you-register-for-ipledge/", "W")

# Patient portal (education and consent): added for issue 6.
HUS_RETINOIDS = _s("hus-retinoids", "HUS Teratology Information Service: synthetic derivatives of vitamin A "
                   "(never share the drug; pregnancy tests before, during and 5 weeks after)",
                   "https://www.hus.fi/en/medical-care/medical-services/Teratology_information_service/"
                   "Harmful_pharmaceuticals/Synthetic_derivatives_of_vitamin_A/Pages/default.aspx", "S")
LABEL_COURSE_LENGTH = _s("label-course-length", "US isotretinoin label copy: a 15-20 week course; a second "
                         "course no sooner than 8 weeks later, as patients may keep improving off drug",
                         "https://tajoncology.com/oncology_generics/Isotretinoin/"
                         "isotretinoin_10mg_20mg_40mg_capsules_manufacturer.html", "P")
