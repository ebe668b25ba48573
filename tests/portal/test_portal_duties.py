"""Monthly duties in one place: each form writes through the owning app's service; the home page shows what
is done, what is due, the open window's countdown and what is still missing for the next fill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db
D = dt.date


def _home(client: Any) -> str:
    response = client.get(reverse("portal:home"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_home_page_lists_the_duties_of_a_patient_who_can_get_pregnant(
        patient_client: Any, course: Any, set_category: Callable[..., Any]) -> None:
    set_category(course, True)
    body = _home(patient_client)
    for code in ("consent", "comprehension", "contraception", "mood", "side_effects", "missed_doses"):
        assert f'id="duty-{code}"' in body
    assert "Still missing before the next fill" in body


def test_a_patient_who_cannot_get_pregnant_has_no_contraception_duty(
        patient_client: Any, course: Any, set_category: Callable[..., Any]) -> None:
    set_category(course, False)
    body = _home(patient_client)
    assert 'id="duty-contraception"' not in body and 'id="duty-comprehension"' not in body
    assert 'id="duty-mood"' in body


def test_the_comprehension_questions_are_stored_and_scored(patient_client: Any, course: Any,
                                                           set_category: Callable[..., Any]) -> None:
    from clearcourse.ppp.models import ComprehensionAttempt
    from clearcourse.rules.programs import comprehension as questions

    set_category(course, True)
    right = {f"q_{q.id}": q.correct for q in questions.questions_for(course.program)}
    response = patient_client.post(reverse("portal:comprehension", args=[course.pk]), right)
    assert response.status_code == 302
    attempt = ComprehensionAttempt.objects.get(course=course)
    assert attempt.passed and attempt.recorded_by.role == "patient"
    body = _home(patient_client)
    assert 'id="duty-comprehension"' in body


def test_a_failed_attempt_is_stored_and_the_patient_is_told(patient_client: Any, course: Any,
                                                            set_category: Callable[..., Any]) -> None:
    from clearcourse.ppp.models import ComprehensionAttempt
    from clearcourse.rules.programs import comprehension as questions

    set_category(course, True)
    qs = questions.questions_for(course.program)
    wrong = {f"q_{q.id}": next(o.id for o in q.options if o.id != q.correct) for q in qs}
    response = patient_client.post(reverse("portal:comprehension", args=[course.pk]), wrong)
    assert response.status_code == 400
    assert f"0 of {len(qs)} answers were right" in response.content.decode()
    assert ComprehensionAttempt.objects.get(course=course).passed is False


def test_an_unanswered_question_is_a_field_error(patient_client: Any, course: Any,
                                                 set_category: Callable[..., Any]) -> None:
    from clearcourse.ppp.models import ComprehensionAttempt

    set_category(course, True)
    response = patient_client.post(reverse("portal:comprehension", args=[course.pk]), {})
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not ComprehensionAttempt.objects.exists()


def test_the_patient_confirms_contraception(patient_client: Any, course: Any,
                                            set_category: Callable[..., Any]) -> None:
    from clearcourse.ppp.models import ContraceptionConfirmation

    set_category(course, True)
    response = patient_client.post(reverse("portal:contraception", args=[course.pk]),
                                   {"methods": ["iud_copper", "male_condom"]})
    assert response.status_code == 302
    record = ContraceptionConfirmation.objects.get(course=course)
    assert record.confirmed_by == "patient" and record.methods == ["iud_copper", "male_condom"]
    assert record.confirmed_on == D(2026, 11, 26)


def test_methods_that_count_are_thanked(patient_client: Any, course: Any, set_category: Callable[..., Any]) -> None:
    set_category(course, True)
    response = patient_client.post(reverse("portal:contraception", args=[course.pk]),
                                   {"methods": ["iud_copper", "male_condom"]}, follow=True)
    assert "Saved. Thank you." in response.content.decode()


@pytest.mark.parametrize(("language", "words"), [
    ("en", ("do not count", "Progestin-only pill", "Source: US FDA")),
    ("de", ("zählen für Ihr Schwangerschaftsverhütungsprogramm nicht", "Reine Gestagen-Pille", "Quelle: ")),
])
def test_a_method_that_does_not_count_is_saved_with_why_and_its_source(
        login: Callable[[Any], Any], patient: Any, course: Any, set_category: Callable[..., Any], language: str,
        words: tuple[str, ...]) -> None:
    """It said "Saved. Thank you." for a progestin-only pill (issue 13), which the program does not count."""
    from clearcourse.ppp.models import ContraceptionConfirmation

    set_category(course, True)
    patient.preferred_language = language
    patient.save()
    patient_client = login(patient.user)
    with translation.override("en"):
        response = patient_client.post(reverse("portal:contraception", args=[course.pk]),
                                       {"methods": ["progestin_only_pill"]}, follow=True)
    html = response.content.decode()
    assert ContraceptionConfirmation.objects.filter(course=course).count() == 1  # the record is kept
    assert "Saved. Thank you." not in html and "Gespeichert. Danke." not in html
    for word in words:
        assert word in html, word


def test_contraception_needs_a_method_or_abstinence(patient_client: Any, course: Any,
                                                    set_category: Callable[..., Any]) -> None:
    from clearcourse.ppp.models import ContraceptionConfirmation

    set_category(course, True)
    response = patient_client.post(reverse("portal:contraception", args=[course.pk]), {})
    assert response.status_code == 400
    assert "methods" in response.context["form"].errors
    assert not ContraceptionConfirmation.objects.exists()


def test_the_patient_completes_the_phq9(patient_client: Any, course: Any) -> None:
    from clearcourse.monitoring.models import MoodScreen

    answers = {f"item_{n}": "1" for n in range(1, 10)} | {"item_9": "0"}
    response = patient_client.post(reverse("portal:mood", args=[course.pk]), answers)
    assert response.status_code == 302
    screen = MoodScreen.objects.get(course=course)
    assert screen.instrument == "phq9" and screen.score == 8 and screen.completed_by == "patient"


def test_a_phq9_with_a_missing_answer_is_refused(patient_client: Any, course: Any) -> None:
    from clearcourse.monitoring.models import MoodScreen

    answers = {f"item_{n}": "1" for n in range(1, 9)}
    response = patient_client.post(reverse("portal:mood", args=[course.pk]), answers)
    assert response.status_code == 400
    assert "item_9" in response.context["form"].errors
    assert not MoodScreen.objects.exists()


def test_a_teenager_gets_the_adolescent_version(patient_client: Any, course: Any, patient: Any) -> None:
    patient.birth_date = D(2010, 1, 1)
    patient.save()
    response = patient_client.get(reverse("portal:mood", args=[course.pk]))
    assert response.context["form"].instrument == "phq9_teen"


def test_the_patient_reports_side_effects_and_a_red_flag_raises_an_alert(patient_client: Any, course: Any) -> None:
    from clearcourse.monitoring.models import Alert, SideEffectReport

    response = patient_client.post(reverse("portal:side_effects", args=[course.pk]),
                                   {"se_cheilitis": "mild", "se_vision_change": "mild", "note": "blurry"})
    assert response.status_code == 302
    assert set(SideEffectReport.objects.filter(course=course).values_list("code", flat=True)) == {
        "cheilitis", "vision_change"}
    assert Alert.objects.filter(course=course).exists()


def test_a_side_effect_report_needs_at_least_one_effect(patient_client: Any, course: Any) -> None:
    from clearcourse.monitoring.models import SideEffectReport

    response = patient_client.post(reverse("portal:side_effects", args=[course.pk]), {"note": "fine"})
    assert response.status_code == 400
    assert not SideEffectReport.objects.exists()


def test_the_patient_reports_missed_doses_and_the_cumulative_dose_falls(
        patient_client: Any, course: Any, planned: Callable[..., Any], dispensed: Callable[..., Any]) -> None:
    from clearcourse.courses.models import Course, MissedDoseReport

    planned(course)
    dispensed(course, D(2026, 11, 1))
    Course.objects.filter(pk=course.pk).update(status="active", started_on=D(2026, 11, 1))
    before = _home(patient_client)
    assert "20.0 mg/kg" in before
    response = patient_client.post(reverse("portal:missed_doses", args=[course.pk]),
                                   {"first_day": "2026-11-10", "days": "3"})
    assert response.status_code == 302
    assert MissedDoseReport.objects.get(course=course).days == 3
    assert "18.0 mg/kg" in _home(patient_client)  # 27 days x 40 mg / 60 kg


def test_missed_days_in_the_future_are_refused(patient_client: Any, course: Any) -> None:
    from clearcourse.courses.models import MissedDoseReport

    response = patient_client.post(reverse("portal:missed_doses", args=[course.pk]),
                                   {"first_day": "2026-11-25", "days": "3"})
    assert response.status_code == 400
    assert not MissedDoseReport.objects.exists()


def test_the_open_window_counts_down_and_ready_is_shown(patient_client: Any, course: Any,
                                                        ready: Callable[..., Any]) -> None:
    ready(course, D(2026, 11, 26))
    body = _home(patient_client)
    # The confirmation test was collected 2 days ago; the 7-day window closes on collection + 6.
    assert 'id="countdown"' in body and "closes in 4 days" in body
    assert "the pharmacy may fill your prescription" in body


def test_the_progress_chart_is_inline_svg_without_style_attributes(
        patient_client: Any, course: Any, planned: Callable[..., Any], dispensed: Callable[..., Any]) -> None:
    planned(course)
    dispensed(course, D(2026, 11, 1))
    body = _home(patient_client)
    svg = body[body.index("<svg"):body.index("</svg>")]
    assert "style=" not in svg
    assert "Target 120 mg/kg" in svg
    assert 'id="projected-end"' in body
