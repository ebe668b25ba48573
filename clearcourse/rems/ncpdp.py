"""The NCPDP SCRIPT door (``POST /ncpdp/script``): REMSInitiationRequest, REMSRequest and RxFill, versions
2017071 and 2024011 (docs/interop.md has a complete exchange).

An approval is an ordinary ClearCourse authorization made by ``pharmacy.services.authorization_request``
(the same service as the pages and ``/api/v1``, so the same facts give the same answer, stored and
audited the same way), and an RxFill is ``pharmacy.services.dispense_record`` with an idempotency key
derived from the authorization, so a repeated RxFill changes nothing. Every answer is a SCRIPT message:
an NCPDP Error for anything the door cannot or may not process, never an HTML page.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from xml.etree.ElementTree import Element

from django.db import IntegrityError, transaction

from clearcourse.accounts.models import PharmacyApiToken, User
from clearcourse.core import clock, numbers
from clearcourse.core.errors import DomainError
from clearcourse.courses.models import Course, Prescription, prescription_reference
from clearcourse.courses.selectors import audit_read
from clearcourse.pharmacy import services as pharmacy_services
from clearcourse.pharmacy.models import Authorization
from clearcourse.rems import matching, xmlio
from clearcourse.rems.models import ScriptExchange

#: TransactionVersion values accepted, by the version they name.
VERSIONS = {"2017071": "2017071", "20170715": "2017071", "2024011": "2024011", "20240115": "2024011"}
VERSION_ATTRIBUTES = ("DatatypesVersion", "TransportVersion", "TransactionDomain", "TransactionVersion",
                      "StructuresVersion", "ECLVersion")

# NCPDP Error codes used: 601 receiver unable to process (malformed, unknown, unsupported), 900 transaction
# rejected (authentication, identification, a state that forbids it), 602 receiver system error.
UNABLE, REJECTED, SYSTEM = "601", "900", "602"
#: REMS reason codes (the NCPDP code list is member-only; these follow MITRE's open-source REMS
#: administrator): EM patient not enrolled / not found, ES prescriber, EO pharmacy, EC another condition of
#: the case (the REMSNote names every unmet condition).
REASON_BY_CODE = {"not_enrolled": "EM", "prescriber_not_certified": "ES", "pharmacy_not_certified": "EO"}
REASON_PRIORITY = ("ES", "EO", "EM", "EC")
MAX_NOTE = 2000


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: bytes


class Refusal(Exception):
    """Answer with an NCPDP Error message (HTTP ``status``)."""

    def __init__(self, description: str, *, code: str = REJECTED, status: int = 200) -> None:
        super().__init__(description)
        self.description = description
        self.code = code
        self.status = status


# --- reading a message -------------------------------------------------------------------------------


def _version(root: Element) -> str | None:
    raw = (root.get("TransactionVersion") or "").strip().upper().removeprefix("V")
    return VERSIONS.get(raw)


def _patient_query(section: Element | None, *, npi: str = "") -> tuple[matching.PatientQuery, str]:
    """The patient in a request (names in the 2017071 ``Name`` or the 2024011 ``Names/Name`` layout), and
    the REMS case number it carries (``Identification/REMSPatientID``)."""
    human = section.find("HumanPatient") if section is not None else None
    given = xmlio.first_text(human, "Names/Name/FirstName", "Name/FirstName")
    family = xmlio.first_text(human, "Names/Name/LastName", "Name/LastName")
    born_text = xmlio.first_text(human, "DateOfBirth/Date", "DateOfBirth/DateTime")[:10]
    try:
        born = dt.date.fromisoformat(born_text) if born_text else None
    except ValueError:
        raise Refusal("The patient's date of birth is not a date (YYYY-MM-DD).", code=UNABLE) from None
    case = xmlio.text(human, "Identification/REMSPatientID")
    return matching.PatientQuery(given, family, born, npi), case


def _prescriber_npi(body: Element) -> str:
    return xmlio.first_text(body, "Prescriber/NonVeterinarian/Identification/NPI",
                            "Prescriber/Veterinarian/Identification/NPI")


def _codings(medication: Element | None) -> list[tuple[str, str]]:
    """(system, code) of a MedicationPrescribed / MedicationDispensed in either layout."""
    if medication is None:
        return []
    found: list[tuple[str, str]] = []
    for drug in [*medication.findall("DrugCoded"), *medication.findall("Product/DrugCoded")]:
        qualifier = xmlio.text(drug, "ProductCode/Qualifier").upper() or "ND"
        if xmlio.text(drug, "ProductCode/Code"):
            found.append(("ndc" if qualifier in ("ND", "N4") else qualifier, xmlio.text(drug, "ProductCode/Code")))
        if xmlio.text(drug, "NDC"):
            found.append(("ndc", xmlio.text(drug, "NDC")))
        if xmlio.text(drug, "DrugDBCode/Code"):
            found.append(("rxnorm", xmlio.text(drug, "DrugDBCode/Code")))
    return found


def _days_supply(medication: Element | None, default: int) -> int:
    raw = xmlio.text(medication, "DaysSupply")
    if not raw:
        return default
    try:
        return numbers.parse_int(raw)
    except numbers.NumberInputError:
        raise Refusal("DaysSupply is not a whole number.", code=UNABLE) from None


def _check_pharmacy(body: Element, token: PharmacyApiToken, header: Element | None) -> None:
    """The message's NCPDP ID must be the token's pharmacy's."""
    own = token.pharmacy.ncpdp_id
    if not own:
        raise Refusal("This pharmacy has no NCPDP ID in ClearCourse; an administrator records it first.",
                      status=403)
    sent = xmlio.text(body, "Pharmacy/Identification/NCPDPID") or xmlio.text(header, "From")
    if sent != own:
        raise Refusal("The message's pharmacy NCPDP ID is not the one of the pharmacy this API token belongs to.",
                      status=403)


