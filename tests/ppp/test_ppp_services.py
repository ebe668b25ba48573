"""The program services: every bad input is a DomainError naming its field, and writes nothing."""

from __future__ import annotations

import datetime as dt
import io
import pathlib
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.courses.models import Assessment, Prescription
from clearcourse.ppp import models as m
from clearcourse.ppp import services as s
from clearcourse.ppp.selectors import course_facts
from clearcourse.rules.programs import comprehension as bank

pytestmark = pytest.mark.django_db
D = dt.date
PPP_MODELS = (m.Enrollment, m.RiskCategory, m.Counseling, m.ContraceptionConfirmation, m.PregnancyTest,
              m.HomeTestVerification, m.ComprehensionAttempt, m.TreatmentEnd, Prescription)


@pytest.fixture(autouse=True)
def private_media(media: Any) -> Any:
    return media


def _counts() -> tuple[int, ...]:
    return (*(model.objects.count() for model in PPP_MODELS), AuditEntry.objects.count())


@pytest.fixture
def nothing_written(course: Any, prescriber: Any, delegate: Any, patient_user: Any) -> Iterator[None]:
    """Counts every program table and the audit trail after the personas exist, and again at the end."""
    before = _counts()
    yield
    assert _counts() == before


def image(fmt: str = "PNG", name: str = "test.png") -> SimpleUploadedFile:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "white").save(buf, format=fmt)
    return SimpleUploadedFile(name, buf.getvalue(), content_type=f"image/{fmt.lower()}")


def refused(field: str, call: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as exc:
        call()
    assert exc.value.field == field, exc.value.message
    return exc.value


# --- enrolment -------------------------------------------------------------------------------------


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"program": "eu-ppp"}, "program"),
    ({"program": "nonsense"}, "program"),
    ({"ipledge_patient_id": "12 34;"}, "ipledge_patient_id"),
    ({"enrolled_on": D(2000, 1, 1)}, "enrolled_on"),
    ({"enrolled_on": D(2026, 11, 27)}, "enrolled_on"),
])
def test_it_refuses_a_bad_enrolment(course: Any, prescriber: Any, today: dt.date, kwargs: dict[str, Any],
                                    field: str) -> None:
    args = {"enrolled_on": today, **kwargs}
    refused(field, lambda: s.enrollment_record(actor=prescriber, course=course, today=today, **args))


def test_a_delegate_enrols_with_a_pinned_version_and_an_ipledge_id(course: Any, delegate: Any,
                                                                   today: dt.date) -> None:
    record = s.enrollment_record(actor=delegate, course=course, enrolled_on=today, today=today,
                                 program="us-ipledge-2026", ipledge_patient_id="1234-5678")
    assert (record.program, record.ipledge_patient_id, record.recorded_by) == ("us-ipledge-2026", "1234-5678",
                                                                               delegate)
    assert AuditEntry.objects.filter(action="ppp.enrollment.record", patient_id=course.patient_id).exists()


def test_an_ipledge_id_is_refused_outside_the_us(other_prescriber: Any, today: dt.date) -> None:
    from clearcourse.courses.models import Patient
    from clearcourse.courses.services import course_create

    patient = Patient.objects.create(clinic=other_prescriber.clinic, prescriber=other_prescriber,
                                     record_number="EU-1", given_name="Lena", family_name="Graf",
                                     birth_date=D(2001, 5, 5), sex="female")
    eu_course = course_create(actor=other_prescriber, patient=patient)
    refused("ipledge_patient_id", lambda: s.enrollment_record(
        actor=other_prescriber, course=eu_course, enrolled_on=today, today=today, ipledge_patient_id="123"))
    refused("ipledge_confirmation", lambda: s.prescription_create(
        actor=other_prescriber, course=eu_course, issued_on=today, product="conventional", daily_dose_mg=40,
        days_supply=30, today=today, ipledge_confirmation="ABC123"))


