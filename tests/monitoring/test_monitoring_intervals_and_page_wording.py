"""Regressions found by QA clicking through the demo: the monitoring pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from clearcourse.monitoring.models import ClinicMonitoringConfig
from clearcourse.rules.monitoring import MAX_INTERVAL_DAYS, MonitoringConfig, MonitoringInputError

pytestmark = pytest.mark.django_db


def _config_data(client: Any) -> dict[str, Any]:
    form = client.get(reverse("monitoring:config")).context["form"]
    data = {name: ("on" if value is True else "" if value in (False, None) else value)
            for name, value in form.initial.items()}
    return {k: v for k, v in data.items() if v != ""}


@pytest.mark.parametrize("value", ["99999999999999999999", str(MAX_INTERVAL_DAYS + 1)])
def test_an_enormous_interval_is_a_field_error_not_a_crash(login: Any, prescriber: Any, value: str) -> None:
    client = login(prescriber)
    data = _config_data(client)
    data["liver_interval_days"] = value
    response = client.post(reverse("monitoring:config"), data)
    assert response.status_code == 400
    assert response.context["form"].errors["liver_interval_days"]
    assert ClinicMonitoringConfig.objects.count() == 0


def test_the_longest_allowed_interval_is_saved(login: Any, prescriber: Any) -> None:
    client = login(prescriber)
    data = _config_data(client)
    data["mood_interval_days"] = str(MAX_INTERVAL_DAYS)
    assert client.post(reverse("monitoring:config"), data).status_code == 302
    assert ClinicMonitoringConfig.objects.get().mood_interval_days == MAX_INTERVAL_DAYS


def test_the_rules_core_refuses_an_interval_beyond_the_bound() -> None:
    with pytest.raises(MonitoringInputError) as exc:
        MonitoringConfig(liver_interval_days=MAX_INTERVAL_DAYS + 1)
    assert exc.value.field == "liver_interval_days"


@pytest.mark.parametrize("name", ["monitoring:lab_record", "monitoring:mood_record", "monitoring:side_effect_record"])
def test_german_forms_prefill_the_date_in_the_form_a_date_input_accepts(
        login: Any, prescriber: Any, active_course: Any, name: str) -> None:
    # A date input drops "26.11.2026"; the field then showed empty on every German page.
    client = login(prescriber)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    with translation.override(settings.LANGUAGE_CODE):  # the request activates German in this thread
        html = client.get(reverse(name, kwargs={"course_id": active_course.pk})).content.decode()
    values = re.findall(r'<input type="date" name="\w+" value="([^"]*)"', html)
    assert values, "no prefilled date input"
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values), values


def test_the_monitoring_page_links_to_the_course_and_its_pregnancy_prevention_page(
        login: Any, prescriber: Any, active_course: Any) -> None:
    # Without these links the program page (and with it prescribing) could only be reached by typing its URL.
    html = login(prescriber).get(reverse("monitoring:course", kwargs={"course_id": active_course.pk})).content.decode()
    assert f'href="{reverse("courses:course_detail", args=[active_course.pk])}"' in html
    assert f'href="{reverse("ppp:course_status", args=[active_course.pk])}"' in html


def test_the_worklist_gives_the_program_step_in_german(active_course: Any, prescriber: Any, today: Any) -> None:
    # "Collect a pregnancy test (...)." stayed English on the German worklist: gettext was asked for the
    # sentence after its placeholder had been filled in.
    import datetime as dt

    from clearcourse.courses.models import Prescription
    from clearcourse.monitoring import programs_bridge
    from clearcourse.ppp import models as ppp

    ppp.Enrollment.objects.create(course=active_course, program=active_course.program,
                                  enrolled_on=today - dt.timedelta(days=60), recorded_by=prescriber)
    ppp.RiskCategory.objects.create(course=active_course, can_get_pregnant=True,
                                    effective_on=today - dt.timedelta(days=60), recorded_by=prescriber)
    Prescription.objects.create(course=active_course, prescriber=prescriber, product=active_course.product,
                                issued_on=today, daily_dose_mg=40, days_supply=30, recorded_by=prescriber)
    with translation.override("en"):
        english = programs_bridge.program_items([active_course], as_of=today, until=today + dt.timedelta(days=60)).items
    with translation.override("de"):
        german = programs_bridge.program_items([active_course], as_of=today, until=today + dt.timedelta(days=60)).items
    from clearcourse.core.wording import draw

    tests = [(e, g) for e, g in zip(english, german, strict=True) if e.code == "program:pregnancy_test"]
    assert tests, [(e.code, e.detail) for e in english]
    for e, g in tests:
        with translation.override("en"):
            in_english = draw(e.detail)
        with translation.override("de"):
            in_german = draw(g.detail)
        assert in_english.startswith("Collect a pregnancy test")
        assert in_german != in_english and not in_german.startswith("Collect")


def test_the_teen_questionnaire_is_named_in_german(login: Any, prescriber: Any, active_course: Any) -> None:
    client = login(prescriber)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "de"
    url = reverse("monitoring:mood_record", kwargs={"course_id": active_course.pk}) + "?instrument=phq9_teen"
    with translation.override(settings.LANGUAGE_CODE):  # the request activates German in this thread
        html = client.get(url).content.decode()
    assert "PHQ-9 für Jugendliche (PHQ-A)" in html
    assert "PHQ-9 modified for teens" not in html
