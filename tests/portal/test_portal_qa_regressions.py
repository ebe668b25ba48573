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
    assert "2026-12-03 06:08." in body
    assert ".." not in body
