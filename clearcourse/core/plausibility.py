"""The rules core's plausibility table, applied by the services: refusals and confirmations in words.

A service hands every clinical number it is about to store to :func:`require_plausible`: a value outside
the hard range raises a :class:`DomainError` (code ``implausible``) on its field naming the accepted range;
a value outside the usual range raises one (code ``needs_confirmation``) unless the person or system
confirmed it (``confirm_unusual``). Pages show the second as a warning with a "confirm" checkbox
(``core.forms_flow``); the API and the imports report it and accept it with ``confirm_unusual``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clearcourse.core.errors import DomainError
from clearcourse.rules import plausibility
from clearcourse.rules.plausibility import Check, Quantity, Range

CONFIRM_FIELD = "confirm_unusual"
CODE_REFUSED = "implausible"
CODE_UNUSUAL = "needs_confirmation"

QUANTITY_LABELS: dict[Quantity, Any] = {
    Quantity.WEIGHT: gettext_lazy("Weight"),
    Quantity.HEIGHT: gettext_lazy("Height"),
    Quantity.AGE_AT_START: gettext_lazy("Age at the start of the course"),
    Quantity.TRIGLYCERIDES: gettext_lazy("Triglycerides"),
    Quantity.TOTAL_CHOLESTEROL: gettext_lazy("Total cholesterol"),
    Quantity.HDL_CHOLESTEROL: gettext_lazy("HDL cholesterol"),
    Quantity.LDL_CHOLESTEROL: gettext_lazy("LDL cholesterol"),
    Quantity.ALT: gettext_lazy("ALT"),
    Quantity.AST: gettext_lazy("AST"),
    Quantity.HCG_QUANTITATIVE: gettext_lazy("Quantitative serum hCG"),
    Quantity.DAILY_DOSE: gettext_lazy("Daily dose"),
    Quantity.DAILY_DOSE_PER_KG: gettext_lazy("Daily dose per kg"),
    Quantity.DAYS_SUPPLY: gettext_lazy("Days of supply"),
}
UNIT_LABELS: dict[str, Any] = {
    plausibility.YEARS: gettext_lazy("years"),
    plausibility.DAYS: gettext_lazy("days"),
    plausibility.MG_PER_DAY: gettext_lazy("mg/day"),
    plausibility.MG_PER_KG_PER_DAY: gettext_lazy("mg/kg/day"),
}

REFUSED_BETWEEN = gettext_lazy("%(name)s of %(value)s %(unit)s cannot be right: enter a value from %(low)s to "
                               "%(high)s %(unit)s.")
REFUSED_NOT_A_NUMBER = gettext_lazy("Enter %(name)s as a number from %(low)s to %(high)s %(unit)s.")
UNUSUAL_BETWEEN = gettext_lazy("%(name)s of %(value)s %(unit)s is unusual (usual range %(low)s to %(high)s "
                               "%(unit)s). Check it; to keep it, tick \"I have checked the unusual value\" and "
                               "save again.")
UNUSUAL_ABOVE = gettext_lazy("%(name)s of %(value)s %(unit)s is unusual (usually at most %(high)s %(unit)s). "
                             "Check it; to keep it, tick \"I have checked the unusual value\" and save again.")
UNUSUAL_BELOW = gettext_lazy("%(name)s of %(value)s %(unit)s is unusual (usually at least %(low)s %(unit)s). "
                             "Check it; to keep it, tick \"I have checked the unusual value\" and save again.")
CONFIRM_LABEL = gettext_lazy("I have checked the unusual value")


def _number(value: Decimal) -> str:
    return str(number_format(Decimal(format(value.normalize(), "f")), use_l10n=True))


def unit_label(unit: str) -> str:
    return str(UNIT_LABELS.get(unit, unit))


def _bounds(rng: Range) -> dict[str, str]:
    return {"low": _number(rng.low.value) if rng.low is not None else "",
            "high": _number(rng.high.value) if rng.high is not None else ""}


def message(result: Check, *, not_a_number: bool = False) -> str:
    """The words for a refused or unusual value (English or German)."""
    params = {"name": str(QUANTITY_LABELS[result.entry.quantity]), "unit": unit_label(result.entry.unit),
              "value": _number(result.value), **_bounds(result.range)}
    if result.refused:
        return str(REFUSED_NOT_A_NUMBER if not_a_number else REFUSED_BETWEEN) % params
    soft = result.entry.soft
    if soft.low is None:
        return str(UNUSUAL_ABOVE) % params
    if soft.high is None:
        return str(UNUSUAL_BELOW) % params
    return str(UNUSUAL_BETWEEN) % params


def range_json(rng: Range, unit: str) -> dict[str, Any]:
    return {"low": None if rng.low is None else str(rng.low.value),
            "high": None if rng.high is None else str(rng.high.value), "unit": unit,
            "sources": [s.key for s in rng.sources]}


@dataclass(frozen=True, slots=True)
class Value:
    """One number to check: what it is, in which unit, and the form/API field it came from."""

    quantity: Quantity
    value: Any
    unit: str
    field: str


def require_plausible(values: Sequence[Value], *, confirmed: bool = False) -> list[Check]:
    """Check every value; raise for the first impossible one, or (unless ``confirmed``) for the unusual ones.

    Returns the checks of the values that needed (and got) a confirmation, for the audit entry.
    """
    unusual: list[tuple[Value, Check]] = []
    for item in values:
        result = plausibility.check(item.quantity, item.value, item.unit)
        if result.refused:
            raise DomainError(message(result, not_a_number=plausibility.as_number(item.value) is None),
                              field=item.field, code=CODE_REFUSED,
                              extra={"range": range_json(result.range, result.entry.unit)})
        if result.needs_confirmation:
            unusual.append((item, result))
    if unusual and not confirmed:
        first = unusual[0][0]
        raise DomainError(" ".join(message(r) for _item, r in unusual), field=first.field, code=CODE_UNUSUAL,
                          extra={"confirm_field": CONFIRM_FIELD,
                                 "unusual": [{"field": i.field, "value": str(r.value),
                                              "range": range_json(r.range, r.entry.unit)} for i, r in unusual]})
    return [r for _item, r in unusual]


def confirmed_json(checks: Sequence[Check]) -> list[dict[str, str]]:
    """What the audit entry keeps about confirmed unusual values."""
    return [{"quantity": c.entry.quantity.value, "value": str(c.value), "unit": c.entry.unit} for c in checks]


def reason_error(text: str | None, *, field: str) -> DomainError | None:
    """A DomainError naming ``field`` when a reason is no reason (too short, no words, too long)."""
    problem = plausibility.reason_problem(text)
    return None if problem is None else DomainError(_(problem), field=field, code="reason_invalid")
