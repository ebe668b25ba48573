""""Is isotretinoin right for me?": the seven parts, filled with the patient's own data, per category and
program, in English and German."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

PARTS = ["part-severity", "part-mechanism", "part-dose", "part-side-effects", "part-pregnancy",
         "part-supervision", "part-decision"]


def _page(client: Any, course: Any) -> str:
    response = client.get(reverse("portal:course_education", args=[course.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_has_seven_parts_and_says_it_does_not_replace_the_talk(patient_client: Any, course: Any) -> None:
    body = _page(patient_client, course)
    for part in PARTS:
        assert f'id="{part}"' in body
    assert "does not replace it" in body
    assert "Sources" in body


def test_a_patient_who_can_get_pregnant_under_ipledge_sees_two_methods_and_the_7_day_window(
        patient_client: Any, course: Any, set_category: Callable[..., Any]) -> None:
    set_category(course, True)
    body = _page(patient_client, course)
    assert 'id="category-can"' in body and 'id="category-cannot"' not in body
    assert "two forms of contraception together" in body
    assert "within 7 days of the day the test sample was taken" in body
    assert "at least 19 days apart" in body
    assert "1 month after your last dose" in body
    assert "stop taking isotretinoin at once" in body
    assert "US iPLEDGE REMS (modification approved 9 Feb 2026)" in body  # the version in force on 2026-11-26
    assert "home tests" in body  # allowed under the 2026 rules when the prescriber checks them


def test_a_patient_who_cannot_get_pregnant_sees_no_contraception_duties(
        patient_client: Any, course: Any, set_category: Callable[..., Any]) -> None:
    set_category(course, False)
    body = _page(patient_client, course)
    assert 'id="category-cannot"' in body and 'id="category-can"' not in body
    assert "contraception and pregnancy tests do not apply to you" in body
    assert "two forms of contraception" not in body
    assert "every patient is enrolled in iPLEDGE" in body
    assert "never shared" in body and "donate blood" in body


def test_an_unassigned_category_shows_every_duty_with_a_notice(patient_client: Any, course: Any) -> None:
    body = _page(patient_client, course)
    assert 'id="category-unknown"' in body and 'id="category-can"' in body


def test_a_ppp_patient_sees_the_eu_rules(login: Callable[[Any], Any], other_prescriber: Any,
                                         make_user: Callable[..., Any], other_clinic: Any) -> None:
    from clearcourse.courses.models import Patient
    from clearcourse.courses.services import course_create
    from clearcourse.ppp.models import RiskCategory

    user = make_user("pat_eu", "patient")
    patient = Patient.objects.create(clinic=other_clinic, prescriber=other_prescriber, user=user,
                                     record_number="EU-1", given_name="Mia", family_name="Klein",
                                     birth_date=dt.date(2000, 1, 1), sex="female")
    course = course_create(actor=other_prescriber, patient=patient)
    RiskCategory.objects.create(course=course, can_get_pregnant=True, effective_on=dt.date(2026, 10, 1),
                                recorded_by=other_prescriber)
    body = _page(login(user), course)
    assert "at least one highly effective method" in body
    assert "within 3 days before the prescription" in body
    assert "within 7 days of the prescription date" in body
    assert "5 weeks after you stop" in body
    assert "EU Pregnancy Prevention Programme" in body


def test_the_severity_part_explains_why_isotretinoin_is_indicated(patient_client: Any, course: Any,
                                                                   planned: Callable[..., Any]) -> None:
    planned(course, iga=4)
    body = _page(patient_client, course)
    assert 'id="indicated"' in body and "your acne is severe" in body
    assert "4 / 4" in body


def test_the_severity_part_says_when_isotretinoin_is_not_indicated(patient_client: Any, course: Any,
                                                                    planned: Callable[..., Any]) -> None:
    planned(course, iga=2)
    body = _page(patient_client, course)
    assert 'id="not-indicated"' in body


def test_an_absolute_contraindication_is_named(patient_client: Any, course: Any, prescriber: Any) -> None:
    from clearcourse.courses.services import assessment_record

    assessment_record(actor=prescriber, course=course, assessed_on=dt.date(2026, 11, 20),
                      today=dt.date(2026, 11, 26), iga=4, allergies=["isotretinoin"])
    body = _page(patient_client, course)
    assert 'id="contraindicated"' in body and "an allergy to isotretinoin or an ingredient of the capsules" in body


def test_a_us_patient_on_a_tetracycline_is_not_told_it_is_absolute(patient_client: Any, course: Any,
                                                                    prescriber: Any) -> None:
    """The US label says to avoid tetracyclines (a warning), it does not contraindicate them (register 2)."""
    from clearcourse.courses.services import assessment_record

    assessment_record(actor=prescriber, course=course, assessed_on=dt.date(2026, 11, 20),
                      today=dt.date(2026, 11, 26), iga=4, medications=["Doxycycline 100 mg"])
    body = _page(patient_client, course)
    assert 'id="contraindicated"' not in body and "taking a tetracycline antibiotic" in body


def test_the_dose_part_shows_the_patients_plan_and_projection(patient_client: Any, course: Any,
                                                              planned: Callable[..., Any],
                                                              dispensed: Callable[..., Any]) -> None:
    planned(course, weight="60.0")
    dispensed(course, dt.date(2026, 10, 1))
    body = _page(patient_client, course)
    assert "Your daily dose: 40 mg" in body
    assert "120 mg per kg, that is 7200 mg in total" in body
    assert "about 26 weeks (180 days of treatment)" in body
    assert "20.0 mg per kg" in body  # 30 days x 40 mg / 60 kg
    assert "Projected last day" in body
    assert "Take these capsules with a meal" in body


def test_the_side_effects_are_grouped_by_what_to_do(patient_client: Any, course: Any) -> None:
    body = _page(patient_client, course)
    urgent = body.index("Contact your dermatologist the same day")
    common = body.index("Common and dose-related")
    assert urgent < body.index("Thoughts of suicide or self-harm") < common
    assert urgent < body.index("Worse night vision") < common
    assert common < body.index("Dry, cracked lips (cheilitis)")


def test_the_mechanism_part_marks_what_is_not_from_the_reviewed_sources(patient_client: Any, course: Any) -> None:
    body = _page(patient_client, course)
    assert "not from the sources ClearCourse has reviewed" in body
    assert "a medicine related to vitamin A" in body


def test_the_page_links_the_signed_consent(patient_client: Any, course: Any, patient_user: Any) -> None:
    from django.utils import timezone

    from clearcourse.portal.models import ConsentSignature

    signature = ConsentSignature.objects.create(
        course=course, text_version="v", text_sha256="0" * 64, text="t", language="en", typed_name="Jordan Miller",
        signed_on=dt.date(2026, 11, 26), risks=[], signed_at=timezone.now(), recorded_by=patient_user)
    body = _page(patient_client, course)
    assert reverse("portal:consent_pdf", args=[signature.pk]) in body


def test_the_page_is_in_german_when_the_patient_chooses_german(patient_client: Any, course: Any,
                                                               set_category: Callable[..., Any]) -> None:
    set_category(course, True)
    patient_client.get(reverse("portal:home"))
    patient_client.cookies["django_language"] = "de"
    body = _page(patient_client, course)
    assert 'lang="de"' in body
    assert "Ist Isotretinoin das Richtige für mich?" in body
    assert "ersetzt es nicht" in body
    assert "Trockene, rissige Lippen (Cheilitis)" in body
    assert "zwei Verhütungsmethoden" in body
