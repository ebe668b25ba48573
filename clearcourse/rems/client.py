"""A small NCPDP SCRIPT pharmacy client: the messages a pharmacy system sends to a REMS administrator and a
reader for the answers. ``python -m clearcourse rems_client`` runs its sequence against a ClearCourse
server; the tests use it with the same element paths as the open-source pharmacy system pims.

Messages follow SCRIPT 2024011 (``Names/Name``, ``Product/DrugCoded/NDC``) or 2017071 (``Name``,
``DrugCoded/ProductCode`` with qualifier ND), chosen by ``version``.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
import uuid
from dataclasses import dataclass, field
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as SafeET

VERSION_ATTRIBUTES = {"2017071": "20170715", "2024011": "2024011"}


@dataclass(frozen=True, slots=True)
class Party:
    """What a message says about the patient, the prescriber, the pharmacy and the drug."""

    given: str
    family: str
    birth_date: dt.date
    pharmacy_ncpdp: str
    prescriber_npi: str = ""
    prescriber_given: str = "Ana"
    prescriber_family: str = "Rivera"
    ndc: str = ""
    rxnorm: str = ""
    description: str = "Isotretinoin 40 MG Oral Capsule"
    days_supply: int | None = None
    order_number: str = ""
    version: str = "2024011"


def _add(parent: Element, tag: str, value: str | None = None, **attrs: str) -> Element:
    child = SubElement(parent, tag, attrs)
    if value is not None:
        child.text = value
    return child


def _message(party: Party, *, to: str, to_qualifier: str = "ZZZ") -> tuple[Element, Element]:
    version = VERSION_ATTRIBUTES[party.version]
    message = Element("Message", {"DatatypesVersion": version, "TransportVersion": version,
                                  "TransactionDomain": "SCRIPT", "TransactionVersion": version,
                                  "StructuresVersion": version, "ECLVersion": version})
    header = _add(message, "Header")
    _add(header, "To", to, Qualifier=to_qualifier)
    _add(header, "From", party.pharmacy_ncpdp, Qualifier="P")
    _add(header, "MessageID", uuid.uuid4().hex)
    _add(header, "SentTime", dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"))
    if party.order_number:
        _add(header, "PrescriberOrderNumber", party.order_number)
    return message, _add(message, "Body")


def _patient(parent: Element, party: Party, case: str = "", *, with_names: bool = True) -> None:
    human = _add(_add(parent, "Patient"), "HumanPatient")
    identification = _add(human, "Identification")
    if case:
        _add(identification, "REMSPatientID", case)
    if with_names:
        name = _add(_add(human, "Names"), "Name") if party.version == "2024011" else _add(human, "Name")
        _add(name, "LastName", party.family)
        _add(name, "FirstName", party.given)
    _add(_add(human, "DateOfBirth"), "Date", party.birth_date.isoformat())


def _pharmacy(parent: Element, party: Party) -> None:
    pharmacy = _add(parent, "Pharmacy")
    _add(_add(pharmacy, "Identification"), "NCPDPID", party.pharmacy_ncpdp)
    _add(pharmacy, "BusinessName", "Pharmacy")


def _prescriber(parent: Element, party: Party) -> None:
    person = _add(_add(parent, "Prescriber"), "NonVeterinarian")
    if party.prescriber_npi:
        _add(_add(person, "Identification"), "NPI", party.prescriber_npi)
    name = _add(person, "Name")
    _add(name, "LastName", party.prescriber_family)
    _add(name, "FirstName", party.prescriber_given)


def _medication(parent: Element, party: Party, tag: str = "MedicationPrescribed") -> None:
    medication = _add(parent, tag)
    _add(medication, "DrugDescription", party.description)
    if party.version == "2024011":
        drug = _add(_add(medication, "Product"), "DrugCoded")
        if party.ndc:
            _add(drug, "NDC", party.ndc)
    else:
        drug = _add(medication, "DrugCoded")
        if party.ndc:
            code = _add(drug, "ProductCode")
            _add(code, "Code", party.ndc)
            _add(code, "Qualifier", "ND")
    if party.rxnorm:
        db = _add(drug, "DrugDBCode")
        _add(db, "Code", party.rxnorm)
        _add(db, "Qualifier", "SCD")
    if party.days_supply is not None:
        _add(medication, "DaysSupply", str(party.days_supply))


def _to(party: Party) -> str:
    return party.ndc or party.rxnorm or "REMS"


def rems_initiation_request(party: Party, *, with_names: bool = True) -> bytes:
    message, body = _message(party, to=_to(party))
    request = _add(body, "REMSInitiationRequest")
    _add(request, "REMSReferenceID", uuid.uuid4().hex[:25])
    _patient(request, party, with_names=with_names)
    _pharmacy(request, party)
    _prescriber(request, party)
    _medication(request, party)
    return tostring(message, encoding="utf-8")


def rems_request(party: Party, case: str, *, reference_id: str | None = None) -> bytes:
    message, body = _message(party, to=_to(party))
    request = _add(body, "REMSRequest")
    _add(request, "REMSReferenceID", reference_id or uuid.uuid4().hex[:25])
    _patient(request, party)
    _pharmacy(request, party)
    _prescriber(request, party)
    _medication(request, party)
    solicited = _add(_add(request, "Request"), "SolicitedModel")
    _add(solicited, "REMSCaseID", case)
    return tostring(message, encoding="utf-8")


def rx_fill(party: Party) -> bytes:
    message, body = _message(party, to=party.prescriber_npi or "EHR", to_qualifier="C")
    fill = _add(body, "RxFill")
    _add(_add(_add(fill, "FillStatus"), "Dispensed"), "Note", "Picked up")
    _patient(fill, party)
    _pharmacy(fill, party)
    _prescriber(fill, party)
    _medication(fill, party, "MedicationDispensed")
    return tostring(message, encoding="utf-8")


# --- reading answers ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reply:
    """The part of an answer a pharmacy system acts on."""

    kind: str  # REMSInitiationResponse, REMSResponse, Status, Error
    status: str = ""  # OPEN, CLOSED, APPROVED, DENIED, or the Status/Error code
    case: str = ""
    authorization: str = ""
    expires: str = ""
    reason_code: str = ""
    note: str = ""
    http_status: int = 200
    raw: dict[str, Any] = field(default_factory=dict)


def _text(element: Element | None, path: str) -> str:
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def read_reply(body: bytes, http_status: int = 200) -> Reply:
    root = SafeET.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    answer = root.find("Body")
    kind_el = answer[0] if answer is not None and len(answer) else None
    kind = kind_el.tag if kind_el is not None else ""
    if kind == "REMSInitiationResponse":
        closed = kind_el.find("Response/ResponseStatus/Closed") if kind_el is not None else None
        if closed is not None:
            return Reply(kind, "CLOSED", reason_code=_text(closed, "ReasonCode"), note=_text(closed, "REMSNote"),
                         http_status=http_status)
        return Reply(kind, "OPEN", case=_text(kind_el, "Patient/HumanPatient/Identification/REMSPatientID"),
                     http_status=http_status)
    if kind == "REMSResponse":
        approved = kind_el.find("Response/ResponseStatus/Approved") if kind_el is not None else None
        if approved is not None:
            return Reply(kind, "APPROVED", case=_text(approved, "REMSCaseID"),
                         authorization=_text(approved, "REMSAuthorizationNumber"),
                         expires=_text(approved, "AuthorizationPeriod/ExpirationDate/Date"), http_status=http_status)
        denied = kind_el.find("Response/ResponseStatus/Denied") if kind_el is not None else None
        return Reply(kind, "DENIED", case=_text(denied, "REMSCaseID"), reason_code=_text(denied, "DeniedReasonCode"),
                     note=_text(denied, "REMSNote"), http_status=http_status)
    if kind in ("Status", "Error"):
        return Reply(kind, _text(kind_el, "Code"), note=_text(kind_el, "Description"), http_status=http_status)
    return Reply(kind or "unknown", http_status=http_status)


# --- talking to a server -----------------------------------------------------------------------------


def post(base_url: str, token: str, message: bytes, *, timeout: float = 30) -> Reply:
    """POST one message to ``<base_url>/ncpdp/script`` and read the answer (any HTTP status)."""
    request = urllib.request.Request(  # noqa: S310 - the operator's own server URL
        base_url.rstrip("/") + "/ncpdp/script", data=message, method="POST",
        headers={"Content-Type": "application/xml", "Accept": "application/xml", "Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return read_reply(response.read(), response.status)
    except urllib.error.HTTPError as error:
        return read_reply(error.read(), error.code)


def run_sequence(base_url: str, token: str, party: Party, *, with_names: bool = True) -> list[dict[str, Any]]:
    """REMSInitiationRequest -> REMSRequest -> RxFill -> the same RxFill again; stops after a refusal.
    Returns one entry per step (what was sent, what came back)."""
    steps: list[dict[str, Any]] = []

    def step(name: str, reply: Reply) -> Reply:
        steps.append({"step": name, "kind": reply.kind, "status": reply.status, "case": reply.case,
                      "authorization": reply.authorization, "expires": reply.expires,
                      "reason_code": reply.reason_code, "note": reply.note, "http_status": reply.http_status})
        return reply

    opened = step("REMSInitiationRequest", post(base_url, token, rems_initiation_request(party, with_names=with_names)))
    if opened.status != "OPEN":
        return steps
    decided = step("REMSRequest", post(base_url, token, rems_request(party, opened.case)))
    if decided.status != "APPROVED":
        return steps
    step("RxFill", post(base_url, token, rx_fill(party)))
    step("RxFill (repeated)", post(base_url, token, rx_fill(party)))
    return steps


def as_json(steps: list[dict[str, Any]]) -> str:
    return json.dumps(steps, indent=2)
