"""MedicationRequest (a prescription, with the program's window to dispense) and MedicationDispense."""

from __future__ import annotations

from typing import Any

from clearcourse.interop import codes
from clearcourse.interop.fhir_export.inputs import DispenseIn, PrescriptionIn
from clearcourse.interop.fhir_export.writer import Writer, days, number, quantity, validity_end


def medication_request(w: Writer, rx: PrescriptionIn, *, dispensed: bool) -> None:
    dose = number(rx.daily_dose_mg)
    validity: dict[str, str] = {"start": rx.date.isoformat()}
    end = validity_end(w.inp, rx)
    if end is not None:
        validity["end"] = end.isoformat()
    identifiers = [{"system": codes.ID_PRESCRIPTION, "value": rx.rx_id}]
    if rx.ipledge_confirmation:
        identifiers.append({"system": codes.ID_IPLEDGE_CONFIRMATION, "value": rx.ipledge_confirmation})
    capsule_text = ", ".join(f"{n} x {s} mg" for s, n in rx.capsules if n > 0)
    res: dict[str, Any] = {"resourceType": "MedicationRequest"}
    if rx.second_prescriber_agreed:
        # UK 2023: a second independent prescriber agreed to start treatment (patient under 18).
        res["extension"] = [{"url": codes.EXT_SECOND_PRESCRIBER, "valueBoolean": True}]
    res |= {
        "identifier": identifiers,
        # One fill per prescription: once dispensed the request is complete.
        "status": "completed" if dispensed else "active",
        "intent": "order",
        "medicationCodeableConcept": w.medication(rx.product, rx.capsules),
        "subject": w.patient,
        "authoredOn": rx.date.isoformat(),
    }
    if rx.prescriber:
        res["requester"] = w.ref(rx.prescriber)
    res["dosageInstruction"] = [{
        "text": f"{dose} mg once a day" + (f" ({capsule_text} capsules)" if capsule_text else ""),
        "timing": {"repeat": {"frequency": 1, "period": 1, "periodUnit": "d"}},
        "doseAndRate": [{"doseQuantity": quantity(dose, "mg")}],
    }]
    res["dispenseRequest"] = {
        "validityPeriod": validity,
        "numberOfRepeatsAllowed": 0,
        "expectedSupplyDuration": days(rx.days_supply),
    }
    w.add(rx.key, res)


def medication_dispense(w: Writer, d: DispenseIn, rx: PrescriptionIn | None) -> None:
    res: dict[str, Any] = {
        "resourceType": "MedicationDispense", "status": "completed",
        "medicationCodeableConcept": w.medication(rx.product if rx else "", rx.capsules if rx else ()),
        "subject": w.patient,
    }
    if d.pharmacy:
        res["performer"] = [{"actor": w.ref(d.pharmacy)}]
    res["authorizingPrescription"] = [w.ref(d.prescription_key)]
    res["daysSupply"] = days(d.days_supply)
    res["whenHandedOver"] = d.date.isoformat()
    if d.daily_dose_mg is not None:
        res["dosageInstruction"] = [{"text": f"{number(d.daily_dose_mg)} mg once a day",
                                     "doseAndRate": [{"doseQuantity": quantity(d.daily_dose_mg, "mg")}]}]
    w.add(d.key, res)
