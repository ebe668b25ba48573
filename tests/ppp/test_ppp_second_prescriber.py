"""UK MHRA measures of 31 Oct 2023 (fact sheet 6.2): two prescribers agree to start isotretinoin in a
patient under 18. The agreement is an append-only record (``SecondPrescriberAgreement``); the loader
marks the course's prescriptions issued on or after it, and the rules core then allows the first fill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from clearcourse.audit.models import AuditEntry
from clearcourse.core.errors import DomainError, PermissionDeniedError
from clearcourse.ppp import services
from clearcourse.ppp.models import SecondPrescriberAgreement
from clearcourse.ppp.selectors import course_decision, course_facts

pytestmark = pytest.mark.django_db
D = dt.date
# uk-mhra-2023 is in force from 31 Oct 2023 until 21 Jan 2026.
VISIT = D(2024, 6, 3)


@pytest.fixture
def uk_course(course: Any) -> Any:
    """The conftest course, moved to the UK program, for a patient who is 15 at the visit."""
    from clearcourse.courses.models import Course, Patient

    Patient.objects.filter(pk=course.patient_id).update(birth_date=D(2009, 1, 10), sex="male")
    Course.objects.filter(pk=course.pk).update(program="uk-mhra")
    course.refresh_from_db()
    course.patient.refresh_from_db()
    return course


@pytest.fixture
def uk_ready(uk_course: Any, add: Callable[..., Any]) -> Any:
    """Every UK condition for a patient who cannot get pregnant is met on VISIT, except (perhaps) the
    second prescriber."""
    add("enrolled", course=uk_course, enrolled_on=VISIT, program="uk-mhra")
    add("risk", course=uk_course, can_get_pregnant=False, effective_on=VISIT)
    add("counseling", course=uk_course, counseled_on=VISIT)
    uk_course.rx = add("rx", course=uk_course, issued_on=VISIT)
    return uk_course


def _decide(course: Any) -> Any:
    return course_decision(course, prescription=course.rx, request_date=VISIT, days_supply=30)


def _record(actor: Any, course: Any, **overrides: Any) -> SecondPrescriberAgreement:
    values: dict[str, Any] = {"second_prescriber_name": "Dr Priya Shah", "second_prescriber_registration": "GMC 7654321",
                              "agreed_on": VISIT, "only_appropriate_treatment": True, "today": VISIT}
    values.update(overrides)
    return services.second_prescriber_agreement_record(actor=actor, course=course, **values)


def test_it_refuses_an_under_18_uk_2023_first_fill_without_a_second_prescriber(uk_ready: Any) -> None:
    decision = _decide(uk_ready)
    assert not decision.allowed
    assert [r.code for r in decision.reasons] == ["second_prescriber_missing"]


def test_it_allows_an_under_18_uk_2023_first_fill_once_the_agreement_is_recorded(uk_ready: Any,
                                                                                 prescriber: Any) -> None:
    _record(prescriber, uk_ready)
    decision = _decide(uk_ready)
    assert decision.allowed, [r.code for r in decision.reasons]


def test_an_agreement_after_the_prescription_does_not_cover_it(uk_ready: Any, prescriber: Any) -> None:
    _record(prescriber, uk_ready, agreed_on=VISIT + dt.timedelta(days=1), today=VISIT + dt.timedelta(days=1))
    _, history = course_facts(uk_ready)
    assert [rx.second_prescriber_agreed for rx in history.prescriptions.values()] == [False]
    assert not _decide(uk_ready).allowed


def test_the_loader_marks_only_prescriptions_issued_on_or_after_a_current_agreement(
        uk_course: Any, add: Callable[..., Any], prescriber: Any) -> None:
    add("rx", course=uk_course, issued_on=D(2024, 5, 1))
    add("rx", course=uk_course, issued_on=VISIT)
    add("rx", course=uk_course, issued_on=D(2024, 7, 1))
    _record(prescriber, uk_course)
    _, history = course_facts(uk_course)
    assert [(rx.date, rx.second_prescriber_agreed) for rx in history.prescriptions.values()] == [
        (D(2024, 5, 1), False), (VISIT, True), (D(2024, 7, 1), True)]
    # What was known on a day before the agreement: nothing agreed yet.
    _, before = course_facts(uk_course, as_of=VISIT - dt.timedelta(days=1))
    assert [rx.second_prescriber_agreed for rx in before.prescriptions.values()] == [False]


def test_a_superseded_agreement_no_longer_counts(uk_ready: Any, prescriber: Any) -> None:
    first = _record(prescriber, uk_ready)
    SecondPrescriberAgreement.objects.create(
        course=uk_ready, second_prescriber_name="Dr Priya Shah", second_prescriber_registration="GMC 7654321",
        agreed_on=VISIT + dt.timedelta(days=2), only_appropriate_treatment=True, recorded_by=prescriber,
        supersedes=first, correction_reason="Wrong date")
    assert not _decide(uk_ready).allowed


def test_it_writes_the_record_and_an_audit_entry(uk_course: Any, prescriber: Any) -> None:
    record = _record(prescriber, uk_course, second_prescriber_name="  Dr Priya Shah ")
    assert record.second_prescriber_name == "Dr Priya Shah"
    assert record.recorded_by == prescriber
    assert AuditEntry.objects.filter(action="ppp.second_prescriber.record", object_id=str(record.pk)).exists()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"agreed_on": D(2008, 12, 31)}, "agreed_on", None),
    ({"agreed_on": VISIT + dt.timedelta(days=1)}, "agreed_on", None),
    ({"second_prescriber_registration": "  "}, "second_prescriber_registration",
     services.SECOND_REGISTRATION_REQUIRED),
    ({"second_prescriber_name": " "}, "second_prescriber_name", services.SECOND_NAME_REQUIRED),
    ({"only_appropriate_treatment": False}, "only_appropriate_treatment", services.SECOND_STATEMENT_REQUIRED),
])
def test_it_refuses_invalid_input_and_writes_nothing(uk_course: Any, prescriber: Any, overrides: dict[str, Any],
                                                     field: str, message: str | None) -> None:
    audits = AuditEntry.objects.count()
    with pytest.raises(DomainError) as exc:
        _record(prescriber, uk_course, **overrides)
    assert exc.value.field == field
    if message:
        assert exc.value.message == message
    assert not SecondPrescriberAgreement.objects.exists()
    assert AuditEntry.objects.count() == audits


@pytest.mark.parametrize("number", ["lead", "LEAD-lower", "spaced"])
def test_it_refuses_the_lead_prescribers_own_registration_number(uk_course: Any, prescriber: Any,
                                                                  number: str) -> None:
    lead = prescriber.registration_number
    typed = {"lead": lead, "LEAD-lower": lead.lower(), "spaced": " ".join(lead)}[number]
    with pytest.raises(DomainError) as exc:
        _record(prescriber, uk_course, second_prescriber_registration=typed)
    assert exc.value.field == "second_prescriber_registration"
    assert exc.value.message == services.SECOND_REGISTRATION_SAME
    assert not SecondPrescriberAgreement.objects.exists()


def test_it_refuses_a_course_outside_the_uk_program(course: Any, prescriber: Any) -> None:
    with pytest.raises(DomainError) as exc:
        _record(prescriber, course)
    assert exc.value.message == services.SECOND_UK_ONLY
    assert not SecondPrescriberAgreement.objects.exists()


def test_a_delegate_cannot_record_it(uk_course: Any, delegate: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        _record(delegate, uk_course)
    assert not SecondPrescriberAgreement.objects.exists()


# --- the page ----------------------------------------------------------------------------------------


def _url(course: Any) -> str:
    return reverse("ppp:second_prescriber_agreement_create", args=[course.pk])


def _post_data(**overrides: str) -> dict[str, str]:
    data = {"second_prescriber_name": "Dr Priya Shah", "second_prescriber_registration": "GMC 7654321",
            "agreed_on": "2026-11-20", "only_appropriate_treatment": "on"}
    data.update(overrides)
    return data


def test_a_prescriber_records_it_from_the_page(uk_course: Any, prescriber: Any, login: Callable[..., Any]) -> None:
    client = login(prescriber)
    assert client.get(_url(uk_course)).status_code == 200
    response = client.post(_url(uk_course), _post_data())
    assert response.status_code == 302
    assert response["Location"] == reverse("ppp:course_status", args=[uk_course.pk])
    record = SecondPrescriberAgreement.objects.get()
    assert (record.course, record.agreed_on, record.recorded_by) == (uk_course, D(2026, 11, 20), prescriber)


@pytest.mark.parametrize("overrides", [{"agreed_on": "2099-01-01"}, {"second_prescriber_registration": ""},
                                       {"only_appropriate_treatment": ""}])
def test_the_page_shows_a_refusal_with_400_and_writes_nothing(uk_course: Any, prescriber: Any,
                                                              login: Callable[..., Any],
                                                              overrides: dict[str, str]) -> None:
    data = _post_data(**overrides)
    data = {k: v for k, v in data.items() if v}
    response = login(prescriber).post(_url(uk_course), data)
    assert response.status_code == 400
    assert response.context["form"].errors
    assert not SecondPrescriberAgreement.objects.exists()


@pytest.mark.parametrize(("persona", "status"), [
    ("delegate", 403), ("other_prescriber", 404), ("pharmacist", 403), ("patient_user", 403),
])
def test_who_else_is_refused(request: pytest.FixtureRequest, uk_course: Any, login: Callable[..., Any],
                             persona: str, status: int) -> None:
    client = login(request.getfixturevalue(persona))
    assert client.get(_url(uk_course)).status_code == status
    assert client.post(_url(uk_course), _post_data()).status_code == status
    assert not SecondPrescriberAgreement.objects.exists()


def test_the_status_page_links_the_form_only_for_uk_courses(course: Any, prescriber: Any,
                                                            login: Callable[..., Any]) -> None:
    client = login(prescriber)
    status_url = reverse("ppp:course_status", args=[course.pk])
    assert _url(course) not in client.get(status_url).content.decode()
    from clearcourse.courses.models import Course

    Course.objects.filter(pk=course.pk).update(program="uk-mhra")
    assert _url(course) in client.get(status_url).content.decode()
