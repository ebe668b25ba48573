"""MedicationRequest (prescriptions) and MedicationDispense."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from clearcourse.core.plausibility import Value, require_plausible
from clearcourse.courses.models import Prescription
from clearcourse.courses.services import check_event_date
from clearcourse.interop import codes
from clearcourse.interop.fhir_course_import.base import ImportBase
from clearcourse.interop.fhir_course_import.messages import (
    BAD_DAYS,
    BAD_DOSE,
    DISPENSE_BEFORE_RX,
    DISPENSE_OVER_RX,
    DISPENSE_TWICE,
    IPLEDGE_FORMAT,
    IPLEDGE_ONLY_US,
    NO_PRODUCT,
    NOTE_SECOND_PRESCRIBER,
    PRODUCT_MISMATCH,
    REFERENCE_FAILED,
    REFILLS,
)
from clearcourse.interop.fhir_course_import.reading import (
    _DAY_UNITS,
    _IPLEDGE_RE,
    _capsules,
    _date,
    _dose_quantity,
    _Entry,
    _first,
    _product,
    _whole,
)
from clearcourse.interop.fhir_course_import.report import _Bad
from clearcourse.pharmacy.models import Dispense
from clearcourse.ppp.models import ProgramCode
from clearcourse.rules.plausibility import DAYS, MG_PER_DAY, Quantity


class MedicationImport(ImportBase):
    # -- prescriptions and dispenses --

    def write_prescription(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "active", "completed")
        self.subject(res)
        product = _product(res.get("medicationCodeableConcept"))
        if not product:
            raise _Bad("medicationCodeableConcept", _(NO_PRODUCT))
        if product != self.c.product:
            raise _Bad("medicationCodeableConcept", _(PRODUCT_MISMATCH).format(product=self.c.product))
        issued = _date(res.get("authoredOn"), "authoredOn")
        dose_quantity = _dose_quantity(res) or {}
        if (dose_quantity.get("code") or dose_quantity.get("unit")) != "mg":
            raise _Bad("dosageInstruction", _(BAD_DOSE))
        dose = _whole(dose_quantity.get("value"), "dosageInstruction", BAD_DOSE, low=1)
        request: dict[str, Any] = res["dispenseRequest"] if isinstance(res.get("dispenseRequest"), dict) else {}
        supply = request.get("expectedSupplyDuration") or {}
        if (supply.get("code") or supply.get("unit")) not in _DAY_UNITS:
            raise _Bad("dispenseRequest.expectedSupplyDuration", _(BAD_DAYS))
        days = _whole(supply.get("value"), "dispenseRequest.expectedSupplyDuration", BAD_DAYS, low=1, high=90)
        if request.get("numberOfRepeatsAllowed") not in (None, 0):
            raise _Bad("dispenseRequest.numberOfRepeatsAllowed", _(REFILLS))
        ipledge = next((str(i.get("value") or "").strip() for i in res.get("identifier") or []
                        if isinstance(i, dict) and i.get("system") == codes.ID_IPLEDGE_CONFIRMATION), "")
        if ipledge and self.c.program != ProgramCode.US_IPLEDGE:
            raise _Bad("identifier", _(IPLEDGE_ONLY_US))
        if ipledge and not _IPLEDGE_RE.match(ipledge):
            raise _Bad("identifier", _(IPLEDGE_FORMAT))
        if any(isinstance(x, dict) and x.get("url") == codes.EXT_SECOND_PRESCRIBER for x in res.get("extension") or []):
            self.note(_(NOTE_SECOND_PRESCRIBER).format(index=entry.index))
        require_plausible([Value(Quantity.DAILY_DOSE, dose, MG_PER_DAY, "dosageInstruction"),
                           Value(Quantity.DAYS_SUPPLY, days, DAYS, "dispenseRequest.expectedSupplyDuration")],
                          confirmed=self.confirm_unusual)
        prescriber = self.user_or_prescriber(res.get("requester"), "requester")
        check_event_date(issued, patient=self.c.patient, today=self.today, field="authoredOn")
        # Import path: the service would make the importing user the prescriber and judge the supply
        # against today's risk category; a prescription written elsewhere is recorded as written.
        rx = Prescription.objects.create(
            course=self.c, prescriber=prescriber, issued_on=issued, product=product, daily_dose_mg=dose,
            capsules=_capsules(product, dose), days_supply=days, ipledge_confirmation=ipledge,
            recorded_by=self.actor)
        self.prescriptions[entry.index] = rx
        self.wrote("prescription", rx.pk)

    def write_dispense(self, entry: _Entry) -> None:
        res = entry.resource
        self.status(res, "completed")
        self.subject(res)
        rx_entry = self.target(_first(res.get("authorizingPrescription")), "authorizingPrescription",
                               "MedicationRequest")
        rx = self.prescriptions.get(rx_entry.index)
        if rx is None:
            raise _Bad("authorizingPrescription", _(REFERENCE_FAILED).format(index=rx_entry.index))
        if rx_entry.index in self.dispensed:
            raise _Bad("authorizingPrescription", _(DISPENSE_TWICE).format(
                index=rx_entry.index, other=self.dispensed[rx_entry.index]))
        performer = _first(res.get("performer"))
        pharmacy_entry = self.target(performer.get("actor") if isinstance(performer, dict) else None,
                                     "performer", "Organization")
        pharmacy = self.pharmacies.get(pharmacy_entry.index)
        if pharmacy is None:
            raise _Bad("performer", _(REFERENCE_FAILED).format(index=pharmacy_entry.index))
        day = _date(res.get("whenHandedOver"), "whenHandedOver")
        supply = res.get("daysSupply") or {}
        if (supply.get("code") or supply.get("unit")) not in _DAY_UNITS:
            raise _Bad("daysSupply", _(BAD_DAYS))
        days = _whole(supply.get("value"), "daysSupply", BAD_DAYS, low=1, high=90)
        if days > rx.days_supply:
            raise _Bad("daysSupply", _(DISPENSE_OVER_RX).format(days=days, index=rx_entry.index,
                                                               rx_days=rx.days_supply))
        dose_quantity = _dose_quantity(res)
        dose = rx.daily_dose_mg if dose_quantity is None else \
            _whole(dose_quantity.get("value"), "dosageInstruction", BAD_DOSE, low=1)
        if day < rx.issued_on:
            raise _Bad("whenHandedOver", _(DISPENSE_BEFORE_RX).format(issued_on=rx.issued_on.isoformat()))
        check_event_date(day, patient=self.c.patient, today=self.today, field="whenHandedOver")
        # Import path: a dispense done elsewhere has no authorization here (``Dispense.authorization`` is
        # null for exactly this case); the live authorization and dispensing rules are not involved.
        record = Dispense.objects.create(prescription=rx, pharmacy=pharmacy, dispensed_on=day, days_supply=days,
                                         daily_dose_mg=dose, recorded_by=self.actor)
        self.dispensed[rx_entry.index] = entry.index
        self.wrote("dispense", record.pk)
