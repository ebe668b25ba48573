"""Fixes after review: the admin is read-only and audited; the course page links to every part of the
course; the patient's access report speaks plainly."""

from __future__ import annotations

from typing import Any

import pytest

from clearcourse.audit.models import AuditEntry
from clearcourse.audit.templatetags.audit_labels import action_label

pytestmark = pytest.mark.django_db


def test_an_administrator_opening_a_patient_in_the_admin_is_audited(login: Any, admin_user: Any,
                                                                    patient: Any) -> None:
    client = login(admin_user)
    response = client.get(f"/admin/courses/patient/{patient.pk}/change/")
    assert response.status_code == 200
    entry = AuditEntry.objects.filter(action="admin.view").last()
    assert entry is not None and entry.patient_id == patient.pk and entry.actor_id == admin_user.pk


def test_the_admin_cannot_change_or_add_patients(login: Any, admin_user: Any, patient: Any) -> None:
    client = login(admin_user)
    response = client.post(f"/admin/courses/patient/{patient.pk}/change/", {"given_name": "Changed"})
    assert response.status_code == 403
    patient.refresh_from_db()
    assert patient.given_name == "Jordan"
    assert client.get("/admin/courses/patient/add/").status_code == 403


def test_the_patient_list_in_the_admin_shows_no_names(login: Any, admin_user: Any, patient: Any) -> None:
    body = login(admin_user).get("/admin/courses/patient/").content.decode()
    assert patient.record_number in body and patient.family_name not in body


def test_the_course_page_links_to_prescribing_monitoring_and_export(login: Any, prescriber: Any,
                                                                    course: Any) -> None:
    body = login(prescriber).get(f"/patients/courses/{course.pk}/").content.decode()
    assert f"/programs/courses/{course.pk}/" in body
    assert f"/monitoring/courses/{course.pk}/" in body
    assert f"/interop/courses/{course.pk}/fhir/" in body


def test_audit_actions_read_as_plain_words() -> None:
    assert action_label("patient.view") == "opened your details"
    assert action_label("admin.view") == "opened your record (administration)"
    # An action nobody named yet is still words, never its code.
    assert action_label("something.brand_new") == "something brand new"


def test_the_severe_acne_reason_reads_in_german_on_a_german_page(login: Any, prescriber: Any, course: Any,
                                                                 today: Any) -> None:
    from django.utils import translation

    from clearcourse.courses import services

    grades = {"forehead": 4, "right_cheek": 4, "left_cheek": 3, "nose": 1, "chin": 2, "chest_upper_back": 3}
    record = services.assessment_record(actor=prescriber, course=course, assessed_on=today, today=today,
                                        gags=grades, iga=4)
    client = login(prescriber)
    with translation.override("de"):
        url = f"/patients/courses/{course.pk}/assessments/{record.pk}/"
        body = client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    translation.activate("en")
    assert "Schwere Akne: IGA 4 (schwer) und GAGS 34 (schwer)." in body
