"""One whole journey per role in a real browser (issue 13), each signing in as that role does (staff with
password and TOTP), with a screenshot of every step, and every page read in words and dates
("26 Nov 2026" / "26. Nov. 2026"), never codes or numeric dates:

- prescriber: prescribes from the program page and sees the program by its name and the reference RX-n;
- delegate: records a lab result and a pregnancy test for the prescriber's patient and finds them on the course;
- pharmacist: looks a prescription up, authorizes it, dispenses it, and reads the history;
- administrator: finds a patient's trail by record number and by name, in words;
- patient, in German on a 360 px phone: home, folded education, contraception, mood, progress; no page wider
  than the screen.
(The main journey across roles is ``test_browser_journey.py``.)
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_helpers import assert_every_field_labelled, sign_in, submit_with_keyboard

PASSWORD = "correct-horse-battery-staple"
NUMERIC_DATE = re.compile(r"(?<![\d.:/-])(?:\d{1,2}[/.]\d{1,2}[/.]\d{2,4}|\d{4}-\d{2}-\d{2})(?![\d/])")
SNAKE_CODE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")


def _reads_in_words(page: Any) -> str:
    text = page.locator("main").inner_text()
    assert not NUMERIC_DATE.search(text), f"{page.url}: {NUMERIC_DATE.search(text)}"
    assert not SNAKE_CODE.search(text), f"{page.url}: {SNAKE_CODE.search(text)}"
    return str(text)


def _submit(page: Any, button: str) -> None:
    assert_every_field_labelled(page)
    with page.expect_navigation():
        page.get_by_role("button", name=button, exact=True).first.click()
    errors = page.locator(".field-error, .form-errors").all_inner_texts()
    assert not errors, f"{page.url} refused the form: {errors}"


@pytest.fixture
def ready(transactional_db: Any, course: Any, prescriber: Any, delegate: Any, pharmacist: Any, admin_user: Any,
          with_totp: Any, make_ready: Any, today: dt.date) -> dict[str, Any]:
    for user in (prescriber, delegate, pharmacist, admin_user):
        with_totp(user)
    rx = make_ready(course, prescriber, today)
    return {"course": course, "rx": rx, "today": today}


def test_the_prescribers_journey(page: Any, ready: dict[str, Any], prescriber: Any, shot: Any) -> None:
    course = ready["course"]
    sign_in(page, "dr_rivera", PASSWORD, user=prescriber)
    page.goto("/monitoring/worklist/")
    _reads_in_words(page)
    shot(page, "worklist")
    page.goto(f"/programs/courses/{course.pk}/")
    text = _reads_in_words(page)
    assert "US iPLEDGE REMS" in text and "us-ipledge" not in text
    assert ready["rx"].reference in text
    shot(page, "program page")
    page.goto(f"/patients/courses/{course.pk}/")
    _reads_in_words(page)
    shot(page, "course page")


def test_the_delegates_journey(page: Any, ready: dict[str, Any], delegate: Any, shot: Any) -> None:
    from clearcourse.monitoring.models import LabResult
    from clearcourse.ppp.models import PregnancyTest

    course, today = ready["course"], ready["today"]
    tests_before = PregnancyTest.objects.filter(course=course).count()
    sign_in(page, "nurse_kim", PASSWORD, user=delegate)
    page.goto("/monitoring/worklist/")
    _reads_in_words(page)
    shot(page, "worklist")
    page.goto(f"/monitoring/courses/{course.pk}/labs/new/")
    page.get_by_label("Test").select_option(index=1)
    page.get_by_label("Value").fill("5.0")
    unit = page.get_by_label("Unit")
    unit.select_option(index=1)
    page.get_by_label("Collected on").fill(today.isoformat())
    shot(page, "lab form")
    _submit(page, "Save")
    assert LabResult.objects.filter(course=course).exists()
    page.goto(f"/programs/courses/{course.pk}/pregnancy-tests/new/")
    page.get_by_label("Specimen collected on").fill(today.isoformat())
    page.get_by_label("Setting").select_option("clinic")
    page.get_by_label("Negative").check()
    shot(page, "pregnancy test form")
    _submit(page, "Save")
    assert PregnancyTest.objects.filter(course=course).count() == tests_before + 1
    page.goto(f"/monitoring/courses/{course.pk}/")
    text = _reads_in_words(page)
    assert f"{today.day} {today:%b} {today.year}" in text
    shot(page, "monitoring page")


def test_the_pharmacists_journey(page: Any, ready: dict[str, Any], pharmacist: Any, patient: Any,
                                 shot: Any) -> None:
    from clearcourse.pharmacy.models import Dispense

    rx = ready["rx"]
    sign_in(page, "pharm_lee", PASSWORD, user=pharmacist)
    page.get_by_label("Prescription reference").fill(rx.reference)
    page.get_by_label("Patient's date of birth").fill(patient.birth_date.isoformat())
    page.get_by_label("Patient's date of birth").focus()
    with page.expect_navigation():
        submit_with_keyboard(page, page.get_by_role("button", name="Look up"))
    text = _reads_in_words(page)
    assert "May be dispensed" in text and rx.reference in text
    shot(page, "lookup")
    _submit(page, "Authorize")
    shot(page, "authorization")
    page.get_by_label("Days of supply handed over").fill("30")
    page.get_by_label("I am handing this prescription to the patient now.").check()
    _submit(page, "Record the dispense")
    assert Dispense.objects.get(prescription=rx).days_supply == 30
    page.goto("/pharmacy/")
    assert rx.reference in _reads_in_words(page)
    shot(page, "pharmacy home after the dispense")


def test_the_administrators_journey(page: Any, ready: dict[str, Any], admin_user: Any, patient: Any,
                                    prescriber: Any, shot: Any) -> None:
    from clearcourse.courses.selectors import patient_get_for_user

    patient_get_for_user(user=prescriber, patient_id=patient.pk)  # an entry in the patient's trail
    sign_in(page, "admin_ada", PASSWORD, user=admin_user)
    page.goto("/audit/")
    page.get_by_label("Patient (record number, name or prescription reference)").fill(patient.record_number)
    _submit(page, "Search")
    text = _reads_in_words(page)
    assert "Miller, Jordan (R-0001)" in text and "Ana Rivera" in text
    shot(page, "audit by record number")
    page.get_by_label("Patient (record number, name or prescription reference)").fill("Jordan Miller")
    _submit(page, "Search")
    assert "Miller, Jordan (R-0001)" in _reads_in_words(page)
    page.goto("/programs/certifications/")
    _reads_in_words(page)
    shot(page, "certifications")
    page.goto("/accounts/api-tokens/")
    _reads_in_words(page)
    shot(page, "api tokens")


def test_the_patients_journey_in_german_on_a_phone(browser: Any, live_server: Any, ready: dict[str, Any],
                                                   patient: Any, shot: Any) -> None:
    from clearcourse.ppp.models import ContraceptionConfirmation

    course = ready["course"]
    patient.preferred_language = "de"
    patient.save()
    context = browser.new_context(base_url=live_server.url, locale="de-DE", viewport={"width": 360, "height": 780})
    page = context.new_page()
    try:
        sign_in(page, patient.user.username, PASSWORD)
        assert page.locator("html").get_attribute("lang") == "de"

        def fits(name: str) -> str:
            wide = page.evaluate("document.documentElement.scrollWidth")
            assert wide <= 360, f"{page.url} is {wide}px wide"
            shot(page, name)
            return _reads_in_words(page)

        assert "Hallo" in fits("home")
        page.goto("/portal/education/")
        fits("education folded")
        page.locator("article.education details > summary").first.click()
        fits("education first part open")
        page.goto(f"/portal/courses/{course.pk}/contraception/")
        fits("contraception")
        page.get_by_label("Kupferspirale", exact=False).check()
        page.get_by_label("Kondom", exact=False).first.check()
        _submit(page, "Bestätigen")
        assert ContraceptionConfirmation.objects.filter(course=course, confirmed_by="patient").exists()
        assert "Gespeichert" in fits("saved")
        page.goto(f"/portal/courses/{course.pk}/mood/")
        fits("mood questionnaire")
        page.goto(f"/portal/courses/{course.pk}/")
        fits("progress")
    finally:
        context.close()
