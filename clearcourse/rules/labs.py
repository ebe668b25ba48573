"""Laboratory results: analytes and their LOINC codes, units, validation and threshold alerts.

- LOINC codes: the LOINC code system (loinc.org); they identify analytes and are not clinical rules.
- Conversions: TG mg/dL = mmol/L x 88.57; cholesterol mg/dL = mmol/L x 38.67 (molar masses); ALT/AST in
  U/L compared as a multiple of the lab's upper limit of normal.
- Thresholds (register ``../shared/clinical-sources.md`` section 4): no regulator gives a numeric stop level
  for triglycerides or liver enzymes. The US label lineage (D3) reports pancreatitis with triglycerides
  above 800 mg/dL and says to stop if hypertriglyceridaemia cannot be controlled; the BNF (D15) names
  9 mmol/L for the pancreatitis risk; the US label (D1 §5.10) says to stop if liver enzymes do not
  readily return to normal or hepatitis is suspected. The other levels (5 mmol/L, 500 mg/dL, above the
  ULN, 3 x ULN) have no primary source: they are clinic defaults, labelled so. Every threshold is a
  configurable :class:`LabThreshold` marked ``needs_clinical_signoff``: they raise alerts, never hard stops.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from clearcourse.rules import sources as src
from clearcourse.rules.monitoring import Alert, Check, Severity, by_severity
from clearcourse.rules.sources import Source
from clearcourse.rules.text import Text


class LabInputError(ValueError):
    """A lab result that cannot be right; ``field`` names the part (analyte, value, unit, uln, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class Analyte(StrEnum):
    TRIGLYCERIDES = "triglycerides"
    TOTAL_CHOLESTEROL = "total_cholesterol"
    HDL_CHOLESTEROL = "hdl_cholesterol"
    LDL_CHOLESTEROL = "ldl_cholesterol"
    ALT = "alt"
    AST = "ast"
    HCG_URINE = "hcg_urine"  # qualitative pregnancy test
    HCG_SERUM = "hcg_serum"  # qualitative pregnancy test
    HCG_QUANTITATIVE = "hcg_quantitative"  # serum hCG or beta-hCG, units/volume


class Unit(StrEnum):
    MG_DL = "mg/dL"
    MMOL_L = "mmol/L"
    U_L = "U/L"
    IU_L = "IU/L"  # hCG: 1 IU/L = 1 mIU/mL
    X_ULN = "xULN"  # a multiple of the lab's upper limit of normal (for thresholds on ALT/AST)


class Qualitative(StrEnum):
    NEGATIVE = "negative"
    POSITIVE = "positive"


#: LOINC code -> analyte.
LOINC: dict[str, Analyte] = {
    "2571-8": Analyte.TRIGLYCERIDES,
    "2093-3": Analyte.TOTAL_CHOLESTEROL,
    "2085-9": Analyte.HDL_CHOLESTEROL,
    "2089-1": Analyte.LDL_CHOLESTEROL,  # measured
    "13457-7": Analyte.LDL_CHOLESTEROL,  # calculated
    "18262-6": Analyte.LDL_CHOLESTEROL,  # direct
    "1742-6": Analyte.ALT,
    "1920-8": Analyte.AST,
    "2106-3": Analyte.HCG_URINE,
    "2112-1": Analyte.HCG_URINE,  # beta subunit
    "80384-1": Analyte.HCG_URINE,  # rapid immunoassay
    "2118-8": Analyte.HCG_SERUM,
    "2110-5": Analyte.HCG_SERUM,  # beta subunit
    "80385-8": Analyte.HCG_SERUM,  # rapid immunoassay
    "19080-1": Analyte.HCG_QUANTITATIVE,
    "21198-7": Analyte.HCG_QUANTITATIVE,
    "83086-9": Analyte.HCG_QUANTITATIVE,
}

#: The code a new record of each analyte is stored under (the first in the table for it).
PREFERRED_LOINC: dict[Analyte, str] = {}
for _code, _analyte in LOINC.items():
    PREFERRED_LOINC.setdefault(_analyte, _code)

ANALYTE_NAMES: dict[Analyte, str] = {
    Analyte.TRIGLYCERIDES: "Triglycerides",
    Analyte.TOTAL_CHOLESTEROL: "Total cholesterol",
    Analyte.HDL_CHOLESTEROL: "HDL cholesterol",
    Analyte.LDL_CHOLESTEROL: "LDL cholesterol",
    Analyte.ALT: "ALT",
    Analyte.AST: "AST",
    Analyte.HCG_URINE: "Urine hCG (pregnancy test)",
    Analyte.HCG_SERUM: "Serum hCG (pregnancy test)",
    Analyte.HCG_QUANTITATIVE: "Quantitative serum hCG",
}

QUALITATIVE_ANALYTES = frozenset({Analyte.HCG_URINE, Analyte.HCG_SERUM})
ENZYMES = frozenset({Analyte.ALT, Analyte.AST})
_CHOLESTEROLS = frozenset({Analyte.TOTAL_CHOLESTEROL, Analyte.HDL_CHOLESTEROL, Analyte.LDL_CHOLESTEROL})

#: mg/dL per mmol/L (from the molar masses).
TG_MG_DL_PER_MMOL_L = 88.57
CHOLESTEROL_MG_DL_PER_MMOL_L = 38.67

#: Units a result may be given in, per analyte; the first is the one stored and compared.
ACCEPTED_UNITS: dict[Analyte, tuple[Unit, ...]] = {
    Analyte.TRIGLYCERIDES: (Unit.MG_DL, Unit.MMOL_L),
    Analyte.TOTAL_CHOLESTEROL: (Unit.MG_DL, Unit.MMOL_L),
    Analyte.HDL_CHOLESTEROL: (Unit.MG_DL, Unit.MMOL_L),
    Analyte.LDL_CHOLESTEROL: (Unit.MG_DL, Unit.MMOL_L),
    Analyte.ALT: (Unit.U_L,),
    Analyte.AST: (Unit.U_L,),
    Analyte.HCG_QUANTITATIVE: (Unit.IU_L,),
    Analyte.HCG_URINE: (),
    Analyte.HCG_SERUM: (),
}

# Spellings seen in lab reports and UCUM (FHIR) for each unit. Enzyme "IU/L" is the same as U/L;
# hCG "mIU/mL" is numerically the same as IU/L.
_UNIT_SPELLINGS: dict[str, Unit] = {
    "mg/dl": Unit.MG_DL,
    "mmol/l": Unit.MMOL_L,
    "u/l": Unit.U_L,
    "iu/l": Unit.IU_L,
    "[iu]/l": Unit.IU_L,
    "miu/ml": Unit.IU_L,
    "m[iu]/ml": Unit.IU_L,
    "xuln": Unit.X_ULN,
    "x uln": Unit.X_ULN,
}


def analyte_for_loinc(code: str) -> Analyte:
    """The analyte a LOINC code measures; unknown codes are an error (we never guess an analyte)."""
    try:
        return LOINC[code.strip()]
    except (KeyError, AttributeError):
        raise LabInputError("loinc", f"{code!r} is not a LOINC code this system knows") from None


def check_for(analyte: Analyte) -> Check | None:
    """The monitoring-schedule check a result of this analyte satisfies (pregnancy tests: none)."""
    if analyte == Analyte.TRIGLYCERIDES or analyte in _CHOLESTEROLS:
        return Check.LIPIDS
    if analyte in ENZYMES:
        return Check.LIVER
    return None


def parse_unit(analyte: Analyte, unit: str | Unit) -> Unit:
    """The unit as written on a report, checked against the analyte; a unit that does not fit is an error."""
    accepted = ACCEPTED_UNITS[analyte]
    if not accepted:
        raise LabInputError("unit", f"{ANALYTE_NAMES[analyte]} is reported as negative or positive, not in units")
    text = unit.value if isinstance(unit, Unit) else unit
    if not isinstance(text, str):
        raise LabInputError("unit", "must be a unit such as mg/dL")
    key = " ".join(text.strip().split()).lower().replace("μ", "u").replace("µ", "u")
    parsed = _UNIT_SPELLINGS.get(key)
    # Enzymes: "IU/L" is how many labs print U/L.
    if parsed == Unit.IU_L and analyte in ENZYMES:
        parsed = Unit.U_L
    if parsed is None or parsed not in accepted:
        allowed = " or ".join(u.value for u in accepted)
        raise LabInputError("unit", f"{text!r} does not fit {ANALYTE_NAMES[analyte]}; use {allowed}")
    return parsed


def _factor(analyte: Analyte) -> float:
    if analyte == Analyte.TRIGLYCERIDES:
        return TG_MG_DL_PER_MMOL_L
    if analyte in _CHOLESTEROLS:
        return CHOLESTEROL_MG_DL_PER_MMOL_L
    raise LabInputError("unit", f"{ANALYTE_NAMES[analyte]} has no mg/dL to mmol/L conversion")


def convert(analyte: Analyte, value: float, from_unit: Unit, to_unit: Unit) -> float:
    """Convert a lipid value between mg/dL and mmol/L (molar-mass factors); same unit is a no-op."""
    if from_unit == to_unit:
        return value
    if {from_unit, to_unit} != {Unit.MG_DL, Unit.MMOL_L}:
        raise LabInputError("unit", f"cannot convert {from_unit.value} to {to_unit.value}")
    factor = _factor(analyte)
    return value * factor if from_unit == Unit.MMOL_L else value / factor


@dataclass(frozen=True, slots=True)
class LabResult:
    """A validated numeric result. Build one with :func:`lab_result`, which checks it."""

    analyte: Analyte
    value: float
    unit: Unit
    uln: float | None = None  # the lab's upper limit of normal in U/L, required for ALT/AST
    date: dt.date | None = None

    @property
    def loinc(self) -> str:
        return PREFERRED_LOINC[self.analyte]

    def value_in(self, unit: Unit) -> float:
        """The value in ``unit``; for ALT/AST, :attr:`Unit.X_ULN` gives the multiple of the ULN."""
        if unit == Unit.X_ULN:
            if self.analyte not in ENZYMES or self.uln is None:
                raise LabInputError("unit", f"{ANALYTE_NAMES[self.analyte]} is not compared as a multiple of ULN")
            return self.value / self.uln
        return convert(self.analyte, self.value, self.unit, unit)


def _finite_number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LabInputError(field, "must be a number")
    number = float(value)
    if not math.isfinite(number):
        raise LabInputError(field, "must be a finite number")
    return number


def lab_result(analyte: Analyte | str, value: float, unit: str | Unit, *, uln: float | None = None,
               date: dt.date | None = None) -> LabResult:
    """Validate a numeric result: a known analyte (name or LOINC code), a unit that fits it, a value
    that is not negative, and for ALT/AST the lab's upper limit of normal (positive, in U/L)."""
    kind = _parse_analyte(analyte)
    if kind in QUALITATIVE_ANALYTES:
        raise LabInputError("value", f"{ANALYTE_NAMES[kind]} is negative or positive; use qualitative_result")
    number = _finite_number(value, "value")
    if number < 0:
        raise LabInputError("value", "must not be negative")
    parsed_unit = parse_unit(kind, unit)
    limit: float | None = None
    if kind in ENZYMES:
        if uln is None:
            raise LabInputError("uln", f"{ANALYTE_NAMES[kind]} needs the lab's upper limit of normal")
        limit = _finite_number(uln, "uln")
        if limit <= 0:
            raise LabInputError("uln", "must be greater than 0")
    elif uln is not None:
        raise LabInputError("uln", f"is only used for ALT and AST, not {ANALYTE_NAMES[kind]}")
    return LabResult(analyte=kind, value=number, unit=parsed_unit, uln=limit, date=date)


def _parse_analyte(analyte: Analyte | str) -> Analyte:
    if isinstance(analyte, Analyte):
        return analyte
    if isinstance(analyte, str) and analyte.strip() in LOINC:
        return LOINC[analyte.strip()]
    try:
        return Analyte(analyte)
    except ValueError:
        raise LabInputError("analyte", f"{analyte!r} is not a known analyte or LOINC code") from None


# ---------------------------------------------------------------------------------------------
# Thresholds
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LabThreshold:
    """A configurable alert: ``analyte`` above ``bound`` (in ``unit``) raises ``severity``.

    Thresholds are lower bounds only, so a higher value can never give a lower severity.
    """

    code: str
    analyte: Analyte
    bound: float
    unit: Unit
    inclusive: bool  # True: at or above the bound; False: strictly above
    severity: Severity
    message: str
    sources: tuple[Source, ...]
    needs_clinical_signoff: bool = True
    text: Text | None = None  # ``message`` as data when it has values (rules.text)

    def __post_init__(self) -> None:
        if not self.code:
            raise LabInputError("code", "must not be empty")
        if not math.isfinite(self.bound) or self.bound < 0:
            raise LabInputError("bound", "must be a finite number, not negative")
        allowed = (Unit.X_ULN,) if self.analyte in ENZYMES else ACCEPTED_UNITS[self.analyte]
        if self.unit not in allowed:
            raise LabInputError("unit", f"{self.unit.value} does not fit {ANALYTE_NAMES[self.analyte]}")

    def is_met(self, result: LabResult) -> bool:
        if result.analyte != self.analyte:
            return False
        # Rounding removes conversion noise (797.13 mg/dL is 9 mmol/L, not 9.000000000000002);
        # rounding never reverses an order, so the thresholds stay monotone.
        value = round(result.value_in(self.unit), 6)
        return value >= self.bound if self.inclusive else value > self.bound


MSG_TG_REFER = ("Triglycerides above 5 mmol/L (about 443 mg/dL): look for other causes and consider referral. "
                "Clinic default: no published threshold.")
MSG_TG_REDUCE = ("Triglycerides above 500 mg/dL (5.65 mmol/L): consider reducing the dose because of the risk of "
                 "pancreatitis. Clinic default: no published threshold.")
MSG_TG_STOP = ("Triglycerides above 9 mmol/L (about 797 mg/dL): the BNF names this level for the risk of "
               "pancreatitis, and the US label reports pancreatitis with levels above 800 mg/dL. The label says "
               "to stop isotretinoin if triglycerides cannot be controlled or symptoms of pancreatitis appear.")
MSG_ENZYME_ABOVE_ULN = ("{analyte} above the upper limit of normal but below 3x ULN: recheck more often. Clinic "
                        "default: no published threshold.")
MSG_ENZYME_3X_ULN = ("{analyte} at or above 3x the upper limit of normal: consider lowering the dose or pausing "
                     "treatment and recheck. Clinic default: no published threshold. The US label says to stop if "
                     "liver enzymes do not readily return to normal or hepatitis is suspected.")


def _enzyme_thresholds(analyte: Analyte) -> tuple[LabThreshold, ...]:
    name = ANALYTE_NAMES[analyte]
    prefix = analyte.value
    above = Text.of(MSG_ENZYME_ABOVE_ULN, analyte=Text.of(name))
    high = Text.of(MSG_ENZYME_3X_ULN, analyte=Text.of(name))
    return (
        LabThreshold(f"{prefix}_above_uln", analyte, 1.0, Unit.X_ULN, False, Severity.INFO, str(above),
                     (src.DEFAULT_LIVER_LEVELS,), text=above),
        LabThreshold(f"{prefix}_3x_uln", analyte, 3.0, Unit.X_ULN, True, Severity.WARNING, str(high),
                     (src.DEFAULT_LIVER_LEVELS, src.US_PI_LIVER), text=high),
    )


#: The shipped set. A clinician must approve these before they become hard rules, so every default is
#: marked ``needs_clinical_signoff`` and none of them blocks anything by itself.
DEFAULT_THRESHOLDS: tuple[LabThreshold, ...] = (
    LabThreshold("tg_refer", Analyte.TRIGLYCERIDES, 5.0, Unit.MMOL_L, False, Severity.WARNING, MSG_TG_REFER,
                 (src.DEFAULT_TG_LEVELS,)),
    LabThreshold("tg_reduce_dose", Analyte.TRIGLYCERIDES, 500.0, Unit.MG_DL, False, Severity.WARNING, MSG_TG_REDUCE,
                 (src.DEFAULT_TG_LEVELS,)),
    # The label's ">800 mg/dL" (reported, not a stop level) and the BNF's ">9 mmol/L" (797.13 mg/dL) differ
    # by 3 mg/dL; the lower (BNF) bound is the safer reading and covers the label's level too.
    LabThreshold("tg_pancreatitis_stop", Analyte.TRIGLYCERIDES, 9.0, Unit.MMOL_L, False, Severity.URGENT,
                 MSG_TG_STOP, (src.BNF, src.ACCUTANE_2010, src.US_PI_PANCREATITIS)),
    *_enzyme_thresholds(Analyte.ALT),
    *_enzyme_thresholds(Analyte.AST),
)


def validate_thresholds(thresholds: Iterable[LabThreshold]) -> tuple[LabThreshold, ...]:
    """A clinic's threshold set: codes must be unique (they key the alerts and their translations)."""
    result = tuple(thresholds)
    seen: set[str] = set()
    for threshold in result:
        if threshold.code in seen:
            raise LabInputError("thresholds", f"code {threshold.code!r} is used twice")
        seen.add(threshold.code)
    return result


@dataclass(frozen=True, slots=True)
class LabEvaluation:
    result: LabResult
    alerts: tuple[Alert, ...]  # every threshold met, most severe first

    @property
    def highest(self) -> Alert | None:
        return self.alerts[0] if self.alerts else None

    @property
    def severity(self) -> Severity | None:
        return self.alerts[0].severity if self.alerts else None


def evaluate_lab(result: LabResult, thresholds: Sequence[LabThreshold] = DEFAULT_THRESHOLDS) -> LabEvaluation:
    """Every threshold the result meets, as alerts, most severe first.

    Within one severity the threshold with the higher bound comes first, so ``highest`` names the most
    specific advice (e.g. "reduce the dose" over "look for other causes").
    """
    met = [t for t in thresholds if t.is_met(result)]
    met.sort(key=lambda t: -_bound_for_order(result, t))
    alerts = [Alert(t.code, t.severity, t.message, t.sources, t.needs_clinical_signoff,
                    subject=ANALYTE_NAMES[t.analyte], text=t.text) for t in met]
    return LabEvaluation(result=result, alerts=by_severity(alerts))


def _bound_for_order(result: LabResult, threshold: LabThreshold) -> float:
    if threshold.unit in (Unit.X_ULN, result.unit):
        return threshold.bound
    return convert(threshold.analyte, threshold.bound, threshold.unit, result.unit)


# ---------------------------------------------------------------------------------------------
# Qualitative pregnancy tests
# ---------------------------------------------------------------------------------------------

MSG_HCG_POSITIVE = ("Positive pregnancy test: the label says stop isotretinoin at once and refer to an "
                    "obstetrician-gynecologist experienced in reproductive toxicity.")


def qualitative_result(analyte: Analyte | str, value: Qualitative | str) -> Qualitative:
    """Validate a urine or serum hCG result (negative/positive)."""
    kind = _parse_analyte(analyte)
    if kind not in QUALITATIVE_ANALYTES:
        raise LabInputError("analyte", f"{ANALYTE_NAMES[kind]} is a number, not negative or positive")
    try:
        return Qualitative(value)
    except ValueError:
        raise LabInputError("value", "must be negative or positive") from None


def evaluate_pregnancy_test(value: Qualitative) -> Alert | None:
    """A positive test is urgent (US label D1 §5.1); the dispensing rules block separately."""
    if value == Qualitative.POSITIVE:
        return Alert("pregnancy_test_positive", Severity.URGENT, MSG_HCG_POSITIVE, (src.US_PI_EMBRYO_FETAL,))
    return None