@pytest.mark.parametrize("persona", ["other_prescriber", "pharmacist", "admin_user", "patient_user"])
def test_outsiders_cannot_enrol(request: Any, course: Any, today: dt.date, persona: str) -> None:
    with pytest.raises(PermissionDeniedError):
        s.enrollment_record(actor=request.getfixturevalue(persona), course=course, enrolled_on=today, today=today)
    assert m.Enrollment.objects.count() == 0


# --- risk category ---------------------------------------------------------------------------------


def test_only_the_prescriber_assigns_the_risk_category(course: Any, delegate: Any, today: dt.date) -> None:
    with pytest.raises(PermissionDeniedError) as exc:
        s.risk_category_assign(actor=delegate, course=course, can_get_pregnant=False, effective_on=today,
                               today=today)
    assert exc.value.message == s.ONLY_PRESCRIBER_RISK
    assert m.RiskCategory.objects.count() == 0


def test_a_risk_category_change_requires_a_reason(course: Any, prescriber: Any, today: dt.date) -> None:
    s.risk_category_assign(actor=prescriber, course=course, can_get_pregnant=True, effective_on=today, today=today)
    # Confirming the same category needs no reason.
    s.risk_category_assign(actor=prescriber, course=course, can_get_pregnant=True, effective_on=today, today=today)
    before = _counts()
    error = refused("reason", lambda: s.risk_category_assign(
        actor=prescriber, course=course, can_get_pregnant=False, effective_on=today, today=today, reason="  "))
    assert error.message == s.REASON_REQUIRED_ON_CHANGE
    assert _counts() == before
    s.risk_category_assign(actor=prescriber, course=course, can_get_pregnant=False, effective_on=today,
                           today=today, reason="total hysterectomy")
    assert course_facts(course)[0].can_get_pregnant is False
    assert m.RiskCategory.objects.count() == 3  # the history stays


# --- counselling and contraception -----------------------------------------------------------------


def test_a_delegate_documents_the_prescribers_counselling(course: Any, delegate: Any, prescriber: Any,
                                                          today: dt.date) -> None:
    record = s.counseling_record(actor=delegate, course=course, counseled_on=today, today=today)
    assert record.counseled_by == prescriber and record.recorded_by == delegate


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"methods": ["iud_copper", "pill_of_the_day"]}, "methods"),
    ({"methods": []}, "methods"),
    ({"methods": ["implant"], "confirmed_by": "pharmacist"}, "confirmed_by"),
    ({"methods": ["implant"], "confirmed_on": D(2003, 1, 1)}, "confirmed_on"),
])
def test_it_refuses_a_bad_contraception_confirmation(course: Any, prescriber: Any, today: dt.date,
                                                     kwargs: dict[str, Any], field: str) -> None:
    args = {"confirmed_on": today, **kwargs}
    refused(field, lambda: s.contraception_confirm(actor=prescriber, course=course, today=today, **args))


def test_a_patient_confirms_their_own_contraception_only(course: Any, patient_user: Any,
                                                          other_patient_user: Any, today: dt.date) -> None:
    record = s.contraception_confirm(actor=patient_user, course=course, confirmed_on=today, today=today,
                                     abstinence=True, confirmed_by="prescriber")
    assert record.confirmed_by == "patient" and record.abstinence
    with pytest.raises(PermissionDeniedError):
        s.contraception_confirm(actor=other_patient_user, course=course, confirmed_on=today, today=today,
                                methods=["implant"])
    assert m.ContraceptionConfirmation.objects.count() == 1


