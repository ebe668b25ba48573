"""The main journey end to end in a real browser (chromium), with a screenshot of every step:

a prescriber (password + TOTP) enrols a patient and prepares the first fill; the patient accepts the
emailed invitation, signs in, reads the education page in German, signs the consent and completes the
monthly duties; a pharmacist (password + TOTP) authorizes and dispenses; the prescriber sees the patient
on the worklist. Every form on the way is checked for labelled fields; the key forms are submitted with
the keyboard only (Tab to the button, Enter).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from browser_helpers import assert_every_field_labelled, sign_in, submit_with_keyboard
from django.core import mail

from clearcourse.courses.models import prescription_reference

PASSWORD = "correct-horse-battery-staple"
PATIENT_PASSWORD = "a-long-and-unusual-passphrase-42"
EMAIL = "lena.vogel@example.org"


def _save(page: Any, button: str = "Save", *, keyboard: bool = False) -> None:
    """Submit the form whose button is named ``button``; fail with the page's field errors if it comes back."""
    locator = page.get_by_role("button", name=button, exact=True).first
    assert_every_field_labelled(page)
    before = page.url
    with page.expect_navigation():
        if keyboard:
            page.locator("main input:visible, main select:visible").first.focus()
            submit_with_keyboard(page, locator)
        else:
            locator.click()
    errors = page.locator(".field-error, .form-errors").all_inner_texts()
    assert not errors, f"{before} refused the form: {errors}"


@pytest.fixture
def staff(transactional_db: Any, prescriber: Any, pharmacist: Any, with_totp: Any) -> dict[str, Any]:
    with_totp(prescriber)
    with_totp(pharmacist)
    return {"prescriber": prescriber, "pharmacist": pharmacist}


