"""How the REMS doors find ClearCourse's patients, cases, prescriptions and products (docs/interop.md).

- **Product**: an NDC from the catalogue (``interop.codes.NDC_PACKAGES``) names the product (and, where
  the catalogue confirms it, the strength); an RxNorm code names isotretinoin (6064) or a capsule
  strength (the clinical-drug codes), which several products share. Anything else is not a product of
  this REMS.
- **Case**: the REMS case number is ``CC-<course id>``. A pharmacy sees only cases of its own program
  family, exactly as its API look-up does.
- **Patient without a case number**: given and family name (case-insensitive) and date of birth, within
  the pharmacy's program family; the prescriber's NPI, when sent, narrows it to that prescriber's
  patients. A message that drops the patient's name (pims' REMSInitiationRequest does) is matched on the
  date of birth and the prescriber's NPI, and only when they name exactly one patient with an open
  prescription of the product.
- **Prescription**: the PrescriberOrderNumber when it names one of the case's prescriptions (its ``RX-``
  reference, or the ``MedicationRequest.id`` of the course's FHIR export); otherwise the case's one open
  prescription (current, not voided, not dispensed) of the product. None or several: the answer says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet

from clearcourse.accounts.models import User
from clearcourse.courses.models import Course, Prescription
from clearcourse.interop import codes
from clearcourse.interop.selectors import medication_request_id
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp.models import Enrollment
from clearcourse.rules.dosing import PRODUCTS

CASE_PREFIX = "CC-"
_CASE = re.compile(r"^\s*CC-(\d{1,18})\s*$", re.IGNORECASE | re.ASCII)
_RX = re.compile(r"^\s*RX[\s-]?(\d{1,18})(?:[\s-]?[A-Z0-9]{4})?\s*$", re.IGNORECASE | re.ASCII)
ALL_PRODUCTS = frozenset(codes.PRODUCT_NAMES)


@dataclass(frozen=True, slots=True)
class ProductMatch:
    """The products a coded medication can be (one for an NDC, several for an RxNorm strength)."""

    products: frozenset[str]
    strength_mg: int | None = None
    code: str = ""  # the code that matched, for messages


def match_product(codings: Iterable[tuple[str, str]]) -> ProductMatch | None:
    """The product named by the first coding this REMS knows, NDC first; None when none is isotretinoin.
    ``codings`` are (system, code); the system is ``ndc`` or ``rxnorm`` or a FHIR system URI."""
    pairs = [(system.lower(), code.strip()) for system, code in codings if code and code.strip()]
    for system, code in pairs:
        if system.endswith("ndc") or system in ("nd", "n4"):
            package = codes.ndc_package(code)
            if package is not None:
                return ProductMatch(frozenset({package.product}), package.strength_mg, code)
    for system, code in pairs:
        if "rxnorm" in system or system in ("scd", "sbd", "gpck", "bpck", "in", "min"):
            if code == codes.RX_ISOTRETINOIN.code:
                return ProductMatch(ALL_PRODUCTS, None, code)
            for strength, scd in codes.RX_CAPSULE.items():
                if scd.code == code:

                    owners = frozenset(p for p, product in PRODUCTS.items()
                                       if any(int(s) == strength for s in product.strengths_mg))
                    return ProductMatch(owners, strength, code)
    return None


def case_number(course: Course | int) -> str:
    return f"{CASE_PREFIX}{course if isinstance(course, int) else course.pk}"


def parse_case_number(value: str) -> int | None:
    match = _CASE.match(value or "")
    return int(match.group(1)) if match else None


def courses_for_pharmacy(pharmacist: User) -> QuerySet[Course]:
    """Courses under the acting pharmacy's program family (the only ones its messages may name)."""
    pharmacy = pharmacist.pharmacy
    if pharmacy is None:
        return Course.objects.none()
    return Course.objects.filter(program=pharmacy.program).select_related("patient", "prescriber", "clinic")


def enrolled(course: Course) -> bool:
    return Enrollment.objects.current().filter(course=course).exists()


