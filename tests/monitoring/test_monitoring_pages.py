from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.urls import reverse

from clearcourse.monitoring import services
from clearcourse.monitoring.models import (
    Alert,
    AlertAcknowledgement,
    CalendarFeedToken,
    LabResult,
    MoodScreen,
)

PERSONAS = ["prescriber", "delegate", "other_prescriber", "pharmacist", "patient_user", "admin_user"]


@pytest.fixture
def alert(prescriber: Any, active_course: Any, today: dt.date) -> Any:
    services.side_effect_report(actor=prescriber, course=active_course, symptoms={"rectal_bleeding": "mild"},
                                reported_on=today, today=today)
    return Alert.objects.get()


def url_for(name: str, course: Any, alert: Any) -> str:
    if name in ("monitoring:worklist", "monitoring:config"):
        return reverse(name)
    if name == "monitoring:alert_acknowledge":
        return reverse(name, kwargs={"alert_id": alert.pk})
    return reverse(name, kwargs={"course_id": course.pk})


# Expected status per page for: prescriber, delegate, other_prescriber, pharmacist, patient, admin.
EXPECTED = {
    "monitoring:worklist": [200, 200, 200, 403, 403, 403],
    "monitoring:course": [200, 200, 404, 403, 403, 403],
    "monitoring:lab_record": [200, 200, 404, 403, 403, 403],
    "monitoring:mood_record": [200, 200, 404, 403, 403, 403],
    "monitoring:side_effect_record": [200, 200, 404, 403, 403, 403],
    "monitoring:sexual_function_record": [200, 200, 404, 403, 403, 403],
    "monitoring:alert_acknowledge": [200, 403, 404, 403, 403, 403],
    "monitoring:config": [200, 403, 200, 403, 403, 403],
}


@pytest.mark.parametrize("name", list(EXPECTED))
@pytest.mark.parametrize("index,persona", list(enumerate(PERSONAS)))
def test_access_per_persona(name, index, persona, request, login, active_course, alert):
    user = request.getfixturevalue(persona)
    response = login(user).get(url_for(name, active_course, alert))
    assert response.status_code == EXPECTED[name][index], (name, persona)
    if response.status_code == 200:
        # Every monitoring page advises, so every one carries the advice notice.
        assert b'class="advice-notice"' in response.content


@pytest.mark.parametrize("name", list(EXPECTED))
def test_anonymous_visitors_are_sent_to_sign_in(name, client, active_course, alert):
    response = client.get(url_for(name, active_course, alert))
    assert response.status_code == 302
    assert reverse("accounts:login") in response["Location"]


@pytest.mark.parametrize("index,persona", list(enumerate(PERSONAS)))
def test_calendar_link_creation_per_persona(index, persona, request, login, active_course):
    response = login(request.getfixturevalue(persona)).post(
        reverse("monitoring:calendar_token_create", kwargs={"course_id": active_course.pk}))
    assert response.status_code == [200, 200, 404, 403, 403, 403][index]
    assert CalendarFeedToken.objects.count() == (1 if index < 2 else 0)


def test_the_worklist_shows_the_urgent_alert_first_with_an_acknowledge_link(login, prescriber, active_course, alert,
                                                                           today):
    services.lab_result_record(actor=prescriber, course=active_course, loinc="1742-6", value=50, unit="U/L", uln=40,
                               collected_on=today, today=today)
    html = login(prescriber).get(reverse("monitoring:worklist")).content.decode()
    severities = re.findall(r'data-severity="(\w+)"', html)
    assert severities == ["urgent", "info"]
    assert reverse("monitoring:alert_acknowledge", kwargs={"alert_id": alert.pk}) in html
    assert "Jordan Miller" in html


def test_a_delegate_sees_alerts_but_no_acknowledge_link(login, delegate, alert):
    html = login(delegate).get(reverse("monitoring:worklist")).content.decode()
    assert 'data-severity="urgent"' in html
    assert reverse("monitoring:alert_acknowledge", kwargs={"alert_id": alert.pk}) not in html


def test_the_lab_form_shows_the_negative_value_message_and_writes_nothing(login, prescriber, active_course, today):
    response = login(prescriber).post(reverse("monitoring:lab_record", kwargs={"course_id": active_course.pk}), {
        "loinc": "2571-8", "value": "-5", "unit": "mg/dL", "collected_on": today.isoformat()})
    assert response.status_code == 400
    assert services.LAB_VALUE_NEGATIVE in response.content.decode()
    assert response.context["form"].errors["value"] == [services.LAB_VALUE_NEGATIVE]
    assert LabResult.objects.count() == 0


def test_the_lab_form_refuses_a_unit_that_does_not_fit(login, prescriber, active_course, today):
    response = login(prescriber).post(reverse("monitoring:lab_record", kwargs={"course_id": active_course.pk}), {
        "loinc": "1742-6", "value": "30", "unit": "mmol/L", "uln": "40", "collected_on": today.isoformat()})
    assert response.status_code == 400
    assert "does not fit ALT" in response.context["form"].errors["unit"][0]
    assert LabResult.objects.count() == 0


def test_a_valid_lab_result_is_saved_and_the_course_page_charts_it(login, prescriber, active_course, today):
    client = login(prescriber)
    for days, value in ((20, "450"), (5, "820")):
        response = client.post(reverse("monitoring:lab_record", kwargs={"course_id": active_course.pk}), {
            "loinc": "2571-8", "value": value, "unit": "mg/dL",
            "collected_on": (today - dt.timedelta(days=days)).isoformat()})
        assert response.status_code == 302
    html = client.get(reverse("monitoring:course", kwargs={"course_id": active_course.pk})).content.decode()
    assert "<svg" in html and "Triglycerides" in html
    # The clinic's thresholds are drawn in (797 mg/dL = 9 mmol/L).
    assert "797 mg/dL" in html and "500 mg/dL" in html
    assert " style=" not in html  # CSP: no inline styles


