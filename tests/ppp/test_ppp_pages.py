"""Every program page, for every persona: prescriber and delegate of the clinic get in (the delegate not
on the prescriber-only pages: 403); everyone else gets 404."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from clearcourse.courses.models import Prescription
from clearcourse.ppp.models import ContraceptionConfirmation, PregnancyTest, RiskCategory

pytestmark = pytest.mark.django_db
D = dt.date

COURSE_PAGES = ["course_status", "enrollment_create", "counseling_create", "contraception_create",
                "pregnancy_test_create", "comprehension_create"]
PRESCRIBER_COURSE_PAGES = ["risk_category_assign", "treatment_end_create", "prescribe"]
OTHER_ROLES = ["pharmacist", "patient_user", "admin_user", "other_patient_user"]


@pytest.fixture
def home_test(course: Any, patient_user: Any, today: dt.date) -> Any:
    return PregnancyTest.objects.create(course=course, collected_on=today, setting="home", result="negative",
                                        recorded_by=patient_user)


def _urls(course: Any, home_test: Any, rx: Any) -> dict[str, str]:
    urls = {name: reverse(f"ppp:{name}", args=[course.pk]) for name in COURSE_PAGES + PRESCRIBER_COURSE_PAGES}
    urls["home_test_verify"] = reverse("ppp:home_test_verify", args=[home_test.pk])
    urls["prescription_void"] = reverse("ppp:prescription_void", args=[rx.pk])
    return urls


@pytest.fixture
def rx(add: Callable[..., Any], today: dt.date) -> Any:
    return add("rx", issued_on=today)


@pytest.mark.parametrize("persona", ["prescriber", "delegate"])
def test_clinic_staff_open_every_course_page(request: Any, login: Callable[[Any], Any], course: Any,
                                             home_test: Any, rx: Any, persona: str) -> None:
    client = login(request.getfixturevalue(persona))
    for name, url in _urls(course, home_test, rx).items():
        expected = 200 if persona == "prescriber" or name in COURSE_PAGES else 403
        assert client.get(url).status_code == expected, name


def test_staff_of_another_clinic_get_not_found(login: Callable[[Any], Any], other_prescriber: Any, course: Any,
                                               home_test: Any, rx: Any) -> None:
    client = login(other_prescriber)
    urls = _urls(course, home_test, rx)
    urls["home_test_photo"] = reverse("ppp:home_test_photo", args=[home_test.pk])
    for name, url in urls.items():
        assert client.get(url).status_code == 404, name
        assert client.post(url, {}).status_code == 404, name


@pytest.mark.parametrize("persona", OTHER_ROLES)
def test_other_roles_are_refused_as_on_every_page(request: Any, login: Callable[[Any], Any], course: Any,
                                                  home_test: Any, rx: Any, persona: str) -> None:
    client = login(request.getfixturevalue(persona))
    urls = _urls(course, home_test, rx)
    urls["home_test_photo"] = reverse("ppp:home_test_photo", args=[home_test.pk])
    for name, url in urls.items():
        assert client.get(url).status_code == 403, name
        assert client.post(url, {}).status_code == 403, name


def test_signed_out_visitors_are_sent_to_sign_in(client: Any, course: Any) -> None:
    response = client.get(reverse("ppp:course_status", args=[course.pk]))
    assert response.status_code == 302 and "/accounts/" in response["Location"]


def test_the_status_page_shows_the_countdown_and_the_open_prescription(
        ready_course: Any, prescriber: Any, login: Callable[[Any], Any], settings: Any) -> None:
    import time_machine

    with time_machine.travel(dt.datetime(2026, 10, 9, 12, tzinfo=dt.UTC), tick=False):
        response = login(prescriber).get(reverse("ppp:course_status", args=[ready_course.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Window closes in 2 days, on 11 Oct." in body
    assert "may be dispensed" in body
    assert "advice-notice" in body


def test_the_status_page_lists_what_is_missing_with_sources(course: Any, prescriber: Any,
                                                           login: Callable[[Any], Any]) -> None:
    body = login(prescriber).get(reverse("ppp:course_status", args=[course.pk])).content.decode()
    assert "The patient is not enrolled in the program." in body
    assert "Not assigned yet" in body
    assert "Source" in body


def test_a_bad_date_is_shown_on_its_field_and_nothing_is_written(course: Any, prescriber: Any,
                                                                  login: Callable[[Any], Any],
                                                                  today: dt.date) -> None:
    url = reverse("ppp:contraception_create", args=[course.pk])
    response = login(prescriber).post(url, {"confirmed_on": (today + dt.timedelta(days=1)).isoformat(),
                                             "methods": ["iud_copper"], "confirmed_by": "patient"})
    assert response.status_code == 400
    assert "This date is in the future." in response.content.decode()
    assert ContraceptionConfirmation.objects.count() == 0


def test_the_prescriber_records_a_contraception_confirmation(course: Any, prescriber: Any,
                                                             login: Callable[[Any], Any], today: dt.date) -> None:
    url = reverse("ppp:contraception_create", args=[course.pk])
    response = login(prescriber).post(url, {"confirmed_on": today.isoformat(),
                                             "methods": ["iud_copper", "male_condom"], "confirmed_by": "patient"})
    assert response.status_code == 302
    record = ContraceptionConfirmation.objects.get()
    assert record.methods == ["iud_copper", "male_condom"] and record.confirmed_by == "patient"


def test_a_delegate_cannot_post_the_risk_category(course: Any, delegate: Any, login: Callable[[Any], Any],
                                                  today: dt.date) -> None:
    url = reverse("ppp:risk_category_assign", args=[course.pk])
    response = login(delegate).post(url, {"can_get_pregnant": "true", "effective_on": today.isoformat()})
    assert response.status_code == 403
    assert RiskCategory.objects.count() == 0


def test_a_risk_category_change_without_reason_is_refused_on_the_page(course: Any, prescriber: Any,
                                                                       login: Callable[[Any], Any],
                                                                       today: dt.date) -> None:
    client = login(prescriber)
    url = reverse("ppp:risk_category_assign", args=[course.pk])
    assert client.post(url, {"can_get_pregnant": "true", "effective_on": today.isoformat()}).status_code == 302
    response = client.post(url, {"can_get_pregnant": "false", "effective_on": today.isoformat()})
    assert response.status_code == 400
    assert "this changes the patient&#x27;s risk category" in response.content.decode()
    assert RiskCategory.objects.count() == 1


def test_the_prescribe_page_writes_a_prescription(course: Any, prescriber: Any, login: Callable[[Any], Any],
                                                  today: dt.date) -> None:
    url = reverse("ppp:prescribe", args=[course.pk])
    response = login(prescriber).post(url, {"issued_on": today.isoformat(), "product": course.product,
                                             "daily_dose_mg": 40, "days_supply": 30,
                                             "ipledge_confirmation": "A1B2C3"})
    assert response.status_code == 302, response.content.decode()
    rx = Prescription.objects.get()
    assert (rx.days_supply, rx.daily_dose_mg, rx.ipledge_confirmation) == (30, 40, "A1B2C3")


def test_the_prescribe_page_refuses_31_days(course: Any, prescriber: Any, login: Callable[[Any], Any],
                                            today: dt.date) -> None:
    url = reverse("ppp:prescribe", args=[course.pk])
    response = login(prescriber).post(url, {"issued_on": today.isoformat(), "product": course.product,
                                             "daily_dose_mg": 40, "days_supply": 31})
    assert response.status_code == 400
    assert "at most 30 days" in response.content.decode()
    assert Prescription.objects.count() == 0


def test_a_home_test_uploaded_on_the_page_is_served_only_through_the_checked_view(
        course: Any, delegate: Any, prescriber: Any, other_prescriber: Any, login: Callable[[Any], Any],
        today: dt.date, media: Any, client: Any, png_bytes: bytes) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("ppp:pregnancy_test_create", args=[course.pk])
    photo = SimpleUploadedFile("x.png", png_bytes, content_type="image/png")
    response = login(delegate).post(url, {"collected_on": today.isoformat(), "setting": "home",
                                          "result": "negative", "photo": photo})
    assert response.status_code == 302
    test = PregnancyTest.objects.get()
    photo_url = reverse("ppp:home_test_photo", args=[test.pk])
    response = client.get(photo_url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == png_bytes
    assert login(other_prescriber).get(photo_url).status_code == 404
    client.logout()
    assert client.get(photo_url).status_code == 302  # signed out: to the sign-in page


def test_a_file_that_is_not_an_image_is_refused_on_the_page(course: Any, prescriber: Any, today: dt.date,
                                                            login: Callable[[Any], Any], media: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("ppp:pregnancy_test_create", args=[course.pk])
    fake = SimpleUploadedFile("x.png", b"<script>alert(1)</script>", content_type="image/png")
    response = login(prescriber).post(url, {"collected_on": today.isoformat(), "setting": "home",
                                             "result": "negative", "photo": fake})
    assert response.status_code == 400
    assert "Upload a JPEG or PNG image." in response.content.decode()
    assert PregnancyTest.objects.count() == 0
    assert not media.exists() or not any(p.is_file() for p in media.rglob("*"))


def test_only_the_prescriber_verifies_a_home_test_on_the_page(course: Any, home_test: Any, delegate: Any,
                                                               prescriber: Any, login: Callable[[Any], Any],
                                                               today: dt.date) -> None:
    from clearcourse.ppp.models import HomeTestVerification

    url = reverse("ppp:home_test_verify", args=[home_test.pk])
    data = {"outcome": "confirmed", "verified_on": today.isoformat()}
    assert login(delegate).post(url, data).status_code == 403
    assert HomeTestVerification.objects.count() == 0
    assert login(prescriber).post(url, data).status_code == 302
    assert HomeTestVerification.objects.get().verified_by == prescriber


def test_the_comprehension_page_asks_in_german_and_scores_the_answers(course: Any, delegate: Any, today: dt.date,
                                                                       login: Callable[[Any], Any]) -> None:
    from clearcourse.ppp.models import ComprehensionAttempt
    from clearcourse.rules.programs import comprehension as bank

    client = login(delegate)
    url = reverse("ppp:comprehension_create", args=[course.pk])
    page = client.get(url + "?lang=de").content.decode()
    assert "Wie viele Verhütungsmethoden" in page
    data = {f"q_{q.id}": q.correct for q in bank.questions_for(course.program)}
    response = client.post(url + "?lang=de", {**data, "answered_on": today.isoformat(), "language": "de"})
    assert response.status_code == 302
    attempt = ComprehensionAttempt.objects.get()
    assert attempt.passed and attempt.language == "de"
    data.pop("q_us_window")
    response = client.post(url, {**data, "answered_on": today.isoformat()})
    assert response.status_code == 400 and ComprehensionAttempt.objects.count() == 1
