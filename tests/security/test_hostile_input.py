"""Hostile input: script in free-text fields comes out escaped; other clinics' ids answer 404; templates
never switch escaping off."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from clearcourse.courses.models import Patient

PAYLOADS = ('<script>alert("cc")</script>', '"><img src=x onerror=alert(1)>', "</textarea><svg onload=alert(1)>")
RAW_MARKERS = ("<script>alert", "<img src=x", "<svg onload")
TEMPLATES = Path(__file__).resolve().parents[2] / "clearcourse" / "templates"
PACKAGE = TEMPLATES.parent


def assert_escaped(html: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html, f"unescaped {marker!r} in the page"


@pytest.fixture
def hostile_patient(clinic: Any, prescriber: Any, make_user: Any) -> Patient:
    user = make_user("pat_hostile", "patient", first_name=PAYLOADS[1], last_name=PAYLOADS[0])
    return Patient.objects.create(clinic=clinic, prescriber=prescriber, user=user, record_number=PAYLOADS[2][:20],
                                  given_name=PAYLOADS[1], family_name=PAYLOADS[0], birth_date=dt.date(2001, 2, 3),
                                  sex="female", email="x@example.org", phone=PAYLOADS[2][:30])


def test_hostile_patient_names_are_escaped_on_clinic_pages(login: Any, prescriber: Any,
                                                           hostile_patient: Patient) -> None:
    from clearcourse.courses.services import course_create

    course = course_create(actor=prescriber, patient=hostile_patient)
    client = login(prescriber)
    for url in (reverse("courses:patient_list"), reverse("courses:patient_detail", args=[hostile_patient.pk]),
                reverse("courses:course_detail", args=[course.pk]), reverse("monitoring:worklist"),
                reverse("monitoring:course", args=[course.pk])):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert_escaped(html)
        if url == reverse("courses:patient_detail", args=[hostile_patient.pk]):
            assert "&lt;script&gt;alert" in html


def test_a_hostile_patient_sees_their_own_name_escaped(login: Any, prescriber: Any, hostile_patient: Patient) -> None:
    from clearcourse.courses.services import course_create

    course_create(actor=prescriber, patient=hostile_patient)
    client = login(hostile_patient.user)
    for url in (reverse("portal:home"), reverse("portal:access_report")):
        response = client.get(url)
        assert response.status_code == 200, url
        assert_escaped(response.content.decode())


def test_a_hostile_patient_created_through_the_form_is_escaped(login: Any, prescriber: Any) -> None:
    client = login(prescriber)
    response = client.post(reverse("courses:patient_create"), {
        "record_number": "R-666", "given_name": PAYLOADS[0], "family_name": PAYLOADS[1],
        "birth_date": "2000-01-01", "sex": "female", "prescriber": prescriber.pk, "preferred_language": "en",
        "email": "", "phone": "",
    }, follow=True)
    assert response.status_code == 200
    assert Patient.objects.filter(given_name=PAYLOADS[0], family_name=PAYLOADS[1]).exists()
    assert_escaped(response.content.decode())
    assert_escaped(client.get(reverse("courses:patient_list")).content.decode())


def test_a_hostile_staff_name_is_escaped_in_the_patients_access_report(login: Any, patient: Any,
                                                                       prescriber: Any) -> None:
    from clearcourse.courses.selectors import patient_get_for_user

    prescriber.first_name, prescriber.last_name = PAYLOADS[0], PAYLOADS[1]
    prescriber.save()
    patient_get_for_user(user=prescriber, patient_id=patient.pk)
    html = login(patient.user).get(reverse("portal:access_report")).content.decode()
    assert_escaped(html)
    assert "&lt;script&gt;" in html


def test_hostile_audit_details_and_search_terms_are_escaped(login: Any, admin_user: Any, prescriber: Any) -> None:
    from clearcourse.audit.services import audit_record

    prescriber.username = PAYLOADS[0][:150]
    prescriber.save()
    with transaction.atomic():
        audit_record(actor=prescriber, action="test.hostile", patient_id=1, detail={"note": PAYLOADS[1]})
    client = login(admin_user)
    assert_escaped(client.get(reverse("audit:search")).content.decode())
    reflected = client.get(reverse("audit:search"), {"actor": PAYLOADS[0], "action": PAYLOADS[1]})
    assert_escaped(reflected.content.decode())


def test_a_hostile_token_name_is_escaped(login: Any, admin_user: Any, pharmacy: Any) -> None:
    response = login(admin_user).post(reverse("accounts:api_tokens"), {"pharmacy": pharmacy.pk, "name": PAYLOADS[0]})
    assert response.status_code == 200
    assert_escaped(response.content.decode())


def test_hostile_search_text_finds_nothing_outside_the_clinic(login: Any, prescriber: Any, patient: Any,
                                                              other_prescriber: Any) -> None:
    from clearcourse.courses.selectors import patient_search

    for query in ("' OR 1=1 --", '%" OR ""="', "%", "_"):
        found = set(patient_search(user=other_prescriber, query=query))
        assert patient not in found
    html = login(prescriber).get(reverse("courses:patient_list"), {"q": PAYLOADS[0]}).content.decode()
    assert_escaped(html)


@pytest.fixture
def foreign_course(other_clinic: Any, other_prescriber: Any, make_user: Any) -> Any:
    from clearcourse.courses.services import course_create

    foreign = Patient.objects.create(clinic=other_clinic, prescriber=other_prescriber, record_number="F-1",
                                     given_name="Lena", family_name="Fremd", birth_date=dt.date(1998, 1, 1),
                                     sex="female")
    return course_create(actor=other_prescriber, patient=foreign)


def test_ids_of_another_clinics_records_answer_404(login: Any, prescriber: Any, delegate: Any,
                                                   foreign_course: Any) -> None:
    from clearcourse.audit.models import AuditEntry

    patient_id, course_id = foreign_course.patient_id, foreign_course.pk
    urls = [reverse("courses:patient_detail", args=[patient_id]),
            reverse("courses:weight_create", args=[patient_id]),
            reverse("courses:course_detail", args=[course_id]),
            reverse("courses:dose_plan", args=[course_id]),
            reverse("ppp:course_status", args=[course_id]),
            reverse("monitoring:course", args=[course_id]),
            reverse("interop:course_fhir", args=[course_id]),
            reverse("api:interop_course_fhir", kwargs={"course_id": course_id})]
    for user in (prescriber, delegate):
        client = login(user)
        for url in urls:
            assert client.get(url).status_code == 404, (user.username, url)
        posted = client.post(reverse("courses:weight_create", args=[patient_id]),
                             {"measured_on": "2026-11-20", "weight_kg": "60"})
        assert posted.status_code == 404
    # Nothing about the foreign patient was read or written by them.
    assert not AuditEntry.objects.filter(patient_id=patient_id, actor__in=[prescriber, delegate]).exists()


def test_another_patients_course_answers_404(login: Any, other_patient_user: Any, course: Any) -> None:
    client = login(other_patient_user)
    for name in ("portal:course_home", "portal:mood", "portal:summary_pdf"):
        assert client.get(reverse(name, args=[course.pk])).status_code == 404


def test_templates_never_switch_escaping_off() -> None:
    """Only plain-text e-mail templates may use autoescape off; no HTML template uses |safe."""
    offenders = []
    for template in TEMPLATES.rglob("*"):
        if not template.is_file():
            continue
        text = template.read_text(encoding="utf-8")
        if template.suffix == ".html" and (re.search(r"\|\s*safe\b", text) or "autoescape off" in text):
            offenders.append(str(template.relative_to(TEMPLATES)))
    assert not offenders, f"templates that switch escaping off: {offenders}"


# Modules allowed to build markup with mark_safe, each because it escapes every text it inserts itself.
MARK_SAFE_ALLOWED = {"accounts/views.py", "core/charts.py"}


def test_only_reviewed_modules_build_safe_markup() -> None:
    users = {str(p.relative_to(PACKAGE)) for p in PACKAGE.rglob("*.py")
             if "mark_safe(" in p.read_text(encoding="utf-8") or "format_html(" in p.read_text(encoding="utf-8")}
    assert users <= MARK_SAFE_ALLOWED, f"review these for escaping, then add them here: {users - MARK_SAFE_ALLOWED}"