def test_the_phq9_form_has_the_item_texts_and_refuses_an_answer_of_4(login, prescriber, active_course, today):
    client = login(prescriber)
    url = reverse("monitoring:mood_record", kwargs={"course_id": active_course.pk}) + "?instrument=phq9"
    page = client.get(url).content.decode()
    assert "Thoughts that you would be better off dead" in page
    data = {"instrument": "phq9", "screened_on": today.isoformat(), "completed_by": "patient"}
    data.update({f"item_{n}": "0" for n in range(1, 10)})
    data["item_3"] = "4"
    response = client.post(url, data)
    assert response.status_code == 400
    assert response.context["form"].errors["item_3"] == [services.PHQ_ANSWER_OUT_OF_RANGE]
    assert MoodScreen.objects.count() == 0


def test_an_urgent_phq9_from_the_page_lands_on_top_of_the_worklist(login, prescriber, active_course, today):
    client = login(prescriber)
    data = {"instrument": "phq9", "screened_on": today.isoformat(), "completed_by": "patient"}
    data.update({f"item_{n}": "0" for n in range(1, 10)})
    data["item_9"] = "1"
    response = client.post(reverse("monitoring:mood_record", kwargs={"course_id": active_course.pk}), data)
    assert response.status_code == 302
    html = client.get(reverse("monitoring:worklist")).content.decode()
    assert re.findall(r'data-severity="(\w+)"', html)[0] == "urgent"


def test_the_phq2_form_has_two_items(login, prescriber, active_course):
    response = login(prescriber).get(
        reverse("monitoring:mood_record", kwargs={"course_id": active_course.pk}) + "?instrument=phq2")
    assert [n for n in response.context["form"].fields if n.startswith("item_")] == ["item_1", "item_2"]


def test_the_side_effect_form_raises_the_red_flag_alert(login, prescriber, active_course, today):
    response = login(prescriber).post(
        reverse("monitoring:side_effect_record", kwargs={"course_id": active_course.pk}),
        {"reported_on": today.isoformat(), "se_diarrhoea": "severe", "note": "bloody"})
    assert response.status_code == 302
    assert Alert.objects.get().severity == "urgent"


def test_the_side_effect_form_needs_at_least_one_symptom(login, prescriber, active_course, today):
    response = login(prescriber).post(
        reverse("monitoring:side_effect_record", kwargs={"course_id": active_course.pk}),
        {"reported_on": today.isoformat()})
    assert response.status_code == 400
    assert services.SIDE_EFFECT_NONE in response.content.decode()


def test_acknowledging_needs_a_note_and_then_clears_the_alert(login, prescriber, alert):
    client = login(prescriber)
    url = reverse("monitoring:alert_acknowledge", kwargs={"alert_id": alert.pk})
    response = client.post(url, {"note": ""})
    assert response.status_code == 400
    assert services.ACK_NOTE_REQUIRED in response.content.decode()
    assert AlertAcknowledgement.objects.count() == 0
    response = client.post(url, {"note": "Stopped isotretinoin, referred to GI.",
                                 "next": reverse("monitoring:worklist")})
    assert response.status_code == 302 and response["Location"] == reverse("monitoring:worklist")
    assert AlertAcknowledgement.objects.get().note == "Stopped isotretinoin, referred to GI."
    assert b'data-severity="urgent"' not in client.get(reverse("monitoring:worklist")).content


def test_a_delegate_cannot_acknowledge_by_posting(login, delegate, alert):
    response = login(delegate).post(reverse("monitoring:alert_acknowledge", kwargs={"alert_id": alert.pk}),
                                    {"note": "seen"})
    assert response.status_code == 403
    assert AlertAcknowledgement.objects.count() == 0


def test_the_config_page_saves_a_signed_off_version(login, prescriber):
    client = login(prescriber)
    form = client.get(reverse("monitoring:config")).context["form"]
    data = {name: ("on" if value is True else "" if value in (False, None) else value)
            for name, value in form.initial.items()}
    data["threshold_tg_refer"] = "4.5"
    data["signed_off"] = "on"
    response = client.post(reverse("monitoring:config"), {k: v for k, v in data.items() if v != ""})
    assert response.status_code == 302
    from clearcourse.monitoring.config import effective_config

    effective = effective_config(prescriber.clinic_id, prescriber.clinic.program)
    assert effective.signed_off and effective.threshold_bounds()["tg_refer"] == 4.5


def test_the_worklist_filter_keeps_the_chosen_prescriber(login, prescriber, active_course):
    response = login(prescriber).get(reverse("monitoring:worklist") + f"?prescriber={prescriber.pk}")
    assert response.context["worklist"].prescriber_id == prescriber.pk
    assert login(prescriber).get(reverse("monitoring:worklist") + "?prescriber=abc").status_code == 200


def test_the_config_page_refuses_a_threshold_that_would_switch_an_alert_off(login, prescriber):
    from clearcourse.monitoring.models import ClinicMonitoringConfig

    client = login(prescriber)
    form = client.get(reverse("monitoring:config")).context["form"]
    data = {name: ("on" if value is True else "" if value in (False, None) else value)
            for name, value in form.initial.items()}
    data["threshold_tg_refer"] = "1e308"
    before = ClinicMonitoringConfig.objects.count()
    response = client.post(reverse("monitoring:config"), {k: v for k, v in data.items() if v != ""})
    assert response.status_code == 400
    assert response.context["form"].errors["threshold_tg_refer"]
    assert ClinicMonitoringConfig.objects.count() == before
