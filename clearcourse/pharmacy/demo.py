"""Demo dispensing history for the demo pharmacy (runs after the courses and ppp builders).

- Every pick-up the courses builder lists in ``ctx["pickups"]`` (``(Prescription, date)``, oldest
  first) becomes a Dispense of ``ctx["pharmacy"]`` with the same daily dose and days of supply. The rules
  core is asked about it as of that day (the ppp builder records the program's visits before each
  pick-up); when it allowed the fill, the Dispense is made under a stored Authorization of that day with
  the core's answer. When it did not, the fill is kept as imported history without an authorization,
  rather than inventing an allowed decision the core did not give.
- For the ppp builder's ``window_expired`` situation, the pharmacy asked (and the rules core allowed)
  an authorization on the day after the prescription, and the patient never came: it has expired unused
  and shows in the pharmacist's "reverse these" list (iPLEDGE 2026, fact sheet 1.2).

The ppp builder's ``ready`` prescriptions are left untouched, for the pharmacist to authorize and
dispense live. Adds ``ctx["pharmacy_demo"] = {"dispenses", "authorized", "imported", "expired_unused"}``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from clearcourse.accounts.models import User
from clearcourse.audit.services import audit_record
from clearcourse.courses import state
from clearcourse.courses.models import Prescription
from clearcourse.pharmacy.models import Authorization, Dispense


def _pharmacist(ctx: dict[str, Any]) -> User | None:
    users: dict[str, User] = ctx.get("users", {})
    return users.get("pharm.lee")


def _seed_pickup(ctx: dict[str, Any], prescription: Prescription, picked_up: dt.date) -> Dispense:
    pharmacy, actor = ctx["pharmacy"], _pharmacist(ctx)
    course = prescription.course
    decision = state.course_decision(course, prescription=prescription, request_date=picked_up,
                               days_supply=prescription.days_supply, pharmacy_id=pharmacy.pk)
    authorization = None
    if decision.allowed:
        authorization = Authorization.objects.create(
            pharmacy=pharmacy, prescription=prescription, patient_id=course.patient_id, decided_on=picked_up,
            allowed=True, reasons=[], valid_through=decision.valid_through or picked_up, program=decision.program,
            days_supply=prescription.days_supply, created_by=actor,
        )
    dispense = Dispense.objects.create(
        prescription=prescription, pharmacy=pharmacy, dispensed_on=picked_up, days_supply=prescription.days_supply,
        daily_dose_mg=prescription.daily_dose_mg, authorization=authorization,
        idempotency_key=f"demo-{prescription.pk}", recorded_by=actor,
    )
    audit_record(actor=actor, action="pharmacy.dispense", patient_id=course.patient_id, obj=dispense,
                 detail={"prescription": prescription.pk, "demo": True, "dispensed_on": picked_up.isoformat(),
                         "authorization": authorization.pk if authorization else None})
    return dispense


def _expired_unused(ctx: dict[str, Any], prescription: Prescription) -> Authorization | None:
    """Ask the rules core about ``prescription`` on the day after it was written, as the pharmacy did then."""
    asked_on = prescription.issued_on + dt.timedelta(days=1)
    decision = state.course_decision(prescription.course, prescription=prescription, request_date=asked_on,
                               days_supply=prescription.days_supply, pharmacy_id=ctx["pharmacy"].pk)
    if not decision.allowed:
        return None
    authorization = Authorization.objects.create(
        pharmacy=ctx["pharmacy"], prescription=prescription, patient_id=prescription.course.patient_id,
        decided_on=asked_on, allowed=True, reasons=[], valid_through=decision.valid_through or asked_on,
        program=decision.program, days_supply=prescription.days_supply, created_by=_pharmacist(ctx),
    )
    audit_record(actor=_pharmacist(ctx), action="pharmacy.authorize", patient_id=authorization.patient_id,
                 obj=authorization, detail={"prescription": prescription.pk, "allowed": True, "demo": True})
    return authorization


def build(ctx: dict[str, Any]) -> None:
    dispenses = [_seed_pickup(ctx, prescription, day) for prescription, day in ctx.get("pickups", [])]
    authorized = [d for d in dispenses if d.authorization_id is not None]
    expired: list[Authorization] = []
    situation_rx = ctx.get("ppp", {}).get("prescriptions", {})
    if "window_expired" in situation_rx:
        authorization = _expired_unused(ctx, situation_rx["window_expired"])
        if authorization is not None:
            expired.append(authorization)
    ctx["pharmacy_demo"] = {"dispenses": dispenses, "authorized": authorized,
                            "imported": [d for d in dispenses if d.authorization_id is None], "expired_unused": expired}
    out = ctx.get("stdout")
    if out is not None:
        out.write(f"  pharmacy: {len(dispenses)} past dispenses ({len(authorized)} under an authorization), "
                  f"{len(expired)} expired authorization(s) to reverse")
