"""Regressions found by QA on the demo: the patient portal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.utils import timezone, translation

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_invitation_email_states_the_expiry_without_a_doubled_full_stop(patient: Any, language: str) -> None:
    # English read "until Dec. 3, 2026, 6:08 a.m.." (the time format ends with a full stop).
    expires_at = dt.datetime(2026, 12, 3, 6, 8, tzinfo=timezone.get_current_timezone())
    with translation.override(language):
        body = render_to_string("portal/email/invitation_body.txt", {
            "patient": patient, "link": "https://example.org/x", "expires_at": expires_at,
            "clinic": patient.clinic})
    assert {"en": "3 Dec 2026, 06:08.", "de": "3. Dez. 2026, 06:08."}[language] in body
    assert ".." not in body


def test_the_course_summary_names_the_questionnaire_not_its_code(course: Any, prescriber: Any) -> None:
    # The PDF listed "PHQ9_TEEN" (the stored code in capitals) instead of the questionnaire's name.
    from clearcourse.monitoring.models import MoodScreen
    from clearcourse.portal.pdf import course_summary_context

    today = timezone.localdate()
    MoodScreen.objects.create(course=course, instrument="phq9_teen", screened_on=today, answers=[0] * 9, score=0,
                              band="minimal", completed_by="patient", recorded_by=prescriber)
    with translation.override("de"):
        html = render_to_string("portal/pdf/summary.html", course_summary_context(course, today=today))
    assert "PHQ9_TEEN" not in html
    assert "PHQ-9 für Jugendliche (PHQ-A)" in html
