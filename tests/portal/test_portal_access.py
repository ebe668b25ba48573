"""Access matrix of the portal: a patient reaches only their own record; every other id is a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

COURSE_PAGES = ["portal:course_home", "portal:course_education", "portal:consent", "portal:comprehension",
                "portal:contraception", "portal:mood", "portal:side_effects", "portal:missed_doses",
                "portal:summary_pdf"]
PLAIN_PAGES = ["portal:home", "portal:education"]


@pytest.fixture
def other_signature(other_course: Any, other_patient_user: Any) -> Any:
    import datetime as dt

    from django.utils import timezone

    from clearcourse.portal.models import ConsentSignature

    return ConsentSignature.objects.create(
        course=other_course, text_version="2026-11-26/us-ipledge/cannot/en", text_sha256="0" * 64, text="t",
        language="en", typed_name="Sam Okafor", signed_on=dt.date(2026, 11, 26), risks=[],
        signed_at=timezone.now(), recorded_by=other_patient_user)


@pytest.mark.parametrize("name", COURSE_PAGES)
def test_a_patient_gets_404_for_another_patients_course_on_every_course_page(
        name: str, patient_client: Any, course: Any, other_course: Any) -> None:
    assert patient_client.get(reverse(name, args=[other_course.pk])).status_code == 404
    assert patient_client.post(reverse(name, args=[other_course.pk]), {}).status_code == 404


@pytest.mark.parametrize("name", COURSE_PAGES)
def test_a_patient_gets_404_for_a_course_that_does_not_exist(name: str, patient_client: Any, course: Any) -> None:
    assert patient_client.get(reverse(name, args=[course.pk + 1000])).status_code == 404


@pytest.mark.parametrize("name", COURSE_PAGES)
def test_a_patient_reaches_every_page_of_their_own_course(name: str, patient_client: Any, course: Any,
                                                          set_category: Callable[..., Any]) -> None:
    set_category(course, True)
    response = patient_client.get(reverse(name, args=[course.pk]))
    assert response.status_code == 200


def test_a_patient_gets_404_for_another_patients_consent_pdf(patient_client: Any, course: Any,
                                                             other_signature: Any) -> None:
    assert patient_client.get(reverse("portal:consent_pdf", args=[other_signature.pk])).status_code == 404


def test_the_home_page_shows_only_the_patients_own_course(patient_client: Any, course: Any, other_course: Any,
                                                          patient: Any) -> None:
    body = patient_client.get(reverse("portal:home")).content.decode()
    assert patient.given_name in body
    assert "Okafor" not in body and "Sam" not in body
    assert reverse("portal:course_home", args=[course.pk]) in body
    assert reverse("portal:course_home", args=[other_course.pk]) not in body


@pytest.mark.parametrize("name", PLAIN_PAGES + COURSE_PAGES)
@pytest.mark.parametrize("persona", ["prescriber", "delegate", "pharmacist", "admin_user"])
def test_staff_cannot_open_the_portal_pages(name: str, persona: str, request: pytest.FixtureRequest,
                                            login: Callable[[Any], Any], course: Any) -> None:
    client = login(request.getfixturevalue(persona))
    url = reverse(name, args=[course.pk]) if name in COURSE_PAGES else reverse(name)
    assert client.get(url).status_code == 403


@pytest.mark.parametrize("name", PLAIN_PAGES + COURSE_PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(name: str, client: Any, course: Any) -> None:
    url = reverse(name, args=[course.pk]) if name in COURSE_PAGES else reverse(name)
    response = client.get(url)
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


def test_a_patient_without_a_course_sees_a_friendly_page(patient_client: Any, patient: Any) -> None:
    response = patient_client.get(reverse("portal:home"))
    assert response.status_code == 200
    assert "has not started a course" in response.content.decode()


def test_portal_reads_are_audited_for_the_patient(patient_client: Any, course: Any) -> None:
    from clearcourse.audit.models import AuditEntry

    patient_client.get(reverse("portal:home"))
    entry = AuditEntry.objects.filter(action="portal.home.view").last()
    assert entry is not None and entry.patient_id == course.patient_id


def test_the_access_report_is_a_portal_page_that_reads_the_audit_trail(patient_client: Any, patient: Any) -> None:
    response = patient_client.get(reverse("portal:access_report"))
    assert response.status_code == 200
    assert response.context["patient"] == patient