def _order_number(header: Element | None, body: Element) -> str:
    return xmlio.first_text(header, "PrescriberOrderNumber") or xmlio.first_text(
        body, "MedicationPrescribed/PrescriberOrderNumber", "PrescriberOrderNumber")


# --- writing an answer -------------------------------------------------------------------------------


def _message(request: Element | None, version: str) -> tuple[Element, Element]:
    """A response Message with the request's version attributes and a header addressed back to the
    sender; returns (message, body)."""
    message = Element("Message")
    for name in VERSION_ATTRIBUTES:
        value = request.get(name) if request is not None else None
        message.set(name, value or ("SCRIPT" if name == "TransactionDomain" else version))
    header = xmlio.add(message, "Header")
    old = request.find("Header") if request is not None else None
    sender, receiver = (old.find("From") if old is not None else None), (old.find("To") if old is not None else None)
    if sender is not None:
        xmlio.add(header, "To", (sender.text or "").strip(), **({"Qualifier": sender.get("Qualifier", "")}
                                                                if sender.get("Qualifier") else {}))
    if receiver is not None:
        xmlio.add(header, "From", (receiver.text or "").strip(), **({"Qualifier": receiver.get("Qualifier", "")}
                                                                    if receiver.get("Qualifier") else {}))
    xmlio.add(header, "MessageID", uuid.uuid4().hex)
    relates = xmlio.text(old, "MessageID")
    if relates:
        xmlio.add(header, "RelatesToMessageID", relates)
    xmlio.add(header, "SentTime", clock.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"))
    order = xmlio.text(old, "PrescriberOrderNumber")
    if order:
        xmlio.add(header, "PrescriberOrderNumber", order)
    return message, xmlio.add(message, "Body")


def error_answer(request: Element | None, description: str, *, code: str = UNABLE, status: int = 400,
                 version: str = "2017071") -> Answer:
    message, body = _message(request, version)
    error = xmlio.add(body, "Error")
    xmlio.add(error, "Code", code)
    xmlio.add(error, "Description", description[:MAX_NOTE])
    return Answer(status, xmlio.serialize(message))


def _echo(target: Element, request_body: Element, *names: str) -> None:
    for name in names:
        xmlio.copy_into(target, request_body.find(name))


def _reason_code(codes: list[str]) -> str:
    found = {REASON_BY_CODE.get(code, "EC") for code in codes}
    return next(code for code in REASON_PRIORITY if code in found) if found else "EC"


def _note(messages: list[str]) -> str:
    return " | ".join(messages)[:MAX_NOTE]


# --- the transactions --------------------------------------------------------------------------------


def _initiation(root: Element, body: Element, token: PharmacyApiToken, version: str) -> Answer:
    actor: User = token.service_user
    header = root.find("Header")
    _check_pharmacy(body, token, header)
    query, case = _patient_query(body.find("Patient"), npi=_prescriber_npi(body))
    product = matching.match_product(_codings(body.find("MedicationPrescribed")))
    message, out_body = _message(root, version)
    response = xmlio.add(out_body, "REMSInitiationResponse")
    xmlio.add(response, "REMSReferenceID", xmlio.text(body, "REMSReferenceID") or uuid.uuid4().hex[:25])
    course: Course | None = None
    why, reason = "", "EM"
    if product is None:
        why, reason = "The medication is not an isotretinoin product of this REMS (NDC or RxNorm code).", "EC"
    else:
        course, why = matching.find_case(actor, query, product, case)
        if course is not None and not matching.enrolled(course):
            why = "The patient is not enrolled in the program."
    patient = body.find("Patient")
    if course is not None and not why:
        audit_read(actor=actor, patient_id=course.patient_id, action="rems.ncpdp.initiation", obj=course)
        echoed = xmlio.add(response, "Patient")
        human_in = patient.find("HumanPatient") if patient is not None else None
        human = xmlio.add(echoed, "HumanPatient")
        identification = xmlio.add(human, "Identification")
        xmlio.add(identification, "REMSPatientID", matching.case_number(course))
        for child in (list(human_in) if human_in is not None else []):
            if child.tag != "Identification":
                xmlio.copy_into(human, child)
        _echo(response, body, "Pharmacy", "Prescriber", "MedicationPrescribed")
        status = xmlio.add(xmlio.add(response, "Response"), "ResponseStatus")
        xmlio.add(status, "Open")
    else:
        _echo(response, body, "Patient", "Pharmacy", "Prescriber", "MedicationPrescribed")
        closed = xmlio.add(xmlio.add(xmlio.add(response, "Response"), "ResponseStatus"), "Closed")
        xmlio.add(closed, "ReasonCode", reason)
        xmlio.add(closed, "REMSNote", why)
    return Answer(200, xmlio.serialize(message))


def _rems_answer(root: Element, body: Element, version: str, authorization: Authorization,
                 course: Course) -> Answer:
    message, out_body = _message(root, version)
    response = xmlio.add(out_body, "REMSResponse")
    xmlio.add(response, "REMSReferenceID", xmlio.text(body, "REMSReferenceID") or uuid.uuid4().hex[:25])
    _echo(response, body, "Patient", "Pharmacy", "Prescriber", "MedicationPrescribed")
    status = xmlio.add(xmlio.add(response, "Response"), "ResponseStatus")
    if authorization.allowed:
        approved = xmlio.add(status, "Approved")
        xmlio.add(approved, "REMSCaseID", matching.case_number(course))
        xmlio.add(approved, "REMSAuthorizationNumber", authorization.reference)
        period = xmlio.add(approved, "AuthorizationPeriod")
        xmlio.add(xmlio.add(period, "EffectiveDate"), "Date", authorization.decided_on.isoformat())
        assert authorization.valid_through is not None  # noqa: S101 - an allowed authorization has one
        xmlio.add(xmlio.add(period, "ExpirationDate"), "Date", authorization.valid_through.isoformat())
    else:
        denied = xmlio.add(status, "Denied")
        xmlio.add(denied, "REMSCaseID", matching.case_number(course))
        xmlio.add(denied, "DeniedReasonCode", _reason_code([r["code"] for r in authorization.reasons]))
        xmlio.add(denied, "REMSNote", _note([r["message"] for r in authorization.reasons]))
    return Answer(200, xmlio.serialize(message))


def earlier_exchange(token: PharmacyApiToken, reference: str) -> ScriptExchange | None:
    """The authorization an earlier REMSRequest with this REMSReferenceID produced, if any."""
    return (ScriptExchange.objects.select_related("authorization__prescription__course")
            .filter(pharmacy=token.pharmacy, reference_id=reference).first())


def _rems_request(root: Element, body: Element, token: PharmacyApiToken, version: str) -> Answer:
    actor: User = token.service_user
    header = root.find("Header")
    _check_pharmacy(body, token, header)
    reference = xmlio.text(body, "REMSReferenceID")[:35]
    earlier = earlier_exchange(token, reference) if reference else None
    if earlier is not None:  # a retry: the same answer, nothing new is stored
        return _rems_answer(root, body, version, earlier.authorization, earlier.authorization.prescription.course)
    query, patient_case = _patient_query(body.find("Patient"), npi=_prescriber_npi(body))
    case = xmlio.text(body, "Request/SolicitedModel/REMSCaseID") or patient_case
    if not case:
        raise Refusal("The REMSRequest names no REMS case (Request/SolicitedModel/REMSCaseID); send a "
                      "REMSInitiationRequest first.")
    if query.birth_date is None:
        raise Refusal("The message gives no date of birth for the patient.")
    medication = body.find("MedicationPrescribed")
    product = matching.match_product(_codings(medication))
    if product is None:
        raise Refusal("The medication is not an isotretinoin product of this REMS (NDC or RxNorm code).")
    course, why = matching.find_case(actor, query, product, case)
    if course is None:
        raise Refusal(why)
    prescription, why = matching.find_prescription(course, _order_number(header, body), product)
    if prescription is None:
        raise Refusal(why)
    if prescription.product not in product.products:
        raise Refusal("The prescription named is for another isotretinoin product; products are not interchangeable.")
    try:
        authorization = pharmacy_services.authorization_request(
            actor=actor, reference=prescription_reference(prescription), birth_date=query.birth_date,
            days_supply=_days_supply(medication, prescription.days_supply), today=clock.today())
    except DomainError as exc:
        raise Refusal(exc.message) from None
    if reference:
        try:
            with transaction.atomic():
                ScriptExchange.objects.create(pharmacy=token.pharmacy, reference_id=reference,
                                              authorization=authorization)
        except IntegrityError:
            # The same REMSReferenceID answered concurrently: give that answer, and roll this request's own
            # authorization back (the answer is built first: a transaction marked for rollback runs no query).
            earlier = ScriptExchange.objects.select_related("authorization").get(pharmacy=token.pharmacy,
                                                                                 reference_id=reference)
            answer = _rems_answer(root, body, version, earlier.authorization, course)
            transaction.set_rollback(True)
            return answer
    return _rems_answer(root, body, version, authorization, course)


def _rx_fill(root: Element, body: Element, token: PharmacyApiToken, version: str) -> Answer:
    actor: User = token.service_user
    header = root.find("Header")
    _check_pharmacy(body, token, header)
    query, case = _patient_query(body.find("Patient"), npi=_prescriber_npi(body))
    medication = body.find("MedicationDispensed")
    if medication is None:
        medication = body.find("MedicationPrescribed")
    product = matching.match_product(_codings(medication))
    if product is None:
        raise Refusal("The medication is not an isotretinoin product of this REMS (NDC or RxNorm code).")
    course, why = matching.find_case(actor, query, product, case)
    if course is None:
        raise Refusal(why)
    prescriptions = Prescription.objects.filter(course=course, product__in=product.products)
    named = matching.prescription_by_order_number(course, _order_number(header, body))
    if named is not None:
        prescriptions = prescriptions.filter(pk=named.pk)
    authorization = (Authorization.objects.filter(pharmacy=token.pharmacy, prescription__in=prescriptions,
                                                  allowed=True, reversal_row__isnull=True)
                     .select_related("prescription").order_by("-created_at", "-id").first())
    if authorization is None:
        raise Refusal("There is no authorization of this pharmacy for this prescription: send a REMSRequest "
                      "and dispense only when it is approved.")
    try:
        result = pharmacy_services.dispense_record(
            actor=actor, authorization_id=authorization.pk, idempotency_key=f"ncpdp-rxfill-{authorization.pk}",
            days_supply=_days_supply(medication, authorization.days_supply), today=clock.today())
    except DomainError as exc:
        raise Refusal(exc.message) from None
    message, out_body = _message(root, version)
    status = xmlio.add(out_body, "Status")
    xmlio.add(status, "Code", "000")
    dispense = result.dispense
    words = "already recorded" if result.replayed else "recorded"
    xmlio.add(status, "Description",
              f"Dispense {words}: {authorization.reference} for {prescription_reference(dispense.prescription_id)} on "
              f"{dispense.dispensed_on.isoformat()} ({dispense.days_supply} days).")
    return Answer(200, xmlio.serialize(message))


HANDLERS = {"REMSInitiationRequest": _initiation, "REMSRequest": _rems_request, "RxFill": _rx_fill}


def handle(raw: bytes, token: PharmacyApiToken) -> Answer:
    """Answer one SCRIPT message from the pharmacy of ``token`` (authenticated by the caller)."""
    try:
        root = xmlio.parse(raw)
    except xmlio.MalformedMessage as exc:
        return error_answer(None, str(exc), status=413 if "larger" in str(exc) else 400)
    if root.tag != "Message" or root.find("Body") is None:
        return error_answer(root if root.tag == "Message" else None, "The body is not a SCRIPT Message with a Body.")
    version = _version(root)
    if version is None:
        return error_answer(root, "Unsupported TransactionVersion: send 2017071 or 2024011.")
    body = root.find("Body")
    assert body is not None  # noqa: S101 - checked above
    transactions = list(body)
    if len(transactions) != 1 or transactions[0].tag not in HANDLERS:
        names = ", ".join(t.tag for t in transactions) or "nothing"
        return error_answer(root, f"Unsupported transaction ({names}): this door answers REMSInitiationRequest, "
                                  "REMSRequest and RxFill.", version=version)
    kind = transactions[0]
    try:
        with transaction.atomic():
            return HANDLERS[kind.tag](root, kind, token, version)
    except Refusal as refusal:
        return error_answer(root, refusal.description, code=refusal.code, status=refusal.status, version=version)
