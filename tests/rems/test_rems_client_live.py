"""The pharmacy client against a running ClearCourse (pytest-django's live server): the whole NCPDP
sequence, with the same decisions as /api/v1 for the same facts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import urllib.request
from typing import Any

import pytest

from clearcourse.courses.models import prescription_reference
from clearcourse.pharmacy.models import Authorization, Dispense
from clearcourse.rems import client

pytestmark = pytest.mark.django_db(transaction=True)


def _api_decision(base: str, token: str, reference: str) -> dict[str, Any]:
    request = urllib.request.Request(  # noqa: S310 - the test's own live server
        f"{base}/api/v1/pharmacy/authorizations", method="POST",
        data=json.dumps({"reference": reference, "birth_date": "2004-03-01", "days_supply": 30}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())  # type: ignore[no-any-return]


def test_a_ready_patient_goes_through_the_whole_sequence(live_server: Any, party: client.Party, token: str,
                                                         ready: Any, course: Any) -> None:
    steps = client.run_sequence(live_server.url, token, party)
    assert [(s["step"], s["status"]) for s in steps] == [
        ("REMSInitiationRequest", "OPEN"), ("REMSRequest", "APPROVED"), ("RxFill", "000"),
        ("RxFill (repeated)", "000")]
    assert steps[1]["case"] == f"CC-{course.pk}"
    assert "already recorded" in steps[3]["note"]
    assert Dispense.objects.count() == 1
    # Asked again about that prescription (named by its RX reference: it is no longer open), the door and
    # /api/v1 give the same refusal for the same facts.
    named = dataclasses.replace(party, order_number=prescription_reference(ready))
    again = client.post(live_server.url, token, client.rems_request(named, steps[1]["case"]))
    api = _api_decision(live_server.url, token, prescription_reference(ready))
    assert again.status == "DENIED" and api["allowed"] is False
    assert [r["message"] for r in api["reasons"]] == again.note.split(" | ")


def test_a_patient_who_is_not_ready_is_denied_with_every_reason_as_api_v1(
        live_server: Any, party: client.Party, token: str, course: Any, npi_prescriber: Any, today: dt.date) -> None:
    from clearcourse.courses.models import Prescription
    from clearcourse.ppp.models import Enrollment

    Enrollment.objects.create(course=course, program="us-ipledge", enrolled_on=today - dt.timedelta(days=2))
    rx = Prescription.objects.create(course=course, prescriber=npi_prescriber, issued_on=today,
                                     product="conventional", daily_dose_mg=40, capsules={"40": 1}, days_supply=30)
    steps = client.run_sequence(live_server.url, token, dataclasses.replace(party, version="2017071"))
    assert [s["status"] for s in steps] == ["OPEN", "DENIED"]
    api = _api_decision(live_server.url, token, prescription_reference(rx))
    assert steps[1]["note"].split(" | ") == [r["message"] for r in api["reasons"]]
    assert Authorization.objects.filter(allowed=False).count() == 2
    assert Dispense.objects.count() == 0


def test_the_rems_client_command_runs_the_sequence(live_server: Any, party: client.Party, token: str,
                                                   ready: Any) -> None:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("rems_client", "--url", live_server.url, "--token", token, "--ncpdp", party.pharmacy_ncpdp,
                 "--given", party.given, "--family", party.family, "--birth-date", party.birth_date.isoformat(),
                 "--npi", party.prescriber_npi, "--rxnorm", party.rxnorm, stdout=out)
    steps = json.loads(out.getvalue())
    assert [s["status"] for s in steps] == ["OPEN", "APPROVED", "000", "000"]