def test_the_main_journey_from_enrolment_to_dispense(page: Any, browser: Any, live_server: Any,
                                                     staff: dict[str, Any], shot: Any) -> None:
    from clearcourse.courses.models import Course, Patient, Prescription
    from clearcourse.monitoring.models import MoodScreen, SideEffectReport
    from clearcourse.pharmacy.models import Dispense
    from clearcourse.portal.models import ConsentSignature
    from clearcourse.ppp.models import ComprehensionAttempt, ContraceptionConfirmation
    from clearcourse.rules.programs import comprehension as questions

    today = dt.date.today()
    iso = today.isoformat
    before = (today - dt.timedelta(days=36)).isoformat()
    confirm = (today - dt.timedelta(days=2)).isoformat()

    # --- 1. The prescriber signs in with a password and a TOTP code -------------------------------------
    sign_in(page, "dr_rivera", PASSWORD, user=staff["prescriber"])
    shot(page, "prescriber signed in")

    # --- 2. ... and enrols a new patient -------------------------------------------------------------
    page.goto("/patients/new/")
    page.get_by_label("Record number").fill("R-7001")
    page.get_by_label("Given name").fill("Lena")
    page.get_by_label("Family name").fill("Vogel")
    page.get_by_label("Date of birth").fill("2001-05-02")
    page.get_by_label("Sex").select_option("female")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Preferred language").select_option("de")
    shot(page, "new patient form")
    _save(page, "Add patient", keyboard=True)
    patient = Patient.objects.get(record_number="R-7001")
    shot(page, "patient page")

    # Start the course, weigh, assess, plan the dose.
    page.goto(f"/patients/{patient.pk}/courses/new/")
    _save(page, "Create course")
    course = Course.objects.get(patient=patient)
    page.goto(f"/patients/{patient.pk}/weights/new/")
    page.get_by_label("Measured on").fill(before)
    page.get_by_label("Weight (kg)").fill("60")
    _save(page, "Save weight")
    page.goto(f"/patients/courses/{course.pk}/assessments/new/")
    page.get_by_label("Assessed on").fill(before)
    page.get_by_label("IGA (Investigator's Global Assessment)").select_option("4")
    _save(page, "Save and check eligibility")
    shot(page, "assessment")
    page.goto(f"/patients/courses/{course.pk}/dose-plan/")
    page.get_by_label("Plan starts on").fill(iso())
    page.get_by_label("Weight (kg)").fill("60")
    page.get_by_label("Daily dose (mg/kg)").fill("0.5")
    _save(page, "Save dose plan")
    shot(page, "dose plan")

    # Pregnancy-prevention records of the first fill: enrolment, category, counselling, contraception
    # from 36 days ago, a screening test then and a confirmation test 2 days ago.
    page.goto(f"/programs/courses/{course.pk}/enrolment/")
    page.get_by_label("Enrolled on").fill(before)
    _save(page)
    page.goto(f"/programs/courses/{course.pk}/risk-category/")
    page.get_by_label("Patient can get pregnant").check()
    page.get_by_label("Effective from").fill(before)
    _save(page)
    for day in (before, confirm):
        page.goto(f"/programs/courses/{course.pk}/counselling/")
        page.get_by_label("Counselled on").fill(day)
        _save(page)
        page.goto(f"/programs/courses/{course.pk}/contraception/")
        page.get_by_label("Confirmed on").fill(day)
        page.get_by_label("Copper IUD").check()
        page.get_by_label("Male latex condom").check()
        _save(page)
        page.goto(f"/programs/courses/{course.pk}/pregnancy-tests/new/")
        page.get_by_label("Specimen collected on").fill(day)
        page.get_by_label("Setting").select_option("clinic")
        page.get_by_label("Negative").check()
        _save(page)
    page.goto(f"/programs/courses/{course.pk}/")
    shot(page, "program status before the patient's steps")

    # The clinic invites the patient to the portal from the patient page.
    mail.outbox.clear()
    page.goto(f"/patients/{patient.pk}/")
    with page.expect_navigation():
        page.locator("#invite-button").click()
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [EMAIL]
    link = re.search(r"https?://\S+/portal/welcome/\S+/", mail.outbox[0].body)
    assert link is not None, mail.outbox[0].body
    assert "Hallo Lena" in mail.outbox[0].body  # the patient's language

    # --- 3. The patient accepts the invitation in their own browser ---------------------------------------
    patient_context = browser.new_context(base_url=live_server.url, locale="de-DE",
                                          viewport={"width": 1280, "height": 900})
    ppage = patient_context.new_page()
    ppage.goto(link.group(0))
    assert_every_field_labelled(ppage)
    shot(ppage, "invitation accepted form")
    ppage.locator("input[name=password1]").fill(PATIENT_PASSWORD)
    ppage.locator("input[name=password2]").fill(PATIENT_PASSWORD)
    ppage.locator("input[name=password2]").focus()
    with ppage.expect_navigation():
        submit_with_keyboard(ppage, ppage.locator("form button[type=submit]"))
    sign_in(ppage, EMAIL, PATIENT_PASSWORD)
    assert ppage.url.endswith("/portal/")
    assert ppage.locator("html").get_attribute("lang") == "de"
    assert "Was ist diesen Monat zu tun" in ppage.content()
    assert_every_field_labelled(ppage)
    shot(ppage, "patient home in German")

    # ... reads the education page in German ...
    ppage.get_by_role("navigation", name="Hauptmenü").get_by_role(
        "link", name="Ist Isotretinoin das Richtige für mich?").click()
    ppage.wait_for_url("**/portal/education/")
    body = ppage.content()
    assert "ersetzt es nicht" in body and "Wie wirkt Isotretinoin?" in body
    assert "zwei Verhütungsmethoden" in body  # the US rules for a patient who can get pregnant
    shot(ppage, "education page in German")

    # ... signs the consent (typed name, date, every risk ticked; keyboard only) ...
    ppage.goto(f"/portal/courses/{course.pk}/consent/")
    assert_every_field_labelled(ppage)
    for box in ppage.locator("input[type=checkbox][name^=risk_]").all():
        box.check()
    ppage.get_by_label("Ihr vollständiger Name").fill("Lena Vogel")
    assert ppage.get_by_label("Heutiges Datum").input_value() == iso()
    shot(ppage, "consent filled in")
    ppage.get_by_label("Ihr vollständiger Name").focus()
    with ppage.expect_navigation():
        submit_with_keyboard(ppage, ppage.get_by_role("button", name="Unterschreiben"))
    assert "Ihre Einwilligung ist unterschrieben" in ppage.content()
    signature = ConsentSignature.objects.get(course=course)
    assert signature.language == "de" and signature.typed_name == "Lena Vogel"

    # ... and completes the monthly duties: questions, contraception, PHQ-9, side effects.
    ppage.goto(f"/portal/courses/{course.pk}/questions/")
    assert_every_field_labelled(ppage)
    for q in questions.questions_for(course.program):
        ppage.locator(f"input[name=q_{q.id}][value={q.correct}]").check()
    shot(ppage, "comprehension questions")
    with ppage.expect_navigation():
        ppage.get_by_role("button", name="Meine Antworten senden").click()
    assert ComprehensionAttempt.objects.get(course=course).passed

    ppage.goto(f"/portal/courses/{course.pk}/contraception/")
    assert_every_field_labelled(ppage)
    ppage.get_by_label("Kupferspirale").check()
    ppage.get_by_label("Latexkondom für Männer").check()
    with ppage.expect_navigation():
        ppage.get_by_role("button", name="Bestätigen").click()
    assert ContraceptionConfirmation.objects.filter(course=course, confirmed_by="patient").exists()

    ppage.goto(f"/portal/courses/{course.pk}/mood/")
    assert_every_field_labelled(ppage)
    for item in range(1, 10):
        ppage.locator(f"input[name=item_{item}][value='{1 if item < 3 else 0}']").check()
    shot(ppage, "PHQ-9")
    with ppage.expect_navigation():
        ppage.get_by_role("button", name="Meine Antworten senden").click()
    assert MoodScreen.objects.get(course=course).score == 2

    ppage.goto(f"/portal/courses/{course.pk}/side-effects/")
    assert_every_field_labelled(ppage)
    ppage.get_by_label("Trockene, rissige Lippen (Cheilitis)").select_option("mild")
    ppage.get_by_label("Niedergeschlagene Stimmung").select_option("mild")
    with ppage.expect_navigation():
        ppage.get_by_role("button", name="Meldung senden").click()
    assert SideEffectReport.objects.filter(course=course).count() == 2
    shot(ppage, "patient home after the duties")

    # --- 4. The prescriber writes the prescription ----------------------------------------------------------
    page.goto(f"/programs/courses/{course.pk}/prescriptions/new/")
    page.get_by_label("Issued on").fill(iso())
    page.get_by_label("Daily dose (mg)").fill("30")
    page.get_by_label("Days of supply").fill("30")
    _save(page, "Save")
    prescription = Prescription.objects.get(course=course)
    shot(page, "prescription written")

    # --- 5. The pharmacist (password + TOTP) authorizes and dispenses -----------------------------------------
    pharmacy_context = browser.new_context(base_url=live_server.url, locale="en-US",
                                           viewport={"width": 1280, "height": 900})
    rx_page = pharmacy_context.new_page()
    sign_in(rx_page, "pharm_lee", PASSWORD, user=staff["pharmacist"])
    assert rx_page.url.endswith("/pharmacy/")
    rx_page.get_by_label("Prescription reference").fill(prescription_reference(prescription))
    rx_page.get_by_label("Patient's date of birth").fill("2001-05-02")
    rx_page.get_by_label("Patient's date of birth").focus()
    with rx_page.expect_navigation():
        submit_with_keyboard(rx_page, rx_page.get_by_role("button", name="Look up"))
    assert "May be dispensed" in rx_page.content(), rx_page.locator("main").inner_text()
    shot(rx_page, "pharmacy lookup allowed")
    _save(rx_page, "Authorize")
    shot(rx_page, "authorization")
    rx_page.get_by_label("Days of supply handed over").fill("30")
    rx_page.get_by_label("I am handing this prescription to the patient now.").check()
    _save(rx_page, "Record the dispense")
    shot(rx_page, "dispensed")
    assert Dispense.objects.get(prescription=prescription).days_supply == 30

    # --- 6. The prescriber sees the patient on the worklist --------------------------------------------------
    page.goto("/")  # the prescriber's start page is the worklist
    worklist = page.locator("main").inner_text()
    assert "Vogel" in worklist, worklist
    assert_every_field_labelled(page)
    shot(page, "worklist")

    # The patient's progress now counts the dispensed supply.
    ppage.goto("/portal/")
    assert "mg/kg" in ppage.locator("#cumulative").inner_text()
    assert ppage.locator(".chart svg").count() == 1
    shot(ppage, "patient progress after the dispense")
    patient_context.close()
    pharmacy_context.close()
