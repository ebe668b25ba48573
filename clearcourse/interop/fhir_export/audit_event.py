"""AuditEvent: who accessed the record, and when."""

from __future__ import annotations

from typing import Any

from clearcourse.interop import codes
from clearcourse.interop.fhir_export.inputs import AccessIn
from clearcourse.interop.fhir_export.writer import Writer

AUDIT_ACTIONS = {"view": "R", "read": "R", "export": "R", "search": "E", "create": "C", "record": "C",
                  "update": "U", "correct": "U", "void": "D"}


def audit_event(w: Writer, a: AccessIn) -> None:
    verb = a.action.rsplit(".", 1)[-1]
    agent_who: dict[str, str] = w.ref(a.practitioner, a.who) if a.practitioner else {"display": a.who}
    res: dict[str, Any] = {
        "resourceType": "AuditEvent", "type": codes.AUDIT_PATIENT_RECORD.coding(),
        "subtype": [{"system": codes.LOCAL_AUDIT_ACTION, "code": a.action, "display": a.action}],
        "action": AUDIT_ACTIONS.get(verb, "E"),
        "recorded": a.at.isoformat(timespec="seconds"),
        "outcome": "0",
        "agent": [{"who": agent_who, "requestor": True}],
        "source": {"observer": w.ref(w.inp.clinic.key) if w.inp.clinic else {"display": "ClearCourse"}},
        "entity": [{"what": w.patient, "type": codes.AUDIT_ENTITY_TYPE_PERSON.coding(),
                    "role": codes.AUDIT_ENTITY_ROLE_PATIENT.coding()}],
    }
    w.add(a.key, res)