def open_prescriptions(course: Course, products: frozenset[str] = ALL_PRODUCTS) -> QuerySet[Prescription]:
    """Current, not voided, not dispensed prescriptions of the course for one of ``products``, newest first."""
    dispensed = Dispense.objects.filter(prescription=OuterRef("pk"))
    return (Prescription.objects.current().filter(course=course, voided=False, product__in=products)
            .exclude(Exists(dispensed)).select_related("course__patient", "prescriber")
            .order_by("-issued_on", "-id"))


@dataclass(frozen=True, slots=True)
class PatientQuery:
    given: str
    family: str
    birth_date: dt.date | None
    prescriber_npi: str = ""


def _names_match(course: Course, given: str, family: str) -> bool:
    patient = course.patient
    return (patient.given_name.strip().casefold() == given.strip().casefold()
            and patient.family_name.strip().casefold() == family.strip().casefold())


def patient_matches(course: Course, query: PatientQuery) -> bool:
    """The message's patient is the case's: same date of birth, and the same names when it gives them."""
    if query.birth_date is None or course.patient.birth_date != query.birth_date:
        return False
    if query.given or query.family:
        return _names_match(course, query.given, query.family)
    return True


def find_case(pharmacist: User, query: PatientQuery, product: ProductMatch | None,
              case: str = "") -> tuple[Course | None, str]:
    """(the case, "") or (None, why not) for a message's patient; see the module docstring."""
    courses = courses_for_pharmacy(pharmacist)
    if case:
        course_id = parse_case_number(case)
        course = courses.filter(pk=course_id).first() if course_id is not None else None
        if course is None or not patient_matches(course, query):
            return None, "No REMS case with this number belongs to this patient."
        return course, ""
    if query.birth_date is None:
        return None, "The message gives no date of birth for the patient."
    candidates = courses.filter(patient__birth_date=query.birth_date)
    if query.prescriber_npi:
        candidates = candidates.filter(Q(prescriber__npi=query.prescriber_npi)
                                       | Q(prescriptions__prescriber__npi=query.prescriber_npi)).distinct()
    products = product.products if product is not None else ALL_PRODUCTS
    if query.given or query.family:
        found = [c for c in candidates.order_by("-created_at", "-id") if _names_match(c, query.given, query.family)]
        # A patient may have an earlier, closed course: the newest course with an open prescription of the
        # product is the case; else the newest course.
        with_rx = [c for c in found if open_prescriptions(c, products).exists()]
        chosen = (with_rx or found)[:1]
        if not chosen:
            return None, "No patient of this program matches this name and date of birth."
        return chosen[0], ""
    if not query.prescriber_npi:
        return None, "The message gives neither the patient's name nor the prescriber's NPI."
    with_rx = [c for c in candidates if open_prescriptions(c, products).exists()]
    if len(with_rx) != 1:
        return None, ("The patient's name is missing and the date of birth with the prescriber's NPI does not "
                      "name exactly one patient with an open prescription of this product.")
    return with_rx[0], ""


def prescription_by_order_number(course: Course, order_number: str) -> Prescription | None:
    """The case's current prescription a PrescriberOrderNumber names (``RX-<id>`` or the exported
    ``MedicationRequest.id``); None when it names none of ours (an EHR's own order number)."""
    order_number = (order_number or "").strip()
    if not order_number:
        return None
    rows = Prescription.objects.current().filter(course=course).select_related("course__patient", "prescriber")
    match = _RX.match(order_number)
    if match is not None:
        found = rows.filter(pk=int(match.group(1))).first()
        if found is not None:
            return found
    return next((row for row in rows if medication_request_id(row) == order_number), None)


def find_prescription(course: Course, order_number: str, product: ProductMatch | None) -> tuple[Prescription | None, str]:
    """(the prescription, "") or (None, why not); see the module docstring."""
    named = prescription_by_order_number(course, order_number)
    if named is not None:
        return named, ""
    products = product.products if product is not None else ALL_PRODUCTS
    candidates = list(open_prescriptions(course, products)[:2])
    if not candidates:
        return None, "The case has no open prescription of this product."
    if len(candidates) > 1:
        return None, ("The case has more than one open prescription of this product; send the "
                      "PrescriberOrderNumber (the RX reference).")
    return candidates[0], ""
