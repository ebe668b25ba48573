"""CDS Hooks 2.0: discovery, the three isotretinoin services and their cards, and the JWT authentication the
specification asks for (registered issuer, signature against its JWK Set, aud, exp, jti not reused)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from clearcourse.audit.models import AuditEntry
from clearcourse.rems.models import EhrClient

pytestmark = pytest.mark.django_db
ISSUER = "https://ehr.example.org"
BASE = "http://testserver"
INDICATORS = {"info", "warning", "critical"}


@pytest.fixture
def key() -> Any:
    return ec.generate_private_key(ec.SECP384R1())


def _jwks(private: Any, kid: str = "k1") -> dict[str, Any]:
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    return {"keys": [{**public, "kid": kid, "use": "sig", "alg": "ES384"}]}


@pytest.fixture
def ehr(key: Any, clinic: Any) -> EhrClient:
    return EhrClient.objects.create(issuer=ISSUER, clinic=clinic, jwks=_jwks(key))


def _token(private: Any, service: str, **claims: Any) -> str:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    payload = {"iss": ISSUER, "aud": f"{BASE}/cds-services/{service}", "iat": now, "exp": now + 300,
               "jti": str(uuid.uuid4()), **claims}
    return jwt.encode({k: v for k, v in payload.items() if v is not None}, private, algorithm="ES384",
                      headers={"kid": "k1"})


def _hook(patient: Any, hook: str = "order-sign", *, rxnorm: str = "197845", with_prefetch: bool = True,
          npi: str | None = None) -> dict[str, Any]:
    order = {"resourceType": "MedicationRequest", "id": "mr-1", "status": "draft", "intent": "order",
             "subject": {"reference": "Patient/ehr-p1"},
             "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                       "code": rxnorm}]}}
    body: dict[str, Any] = {"hookInstance": str(uuid.uuid4()), "hook": hook,
                            "context": {"userId": "Practitioner/ehr-dr", "patientId": "ehr-p1"}}
    if hook != "patient-view":
        body["context"]["draftOrders"] = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": order}]}
    if with_prefetch:
        body["prefetch"] = {
            "patient": {"resourceType": "Patient", "id": "ehr-p1", "birthDate": patient.birth_date.isoformat(),
                        "name": [{"family": patient.family_name, "given": [patient.given_name]}]},
            "practitioner": {"resourceType": "Practitioner", "id": "ehr-dr",
                             "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": npi}] if npi else []}}
    return body


def _call(service: str, body: dict[str, Any], token: str | None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().post(f"/cds-services/{service}", json.dumps(body), content_type="application/json", **headers)


def _valid_card(card: dict[str, Any]) -> None:
    """The CDS Hooks 2.0 card fields: summary (< 140), indicator, source.label required; links typed."""
    assert isinstance(card["summary"], str) and 0 < len(card["summary"]) < 140
    assert card["indicator"] in INDICATORS
    assert card["source"]["label"]
    uuid.UUID(card["uuid"])
    for link in card.get("links", []):
        assert link["label"] and link["url"].startswith("http") and link["type"] in ("absolute", "smart")


def test_discovery_lists_the_three_services_with_their_prefetch(client: Client) -> None:
    services = client.get("/cds-services").json()["services"]
    assert {(s["id"], s["hook"]) for s in services} == {
        ("rems-order-select", "order-select"), ("rems-order-sign", "order-sign"), ("rems-patient-view", "patient-view")}
    for service in services:
        assert service["prefetch"] == {"patient": "Patient/{{context.patientId}}", "practitioner": "{{context.userId}}"}
        assert service["description"] and service["title"]


def test_an_order_for_a_patient_who_is_not_ready_gets_a_card_per_unmet_requirement(
        key: Any, ehr: EhrClient, course: Any, patient: Any, today: dt.date) -> None:
    from clearcourse.ppp.models import Enrollment

    Enrollment.objects.create(course=course, program="us-ipledge", enrolled_on=today)
    response = _call("rems-order-sign", _hook(patient), _token(key, "rems-order-sign"))
    assert response.status_code == 200
    cards = response.json()["cards"]
    assert len(cards) >= 3
    for card in cards:
        _valid_card(card)
        assert card["links"][0]["url"] == f"{BASE}/programs/courses/{course.pk}/"
        assert "source:" in card["detail"]
    summaries = " ".join(c["summary"] for c in cards)
    assert "Negative pregnancy test in its window" in summaries and "Comprehension" in summaries
    assert AuditEntry.objects.filter(action="rems.cds.order-sign", patient_id=patient.pk).exists()


def test_a_positive_pregnancy_test_is_critical(key: Any, ehr: EhrClient, ready: Any, patient: Any,
                                              today: dt.date) -> None:
    from clearcourse.ppp.models import PregnancyTest

    PregnancyTest.objects.create(course=ready.course, collected_on=today, setting="lab", result="positive")
    cards = _call("rems-order-select", _hook(patient, "order-select"), _token(key, "rems-order-select")).json()["cards"]
    assert "critical" in {c["indicator"] for c in cards}


def test_a_ready_patient_gets_one_info_card(key: Any, ehr: EhrClient, ready: Any, patient: Any) -> None:
    (card,) = _call("rems-patient-view", _hook(patient, "patient-view"), _token(key, "rems-patient-view")).json()["cards"]
    _valid_card(card)
    assert card["indicator"] == "info"


def test_the_practitioner_prefetch_names_the_prescriber_whose_enrolment_counts(
        key: Any, ehr: EhrClient, ready: Any, patient: Any, make_user: Any, clinic: Any) -> None:
    make_user("dr_new", "prescriber", clinic=clinic, npi="1245319599")  # never enrolled
    cards = _call("rems-order-sign", _hook(patient, npi="1245319599"), _token(key, "rems-order-sign")).json()["cards"]
    assert [c["summary"] for c in cards] == [
        "Isotretinoin REMS: Prescriber enrolled and active in the program — not met"]


def test_another_drug_gets_no_card_and_an_ndc_is_understood(key: Any, ehr: EhrClient, ready: Any,
                                                            patient: Any) -> None:
    assert _call("rems-order-sign", _hook(patient, rxnorm="161"), _token(key, "rems-order-sign")).json() == {"cards": []}
    body = _hook(patient)
    body["context"]["draftOrders"]["entry"][0]["resource"]["medicationCodeableConcept"] = {
        "coding": [{"system": "http://hl7.org/fhir/sid/ndc", "code": "0555-1054-86"}]}
    (card,) = _call("rems-order-sign", body, _token(key, "rems-order-sign")).json()["cards"]
    assert card["indicator"] == "info"


def test_without_the_patient_prefetch_the_card_says_so(key: Any, ehr: EhrClient, ready: Any, patient: Any) -> None:
    (card,) = _call("rems-order-sign", _hook(patient, with_prefetch=False), _token(key, "rems-order-sign")).json()["cards"]
    assert card["indicator"] == "warning" and "Patient prefetch" in card["detail"]


def test_a_patient_of_another_clinic_is_not_found(key: Any, ehr: EhrClient, other_patient: Any, ready: Any) -> None:
    other_patient.given_name = "Unknown"
    (card,) = _call("rems-order-sign", _hook(other_patient), _token(key, "rems-order-sign")).json()["cards"]
    assert "No patient of this clinic" in card["detail"]


# --- authentication -------------------------------------------------------------------------------------


def test_an_unsigned_call_is_refused(ehr: EhrClient, ready: Any, patient: Any) -> None:
    assert _call("rems-order-sign", _hook(patient), None).status_code == 401
    none_alg = jwt.encode({"iss": ISSUER, "aud": f"{BASE}/cds-services/rems-order-sign", "exp": 9_999_999_999,
                           "jti": "x"}, None, algorithm="none")
    response = _call("rems-order-sign", _hook(patient), none_alg)
    assert response.status_code == 401 and "cards" not in response.json()


def test_an_expired_token_is_refused(key: Any, ehr: EhrClient, ready: Any, patient: Any) -> None:
    now = int(dt.datetime.now(dt.UTC).timestamp())
    token = _token(key, "rems-order-sign", iat=now - 900, exp=now - 600)
    assert _call("rems-order-sign", _hook(patient), token).status_code == 401


def test_a_token_signed_with_another_key_is_refused(ehr: EhrClient, ready: Any, patient: Any) -> None:
    stranger = ec.generate_private_key(ec.SECP384R1())
    assert _call("rems-order-sign", _hook(patient), _token(stranger, "rems-order-sign")).status_code == 401


def test_a_replayed_jti_is_refused(key: Any, ehr: EhrClient, ready: Any, patient: Any) -> None:
    token = _token(key, "rems-order-sign")
    assert _call("rems-order-sign", _hook(patient), token).status_code == 200
    assert _call("rems-order-sign", _hook(patient), token).status_code == 401


def test_a_token_for_another_service_or_issuer_is_refused(key: Any, ehr: EhrClient, ready: Any, patient: Any) -> None:
    assert _call("rems-order-sign", _hook(patient), _token(key, "rems-patient-view")).status_code == 401
    assert _call("rems-order-sign", _hook(patient), _token(key, "rems-order-sign", iss="https://evil")).status_code == 401
    assert _call("rems-order-sign", _hook(patient), _token(key, "rems-order-sign", exp=int(
        dt.datetime.now(dt.UTC).timestamp()) + 7200)).status_code == 401


def test_a_revoked_client_is_refused(key: Any, ehr: EhrClient, ready: Any, patient: Any) -> None:
    from django.utils import timezone

    EhrClient.objects.filter(pk=ehr.pk).update(revoked_at=timezone.now())
    assert _call("rems-order-sign", _hook(patient), _token(key, "rems-order-sign")).status_code == 401


def test_unknown_services_and_bad_bodies(key: Any, ehr: EhrClient) -> None:
    assert _call("nope", {}, _token(key, "nope")).status_code == 404
    response = Client().post("/cds-services/rems-order-sign", "not json", content_type="application/json",
                             HTTP_AUTHORIZATION=f"Bearer {_token(key, 'rems-order-sign')}")
    assert response.status_code == 400
    assert Client().get("/cds-services/rems-order-sign").status_code == 405


def test_register_ehr_stores_a_jwk_set_file(tmp_path: Any, key: Any, clinic: Any) -> None:
    import io

    from django.core.management import CommandError, call_command

    path = tmp_path / "jwks.json"
    path.write_text(json.dumps(_jwks(key)))
    call_command("register_ehr", ISSUER, str(path), stdout=io.StringIO())
    assert EhrClient.objects.get(issuer=ISSUER).jwks["keys"][0]["kid"] == "k1"
    call_command("register_ehr", ISSUER, "https://ehr.example.org/.well-known/jwks.json", stdout=io.StringIO())
    assert EhrClient.objects.get(issuer=ISSUER).jwks_url.endswith("jwks.json")
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(CommandError):
        call_command("register_ehr", ISSUER, str(tmp_path / "bad.json"), stdout=io.StringIO())


def test_an_unreachable_jwk_set_url_refuses_the_call(key: Any, clinic: Any, patient: Any) -> None:
    EhrClient.objects.create(issuer=ISSUER, clinic=clinic, jwks_url="http://127.0.0.1:9/jwks.json")
    response = _call("rems-order-sign", _hook(patient), _token(key, "rems-order-sign"))
    assert response.status_code == 401 and "could not be fetched" in response.json()["error"]
