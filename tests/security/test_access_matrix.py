"""The access matrix: every URL in the URL configuration, for a persona of every role and the outsiders,
answers the status written here. A URL without an entry fails ``test_every_url_has_an_entry``; that is
the point: nobody adds a page or an endpoint without deciding who may reach it.

HOW TO ADD AN ENTRY (one line per URL name, in MATRIX below)::

    "app:name": access("course_id=course", clinic=200, patient=404),

- The first argument fills the URL's parameters from the fixture objects in ``OBJECTS`` ("course" is
  the prescriber's patient's course in ``clinic``; "patient" that patient; "missing" an id that does not
  exist; "text" any string).
- Statuses per persona (HTTP status codes, or LOGIN = 302 to the sign-in page). Anything not named gets
  ``default`` (403); ``anon`` (anonymous) defaults to LOGIN on pages and 401 on the API.
  Groups: ``clinic`` = prescriber + delegate, ``patients`` = patient + other_patient,
  ``pharmacists`` = pharmacist + other_pharmacist, ``everyone`` = every signed-in persona.
  Named personas win over groups, groups over ``default``.
- API entries use ``api(...)``: anonymous and pharmacy bearer tokens (personas ``token`` of
  ``pharmacy`` and ``other_token`` of ``other_pharmacy``; group ``tokens``) default to 401.
- ``method="POST"`` for endpoints that only take POST (sent with an empty form, or ``{}`` as JSON on
  /api/); the status is then what an empty submission gets (400/422 = allowed but invalid).

Personas: anonymous, admin, prescriber, delegate (acts for prescriber), pharmacist, patient (has
``course``), other_prescriber (another clinic), other_pharmacist (another pharmacy), other_patient
(same clinic, not the owner of ``course``). Run ``pytest tests/security/test_access_matrix.py``; a
mismatch lists every persona's expected and actual status.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

LOGIN = "login"
PERSONAS = ("anonymous", "admin", "prescriber", "delegate", "pharmacist", "patient",
            "other_prescriber", "other_pharmacist", "other_patient")
SIGNED_IN = PERSONAS[1:]
GROUPS = {
    "clinic": ("prescriber", "delegate"),
    "patients": ("patient", "other_patient"),
    "pharmacists": ("pharmacist", "other_pharmacist"),
    "everyone": SIGNED_IN,
    "tokens": ("token", "other_token"),
}
# API entries are also tried with a pharmacy system's bearer token: "token" belongs to ``pharmacy``
# (the pharmacist's), "other_token" to ``other_pharmacy``. Pages ignore bearer tokens.
TOKEN_PERSONAS = ("token", "other_token")
# Everything under these prefixes is one entry, keyed by the prefix (Django's admin has hundreds of URLs
# behind one permission check).
COLLAPSED_PREFIXES = {"admin/": "admin"}


@dataclass(frozen=True)
class Entry:
    params: dict[str, str]
    expected: dict[str, int | str]
    method: str = "GET"
    path: str | None = field(default=None)


def access(params: str = "", *, method: str = "GET", default: int | str = 403, anon: int | str | None = None,
           path: str | None = None, **statuses: int | str) -> Entry:
    expected: dict[str, int | str] = dict.fromkeys(SIGNED_IN, default)
    if "tokens" in statuses or "token" in statuses or "other_token" in statuses:
        expected.update(dict.fromkeys(TOKEN_PERSONAS, 401))
    for group, members in GROUPS.items():
        if group in statuses:
            value = statuses.pop(group)
            expected.update(dict.fromkeys(members, value))
    unknown = set(statuses) - set(SIGNED_IN) - set(TOKEN_PERSONAS)
    if unknown:
        raise ValueError(f"unknown personas {sorted(unknown)}")
    expected.update(statuses)
    expected["anonymous"] = anon if anon is not None else LOGIN
    pairs = dict(p.split("=", 1) for p in params.split()) if params else {}
    return Entry(params=pairs, expected=expected, method=method, path=path)


def api(params: str = "", **kwargs: Any) -> Entry:
    """An API entry: anonymous gets 401, and so do pharmacy tokens unless ``tokens=``/``token=`` says
    otherwise."""
    kwargs.setdefault("anon", 401)
    kwargs.setdefault("tokens", 401)
    return access(params, **kwargs)


# fmt: off
MATRIX: dict[str, Entry | tuple[Entry, ...]] = {
    # core, admin, language
    "core:home": access(everyone=302),
    "core:healthz": access(everyone=200, anon=200),
    "set_language": access(method="POST", everyone=302, anon=302),
    "admin": access(path="/admin/", admin=200, default=302, anon=302),
    # accounts
    "accounts:login": access(everyone=302, anon=200),
    "accounts:logout": access(everyone=405, anon=405),
    "accounts:otp_verify": access(everyone=302),
    "accounts:otp_setup": access(everyone=200),
    "accounts:password_reset": access(everyone=200, anon=200),
    "accounts:password_reset_done": access(everyone=200, anon=200),
    "accounts:password_reset_confirm": access("uidb64=text token=text", everyone=200, anon=200),
    "accounts:password_reset_complete": access(everyone=200, anon=200),
    "accounts:api_tokens": (access(admin=200), access(method="POST", admin=400)),
    "accounts:api_token_revoke": access("token_id=missing", method="POST", admin=404),
    # audit
    "audit:search": access(admin=200),
    # courses (clinic staff; another clinic's prescriber gets 404 for this clinic's records)
    "courses:patient_list": access(clinic=200, other_prescriber=200),
    "courses:patient_create": (access(clinic=200, other_prescriber=200),
                               access(method="POST", clinic=400, other_prescriber=400)),
    "courses:patient_detail": access("patient_id=patient", clinic=200, other_prescriber=404),
    "courses:weight_create": (access("patient_id=patient", clinic=200, other_prescriber=404),
                              access("patient_id=patient", method="POST", clinic=400, other_prescriber=404)),
    "courses:course_create": (access("patient_id=patient", clinic=200, other_prescriber=404),
                              access("patient_id=patient", method="POST", clinic=400, other_prescriber=404)),
    "courses:course_detail": access("course_id=course", clinic=200, other_prescriber=404),
    "courses:course_status": (access("course_id=course", clinic=200, other_prescriber=404),
                              access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "courses:missed_dose_create": (access("course_id=course", clinic=200, other_prescriber=404),
                                   access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "courses:assessment_create": (access("course_id=course", clinic=200, other_prescriber=404),
                                  access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "courses:assessment_detail": access("course_id=course assessment_id=missing", clinic=404, other_prescriber=404),
    "courses:dose_plan": (access("course_id=course", clinic=200, other_prescriber=404),
                          access("course_id=course", method="POST", prescriber=400, other_prescriber=404)),
    # programs (pregnancy prevention): other roles 403, staff of another clinic 404 (as on every page)
    "ppp:course_status": access("course_id=course", clinic=200, other_prescriber=404),
    "ppp:enrollment_create": (access("course_id=course", clinic=200, other_prescriber=404),
                              access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "ppp:risk_category_assign": (access("course_id=course", prescriber=200, delegate=403, other_prescriber=404),
                                 access("course_id=course", method="POST", prescriber=400, delegate=403,
                                        other_prescriber=404)),
    "ppp:counseling_create": (access("course_id=course", clinic=200, other_prescriber=404),
                              access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "ppp:contraception_create": (access("course_id=course", clinic=200, other_prescriber=404),
                                 access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "ppp:pregnancy_test_create": (access("course_id=course", clinic=200, other_prescriber=404),
                                  access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "ppp:comprehension_create": (access("course_id=course", clinic=200, other_prescriber=404),
                                 access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "ppp:treatment_end_create": (access("course_id=course", prescriber=200, delegate=403, other_prescriber=404),
                                 access("course_id=course", method="POST", prescriber=400, delegate=403,
                                        other_prescriber=404)),
    "ppp:risk_form_confirmation_create": (
        access("course_id=course", prescriber=200, delegate=403, other_prescriber=404),
        access("course_id=course", method="POST", prescriber=400, delegate=403, other_prescriber=404)),
    "ppp:second_prescriber_agreement_create": (
        access("course_id=course", prescriber=200, delegate=403, other_prescriber=404),
        access("course_id=course", method="POST", prescriber=400, delegate=403, other_prescriber=404)),
    "ppp:prescribe": (access("course_id=course", prescriber=200, delegate=403, other_prescriber=404),
                      access("course_id=course", method="POST", prescriber=400, delegate=403, other_prescriber=404)),
    "ppp:prescription_void": access("prescription_id=missing", method="POST", clinic=404, other_prescriber=404),
    "ppp:home_test_verify": access("test_id=missing", method="POST", clinic=404, other_prescriber=404),
    "ppp:home_test_photo": access("test_id=missing", clinic=404, other_prescriber=404),
    # program enrolment of prescribers and pharmacies: administrators record; prescribers and pharmacists
    # see their own (an administrator is sent to the list of everyone)
    "ppp:my_certification": access(prescriber=200, other_prescriber=200, pharmacists=200, admin=302),
    "ppp:certifications": access(admin=200),
    "ppp:certification_create": access(method="POST", admin=400),
    "ppp:training_create": access(method="POST", admin=400),
    "ppp:certification_correct": access("record_id=missing", admin=404),
    # pharmacy pages (pharmacists only; another pharmacy's records are 404)
    "pharmacy:home": access(pharmacists=200),
    "pharmacy:authorize": access(method="POST", pharmacists=400),
    # the pharmacy's own reversal window (an empty form clears it: back to the home page)
    "pharmacy:reversal_window": access(method="POST", pharmacists=302),
    "pharmacy:authorization": access("authorization_id=missing", pharmacists=404),
    "pharmacy:dispense": access("authorization_id=missing", method="POST", pharmacists=404),
    "pharmacy:reverse": access("authorization_id=missing", method="POST", pharmacists=404),
    # monitoring
    "monitoring:worklist": access(clinic=200, other_prescriber=200),
    "monitoring:config": (access(prescriber=200, other_prescriber=200),
                          access(method="POST", prescriber=400, other_prescriber=400)),
    "monitoring:course": access("course_id=course", clinic=200, other_prescriber=404),
    "monitoring:lab_record": (access("course_id=course", clinic=200, other_prescriber=404),
                              access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "monitoring:mood_record": (access("course_id=course", clinic=200, other_prescriber=404),
                               access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "monitoring:sexual_function_record": (
        access("course_id=course", clinic=200, other_prescriber=404),
        access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "monitoring:side_effect_record": (access("course_id=course", clinic=200, other_prescriber=404),
                                      access("course_id=course", method="POST", clinic=400, other_prescriber=404)),
    "monitoring:calendar_token_create": access("course_id=course", method="POST", clinic=200, other_prescriber=404),
    "monitoring:calendar_token_revoke": access("course_id=course token_id=missing", method="POST", clinic=404,
                                               other_prescriber=404),
    "monitoring:alert_acknowledge": access("alert_id=missing", method="POST", prescriber=404,
                                           other_prescriber=404),
    # The feed is reached by its secret token alone (calendar apps cannot sign in).
    "monitoring:calendar_feed": access("token=text", everyone=404, anon=404),
    # patient portal (the patient's own course; another patient gets 404)
    "portal:home": access(patients=200),
    "portal:education": access(patients=200),
    "portal:access_report": access(patients=200),
    "portal:course_home": access("course_id=course", patient=200, other_patient=404),
    "portal:course_education": access("course_id=course", patient=200, other_patient=404),
    "portal:consent": access("course_id=course", patient=200, other_patient=404),
    "portal:comprehension": (access("course_id=course", patient=200, other_patient=404),
                             access("course_id=course", method="POST", patient=400, other_patient=404)),
    "portal:contraception": (access("course_id=course", patient=200, other_patient=404),
                             access("course_id=course", method="POST", patient=400, other_patient=404)),
    "portal:mood": (access("course_id=course", patient=200, other_patient=404),
                    access("course_id=course", method="POST", patient=400, other_patient=404)),
    "portal:side_effects": (access("course_id=course", patient=200, other_patient=404),
                            access("course_id=course", method="POST", patient=400, other_patient=404)),
    "portal:missed_doses": (access("course_id=course", patient=200, other_patient=404),
                            access("course_id=course", method="POST", patient=400, other_patient=404)),
    "portal:summary_pdf": access("course_id=course", patient=200, other_patient=404),
    "portal:consent_pdf": access("signature_id=missing", patients=404),
    "portal:invite": access("patient_id=patient", method="POST", clinic=302, other_prescriber=404),
    # An invitation link is its own credential; an unknown or used one is gone.
    "portal:accept": access("token=text", everyone=410, anon=410),
    # interop
    "interop:lab_import": (access(clinic=200, other_prescriber=200),
                           access(method="POST", clinic=400, other_prescriber=400)),
    "interop:course_fhir": access("course_id=course", clinic=200, other_prescriber=404),
    # JSON API (anonymous: 401). The schema and its docs page are public in development (this run); in
    # production only verified administrators read them (tests/security/test_api_docs_access.py).
    "api:api-root": api(everyone=404, anon=404, tokens=404),
    "api:openapi-json": api(everyone=200, anon=200, tokens=200),
    "api:openapi-view": api(everyone=200, anon=200, tokens=200),
    "api:pharmacy_authorize": api(method="POST", pharmacists=422, tokens=422),
    "api:pharmacy_authorization": api("authorization_id=missing", pharmacists=404, tokens=404),
    "api:pharmacy_reverse": api("authorization_id=missing", method="POST", pharmacists=404, tokens=404),
    "api:pharmacy_dispense": api(method="POST", pharmacists=422, tokens=422),
    "api:pharmacy_prescription_lookup": api(pharmacists=422, tokens=422),
    "api:interop_course_fhir": api("course_id=course", clinic=200, other_prescriber=404),
    "api:interop_lab_import": api(method="POST", clinic=422, other_prescriber=422),
    # REMS doors: a pharmacy's bearer token only (a session authenticates nothing there); an empty body
    # from a token is bad input. The FHIR CapabilityStatement is public.
    "rems:ncpdp_script": (access(method="POST", everyone=401, anon=401, tokens=400),
                          access(everyone=405, anon=405, tokens=405)),
    "rems:fhir_rems_etasu": (access(method="POST", everyone=401, anon=401, tokens=400),
                             access(everyone=405, anon=405, tokens=405)),
    "rems:fhir_metadata": access(everyone=200, anon=200, tokens=200),
    # CDS Hooks: discovery is public; a service answers only a JWT of a registered EHR (a pharmacy token
    # is not one).
    "rems:cds_discovery": access(everyone=200, anon=200, tokens=200),
    "rems:cds_service": (access("service_id=cds_service", method="POST", everyone=401, anon=401, tokens=401),
                         access("service_id=cds_service", everyone=405, anon=405, tokens=405)),
}
# fmt: on


def _walk(resolver: URLResolver, prefix: str = "", namespace: str = "") -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            ns = namespace
            if pattern.namespace:
                ns = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            found += _walk(pattern, route, ns)
        elif isinstance(pattern, URLPattern):
            collapsed = next((key for p, key in COLLAPSED_PREFIXES.items() if route.startswith(p)), None)
            if collapsed:
                found.append((collapsed, route))
            elif pattern.name is None:
                found.append((f"<unnamed {route}>", route))
            else:
                found.append((f"{namespace}:{pattern.name}" if namespace else pattern.name, route))
    return found


def url_names() -> dict[str, str]:
    """Every URL name in the configuration (collapsed prefixes count once) → its route."""
    names: dict[str, str] = {}
    for name, route in _walk(get_resolver()):
        names.setdefault(name, route)
    return names


@pytest.fixture
def objects(course: Any, patient: Any, other_patient: Any) -> dict[str, Any]:
    return {"course": course.pk, "patient": patient.pk, "other_patient": other_patient.pk,
            "missing": 999_999, "text": "not-a-real-value", "cds_service": "rems-order-sign"}


@pytest.fixture
def clients(admin_user: Any, prescriber: Any, delegate: Any, pharmacist: Any, patient_user: Any,
            other_prescriber: Any, other_pharmacist: Any, other_patient_user: Any, pharmacy: Any,
            other_pharmacy: Any) -> dict[str, Client]:
    from clearcourse.accounts.services import api_token_create

    users = {"admin": admin_user, "prescriber": prescriber, "delegate": delegate, "pharmacist": pharmacist,
             "patient": patient_user, "other_prescriber": other_prescriber,
             "other_pharmacist": other_pharmacist, "other_patient": other_patient_user}
    result = {"anonymous": Client()}
    for persona, user in users.items():
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        result[persona] = client
    for persona, where in (("token", pharmacy), ("other_token", other_pharmacy)):
        _token, plain = api_token_create(actor=admin_user, pharmacy=where, name=persona)
        result[persona] = Client(HTTP_AUTHORIZATION=f"Bearer {plain}")
    return result


def build_url(name: str, entry: Entry, objects: dict[str, Any]) -> str:
    if entry.path:
        return entry.path
    kwargs = {param: objects[key] for param, key in entry.params.items()}
    return reverse(name, kwargs=kwargs)


def observe(client: Client, url: str, method: str) -> int | str:
    if method == "POST":
        if url.startswith("/api/"):
            response = client.post(url, data=json.dumps({}), content_type="application/json")
        else:
            response = client.post(url, {})
    else:
        response = client.get(url)
    if response.status_code == 302 and response["Location"].startswith(reverse("accounts:login")):
        return LOGIN
    return response.status_code


def test_every_url_has_an_entry() -> None:
    missing = sorted(set(url_names()) - set(MATRIX))
    assert not missing, (
        "These URLs have no entry in the access matrix (tests/security/test_access_matrix.py MATRIX); "
        "decide who may reach each and add it:\n" + "\n".join(f"  {n}  ({url_names()[n]})" for n in missing))


def test_every_entry_names_an_existing_url() -> None:
    stale = sorted(set(MATRIX) - set(url_names()))
    assert not stale, f"entries for URLs that no longer exist: {stale}"


def _cases() -> list[tuple[str, Entry]]:
    cases = []
    for name, value in sorted(MATRIX.items()):
        for entry in value if isinstance(value, tuple) else (value,):
            cases.append((name, entry))
    return cases


@pytest.mark.parametrize(("name", "entry"), _cases(), ids=lambda v: v if isinstance(v, str) else v.method)
def test_each_persona_gets_the_expected_status(name: str, entry: Entry, objects: dict[str, Any],
                                               clients: dict[str, Client]) -> None:
    url = build_url(name, entry, objects)
    personas = [p for p in (*PERSONAS, *TOKEN_PERSONAS) if p in entry.expected]
    actual = {persona: observe(clients[persona], url, entry.method) for persona in personas}
    wrong = {p: f"expected {entry.expected[p]}, got {actual[p]}" for p in personas if actual[p] != entry.expected[p]}
    assert not wrong, f"{entry.method} {url}:\n" + "\n".join(f"  {p:17} {v}" for p, v in wrong.items())


def test_a_new_url_without_an_entry_is_caught(settings: Any) -> None:
    """The coverage check itself: add a URL to a copy of the configuration and it shows up as missing."""
    import sys
    import types

    from django.http import HttpResponse
    from django.urls import clear_url_caches, path

    import clearcourse.urls

    module = types.ModuleType("access_matrix_probe_urls")
    module.urlpatterns = [*clearcourse.urls.urlpatterns,  # type: ignore[attr-defined]
                          path("brand-new/", lambda request: HttpResponse("x"), name="brand_new")]
    sys.modules[module.__name__] = module
    settings.ROOT_URLCONF = module.__name__
    try:
        clear_url_caches()
        assert set(url_names()) - set(MATRIX) == {"brand_new"}
    finally:
        del sys.modules[module.__name__]
        clear_url_caches()
