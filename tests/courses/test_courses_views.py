"""The prescriber's pages: access per persona, rendering, and bad input that writes nothing."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse
from django.utils.html import escape

from clearcourse.audit.models import AuditEntry
from clearcourse.courses import services
from clearcourse.courses.models import (
    Assessment,
    Course,
    DosePlan,
    MissedDoseReport,
    Patient,
    WeightMeasurement,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 26)


@pytest.fixture
def assessment(course: Any, prescriber: Any) -> Any:
    return services.assessment_record(actor=prescriber, course=course, assessed_on=TODAY, today=TODAY, iga=4,
                                      medications=["minocycline"], conditions=["depression"])


@pytest.fixture
def pages(patient: Any, course: Any, assessment: Any) -> list[str]:
    return [
        reverse("courses:patient_detail", args=[patient.pk]),
        reverse("courses:weight_create", args=[patient.pk]),
        reverse("courses:course_create", args=[patient.pk]),
        reverse("courses:course_detail", args=[course.pk]),
        reverse("courses:course_status", args=[course.pk]),
        reverse("courses:missed_dose_create", args=[course.pk]),
        reverse("courses:assessment_create", args=[course.pk]),
        reverse("courses:assessment_detail", args=[course.pk, assessment.pk]),
        reverse("courses:dose_plan", args=[course.pk]),
    ]


def _counts() -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (Patient, Course, Assessment, DosePlan, WeightMeasurement,
                                              MissedDoseReport, AuditEntry))


def _assert_csp_clean(html: str) -> None:
    assert not re.search(r"<script(?![^>]*\bsrc=)", html), "inline script"
    assert " style=" not in html and "<style" not in html, "inline style"


# --- access ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["prescriber", "delegate"])
def test_every_page_renders_for_clinic_staff(request: pytest.FixtureRequest, login: Callable[[Any], Any],
                                             pages: list[str], persona: str) -> None:
    client = login(request.getfixturevalue(persona))
    for url in [reverse("courses:patient_list"), reverse("courses:patient_create"), *pages]:
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_csp_clean(response.content.decode())


def test_another_clinics_prescriber_gets_not_found(login: Callable[[Any], Any], other_prescriber: Any,
                                                   pages: list[str], patient: Any) -> None:
    client = login(other_prescriber)
    for url in pages:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url
    listing = client.get(reverse("courses:patient_list"))
    assert listing.status_code == 200 and patient.family_name not in listing.content.decode()


@pytest.mark.parametrize("persona", ["pharmacist", "patient_user", "admin_user"])
def test_other_roles_are_refused(request: pytest.FixtureRequest, login: Callable[[Any], Any], pages: list[str],
                                 persona: str) -> None:
    client = login(request.getfixturevalue(persona))
    for url in [reverse("courses:patient_list"), reverse("courses:patient_create"), *pages]:
        assert client.get(url).status_code in (403, 404), url
        assert client.post(url, {}).status_code in (403, 404), url


def test_anonymous_visitors_are_sent_to_sign_in(client: Any, pages: list[str]) -> None:
    for url in [reverse("courses:patient_list"), *pages]:
        response = client.get(url)
        assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_a_delegate_who_does_not_act_for_the_prescriber_gets_not_found(make_user: Callable[..., Any],
                                                                       clinic: Any, pages: list[str],
                                                                       login: Callable[[Any], Any]) -> None:
    stranger = make_user("nurse_other", "delegate", clinic=clinic)
    client = login(stranger)
    for url in pages:
        assert client.get(url).status_code == 404, url


# --- patient list and creation -------------------------------------------------------------------


def test_the_patient_list_searches_by_name_and_record_number(login: Callable[[Any], Any], prescriber: Any,
                                                             patient: Any, other_patient: Any) -> None:
    client = login(prescriber)
    html = client.get(reverse("courses:patient_list"), {"q": "mill"}).content.decode()
    assert "Miller" in html and "Okafor" not in html
    html = client.get(reverse("courses:patient_list"), {"q": "R-0002"}).content.decode()
    assert "Okafor" in html and "Miller" not in html
    html = client.get(reverse("courses:patient_list"), {"q": "nobody"}).content.decode()
    assert "No patient matches" in html


def test_a_new_patient_is_created_and_shown(login: Callable[[Any], Any], prescriber: Any) -> None:
    client = login(prescriber)
    response = client.post(reverse("courses:patient_create"), {
        "record_number": "R-9", "given_name": "Lea", "family_name": "Park", "birth_date": "2005-02-03",
        "sex": "female", "prescriber": prescriber.pk, "preferred_language": "en",
    })
    patient = Patient.objects.get(record_number="R-9")
    assert response.status_code == 302 and response["Location"] == reverse("courses:patient_detail",
                                                                           args=[patient.pk])


def test_a_birth_date_in_the_future_is_refused_next_to_the_field(login: Callable[[Any], Any],
                                                                 prescriber: Any) -> None:
    client = login(prescriber)
    before = _counts()
    response = client.post(reverse("courses:patient_create"), {
        "record_number": "R-9", "given_name": "Lea", "family_name": "Park", "birth_date": "2027-01-01",
        "sex": "female", "prescriber": prescriber.pk, "preferred_language": "en",
    })
    assert response.status_code == 400
    assert response.context["form"].errors["birth_date"] == [services.BIRTH_DATE_IN_FUTURE]
    assert escape(services.BIRTH_DATE_IN_FUTURE) in response.content.decode()
    assert _counts() == before


# --- bad input on every form writes nothing -------------------------------------------------------


@pytest.mark.parametrize(("weight", "message"), [
    ("0", "Weight of 0 kg cannot be right: enter a value from 2 to 350 kg."),
    ("-3", "Weight of -3 kg cannot be right: enter a value from 2 to 350 kg."),
    ("0.1", "Weight of 0.1 kg cannot be right: enter a value from 2 to 350 kg."),
    ("350.1", "Weight of 350.1 kg cannot be right: enter a value from 2 to 350 kg.")])
def test_an_impossible_weight_is_refused_on_the_page(login: Callable[[Any], Any], prescriber: Any, patient: Any,
                                                     weight: str, message: str) -> None:
    client = login(prescriber)
    before = _counts()
    response = client.post(reverse("courses:weight_create", args=[patient.pk]),
                           {"measured_on": "2026-11-20", "weight_kg": weight})
    assert response.status_code == 400
    assert response.context["form"].errors["weight_kg"] == [message]
    assert _counts() == before


@pytest.mark.parametrize(("measured_on", "message"), [("2003-12-31", services.DATE_BEFORE_BIRTH),
                                                      ("2026-11-27", services.DATE_IN_FUTURE)])
def test_a_weight_dated_before_birth_or_in_the_future_is_refused(login: Callable[[Any], Any], delegate: Any,
                                                                 patient: Any, measured_on: str,
                                                                 message: str) -> None:
    client = login(delegate)
    before = _counts()
    response = client.post(reverse("courses:weight_create", args=[patient.pk]),
                           {"measured_on": measured_on, "weight_kg": "70"})
    assert response.status_code == 400
    assert response.context["form"].errors["measured_on"] == [message]
    assert _counts() == before


def test_a_good_weight_is_saved_and_returns_to_the_course(login: Callable[[Any], Any], prescriber: Any,
                                                          patient: Any, course: Any) -> None:
    client = login(prescriber)
    response = client.post(reverse("courses:weight_create", args=[patient.pk]),
                           {"measured_on": "2026-11-20", "weight_kg": "71.5", "course": course.pk})
    assert response.status_code == 302
    assert response["Location"] == reverse("courses:course_detail", args=[course.pk])
    assert WeightMeasurement.objects.get().weight_kg == pytest.approx(71.5)


GAGS_POST = {"gags_forehead": "2", "gags_right_cheek": "3", "gags_left_cheek": "3", "gags_nose": "1",
             "gags_chin": "2", "gags_chest_upper_back": "3"}


def test_an_assessment_is_recorded_and_its_result_shows_reasons_and_sources(login: Callable[[Any], Any],
                                                                            prescriber: Any, course: Any) -> None:
    client = login(prescriber)
    response = client.post(reverse("courses:assessment_create", args=[course.pk]), {
        "assessed_on": "2026-11-20", **GAGS_POST, "failed_therapies": ["doxycycline"],
        "medications": "St John's wort\nibuprofen", "allergies": "peanuts",
    })
    record = Assessment.objects.get()
    assert response.status_code == 302
    assert record.gags_score == 4 + 6 + 6 + 1 + 2 + 9
    html = client.get(response["Location"]).content.decode()
    assert "GAGS" in html and "<strong>28</strong>" in html
    assert "Standard therapy failed after an adequate trial: doxycycline." in html
    # A US clinic: the US label's list applies; peanut allergy depends on the product's ingredients.
    assert "Peanut allergy: the EU/UK SmPC contraindicates it for products containing soya-bean oil" in html
    assert "As listed in the US prescribing information (this clinic's program)." in html
    assert "Every contraindication in the US prescribing information" in html
    assert "Indicated, no absolute contraindication" in html
    # Sources are the register's documents, linked to their official addresses.
    assert 'href="https://www.medicines.org.uk/emc"' in html and "§4.3" in html
    assert "Decision support" in html


def test_an_incomplete_gags_is_refused_next_to_the_missing_regions(login: Callable[[Any], Any], prescriber: Any,
                                                                  course: Any) -> None:
    client = login(prescriber)
    before = _counts()
    post = {**GAGS_POST, "gags_nose": "", "assessed_on": "2026-11-20"}
    response = client.post(reverse("courses:assessment_create", args=[course.pk]), post)
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["gags_nose"]
    assert _counts() == before


@pytest.mark.parametrize(("assessed_on", "message"), [("2000-01-01", services.DATE_BEFORE_BIRTH),
                                                      ("2026-12-01", services.DATE_IN_FUTURE)])
def test_an_assessment_dated_before_birth_or_in_the_future_is_refused(login: Callable[[Any], Any],
                                                                     prescriber: Any, course: Any,
                                                                     assessed_on: str, message: str) -> None:
    client = login(prescriber)
    before = _counts()
    response = client.post(reverse("courses:assessment_create", args=[course.pk]),
                           {"assessed_on": assessed_on, **GAGS_POST})
    assert response.status_code == 400
    assert response.context["form"].errors["assessed_on"] == [message]
    assert _counts() == before


def test_an_assessment_needs_a_severity_scale(login: Callable[[Any], Any], prescriber: Any, course: Any) -> None:
    client = login(prescriber)
    before = _counts()
    response = client.post(reverse("courses:assessment_create", args=[course.pk]), {"assessed_on": "2026-11-20"})
    assert response.status_code == 400
    assert response.context["form"].errors["iga"] == [services.NEED_A_SCALE]
    assert _counts() == before


def test_an_assessment_can_be_corrected_with_a_reason(login: Callable[[Any], Any], prescriber: Any, course: Any,
                                                      assessment: Any) -> None:
    client = login(prescriber)
    url = reverse("courses:assessment_create", args=[course.pk])
    page = client.get(url, {"corrects": assessment.pk})
    assert page.status_code == 200 and "correction_reason" in page.context["form"].fields
    before = _counts()
    response = client.post(url, {"corrects": assessment.pk, "assessed_on": "2026-11-26", "iga": "3"})
    assert response.status_code == 400 and "correction_reason" in response.context["form"].errors
    assert _counts() == before
    response = client.post(url, {"corrects": assessment.pk, "assessed_on": "2026-11-26", "iga": "3",
                                 "correction_reason": "wrong patient photo"})
    assert response.status_code == 302
    assert Assessment.objects.current().get().supersedes_id == assessment.pk


def test_the_assessment_form_loads_the_gags_script_and_band_table(login: Callable[[Any], Any], prescriber: Any,
                                                                 course: Any) -> None:
    html = login(prescriber).get(reverse("courses:assessment_create", args=[course.pk])).content.decode()
    assert "clearcourse/gags.js" in html
    assert 'data-gags-factor="3"' in html and "data-gags-bands=" in html and "very severe" in html
    assert 'aria-live="polite"' in html


DOSE_POST = {"starts_on": "2026-11-26", "weight_kg": "70", "mg_per_kg": "0.5", "target_mg_per_kg": "120"}


def test_a_prescriber_sets_the_dose_plan_and_sees_it(login: Callable[[Any], Any], prescriber: Any,
                                                     course: Any) -> None:
    client = login(prescriber)
    response = client.post(reverse("courses:dose_plan", args=[course.pk]), DOSE_POST)
    assert response.status_code == 302
    html = client.get(reverse("courses:dose_plan", args=[course.pk])).content.decode()
    assert "30 mg" in html and "8,400 mg in total" in html  # 70 kg x 120 mg/kg
    assert "Decision support" in html


@pytest.mark.parametrize(("post", "field", "message"), [
    ({"mg_per_kg": "2.5"}, "out_of_range_reason", services.DOSE_OUT_OF_RANGE),
    ({"mg_per_kg": "0.05"}, "out_of_range_reason", services.DOSE_OUT_OF_RANGE),
    ({"weight_kg": "0"}, "weight_kg", "Weight of 0 kg cannot be right: enter a value from 2 to 350 kg."),
    ({"weight_kg": "-70"}, "weight_kg", "Weight of -70 kg cannot be right: enter a value from 2 to 350 kg."),
    ({"weight_kg": "351"}, "weight_kg", "Weight of 351 kg cannot be right: enter a value from 2 to 350 kg."),
    ({"mg_per_kg": "5", "out_of_range_reason": "asdf"}, "mg_per_kg",
     "Daily dose per kg of 5 mg/kg/day cannot be right: enter a value from 0.01 to 4 mg/kg/day."),
    ({"starts_on": "1990-01-01"}, "starts_on", services.DATE_BEFORE_BIRTH),
])
def test_a_bad_dose_plan_is_refused_next_to_the_field(login: Callable[[Any], Any], prescriber: Any, course: Any,
                                                      post: dict[str, str], field: str, message: str) -> None:
    client = login(prescriber)
    before = _counts()
    response = client.post(reverse("courses:dose_plan", args=[course.pk]), {**DOSE_POST, **post})
    assert response.status_code == 400
    assert response.context["form"].errors[field] == [message]
    assert escape(message) in response.content.decode()
    assert _counts() == before


def test_a_dose_outside_the_range_is_accepted_with_a_reason(login: Callable[[Any], Any], prescriber: Any,
                                                            course: Any) -> None:
    client = login(prescriber)
    first = client.post(reverse("courses:dose_plan", args=[course.pk]),
                        {**DOSE_POST, "mg_per_kg": "0.09", "out_of_range_reason": "micro-dose trial"})
    # Unusual (below the label's 0.5 mg/kg/day): the page asks for a confirmation and saves nothing yet.
    assert first.status_code == 400 and not DosePlan.objects.exists()
    html = first.content.decode()
    assert "usual range 0.5 to 1 mg/kg/day" in html and 'name="confirm_unusual"' in html
    assert 'type="checkbox" name="confirm_unusual"' in html
    response = client.post(reverse("courses:dose_plan", args=[course.pk]),
                           {**DOSE_POST, "mg_per_kg": "0.09", "out_of_range_reason": "micro-dose trial",
                            "confirm_unusual": "on"})
    assert response.status_code == 302
    assert DosePlan.objects.get().out_of_range_reason == "micro-dose trial"


def test_a_delegate_sees_the_dose_plan_but_cannot_set_it(login: Callable[[Any], Any], delegate: Any,
                                                         course: Any) -> None:
    client = login(delegate)
    page = client.get(reverse("courses:dose_plan", args=[course.pk]))
    assert page.status_code == 200 and "Only a prescriber can set the dose plan." in page.content.decode()
    before = _counts()
    assert client.post(reverse("courses:dose_plan", args=[course.pk]), DOSE_POST).status_code == 403
    assert _counts() == before


@pytest.mark.parametrize(("post", "field"), [({"days": "0"}, "days"), ({"first_day": "2026-12-01"}, "first_day"),
                                             ({"first_day": "2001-01-01"}, "first_day")])
def test_bad_missed_days_are_refused(login: Callable[[Any], Any], delegate: Any, course: Any,
                                     post: dict[str, str], field: str) -> None:
    client = login(delegate)
    before = _counts()
    response = client.post(reverse("courses:missed_dose_create", args=[course.pk]),
                           {"first_day": "2026-11-20", "days": "2", **post})
    assert response.status_code == 400 and field in response.context["form"].errors
    assert _counts() == before


def test_the_course_page_draws_the_cumulative_dose_chart(login: Callable[[Any], Any], prescriber: Any,
                                                         course: Any) -> None:
    services.course_status_change(actor=prescriber, course=course, status="active", on=dt.date(2026, 10, 1),
                                  today=TODAY)
    services.dose_plan_record(actor=prescriber, course=course, starts_on=dt.date(2026, 10, 1), weight_kg=70,
                              mg_per_kg="0.5", today=TODAY)
    html = login(prescriber).get(reverse("courses:course_detail", args=[course.pk])).content.decode()
    assert "<svg" in html and 'role="img"' in html
    assert "chart-threshold-target" in html and "chart-series-projected" in html
    assert "Target 120 mg/kg" in html and "Projected end" in html


def test_a_course_status_change_from_the_page(login: Callable[[Any], Any], prescriber: Any, course: Any) -> None:
    client = login(prescriber)
    response = client.post(reverse("courses:course_status", args=[course.pk]),
                           {"status": "active", "on": "2026-11-26"})
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.status == "active" and course.started_on == TODAY
    before = _counts()
    response = client.post(reverse("courses:course_status", args=[course.pk]),
                           {"status": "paused", "on": "2026-11-30"})
    assert response.status_code == 400 and response.context["form"].errors["on"] == [services.DATE_IN_FUTURE]
    assert _counts() == before


def test_the_course_page_sends_the_same_statements_for_one_and_six_prescriptions(
        prescriber: Any, course: Any) -> None:
    """Each prescription's dispense and each record's correction are read with the lists (the page sent
    two statements per prescription: 42 for a twelve-month course of the benchmark population)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clearcourse.courses.models import Prescription, WeightMeasurement

    client = Client()
    client.force_login(prescriber, backend="django.contrib.auth.backends.ModelBackend")

    def add(n: int) -> None:
        for i in range(n):
            Prescription.objects.create(course=course, prescriber=prescriber, issued_on=TODAY - dt.timedelta(days=30 * i),
                                        product=course.product, daily_dose_mg=40, capsules={"40": 1}, days_supply=30,
                                        recorded_by=prescriber)
            WeightMeasurement.objects.create(patient=course.patient, measured_on=TODAY - dt.timedelta(days=30 * i),
                                             weight_kg=70, recorded_by=prescriber)

    def statements() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get(reverse("courses:course_detail", args=[course.pk])).status_code == 200
        return len(seen)

    add(1)
    one = statements()
    add(5)
    assert statements() == one
