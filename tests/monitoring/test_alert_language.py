"""Alerts are stored language-neutral and shown in the reader's language, whatever was active when made."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import translation

from clearcourse.monitoring import services
from clearcourse.monitoring.models import Alert

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def _restore_language() -> Any:
    """A German request leaves German active in this thread (LocaleMiddleware); later tests expect English."""
    with translation.override("en"):
        yield


URGENT_PHQ9 = [1, 2, 1, 1, 0, 1, 1, 0, 1]  # item 9 "several days": urgent


def _german(client: Any, url: str) -> str:
    client.cookies["django_language"] = "de"
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 200
    return response.content.decode()


def _alerts_made_in_english(prescriber: Any, course: Any, today: dt.date) -> None:
    with translation.override("en"):
        services.mood_screen_record(actor=prescriber, course=course, instrument="phq9", answers=URGENT_PHQ9,
                                    screened_on=today, today=today)
        services.side_effect_report(actor=prescriber, course=course,
                                    symptoms={"headache": "severe", "vision_change": "moderate"},
                                    reported_on=today, today=today)


def test_an_alert_made_while_english_was_active_reads_german_on_the_german_worklist_and_course_page(
        login, prescriber, active_course, today):
    _alerts_made_in_english(prescriber, active_course, today)
    stored = [a.message for a in Alert.objects.all()]
    assert any("thoughts of self-harm answered" in m for m in stored)  # the English text is kept
    client = login(prescriber)
    for url in (reverse("monitoring:worklist"),
                reverse("monitoring:course", kwargs={"course_id": active_course.pk})):
        html = _german(client, url)
        assert "-Punktwert" in html and "Gedanken an Selbstverletzung angegeben" in html, url
        assert "Kopfschmerzen (schwer)" in html, url
        assert "Neue Sehstörung (verschwommenes oder verändertes Sehen) (mittelschwer)" in html, url
        assert "gemeldet am 26. Nov. 2026" in html, url
        assert "thoughts of self-harm answered" not in html, url
        assert "reported on" not in html, url


def test_an_alert_made_while_german_was_active_reads_english_on_an_english_page(
        login, prescriber, active_course, today):
    with translation.override("de"):
        services.side_effect_report(actor=prescriber, course=active_course, symptoms={"headache": "severe"},
                                    reported_on=today, today=today)
    assert Alert.objects.get().message == f"Headache (severe) reported on {today.isoformat()}"
    client = login(prescriber)
    client.cookies["django_language"] = "en"
    html = client.get(reverse("monitoring:worklist"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    # Stored with the ISO date (language-neutral); shown in the page's date style.
    assert "Headache (severe) reported on 26 Nov 2026" in html
    assert "Kopfschmerzen" not in html


def test_an_old_alert_without_message_data_shows_its_stored_text(login, prescriber, active_course, today):
    services.side_effect_report(actor=prescriber, course=active_course, symptoms={"headache": "severe"},
                                reported_on=today, today=today)
    made = Alert.objects.get()
    old = Alert.objects.create(course=active_course, kind=made.kind, code=made.code, severity=made.severity,
                               severity_rank=made.severity_rank, message="Stored before the change",
                               advice=made.advice, recorded_by=prescriber)
    assert old.message_data is None
    with translation.override("de"):
        assert old.display_message == "Stored before the change"
    html = _german(login(prescriber), reverse("monitoring:worklist"))
    assert "Stored before the change" in html
