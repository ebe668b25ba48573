"""The NCPDP SCRIPT door: REMSInitiationRequest, REMSRequest and RxFill with messages shaped as a pharmacy
system sends them (the element paths of pims' builders), the same decisions as /api/v1, exactly-once
dispensing, and an NCPDP Error (never HTML, never a 500) for everything else."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from django.test import Client

from clearcourse.audit.models import AuditEntry
from clearcourse.courses.models import prescription_reference
from clearcourse.pharmacy.models import Authorization, Dispense
from clearcourse.rems import client
from clearcourse.rems.client import Party

pytestmark = pytest.mark.django_db
PATH = "/ncpdp/script"


def _post(raw: bytes | str, token: str | None = None, **extra: Any) -> tuple[int, client.Reply, str]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = Client().post(PATH, raw, content_type="application/xml", **headers, **extra)
    text = response.content.decode()
    assert response["Content-Type"].startswith("application/xml"), text
    assert "<html" not in text.lower()
    return response.status_code, client.read_reply(response.content, response.status_code), text


def _open(party: Party, token: str, **kwargs: Any) -> client.Reply:
    status, reply, _ = _post(client.rems_initiation_request(party, **kwargs), token)
    assert status == 200
    return reply


# --- REMSInitiationRequest ------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2024011", "2017071"])
def test_an_enrolled_patient_opens_with_the_case_number(party: Party, token: str, ready: Any, course: Any,
                                                        version: str) -> None:
    reply = _open(dataclasses.replace(party, version=version), token)
    assert (reply.kind, reply.status, reply.case) == ("REMSInitiationResponse", "OPEN", f"CC-{course.pk}")
    assert AuditEntry.objects.filter(action="rems.ncpdp.initiation", patient_id=course.patient_id).exists()


def test_a_message_without_the_patients_name_is_matched_on_birth_date_and_prescriber_npi(
        party: Party, token: str, ready: Any, course: Any) -> None:
    assert _open(party, token, with_names=False).case == f"CC-{course.pk}"
    assert _open(dataclasses.replace(party, prescriber_npi=""), token, with_names=False).status == "CLOSED"


def test_an_unknown_patient_is_closed_with_a_reason(party: Party, token: str, ready: Any) -> None:
    reply = _open(dataclasses.replace(party, given="Someone"), token)
    assert (reply.status, reply.reason_code) == ("CLOSED", "EM")
    assert "name and date of birth" in reply.note


def test_a_patient_not_enrolled_is_closed(party: Party, token: str, course: Any, npi_prescriber: Any,
                                          today: dt.date) -> None:
    from clearcourse.courses.models import Prescription

    Prescription.objects.create(course=course, prescriber=npi_prescriber, issued_on=today, product="conventional",
                                daily_dose_mg=40, capsules={"40": 1}, days_supply=30)
    reply = _open(party, token)
    assert (reply.status, reply.reason_code, reply.note) == ("CLOSED", "EM", "The patient is not enrolled in the program.")


def test_another_drug_is_not_a_case_of_this_rems(party: Party, token: str, ready: Any) -> None:
    reply = _open(dataclasses.replace(party, rxnorm="", ndc="0002-3227-30"), token)
    assert reply.status == "CLOSED" and "not an isotretinoin product" in reply.note


# --- REMSRequest ------------------------------------------------------------------------------------


def test_a_ready_patient_is_approved_with_an_authorization_of_clearcourse(
        party: Party, token: str, ready: Any, course: Any, today: dt.date) -> None:
    case = _open(party, token).case
    status, reply, _ = _post(client.rems_request(party, case), token)
    authorization = Authorization.objects.get()
    assert (status, reply.status, reply.case) == (200, "APPROVED", case)
    assert reply.authorization == authorization.reference and authorization.allowed
    assert reply.expires == authorization.valid_through.isoformat() == (today + dt.timedelta(days=4)).isoformat()
    assert authorization.prescription == ready and authorization.pharmacy.ncpdp_id == party.pharmacy_ncpdp
    assert AuditEntry.objects.filter(action="pharmacy.authorize", object_id=str(authorization.pk)).exists()


def test_a_patient_who_is_not_ready_is_denied_with_every_unmet_condition_as_api_v1_says(
        party: Party, token: str, course: Any, npi_prescriber: Any, today: dt.date, us_pharmacy: Any) -> None:
    from clearcourse.courses.models import Prescription
    from clearcourse.ppp.models import Enrollment

    Enrollment.objects.create(course=course, program="us-ipledge", enrolled_on=today - dt.timedelta(days=3))
    rx = Prescription.objects.create(course=course, prescriber=npi_prescriber, issued_on=today, product="conventional",
                                     daily_dose_mg=40, capsules={"40": 1}, days_supply=30)
    case = _open(party, token).case
    _, reply, _ = _post(client.rems_request(party, case), token)
    assert reply.status == "DENIED" and reply.case == case and reply.reason_code == "EC"
    by_door = Authorization.objects.get()
    api = Client().post("/api/v1/pharmacy/authorizations", {"reference": prescription_reference(rx), "birth_date": "2004-03-01",
                                                            "days_supply": 30}, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.status_code == 201
    assert [r["code"] for r in api.json()["reasons"]] == [r["code"] for r in by_door.reasons]
    for reason in by_door.reasons:
        assert reason["message"] in reply.note
    assert len(by_door.reasons) >= 3


def test_a_lapsed_prescriber_is_denied_with_the_prescriber_code(party: Party, token: str, ready: Any,
                                                                npi_prescriber: Any, today: dt.date) -> None:
    from clearcourse.ppp.models import ProgramCertification

    current = ProgramCertification.objects.current().get(prescriber=npi_prescriber)
    ProgramCertification.objects.create(program="us-ipledge", prescriber=npi_prescriber,
                                        activated_on=current.activated_on, expires_on=today - dt.timedelta(days=1),
                                        supersedes=current, correction_reason="lapsed")
    case = _open(party, token).case
    _, reply, _ = _post(client.rems_request(party, case), token)
    assert (reply.status, reply.reason_code) == ("DENIED", "ES")
    assert "prescriber is not enrolled and active" in reply.note


def test_a_retried_rems_request_gets_the_same_answer_and_no_second_authorization(
        party: Party, token: str, ready: Any) -> None:
    case = _open(party, token).case
    message = client.rems_request(party, case, reference_id="ref-0001")
    first, second = _post(message, token)[1], _post(message, token)[1]
    assert first.authorization == second.authorization
    assert Authorization.objects.count() == 1


def test_the_order_number_may_be_the_rx_reference_or_the_exported_medication_request_id(
        party: Party, token: str, ready: Any) -> None:
    from clearcourse.interop.selectors import medication_request_id

    case = _open(party, token).case
    for number in (prescription_reference(ready), medication_request_id(ready)):
        reply = _post(client.rems_request(dataclasses.replace(party, order_number=number), case), token)[1]
        assert reply.status == "APPROVED", number


def test_a_case_number_of_another_patient_is_refused(party: Party, token: str, ready: Any,
                                                     other_patient: Any) -> None:
    case = _open(party, token).case
    impostor = dataclasses.replace(party, given=other_patient.given_name, family=other_patient.family_name,
                                   birth_date=other_patient.birth_date)
    _status, reply, _ = _post(client.rems_request(impostor, case), token)
    assert reply.kind == "Error" and Authorization.objects.count() == 0


def test_a_supply_over_the_limit_is_an_error_and_stores_nothing(party: Party, token: str, ready: Any) -> None:
    case = _open(party, token).case
    reply = _post(client.rems_request(dataclasses.replace(party, days_supply=60), case), token)[1]
    assert reply.kind == "Error" and "30 days" in reply.note
    assert Authorization.objects.count() == 0


# --- RxFill ------------------------------------------------------------------------------------------


def test_rxfill_records_the_dispense_once_and_a_repeat_changes_nothing(party: Party, token: str, ready: Any) -> None:
    case = _open(party, token).case
    approved = _post(client.rems_request(party, case), token)[1]
    first = _post(client.rx_fill(party), token)[1]
    assert (first.kind, first.status) == ("Status", "000") and "recorded" in first.note
    dispense = Dispense.objects.get()
    assert dispense.authorization.reference == approved.authorization and dispense.prescription == ready
    again = _post(client.rx_fill(party), token)[1]
    assert (again.kind, again.status) == ("Status", "000") and "already recorded" in again.note
    assert Dispense.objects.count() == 1
    assert AuditEntry.objects.filter(action="pharmacy.dispense").count() == 1


def test_rxfill_without_an_authorization_is_an_error(party: Party, token: str, ready: Any) -> None:
    reply = _post(client.rx_fill(party), token)[1]
    assert reply.kind == "Error" and "no authorization" in reply.note
    assert Dispense.objects.count() == 0


def test_rxfill_after_a_denial_is_an_error(party: Party, token: str, ready: Any, today: dt.date) -> None:
    from clearcourse.ppp.models import PregnancyTest

    case = _open(party, token).case
    PregnancyTest.objects.create(course=ready.course, collected_on=today, setting="lab", result="positive")
    assert _post(client.rems_request(party, case), token)[1].status == "DENIED"
    assert _post(client.rx_fill(party), token)[1].kind == "Error"
    assert Dispense.objects.count() == 0


# --- who may knock, and what is not a message ---------------------------------------------------------


def test_without_a_token_the_answer_is_an_ncpdp_error_401(party: Party) -> None:
    status, reply, _ = _post(client.rems_initiation_request(party))
    assert (status, reply.kind, reply.status) == (401, "Error", "900")


def test_a_bad_token_is_refused(party: Party, ready: Any, us_pharmacy: Any) -> None:
    assert _post(client.rems_initiation_request(party), "cc_00000000_nope")[0] == 401


def test_a_pharmacists_session_without_a_token_gets_an_ncpdp_error_not_a_csrf_page(
        party: Party, pharmacist: Any, ready: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(pharmacist, backend="django.contrib.auth.backends.ModelBackend")
    response = browser.post(PATH, client.rems_initiation_request(party), content_type="application/xml")
    assert response.status_code == 401 and b"<Error>" in response.content


def test_the_messages_ncpdp_id_must_be_the_tokens_pharmacy(party: Party, token: str, other_token: str,
                                                            ready: Any) -> None:
    status, reply, _ = _post(client.rems_initiation_request(dataclasses.replace(party, pharmacy_ncpdp="9999999")),
                             token)
    assert (status, reply.kind) == (403, "Error")
    assert _post(client.rems_initiation_request(party), other_token)[0] == 403


@pytest.mark.parametrize(("body", "expected"), [
    (b"not xml at all", 400),
    (b"<Message><Header/></Message>", 400),
    (b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
     b"<Message TransactionVersion=\"2017071\"><Body><RxFill>&b;</RxFill></Body></Message>", 400),
    (b'<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b"<Message TransactionVersion=\"2017071\"><Body><RxFill>&x;</RxFill></Body></Message>", 400),
    (b'<Message TransactionVersion="2017071"><Body><NewRx/></Body></Message>', 400),
    (b'<Message TransactionVersion="2099011"><Body><RxFill/></Body></Message>', 400),
    (b'<Message TransactionVersion="2017071"><Body><RxFill/><RxFill/></Body></Message>', 400),
])
def test_anything_else_is_an_ncpdp_error(token: str, body: bytes, expected: int) -> None:
    status, reply, _ = _post(body, token)
    assert (status, reply.kind) == (expected, "Error")


def test_a_message_over_the_size_limit_is_refused_unread(token: str) -> None:
    big = b"<Message>" + b" " * (300 * 1024) + b"</Message>"
    status, reply, _ = _post(big, token)
    assert (status, reply.kind) == (413, "Error")


def test_get_is_an_ncpdp_error(token: str) -> None:
    response = Client().get(PATH, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 405 and b"<Error>" in response.content


def test_a_malformed_date_of_birth_is_an_error_not_a_500(party: Party, token: str, ready: Any) -> None:
    raw = client.rems_initiation_request(party).replace(party.birth_date.isoformat().encode(), b"2004-02-31")
    assert _post(raw, token)[1].kind == "Error"


# --- the command line ---------------------------------------------------------------------------------


def test_pharmacy_token_prints_a_working_token_on_its_last_line(us_pharmacy: Any, party: Party, ready: Any) -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("pharmacy_token", "1000001", "Pharmacy system", stdout=out)
    plain = out.getvalue().strip().splitlines()[-1]
    assert _open(party, plain).status == "OPEN"
    assert AuditEntry.objects.filter(action="api_token.create", detail__via="command line").exists()


def test_pharmacy_token_refuses_an_unknown_ncpdp_id(db: Any) -> None:
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError):
        call_command("pharmacy_token", "7777777", "x")


def test_a_rems_request_that_loses_a_race_for_its_reference_answers_with_the_winners_authorization(
        party: Party, token: str, ready: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from clearcourse.rems import ncpdp

    case = _open(party, token).case
    message = client.rems_request(party, case, reference_id="ref-race")
    winner = _post(message, token)[1]
    # The second request does not see the first one's row when it looks (as if both ran at once): the
    # unique constraint catches it, and its own authorization is rolled back.
    monkeypatch.setattr(ncpdp, "earlier_exchange", lambda token, reference: None)
    loser = _post(message, token)[1]
    assert loser.authorization == winner.authorization
    assert Authorization.objects.count() == 1