# --- pregnancy tests and home-test photos ------------------------------------------------------------


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"setting": "pharmacy"}, "setting"),
    ({"result": "unclear"}, "result"),
    ({"setting": "home"}, "photo"),
    ({"setting": "clinic", "photo": "png"}, "photo"),
    ({"collected_on": D(2026, 12, 1)}, "collected_on"),
    ({"collected_on": D(2004, 2, 29)}, "collected_on"),
])
def test_it_refuses_a_bad_pregnancy_test(course: Any, prescriber: Any, today: dt.date, kwargs: dict[str, Any],
                                         field: str) -> None:
    args = {"collected_on": today, "setting": "clinic", "result": "negative", **kwargs}
    if args.get("photo") == "png":
        args["photo"] = image()
    refused(field, lambda: s.pregnancy_test_record(actor=prescriber, course=course, today=today, **args))


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize("upload", [
    SimpleUploadedFile("test.jpg", b"#!/bin/sh\necho not an image\n", content_type="image/jpeg"),
    SimpleUploadedFile("test.gif", b"GIF89a" + b"\x00" * 64, content_type="image/gif"),
    SimpleUploadedFile("test.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, content_type="image/png"),  # truncated
    SimpleUploadedFile("test.pdf", b"%PDF-1.7\n", content_type="application/pdf"),
    SimpleUploadedFile("empty.png", b"", content_type="image/png"),
], ids=["script-named-jpg", "gif", "broken-png", "pdf", "empty"])
def test_it_refuses_a_photo_that_is_not_a_jpeg_or_png(course: Any, patient_user: Any, today: dt.date,
                                                      upload: SimpleUploadedFile) -> None:
    upload.seek(0)
    error = refused("photo", lambda: s.pregnancy_test_record(
        actor=patient_user, course=course, collected_on=today, setting="home", result="negative", today=today,
        photo=upload))
    assert error.message == s.PHOTO_WRONG_TYPE


def test_it_refuses_a_photo_over_5_mb(course: Any, patient_user: Any, today: dt.date, private_media: Any,
                                      nothing_written: None) -> None:
    big = SimpleUploadedFile("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (5 * 1024 * 1024), content_type="image/png")
    error = refused("photo", lambda: s.pregnancy_test_record(
        actor=patient_user, course=course, collected_on=today, setting="home", result="negative", today=today,
        photo=big))
    assert error.message == s.PHOTO_TOO_LARGE
    assert not private_media.exists() or not any(private_media.rglob("*.png"))


@pytest.mark.parametrize(("fmt", "name", "ctype"), [("PNG", "a.png", "image/png"), ("JPEG", "b.jpg", "image/jpeg")])
def test_a_home_test_photo_is_stored_privately_under_a_random_name(course: Any, patient_user: Any, today: dt.date,
                                                                   private_media: Any, fmt: str, name: str,
                                                                   ctype: str) -> None:
    test = s.pregnancy_test_record(actor=patient_user, course=course, collected_on=today, setting="home",
                                   result="negative", today=today, photo=image(fmt, name))
    assert test.photo_content_type == ctype
    # The uploaded name is replaced by 32 random hex digits (a random name can end in "a.png" by chance,
    # so compare the whole file name, not a substring).
    stored = pathlib.PurePosixPath(test.photo.name)
    assert str(stored.parent) == "private/home-tests" and stored.name != name
    assert re.fullmatch(r"[0-9a-f]{32}\.(png|jpg)", stored.name)
    assert (private_media / test.photo.name).is_file()


def test_a_patient_submits_only_home_tests(course: Any, patient_user: Any, today: dt.date) -> None:
    refused("setting", lambda: s.pregnancy_test_record(actor=patient_user, course=course, collected_on=today,
                                                       setting="lab", result="negative", today=today))


def _home_test(course: Any, patient_user: Any, today: dt.date) -> Any:
    return s.pregnancy_test_record(actor=patient_user, course=course, collected_on=today, setting="home",
                                   result="negative", today=today, photo=image())


def test_a_delegate_cannot_verify_a_home_test(course: Any, patient_user: Any, delegate: Any,
                                              today: dt.date) -> None:
    test = _home_test(course, patient_user, today)
    with pytest.raises(PermissionDeniedError) as exc:
        s.home_test_verify(actor=delegate, test=test, outcome="confirmed", verified_on=today, today=today)
    assert exc.value.message == s.ONLY_PRESCRIBER_VERIFY
    assert m.HomeTestVerification.objects.count() == 0
    assert course_facts(course)[1].tests[0].verified_by_prescriber is False


def test_the_prescriber_verifies_a_home_test_and_it_counts(course: Any, patient_user: Any, prescriber: Any,
                                                           today: dt.date) -> None:
    test = _home_test(course, patient_user, today)
    s.home_test_verify(actor=prescriber, test=test, outcome="confirmed", verified_on=today, today=today)
    assert course_facts(course)[1].tests[0].verified_by_prescriber is True


def test_it_refuses_a_bad_verification(course: Any, patient_user: Any, prescriber: Any, today: dt.date,
                                       add: Callable[..., Any]) -> None:
    test = _home_test(course, patient_user, today)
    clinic_test = add("test", collected_on=today, setting="clinic", result="negative")
    before = _counts()
    refused("note", lambda: s.home_test_verify(actor=prescriber, test=test, outcome="rejected",
                                               verified_on=today, today=today))
    refused("outcome", lambda: s.home_test_verify(actor=prescriber, test=test, outcome="maybe",
                                                  verified_on=today, today=today))
    refused("verified_on", lambda: s.home_test_verify(actor=prescriber, test=test, outcome="confirmed",
                                                      verified_on=today - dt.timedelta(days=1), today=today))
    refused("test", lambda: s.home_test_verify(actor=prescriber, test=clinic_test, outcome="confirmed",
                                               verified_on=today, today=today))
    assert _counts() == before


# --- comprehension -----------------------------------------------------------------------------------


def _right_answers(program: str) -> dict[str, str]:
    return {q.id: q.correct for q in bank.questions_for(program)}


def test_all_correct_answers_pass_and_one_wrong_answer_fails(course: Any, patient_user: Any,
                                                             today: dt.date) -> None:
    answers = _right_answers(course.program)
    attempt = s.comprehension_submit(actor=patient_user, course=course, answered_on=today, answers=answers,
                                     today=today, language="de")
    assert (attempt.score, attempt.total, attempt.passed) == (10, 10, True)
    first = bank.questions_for(course.program)[0]
    wrong = next(o.id for o in first.options if o.id != first.correct)
    attempt = s.comprehension_submit(actor=patient_user, course=course, answered_on=today,
                                     answers={**answers, first.id: wrong}, today=today)
    assert (attempt.score, attempt.passed) == (9, False)
    assert course_facts(course)[1].comprehensions[-1].passed is False


@pytest.mark.usefixtures("nothing_written")
def test_it_refuses_an_unanswered_or_unknown_answer(course: Any, prescriber: Any, today: dt.date) -> None:
    answers = _right_answers(course.program)
    missing = dict(answers)
    missing.pop("us_window")
    refused("q_us_window", lambda: s.comprehension_submit(actor=prescriber, course=course, answered_on=today,
                                                          answers=missing, today=today))
    refused("q_us_window", lambda: s.comprehension_submit(actor=prescriber, course=course, answered_on=today,
                                                          answers={**answers, "us_window": "z"}, today=today))
    refused("language", lambda: s.comprehension_submit(actor=prescriber, course=course, answered_on=today,
                                                       answers=answers, today=today, language="fr"))


@pytest.mark.parametrize("program", ["us-ipledge", "eu-ppp", "uk-mhra"])
def test_every_program_has_a_bilingual_bank_of_8_to_10_questions(program: str) -> None:
    questions = bank.questions_for(program)
    assert 8 <= len(questions) <= 10
    assert len({q.id for q in questions}) == len(questions)
    for q in questions:
        assert q.text["en"] and q.text["de"] and q.text["en"] != q.text["de"]
        assert all(o.text["en"] and o.text["de"] for o in q.options)
        assert q.correct in {o.id for o in q.options} and q.sources
    assert bank.score(program, {q.id: q.correct for q in questions}).passed
    assert not bank.score(program, {}).passed


# --- treatment end -----------------------------------------------------------------------------------


def test_only_the_prescriber_records_the_end_of_treatment(course: Any, delegate: Any, prescriber: Any,
                                                          today: dt.date) -> None:
    with pytest.raises(PermissionDeniedError):
        s.treatment_end_record(actor=delegate, course=course, ended_on=today, today=today)
    s.treatment_end_record(actor=prescriber, course=course, ended_on=today, today=today)
    assert course_facts(course)[1].treatment_ends == (today,)


# --- prescriptions -----------------------------------------------------------------------------------


def _rx(course: Any, actor: Any, today: dt.date, **kwargs: Any) -> Prescription:
    args = {"issued_on": today, "product": course.product, "daily_dose_mg": 40, "days_supply": 30, **kwargs}
    return s.prescription_create(actor=actor, course=course, today=today, **args)


@pytest.mark.usefixtures("nothing_written")
@pytest.mark.parametrize(("kwargs", "field"), [
    ({"days_supply": 31}, "days_supply"),
    ({"days_supply": 0}, "days_supply"),
    ({"refills": 1}, "refills"),
    ({"product": "absorica"}, "product"),
    ({"product": "generic"}, "product"),
    ({"daily_dose_mg": 0}, "daily_dose_mg"),
    ({"daily_dose_mg": 5}, "daily_dose_mg"),
    ({"daily_dose_mg": 130}, "daily_dose_mg"),
    ({"ipledge_confirmation": "no spaces please"}, "ipledge_confirmation"),
    ({"issued_on": D(2026, 11, 27)}, "issued_on"),
])
def test_it_refuses_a_bad_prescription(course: Any, prescriber: Any, today: dt.date, kwargs: dict[str, Any],
                                       field: str) -> None:
    refused(field, lambda: _rx(course, prescriber, today, **kwargs))


def test_a_delegate_cannot_prescribe(course: Any, delegate: Any, today: dt.date) -> None:
    with pytest.raises(PermissionDeniedError) as exc:
        _rx(course, delegate, today)
    assert exc.value.message == s.ONLY_PRESCRIBER_PRESCRIBE
    assert Prescription.objects.count() == 0


def test_a_prescription_records_capsules_and_the_ipledge_number(course: Any, prescriber: Any,
                                                                today: dt.date) -> None:
    rx = _rx(course, prescriber, today, daily_dose_mg=60, ipledge_confirmation="RMA-0042")
    assert rx.capsules == {"30": 2}
    assert rx.ipledge_confirmation == "RMA-0042" and not rx.voided
    assert AuditEntry.objects.filter(action="prescription.create", object_id=str(rx.pk)).exists()


def test_interaction_warnings_must_be_acknowledged(course: Any, prescriber: Any, today: dt.date) -> None:
    Assessment.objects.create(course=course, assessed_on=today, medications=["doxycycline 100 mg"],
                              recorded_by=prescriber)
    assert [w.code for w in s.prescription_warnings(course)] == ["tetracycline"]
    error = refused("acknowledge_warnings", lambda: _rx(course, prescriber, today))
    assert error.extra == {"warnings": ["tetracycline"]}
    assert Prescription.objects.count() == 0
    rx = _rx(course, prescriber, today, acknowledge_warnings=True)
    entry = AuditEntry.objects.get(action="prescription.create", object_id=str(rx.pk))
    assert entry.detail["warnings_acknowledged"] == ["tetracycline"]


def test_a_dispensed_prescription_cannot_be_voided(ready_course: Any, prescriber: Any,
                                                   add: Callable[..., Any]) -> None:
    add("dispense", prescription=ready_course.rx, dispensed_on=D(2026, 10, 6))
    refused("prescription", lambda: s.prescription_void(actor=prescriber, prescription=ready_course.rx,
                                                        reason="changed my mind"))
    refused("reason", lambda: s.prescription_void(actor=prescriber, prescription=ready_course.rx, reason=""))
